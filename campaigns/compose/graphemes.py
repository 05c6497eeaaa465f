"""grapheme-splitter 1.0.4, ported: the grapheme clusters Twilio's reference calculator sees.

`sms-segments-calculator` 1.3.0 splits a message into grapheme clusters with the npm package
`grapheme-splitter` 1.0.4 (UAX #29 for Unicode 10, with that library's own quirks) before it
decides the encoding and packs the segments; `campaigns.compose.segments` needs the same
clusters to agree with it. This is that library's `splitGraphemes` / `nextBreak` /
`shouldBreak`, rule for rule, over the property table copied in `reference_tables`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

from campaigns.compose.reference_tables import BREAK_RANGES

__all__ = [
    "ASTRAL",
    "SURROGATE",
    "break_property",
    "has_complex",
    "join_surrogates",
    "split_clusters",
    "split_graphemes",
]

#: A character beyond the BMP (two UTF-16 code units).
ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: A lone surrogate code point (half of a UTF-16 pair, as JavaScript strings may hold).
SURROGATE = re.compile("[\ud800-\udfff]")


def split_graphemes(text: str) -> list[str]:
    """The package's grapheme clusters of `text` ("\\r\\n" split back into two)."""
    text = join_surrogates(text)
    if not has_complex(text):
        return list(text)
    return split_clusters(text)


def break_property(code_point: int) -> str:
    """grapheme-splitter 1.0.4's Grapheme_Cluster_Break property of a code point."""
    if 0xAC00 <= code_point <= 0xD7A3:
        return "LV" if (code_point - 0xAC00) % 28 == 0 else "LVT"
    starts, ends, names = _break_table()
    index = bisect_right(starts, code_point) - 1
    if index >= 0 and code_point <= ends[index]:
        return names[index]
    return "Other"


def join_surrogates(text: str) -> str:
    """Pair up surrogate code points the way a JavaScript string would see them."""
    if SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


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


def split_clusters(text: str) -> list[str]:
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
    for name, spans in BREAK_RANGES.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            ranges.append((int(first, 16), int(last or first, 16), name))
    ranges.sort()
    return [r[0] for r in ranges], [r[1] for r in ranges], [r[2] for r in ranges]


def has_complex(text: str) -> bool:
    """Whether `text` holds a character that can join a neighbour into one cluster.

    Those are all but Other and the controls; Hangul syllables count (L/V/T/LV/LVT join).
    Text without any splits into one cluster per code point. The BMP part is one regex scan
    (a bitmap class); astral characters (emoji, mostly) are looked up one by one, since a
    class with astral ranges makes `re` test each range for every character.
    """
    if _complex_bmp().search(text) is not None:
        return True
    complex_astral = _complex_astral()
    return any(char in complex_astral for char in ASTRAL.findall(text))


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
