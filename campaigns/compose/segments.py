"""GSM-7 / UCS-2 analysis of an SMS body: encoding, segments, characters, Smart Encoding.

`analyze(text)` agrees with Twilio's reference calculator, the npm package
`sms-segments-calculator` 1.3.0 (TwilioDevEd/message-segment-calculator), on every input; the
differential test `tests/test_segments_differential.py` runs both on thousands of messages and
compares this module's tables with the package's own. The package's rules, which this module
reproduces exactly (some differ from a plain reading of the GSM 03.38 standard):

- The text is split into grapheme clusters by the package's dependency `grapheme-splitter`
  1.0.4 (UAX #29 for Unicode 10, with that library's own quirks), after which a "\\r\\n"
  cluster is split back into two. A cluster is GSM-7 only when it is a single UTF-16 code unit
  found in the GSM-7 table (basic set or extension); any other cluster makes the whole message
  UCS-2 (a tab, a backtick, an emoji, an accent written as a combining mark...).
- A segment holds 140 octets (1,120 bits); a message of several segments reserves 6 octets
  per segment for the header: GSM-7 fits 160 septets alone or 153 per part, UCS-2 70 code
  units alone or 67 per part. A cluster is never split across segments: a GSM extension
  character (`^ { } \\ [ ] ~ | €` and form feed: two septets) or a whole cluster (an emoji, a
  ZWJ family, a flag) moves to the next segment, so counts can exceed the naive division.
- `characters`: for GSM-7 the septets (extension characters count 2, as in FACTS.md); for
  UCS-2 the package counts grapheme clusters (`numberOfCharacters`), not UTF-16 code units as
  FACTS.md and the issue describe. We follow the package; `utf16_length` gives code units.
- `non_gsm` lists each offending cluster once, in order of first appearance (the package's
  `getNonGsmCharacters()` repeats them).

Everything Twilio-specific is data copied from the package (the GSM-7 table, the Smart
Encoding map, the grapheme break properties); the differential test checks each table against
the installed package, code point by code point.

Speed: pure-ASCII GSM text (the common case) takes one regex scan and a cached result; other
GSM text one more scan; UCS-2 text without combining marks, joiners or emoji modifiers counts
code points; only the rest runs the full grapheme splitter.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

__all__ = [
    "GSM7",
    "GSM_BASIC_CHARS",
    "GSM_EXTENSION_CHARS",
    "MAX_BODY_CHARS",
    "UCS2",
    "SegmentInfo",
    "analyze",
    "break_property",
    "smart_encode",
    "split_graphemes",
    "utf16_length",
]

#: Twilio refuses longer bodies (error 21617). Counted here in UTF-16 code units (see
#: `utf16_length`), the stricter reading: an emoji counts 2.
MAX_BODY_CHARS = 1600

GSM7 = "GSM-7"
UCS2 = "UCS-2"

#: The GSM-7 basic character set as the package maps it (one septet each).
GSM_BASIC_CHARS = (
    "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    "¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ"
)
#: The GSM-7 extension table as the package maps it (escape + character: two septets each).
GSM_EXTENSION_CHARS = "\f[\\]^{|}~€"

_SEGMENT_BITS = 1120  # 140 octets
_HEADER_BITS = 48  # 6 octets of User Data Header in each part of a concatenated message
_GSM_SINGLE, _GSM_PART = 160, 153  # septets
_UCS2_SINGLE, _UCS2_PART = 70, 67  # UTF-16 code units

_GSM_SET = frozenset(GSM_BASIC_CHARS + GSM_EXTENSION_CHARS)
# The Latin-1 bytes of the one-septet and the two-septet GSM-7 characters (not €).
_BASIC_BYTES = bytes(ord(char) for char in GSM_BASIC_CHARS if char <= "\xff")
_EXTENSION_BYTES = bytes(ord(char) for char in GSM_EXTENSION_CHARS if char <= "\xff")
_NOT_GSM = re.compile("[^" + re.escape(GSM_BASIC_CHARS + GSM_EXTENSION_CHARS) + "]")
_EXTENSION = re.compile("[" + re.escape(GSM_EXTENSION_CHARS) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_HIGH = "\xd8\xd9\xda\xdb"  # high bytes of UTF-16 high surrogates


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How Twilio will encode and split one message body.

    `encoding` is "GSM-7" or "UCS-2"; `characters` follows the reference calculator (GSM-7:
    septets, extension characters counting 2; UCS-2: grapheme clusters); `non_gsm` holds the
    clusters that forced UCS-2, each once.
    """

    encoding: str
    segments: int
    characters: int
    non_gsm: tuple[str, ...] = ()


