"""Pilot tests of the app on a large file while its work is under way (issue 15).

The work (reading the file, counting the audience, planning every message) runs in worker
threads; `SmscastApp.before_work` lets a test hold it mid-flight (`Gate`) and release the
calls in any order, so "a toggle during a recount" or "an edit during planning" is a fact of
the test, not a race. What is checked: only the latest result is ever shown (a superseded
worker released last must not overwrite it), the screens say what is being worked out
(never zeros or "not ready"), Send waits for the plan of the template on screen, and keys
typed while the work runs land where the focus is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static
from tui_support import sandbox_settings, until

from tui.app import SmscastApp

ROWS = 20_000
SENDER = "+15005550006"
FIRST = ["Ana", "Ben", "Chloé", "Dev", "Emma"]


class Gate:
    """`SmscastApp.before_work`: holds the work of the kinds in `held` until released."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self.waiting: list[tuple[str, threading.Event]] = []
        self._lock = threading.Lock()

    def __call__(self, kind: str) -> None:
        if kind not in self.held:
            return
        event = threading.Event()
        with self._lock:
            self.waiting.append((kind, event))
        event.wait(60)  # (a safety: a failed test must not leave the thread behind)

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(1 for k, _ in self.waiting if k == kind)

    def release(self, kind: str, index: int) -> None:
        """Let the `index`-th held call of `kind` go on."""
        with self._lock:
            events = [event for k, event in self.waiting if k == kind]
        events[index].set()

    def open(self) -> None:
        self.held.clear()
        with self._lock:
            for _, event in self.waiting:
                event.set()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "big.csv"
    lines = "".join(f"{FIRST[i % len(FIRST)]},+1415{2_000_000 + i:07d}\n" for i in range(ROWS))
    path.write_text("first_name,phone\n" + lines, encoding="utf-8")
    return path


@pytest.fixture
def gate() -> Iterator[Gate]:
    held = Gate()
    yield held
    held.open()


def text(app: SmscastApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def app_for(tmp_path: Path, path: Path, gate: Gate) -> SmscastApp:
    app = SmscastApp(
        settings=sandbox_settings(None, tmp_path), contacts_file=path, quiet_hours=True
    )
    app.before_work = gate
    app.choose_sender(SENDER)  # (no account here: the sender the Account screen would set)
    return app


async def test_a_toggle_during_a_recount_shows_only_the_latest_count(
    tmp_path: Path, big_file: Path, gate: Gate
) -> None:
    gate.held.add("contacts")
    app = app_for(tmp_path, big_file, gate)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: gate.count("contacts") == 1)
        assert "Reading big.csv: reading the file…" in text(app, "#file-summary")
        await pilot.press("3")
        assert text(app, "#audience-summary") == "Reading the contacts: reading the file…"
        gate.held = {"audience"}
        gate.release("contacts", 0)
        assert await until(pilot, lambda: gate.count("audience") == 1, 1200)
        assert text(app, "#audience-summary") == f"Counting {ROWS:,} contacts…"
        gate.release("audience", 0)
        assert await until(pilot, lambda: app.draft.audience is not None)
        assert app.draft.audience.quiet_hours is not None  # on, as the app opened
        await pilot.press("h")  # quiet hours off: a recount, held
        assert await until(pilot, lambda: gate.count("audience") == 2)
        assert text(app, "#audience-summary") == f"Counting {ROWS:,} contacts…"  # not zeros
        await pilot.press("h")  # and on again, while the first recount is under way
        assert await until(pilot, lambda: gate.count("audience") == 3)
        gate.release("audience", 2)  # the latest finishes first...
        assert await until(pilot, lambda: app.draft.audience is not None)
        gate.release("audience", 1)  # ...then the superseded one
        await pilot.pause(0.3)
        audience = app.draft.audience
        assert audience is not None and audience.quiet_hours is not None
        assert text(app, "#label-quiet_hours").startswith("ON ")
        assert f"{ROWS} included" in text(app, "#audience-summary")


async def test_an_edit_during_planning_shows_only_the_latest_totals_and_send_waits(
    tmp_path: Path, big_file: Path, gate: Gate
) -> None:
    app = app_for(tmp_path, big_file, gate)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.plan is not None, 1200)
        await pilot.press("4", "ctrl+e", "end")
        gate.held.add("plan")
        await pilot.press("∞")  # UCS-2: two segments each
        assert await until(pilot, lambda: gate.count("plan") == 1)
        totals = text(app, "#totals")
        assert totals.startswith("Totals for the new template…") and "Totals: 0" not in totals
        assert "No messages" not in str(app.screen.query_one("#histogram").render())
        await pilot.press("backspace")  # back to GSM-7 while that plan is under way
        assert await until(pilot, lambda: gate.count("plan") == 2)
        # Review while planning: what is being done, and no Send, even confirmed
        await pilot.press("escape", "5")
        summary = text(app, "#review-summary")
        assert "totals for the new template…" in summary and "Not ready" not in summary
        await pilot.press("s")
        await pilot.press(*"SEND")
        assert app.screen.query_one("#confirm", Input).value == "SEND"
        assert app.screen.query_one("#send-button", Button).disabled
        gate.release("plan", 1)  # the latest plan (GSM-7) finishes first...
        assert await until(pilot, lambda: app.draft.plan is not None)
        gate.release("plan", 0)  # ...then the superseded one (UCS-2) is let go
        await pilot.pause(0.3)
        plan = app.draft.plan
        assert plan is not None and plan.summary.ucs2_messages == 0
        assert plan.summary.segments == ROWS  # one GSM-7 segment each, not two
        assert f"To send {ROWS} messages" in text(app, "#review-summary")
        assert not app.screen.query_one("#send-button", Button).disabled


async def test_keys_typed_while_the_plan_is_built_land_where_the_focus_is(
    tmp_path: Path, big_file: Path, gate: Gate
) -> None:
    gate.held.add("plan")
    app = app_for(tmp_path, big_file, gate)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: gate.count("plan") == 1, 1200)  # the first plan
        await pilot.press("4", "ctrl+e", "home", *"Bye. ")
        assert text(app, "#preview").startswith("Bye. Hi Ana,")  # at once, while planning
        await pilot.press("escape", "5")
        # the template got the edit, the screen key switched screens (no "5" typed)
        assert app.draft.template_text.startswith("Bye. Hi {first_name|there}")
        assert app.current_mode == "review"
        assert "totals for the new template…" in text(app, "#review-summary")
        gate.open()
        assert await until(pilot, lambda: app.draft.plan is not None)
        assert f"To send {ROWS} messages" in text(app, "#review-summary")
        assert "5" not in app.draft.template_text
