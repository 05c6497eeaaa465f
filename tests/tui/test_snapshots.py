"""Snapshot tests of every screen of the app (pytest-textual-snapshot).

Each screen is reached by keyboard (`pilot.press`) from the app as `smscast demo` opens it,
against the real sandbox (the demo's seeded trial account) and `sample_contacts.csv`, with
the journal in `tmp_path`. Everything that would vary between runs (SIDs, the journal's clock,
the campaign id, the file's location, the cursor blink) is fixed in `snapshot_apps`, so each
SVG under `__snapshots__/` is byte-stable.

Screens at 100x30; the main ones (Contacts, Compose, Send) also at 80x24. After a deliberate
change to a screen: `pytest tests/tui/test_snapshots.py --snapshot-update`, look at the SVGs
(`snapshot_report.html` lists the differences), then run again without the flag.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import snapshot_apps as apps

WIDE = (100, 30)
SMALL = (80, 24)

SCREENS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "account": apps.goto_account,
    "contacts": apps.goto_contacts,
    "audience": apps.goto_audience,
    "compose": apps.goto_compose,
    "review": apps.goto_review,
    "send_finished": apps.goto_send_finished,
    "history": apps.goto_history,
}
MAIN = ("contacts", "compose", "send_finished")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_100x30(screen: str, snap_compare: Any, tmp_path: Path) -> None:
    with apps.demo_app(tmp_path) as app:
        assert snap_compare(app, terminal_size=WIDE, run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", MAIN)
def test_screen_80x24(screen: str, snap_compare: Any, tmp_path: Path) -> None:
    with apps.demo_app(tmp_path) as app:
        assert snap_compare(app, terminal_size=SMALL, run_before=SCREENS[screen])


def test_missing_credentials_100x30(snap_compare: Any, tmp_path: Path) -> None:
    with apps.demo_app(tmp_path, credentials=False) as app:
        assert snap_compare(app, terminal_size=WIDE, run_before=apps.goto_missing_credentials)


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["100x30", "80x24"])
def test_replies(size: tuple[int, int], snap_compare: Any, tmp_path: Path) -> None:
    """The Replies screen after four people texted back (a question, STOP, a possible
    opt-out, a thank-you with an escape sequence in it)."""
    with apps.replies_app(tmp_path) as (app, sandbox):
        assert snap_compare(app, terminal_size=size, run_before=apps.goto_replies(sandbox))


@pytest.mark.slow  # 3-5.3 s: it sends the demo campaign first, as the History snapshot does
def test_follow_up_choice_100x30(snap_compare: Any, tmp_path: Path) -> None:
    """History's f: who gets a follow-up of the demo campaign (the reply kinds nobody fits
    disabled, with why)."""
    with apps.demo_app(tmp_path) as app:
        assert snap_compare(app, terminal_size=WIDE, run_before=apps.goto_follow_up_choice)