def analyze(text: str) -> SegmentInfo:
    """Encoding, segment count, character count and offending characters of `text`."""
    try:
        data = text.encode("latin-1")  # a copy for ASCII / Latin-1 text, else it raises
    except UnicodeEncodeError:
        return _analyze_wide(text)
    rest = data.translate(None, _BASIC_BYTES)  # what is not one-septet GSM-7
    if not rest:
        info = _PLAIN_GSM.get(len(data))
        return info if info is not None else _plain_gsm(len(data))
    not_gsm = rest.translate(None, _EXTENSION_BYTES)
    if not not_gsm:
        return _gsm_with_extensions(text, len(data) + len(rest))
    # UCS-2 within Latin-1: no character there joins a cluster, each is one code unit.
    length = len(data)
    parts = 1 if length <= _UCS2_SINGLE else -(-length // _UCS2_PART)
    return SegmentInfo(UCS2, parts, length, tuple(dict.fromkeys(not_gsm.decode("latin-1"))))


def smart_encode(text: str) -> str:
    """`text` with Twilio's Smart Encoding applied: look-alikes replaced by GSM-7 characters.

    Curly quotes become straight ones, dashes a hyphen, the ellipsis three dots, odd spaces
    plain ones, zero-width characters disappear (the package's table, code point by code
    point). Characters without a look-alike are kept, so the result may still be UCS-2.
    """
    return text.translate(_smart_table())


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Twilio's 1,600-character body limit."""
    return len(text) + len(_ASTRAL.findall(text))


def split_graphemes(text: str) -> list[str]:
    """The package's grapheme clusters of `text` ("\\r\\n" split back into two)."""
    text = _join_surrogates(text)
    if not _has_complex(text):
        return list(text)
    return _split_clusters(text)


def break_property(code_point: int) -> str:
    """grapheme-splitter 1.0.4's Grapheme_Cluster_Break property of a code point."""
    if 0xAC00 <= code_point <= 0xD7A3:
        return "LV" if (code_point - 0xAC00) % 28 == 0 else "LVT"
    starts, ends, names = _break_table()
    index = bisect_right(starts, code_point) - 1
    if index >= 0 and code_point <= ends[index]:
        return names[index]
    return "Other"


# --- GSM-7 ---------------------------------------------------------------------------------

_GSM_CACHE: dict[tuple[int, int], SegmentInfo] = {}
_PLAIN_GSM: dict[int, SegmentInfo] = {}  # by length, for text of one-septet characters


def _plain_gsm(septets: int) -> SegmentInfo:
    """GSM-7 text of one-septet characters only: parts of 153 once over 160."""
    parts = 1 if septets <= _GSM_SINGLE else -(-septets // _GSM_PART)
    info = _PLAIN_GSM[septets] = _gsm_info(septets, parts)
    return info


def _gsm_with_extensions(text: str, septets: int) -> SegmentInfo:
    """GSM-7 text with two-septet characters, which never straddle two parts."""
    if septets <= _GSM_SINGLE:
        return _gsm_info(septets, 1)
    septet_stream = text
    for char in GSM_EXTENSION_CHARS:
        if char in septet_stream:
            septet_stream = septet_stream.replace(char, "\x1b" + char)  # ESC + character
    return _gsm_info(septets, _greedy_parts(septet_stream, _GSM_PART, "\x1b"))


def _gsm_info(septets: int, parts: int) -> SegmentInfo:
    key = (septets, parts)
    info = _GSM_CACHE.get(key)
    if info is None:
        info = _GSM_CACHE[key] = SegmentInfo(GSM7, parts, septets, ())
    return info


def _greedy_parts(stream: str, capacity: int, leads: str) -> int:
    """Parts of `capacity` units needed for `stream`, never splitting a two-unit item.

    `stream` has one character per unit; a character in `leads` marks the first unit of a
    two-unit item: when it would be the last unit of a part, the item moves to the next part.
    """
    parts, start, length = 1, 0, len(stream)
    while length - start > capacity:
        end = start + capacity
        if stream[end - 1] in leads:
            end -= 1
        start = end
        parts += 1
    return parts


# --- UCS-2 ---------------------------------------------------------------------------------


def _analyze_wide(text: str) -> SegmentInfo:
    """Text with characters beyond Latin-1: GSM-7 (Greek capitals, €) or UCS-2."""
    if _NOT_GSM.search(text) is None:
        extensions = len(_EXTENSION.findall(text))
        if not extensions:
            return _plain_gsm(len(text))
        return _gsm_with_extensions(text, len(text) + extensions)
    return _analyze_ucs2(text)


def _analyze_ucs2(text: str) -> SegmentInfo:
    text = _join_surrogates(text)
    highest = max(text)
    if highest < "\u0300" or not _has_complex(text):
        # Every code point is its own cluster of 1 or 2 code units: greedy packing is exact.
        non_gsm = tuple(dict.fromkeys(_NOT_GSM.findall(text)))
        if highest < "\U00010000":
            units = len(text)
            parts = 1 if units <= _UCS2_SINGLE else -(-units // _UCS2_PART)
            return SegmentInfo(UCS2, parts, units, non_gsm)
        if _SURROGATE.search(text) is None:
            # One character per UTF-16 code unit (its high byte): "\xd8"-"\xdb" start a pair.
            stream = text.encode("utf-16-le").decode("latin-1")[1::2]
            parts = 1 if len(stream) <= _UCS2_SINGLE else _greedy_parts(stream, _UCS2_PART, _HIGH)
            return SegmentInfo(UCS2, parts, len(text), non_gsm)
    clusters = _split_clusters(text)  # also for lone surrogates beside emoji (rare)
    bits = [16 * (len(cluster) + len(_ASTRAL.findall(cluster))) for cluster in clusters]
    non_gsm = tuple(
        dict.fromkeys(
            cluster for cluster in clusters if len(cluster) > 1 or cluster not in _GSM_SET
        )
    )
    return SegmentInfo(UCS2, _reference_segments(bits), len(clusters), non_gsm)


def _reference_segments(sizes_in_bits: list[int]) -> int:
    """The package's `_buildSegments`, step for step, for clusters of any size.

    Adding the header to the first part pushes its last characters into the second one
    without checking the room left there, so a huge cluster (a letter with dozens of combining
    marks) can overfill a part; the count then differs from greedy packing, and we match it.
    """
    first: list[int] = []
    first_bits = 0
    current_bits = 0
    parts = 1
    for size in sizes_in_bits:
        if parts == 1:
            if _SEGMENT_BITS - first_bits < size:
                parts = 2
                first_bits += _HEADER_BITS
                moved = 0
                while first_bits > _SEGMENT_BITS:
                    removed = first.pop()
                    first_bits -= removed
                    moved += removed
                current_bits = _HEADER_BITS + moved + size
            else:
                first.append(size)
                first_bits += size
        elif _SEGMENT_BITS - current_bits < size:
            parts += 1
            current_bits = _HEADER_BITS + size
        else:
            current_bits += size
    return parts


def _join_surrogates(text: str) -> str:
    """Pair up surrogate code points the way a JavaScript string would see them."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- grapheme-splitter 1.0.4, ported -------------------------------------------------------

_CR, _LF, _CONTROL, _EXTEND, _RI, _SPACING_MARK = 0, 1, 2, 3, 4, 5
_L, _V, _T, _LV, _LVT, _OTHER, _PREPEND = 6, 7, 8, 9, 10, 11, 12
_E_BASE, _E_MODIFIER, _ZWJ, _GLUE_AFTER_ZWJ, _E_BASE_GAZ = 13, 14, 15, 16, 17
_PROPERTY_CODES = {
    "CR": _CR, "LF": _LF, "Control": _CONTROL, "Extend": _EXTEND, "Regional_Indicator": _RI,
    "SpacingMark": _SPACING_MARK, "L": _L, "V": _V, "T": _T, "LV": _LV, "LVT": _LVT,
    "Other": _OTHER, "Prepend": _PREPEND, "E_Base": _E_BASE, "E_Modifier": _E_MODIFIER,
    "ZWJ": _ZWJ, "Glue_After_Zwj": _GLUE_AFTER_ZWJ, "E_Base_GAZ": _E_BASE_GAZ,
}  # fmt: skip
_PROPERTY_OF_CHAR: dict[str, int] = {}  # memo of break_property, as codes


def _split_clusters(text: str) -> list[str]:
    """grapheme-splitter's `splitGraphemes`, then "\\r\\n" split in two (the package's step)."""
    codes = _PROPERTY_OF_CHAR
    props = []
    for char in text:
        code = codes.get(char)
        if code is None:
            code = codes[char] = _PROPERTY_CODES[break_property(ord(char))]
        props.append(code)
    clusters: list[str] = []
    index, length = 0, len(text)
    while index < length:
        end = _next_break(props, index)
        cluster = text[index:end]
        if cluster == "\r\n":
            clusters.extend(("\r", "\n"))
        else:
            clusters.append(cluster)
        index = end
    return clusters


def _next_break(props: list[int], index: int) -> int:
    """grapheme-splitter's `nextBreak` over code points (surrogate pairs already joined)."""
    length = len(props)
    if index >= length - 1:
        return length
    previous = props[index]
    following = props[index + 1]
    if previous == _OTHER and following == _OTHER:
        return index + 1  # the common case: GB999, no lookahead can apply
    mid: list[int] = []
    for position in range(index + 1, length):
        following = props[position]
        if _should_break(previous, mid, following):
            return position
        mid.append(following)
    return length


def _last_index(items: list[int], value: int) -> int:
    for position in range(len(items) - 1, -1, -1):
        if items[position] == value:
            return position
    return -1


def _should_break(start: int, mid: list[int], end: int) -> bool:
    """grapheme-splitter's `shouldBreak`, rule for rule, quirks included.

    The library scans the whole run since the cluster start (`start`, `mid`, `end`) for its
    lookaheads; those scans are skipped here when their property cannot be present.
    """
    previous = mid[-1] if mid else start
    if end == _E_MODIFIER or _E_MODIFIER in mid:
        # Lookahead terminator for GB10: (E_Base | EBG) Extend* x E_Modifier
        every = [start, *mid, end]
        modifier_at = _last_index(every, _E_MODIFIER)
        if (
            modifier_at > 1
            and all(prop == _EXTEND for prop in every[1:modifier_at])
            and start not in (_EXTEND, _E_BASE, _E_BASE_GAZ)
        ):
            return True
    if end == _RI or _RI in mid:
        # Lookahead terminator for GB12/GB13: regional indicator pairs
        every = [start, *mid, end]
        indicator_at = _last_index(every, _RI)
        if (
            indicator_at > 0
            and all(prop == _RI for prop in every[1:indicator_at])
            and previous not in (_PREPEND, _RI)
        ):
            return True
    if previous == _CR and end == _LF:  # GB3
        return False
    if previous in (_CONTROL, _CR, _LF):  # GB4
        return True
    if end in (_CONTROL, _CR, _LF):  # GB5
        return True
    if previous == _L and end in (_L, _V, _LV, _LVT):  # GB6
        return False
    if previous in (_LV, _V) and end in (_V, _T):  # GB7
        return False
    if previous in (_LVT, _T) and end == _T:  # GB8
        return False
    if end in (_EXTEND, _ZWJ, _SPACING_MARK):  # GB9, GB9a
        return False
    if previous == _PREPEND:  # GB9b
        return False
    if end == _E_MODIFIER:
        # GB10, the library's reading: around the LAST Extend of the whole run
        every = [start, *mid, end]
        before = _last_index(every, _EXTEND) - 1 if _EXTEND in every else len(every) - 2
        if (
            before >= 0
            and every[before] in (_E_BASE, _E_BASE_GAZ)
            and all(prop == _EXTEND for prop in every[before + 1 : -1])
        ):
            return False
    if previous == _ZWJ and end in (_GLUE_AFTER_ZWJ, _E_BASE_GAZ):  # GB11
        return False
    if _RI in mid:  # GB12/GB13
        return True
    return not (previous == _RI and end == _RI)


@cache
def _break_table() -> tuple[list[int], list[int], list[str]]:
    """Sorted (starts, ends, names) of every range whose property is not Other."""
    ranges: list[tuple[int, int, str]] = []
    for name, spans in _BREAK_RANGES.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            ranges.append((int(first, 16), int(last or first, 16), name))
    ranges.sort()
    return [r[0] for r in ranges], [r[1] for r in ranges], [r[2] for r in ranges]


def _has_complex(text: str) -> bool:
    """Whether `text` holds a character that can join a neighbour into one cluster.

    Those are all but Other and the controls; Hangul syllables count (L/V/T/LV/LVT join).
    Text without any splits into one cluster per code point. The BMP part is one regex scan
    (a bitmap class); astral characters (emoji, mostly) are looked up one by one, since a
    class with astral ranges makes `re` test each range for every character.
    """
    if _complex_bmp().search(text) is not None:
        return True
    complex_astral = _complex_astral()
    return any(char in complex_astral for char in _ASTRAL.findall(text))


@cache
def _complex_bmp() -> re.Pattern[str]:
    spans = "".join(
        f"{re.escape(chr(first))}-{re.escape(chr(min(last, 0xFFFF)))}"
        for first, last, name in _complex_ranges()
        if first <= 0xFFFF
    )
    return re.compile(f"[{spans}\uac00-\ud7a3]")


@cache
def _complex_astral() -> frozenset[str]:
    return frozenset(
        chr(code)
        for first, last, _ in _complex_ranges()
        for code in range(max(first, 0x10000), last + 1)
    )


def _complex_ranges() -> list[tuple[int, int, str]]:
    starts, ends, names = _break_table()
    return [
        (first, last, name)
        for first, last, name in zip(starts, ends, names, strict=True)
        if name not in ("Control", "CR", "LF")
    ]


@cache
def _smart_table() -> dict[int, str]:
    return {
        ord(char): replacement
        for replacement, chars in _SMART_ENCODING_GROUPS.items()
        for char in chars
    }


# --- Data copied from sms-segments-calculator 1.3.0 / grapheme-splitter 1.0.4 ---------------
# Checked against the installed packages by tests/test_segments_differential.py.

#: Smart Encoding: replacement -> the characters it replaces (SmartEncodingMap.ts).
_SMART_ENCODING_GROUPS: dict[str, str] = {
    "": ("\u0000\u0003\u0004\u0010\u0011\u0012\u0013\u0014\u0017\u0019\u200b\u200c\u2060\ufeff"),
    " ": "\u2001\u2028\u2029",
    "  ": (
        "\u0080\u008d\u0090\u009b\u009f\u00a0\u2000\u2002\u2003\u2004\u2005"
        "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
    ),
    " " * 7: "\u0009",
    "!": "\u01c3\ufe15\ufe57\uff01",
    "!!": "\u203c",
    '"': ("\u00ab\u00bb\u02ba\u02ee\u201c\u201d\u201e\u201f\u275d\u275e\u301d\u301e\uff02"),
    "#": "\ufe5f\uff03",
    "$": "\ufe69\uff04",
    "%": "\ufe6a\uff05",
    "&": "\ufe60\uff06",
    "'": (
        "`\u00b4\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u0313\u0314\u2018"
        "\u2019\u201b\u275b\u275c\ufe10\ufe11\uff07"
    ),
    "(": "\u2768\u276a\u27ee\u2985\ufe59\uff08",
    ")": "\u2769\u276b\u27ef\u2986\ufe5a\uff09",
    "*": (
        "\u204e\u2217\u229b\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a"
        "\u273b\u273c\u273d\u2743\u2749\u274a\u274b\u29c6\ufe61\uff0a"
    ),
    "+": "\u02d6\ufe62\uff0b",
    ",": "\u0326\u201a\u3001\ufe50\ufe51\uff0c\uff64",
    "-": "\u2010\u2013\u2014\u2015\u2022\u2043\u23bc\u23bd\ufe63\uff0d",
    ".": "\u3002\ufe52\uff0e\uff61",
    "...": "\u2026",
    "/": "\u00f7\u0337\u0338\u2044\u2215\u29f8\uff0f",
    "0": "\uff10",
    "1": "\uff11",
    "1/2": "\u00bd",
    "1/4": "\u00bc",
    "2": "\uff12",
    "3": "\uff13",
    "3/4": "\u00be",
    "4": "\uff14",
    "5": "\uff15",
    "6": "\uff16",
    "7": "\uff17",
    "8": "\uff18",
    "9": "\uff19",
    ":": "\u02d0\u02f8\u2982\ua789\ufe13\uff1a",
    ";": "\u204f\ufe14\ufe54\uff1b",
    "<": "\u2039\ufe64\uff1c",
    "=": "\u0347\ua78a\ufe66\uff1d",
    ">": "\u203a\ufe65\uff1e",
    "?": "\ufe16\ufe56\uff1f",
    "@": "\ufe6b\uff20",
    "A": "\u1d00\uff21",
    "B": "\u0299\uff22",
    "C": "\u1d04\uff23",
    "D": "\u1d05\uff24",
    "E": "\u1d07\uff25",
    "F": "\ua730\uff26",
    "G": "\u0262\uff27",
    "H": "\u029c\uff28",
    "I": "\u026a\uff29",
    "J": "\u1d0a\uff2a",
    "K": "\u1d0b\uff2b",
    "L": "\u029f\uff2c",
    "M": "\u1d0d\uff2d",
    "N": "\u0274\uff2e",
    "O": "\u1d0f\uff2f",
    "P": "\u1d18\uff30",
    "Q": "\uff31",
    "R": "\u0280\uff32",
    "S": "\ua731\uff33",
    "T": "\u1d1b\uff34",
    "U": "\u1d1c\uff35",
    "V": "\u1d20\uff36",
    "W": "\u1d21\uff37",
    "X": "\uff38",
    "Y": "\u028f\uff39",
    "Z": "\u1d22\uff3a",
    "[": "\uff3b",
    "\u005c": "\u20e5\u29f5\u29f9\ufe68\uff3c",
    "]": "\uff3d",
    "^": "\u02c6\u0302\u1dcd\uff3e",
    "_": "\u0332\u2017\uff3f",
    "{": "\u2774\ufe5b\uff5b",
    "|": "\u20d2\u20d3\u2223\u239c\u239f\u23b8\u23b9\u23d0\uff5c",
    "}": "\u2775\ufe5c\uff5d",
    "~": "\u02dc\u02f7\u0303\u0330\u0334\u223c\uff5e",
}
#: Grapheme_Cluster_Break property ranges in hex (LV/LVT Hangul syllables are computed).
_BREAK_RANGES: dict[str, str] = {
    "Control": (
        "0-9 b-c e-1f 7f-9f ad 61c 180e 200b 200e-200f 2028-202e 2060-206f "
        "d800-dfff feff fff0-fffb 1bca0-1bca3 1d173-1d17a e0000-e001f "
        "e0080-e00ff e01f0-e0fff"
    ),
    "LF": "a",
    "CR": "d",
    "Extend": (
        "300-36f 483-489 591-5bd 5bf 5c1-5c2 5c4-5c5 5c7 610-61a 64b-65f 670 "
        "6d6-6dc 6df-6e4 6e7-6e8 6ea-6ed 711 730-74a 7a6-7b0 7eb-7f3 816-819 "
        "81b-823 825-827 829-82d 859-85b 8d4-8e1 8e3-902 93a 93c 941-948 94d "
        "951-957 962-963 981 9bc 9be 9c1-9c4 9cd 9d7 9e2-9e3 a01-a02 a3c a41-a42 "
        "a47-a48 a4b-a4d a51 a70-a71 a75 a81-a82 abc ac1-ac5 ac7-ac8 acd ae2-ae3 "
        "afa-aff b01 b3c b3e-b3f b41-b44 b4d b56-b57 b62-b63 b82 bbe bc0 bcd bd7 "
        "c00 c3e-c40 c46-c48 c4a-c4d c55-c56 c62-c63 c81 cbc cbf cc2 cc6 ccc-ccd "
        "cd5-cd6 ce2-ce3 d00-d01 d3b-d3c d3e d41-d44 d4d d57 d62-d63 dca dcf "
        "dd2-dd4 dd6 ddf e31 e34-e3a e47-e4e eb1 eb4-eb9 ebb-ebc ec8-ecd f18-f19 "
        "f35 f37 f39 f71-f7e f80-f84 f86-f87 f8d-f97 f99-fbc fc6 102d-1030 "
        "1032-1037 1039-103a 103d-103e 1058-1059 105e-1060 1071-1074 1082 "
        "1085-1086 108d 109d 135d-135f 1712-1714 1732-1734 1752-1753 1772-1773 "
        "17b4-17b5 17b7-17bd 17c6 17c9-17d3 17dd 180b-180d 1885-1886 18a9 "
        "1920-1922 1927-1928 1932 1939-193b 1a17-1a18 1a1b 1a56 1a58-1a5e 1a60 "
        "1a62 1a65-1a6c 1a73-1a7c 1a7f 1ab0-1abe 1b00-1b03 1b34 1b36-1b3a 1b3c "
        "1b42 1b6b-1b73 1b80-1b81 1ba2-1ba5 1ba8-1ba9 1bab-1bad 1be6 1be8-1be9 "
        "1bed 1bef-1bf1 1c2c-1c33 1c36-1c37 1cd0-1cd2 1cd4-1ce0 1ce2-1ce8 1ced "
        "1cf4 1cf8-1cf9 1dc0-1df9 1dfb-1dff 200c 20d0-20f0 2cef-2cf1 2d7f "
        "2de0-2dff 302a-302f 3099-309a a66f-a672 a674-a67d a69e-a69f a6f0-a6f1 "
        "a802 a806 a80b a825-a826 a8c4-a8c5 a8e0-a8f1 a926-a92d a947-a951 "
        "a980-a982 a9b3 a9b6-a9b9 a9bc a9e5 aa29-aa2e aa31-aa32 aa35-aa36 aa43 "
        "aa4c aa7c aab0 aab2-aab4 aab7-aab8 aabe-aabf aac1 aaec-aaed aaf6 abe5 "
        "abe8 abed fb1e fe00-fe0f fe20-fe2f ff9e-ff9f 101fd 102e0 10376-1037a "
        "10a01-10a03 10a05-10a06 10a0c-10a0f 10a38-10a3a 10a3f 10ae5-10ae6 11001 "
        "11038-11046 1107f-11081 110b3-110b6 110b9-110ba 11100-11102 11127-1112b "
        "1112d-11134 11173 11180-11181 111b6-111be 111ca-111cc 1122f-11231 11234 "
        "11236-11237 1123e 112df 112e3-112ea 11300-11301 1133c 1133e 11340 11357 "
        "11366-1136c 11370-11374 11438-1143f 11442-11444 11446 114b0 114b3-114b8 "
        "114ba 114bd 114bf-114c0 114c2-114c3 115af 115b2-115b5 115bc-115bd "
        "115bf-115c0 115dc-115dd 11633-1163a 1163d 1163f-11640 116ab 116ad "
        "116b0-116b5 116b7 1171d-1171f 11722-11725 11727-1172b 11a01-11a06 "
        "11a09-11a0a 11a33-11a38 11a3b-11a3e 11a47 11a51-11a56 11a59-11a5b "
        "11a8a-11a96 11a98-11a99 11c30-11c36 11c38-11c3d 11c3f 11c92-11ca7 "
        "11caa-11cb0 11cb2-11cb3 11cb5-11cb6 11d31-11d36 11d3a 11d3c-11d3d "
        "11d3f-11d45 11d47 16af0-16af4 16b30-16b36 16f8f-16f92 1bc9d-1bc9e 1d165 "
        "1d167-1d169 1d16e-1d172 1d17b-1d182 1d185-1d18b 1d1aa-1d1ad 1d242-1d244 "
        "1da00-1da36 1da3b-1da6c 1da75 1da84 1da9b-1da9f 1daa1-1daaf 1e000-1e006 "
        "1e008-1e018 1e01b-1e021 1e023-1e024 1e026-1e02a 1e8d0-1e8d6 1e944-1e94a "
        "e0020-e007f e0100-e01ef"
    ),
    "Prepend": "600-605 6dd 70f 8e2 d4e 110bd 111c2-111c3 11a3a 11a86-11a89 11d46",
    "SpacingMark": (
        "903 93b 93e-940 949-94c 94e-94f 982-983 9bf-9c0 9c7-9c8 9cb-9cc a03 "
        "a3e-a40 a83 abe-ac0 ac9 acb-acc b02-b03 b40 b47-b48 b4b-b4c bbf bc1-bc2 "
        "bc6-bc8 bca-bcc c01-c03 c41-c44 c82-c83 cbe cc0-cc1 cc3-cc4 cc7-cc8 "
        "cca-ccb d02-d03 d3f-d40 d46-d48 d4a-d4c d82-d83 dd0-dd1 dd8-dde df2-df3 "
        "e33 eb3 f3e-f3f f7f 1031 103b-103c 1056-1057 1084 17b6 17be-17c5 "
        "17c7-17c8 1923-1926 1929-192b 1930-1931 1933-1938 1a19-1a1a 1a55 1a57 "
        "1a6d-1a72 1b04 1b35 1b3b 1b3d-1b41 1b43-1b44 1b82 1ba1 1ba6-1ba7 1baa "
        "1be7 1bea-1bec 1bee 1bf2-1bf3 1c24-1c2b 1c34-1c35 1ce1 1cf2-1cf3 1cf7 "
        "a823-a824 a827 a880-a881 a8b4-a8c3 a952-a953 a983 a9b4-a9b5 a9ba-a9bb "
        "a9bd-a9c0 aa2f-aa30 aa33-aa34 aa4d aaeb aaee-aaef aaf5 abe3-abe4 "
        "abe6-abe7 abe9-abea abec 11000 11002 11082 110b0-110b2 110b7-110b8 "
        "1112c 11182 111b3-111b5 111bf-111c0 1122c-1122e 11232-11233 11235 "
        "112e0-112e2 11302-11303 1133f 11341-11344 11347-11348 1134b-1134d "
        "11362-11363 11435-11437 11440-11441 11445 114b1-114b2 114b9 114bb-114bc "
        "114be 114c1 115b0-115b1 115b8-115bb 115be 11630-11632 1163b-1163c 1163e "
        "116ac 116ae-116af 116b6 11720-11721 11726 11a07-11a08 11a39 11a57-11a58 "
        "11a97 11c2f 11c3e 11ca9 11cb1 11cb4 16f51-16f7e 1d166 1d16d"
    ),
    "L": "1100-115f a960-a97c",
    "V": "1160-11a7 d7b0-d7c6",
    "T": "11a8-11ff d7cb-d7fb",
    "ZWJ": "200d",
    "E_Base": (
        "261d 26f9 270a-270d 1f385 1f3c2-1f3c4 1f3c7 1f3ca-1f3cc 1f442-1f443 "
        "1f446-1f450 1f46e 1f470-1f478 1f47c 1f481-1f483 1f485-1f487 1f4aa "
        "1f574-1f575 1f57a 1f590 1f595-1f596 1f645-1f647 1f64b-1f64f 1f6a3 "
        "1f6b4-1f6b6 1f6c0 1f6cc 1f918-1f91c 1f91e-1f91f 1f926 1f930-1f939 "
        "1f93d-1f93e 1f9d1-1f9dd"
    ),
    "Glue_After_Zwj": (
        "2640 2642 2695-2696 2708 2764 1f308 1f33e 1f373 1f393 1f3a4 1f3a8 1f3eb "
        "1f3ed 1f48b 1f4bb-1f4bc 1f527 1f52c 1f5e8 1f680 1f692"
    ),
    "Regional_Indicator": "1f1e6-1f1ff",
    "E_Modifier": "1f3fb-1f3ff",
    "E_Base_GAZ": "1f466-1f469",
}
