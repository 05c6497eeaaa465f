"""Segment analysis: boundaries, extension characters, clusters, Smart Encoding.

The expected values are Twilio's reference calculator's answers for these inputs (the
differential test checks thousands more against the package itself).
"""

from __future__ import annotations

import pytest

from campaigns.compose.graphemes import split_graphemes
from campaigns.compose.segments import (
    GSM7,
    MAX_BODY_CHARS,
    UCS2,
    SegmentInfo,
    analyze,
    smart_encode,
    utf16_length,
)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4), (1530, 10)],
)
def test_gsm_boundaries(length: int, segments: int) -> None:
    assert analyze("a" * length) == SegmentInfo(GSM7, segments, length, ())


@pytest.mark.parametrize(
    ("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_boundaries(length: int, segments: int) -> None:
    assert analyze("ж" * length) == SegmentInfo(UCS2, segments, length, ("ж",))


def test_gsm_non_ascii_letters_stay_gsm() -> None:
    info = analyze("Grüße aus Köln, señor! ¿Qué tal? Ø Δ £5 §3 é")
    assert info.encoding == GSM7
    assert info.non_gsm == ()


def test_extension_characters_count_two() -> None:
    assert analyze("{}[]~^|\\€\f").characters == 20
    assert analyze("a" * 158 + "€") == SegmentInfo(GSM7, 1, 160, ())
    assert analyze("a" * 159 + "€") == SegmentInfo(GSM7, 2, 161, ())


def test_extension_character_never_straddles_a_segment() -> None:
    # 306 septets either way (2 x 153), but at 152 the 2-septet "{" does not fit part one.
    assert analyze("a" * 152 + "{" + "a" * 152).segments == 3
    assert analyze("a" * 151 + "{" + "a" * 153).segments == 2


def test_surrogate_pair_never_straddles_a_segment() -> None:
    # 134 code units either way (2 x 67), but at 66 the emoji's 2 units do not fit part one.
    assert analyze("ж" * 66 + "😀" + "ж" * 66).segments == 3
    assert analyze("ж" * 65 + "😀" + "ж" * 67).segments == 2


def test_ucs2_counts_clusters_and_moves_whole_clusters() -> None:
    family = "👨‍👩‍👧‍👦"  # 11 UTF-16 code units, one cluster
    info = analyze("ж" * 60 + family)
    assert info == SegmentInfo(UCS2, 2, 61, ("ж", family))
    assert analyze("Go 🇫🇷🇩🇪!").characters == 6
    assert analyze("e\u0301" * 3).characters == 3


def test_one_non_gsm_character_switches_everything() -> None:
    for char in ("\t", "`", "ç", "€\u0301", "\u200b", "\ud800"):
        info = analyze("a" * 100 + char)
        assert info.encoding == UCS2, repr(char)
        assert info.segments == 2
    assert analyze("hello\r\nworld") == SegmentInfo(GSM7, 1, 12, ())


def test_non_gsm_lists_each_character_once_in_order() -> None:
    assert analyze("“Hi” — it’s “ok”").non_gsm == ("“", "”", "—", "’")


def test_smart_encode_swaps_look_alikes() -> None:
    text = "“Hi” — it’s… ½\u00a0ok\u200b «x»"
    assert smart_encode(text) == '"Hi" - it\'s... 1/2  ok "x"'
    assert analyze(smart_encode(text)).encoding == GSM7
    assert smart_encode("Привет 😀") == "Привет 😀"


def test_utf16_length_and_limit() -> None:
    assert utf16_length("a😀") == 3
    assert MAX_BODY_CHARS == 1600


def test_split_graphemes() -> None:
    assert split_graphemes("a\r\nb") == ["a", "\r", "\n", "b"]
    assert split_graphemes("👍🏽x🇫🇷") == ["👍🏽", "x", "🇫🇷"]
    assert split_graphemes("\ud83d\ude00") == ["😀"]
