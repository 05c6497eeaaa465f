"""GSM-7 / UCS-2 analysis of an SMS body: encoding, segments, characters, Smart Encoding.

`analyze(text)` agrees with Twilio's reference calculator, the npm package
`sms-segments-calculator` 1.3.0 (TwilioDevEd/message-segment-calculator), on every input; the
differential test `tests/compose/test_segments_differential.py` runs both on thousands of
messages and compares this module's tables with the package's own. The package's rules, which
this module reproduces exactly (some differ from a plain reading of the GSM 03.38 standard):

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
- `characters`: for GSM-7 the septets (extension characters count 2, as Twilio's segment docs
  say); for
  UCS-2 the package counts grapheme clusters (`numberOfCharacters`), not UTF-16 code units as
  Twilio's segment documentation describes. We follow the package; `utf16_length` gives code units.
- `non_gsm` lists each offending cluster once, in order of first appearance (the package's
  `getNonGsmCharacters()` repeats them).

Everything Twilio-specific is data copied from the package (the GSM-7 table, the Smart
Encoding map, the grapheme break properties: `reference_tables`); the grapheme splitter is
ported in `graphemes`. The differential test checks each table against the installed package,
code point by code point.

Speed: pure-ASCII GSM text (the common case) takes one regex scan and a cached result; other
GSM text one more scan; UCS-2 text without combining marks, joiners or emoji modifiers counts
code points; only the rest runs the full grapheme splitter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from campaigns.compose.graphemes import (
    ASTRAL,
    SURROGATE,
    has_complex,
    join_surrogates,
    split_clusters,
)
from campaigns.compose.reference_tables import (
    GSM_BASIC_CHARS,
    GSM_EXTENSION_CHARS,
    SMART_ENCODING_GROUPS,
)

__all__ = [
    "GSM7",
    "GSM_BASIC_CHARS",
    "GSM_EXTENSION_CHARS",
    "MAX_BODY_CHARS",
    "UCS2",
    "SegmentInfo",
    "analyze",
    "smart_encode",
    "utf16_length",
]

#: Twilio refuses longer bodies (error 21617). Counted here in UTF-16 code units (see
#: `utf16_length`), the stricter reading: an emoji counts 2.
MAX_BODY_CHARS = 1600

GSM7 = "GSM-7"
UCS2 = "UCS-2"

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
    return len(text) + len(ASTRAL.findall(text))


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
    text = join_surrogates(text)
    highest = max(text)
    if highest < "\u0300" or not has_complex(text):
        # Every code point is its own cluster of 1 or 2 code units: greedy packing is exact.
        non_gsm = tuple(dict.fromkeys(_NOT_GSM.findall(text)))
        if highest < "\U00010000":
            units = len(text)
            parts = 1 if units <= _UCS2_SINGLE else -(-units // _UCS2_PART)
            return SegmentInfo(UCS2, parts, units, non_gsm)
        if SURROGATE.search(text) is None:
            # One character per UTF-16 code unit (its high byte): "\xd8"-"\xdb" start a pair.
            stream = text.encode("utf-16-le").decode("latin-1")[1::2]
            parts = 1 if len(stream) <= _UCS2_SINGLE else _greedy_parts(stream, _UCS2_PART, _HIGH)
            return SegmentInfo(UCS2, parts, len(text), non_gsm)
    clusters = split_clusters(text)  # also for lone surrogates beside emoji (rare)
    bits = [16 * (len(cluster) + len(ASTRAL.findall(cluster))) for cluster in clusters]
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


@cache
def _smart_table() -> dict[int, str]:
    return {
        ord(char): replacement
        for replacement, chars in SMART_ENCODING_GROUPS.items()
        for char in chars
    }
