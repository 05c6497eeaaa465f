"""Untrusted text is shown with its control characters visible (campaigns.untrusted)."""

from __future__ import annotations

import pytest

from campaigns.untrusted import excerpt, has_controls, one_cell, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Zoë Müller", "Zoë Müller"),
        ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
        ("file\u202egpj.exe", "file\\u202egpj.exe"),
        ("a\r\nb\tc\x00", "a\\x0d\\x0ab\\x09c\\x00"),
        ("\x9b31m", "\\x9b31m"),  # a C1 CSI
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # the joiner emoji need stays
        ("non\u00a0breaking", "non\u00a0breaking"),
    ],
)
def test_controls_are_escaped_and_text_is_kept(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert has_controls(raw) == (raw != shown)


def test_anything_is_shown_through_str() -> None:
    assert visible(21610) == "21610"
    assert visible(None) == "None"


def test_excerpt_is_short_and_escaped() -> None:
    assert excerpt("x" * 500, 20) == "x" * 19 + "…"
    assert excerpt("\x1b" * 100, 10) == "\\x1b\\x1b…"
    assert excerpt("short") == "short"


def test_one_cell_keeps_one_character_per_character() -> None:
    raw = "a\x1b\x07\x7f\u202e\x9bz Zoë 👨\u200d👩"
    shown = one_cell(raw)
    assert shown == "a␛␇␡\ufffd\ufffdz Zoë 👨\u200d👩"
    assert len(shown) == len(raw) and not has_controls(shown)
