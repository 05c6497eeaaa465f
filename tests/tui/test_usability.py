"""Pilot tests of small things a person notices: what the footer shows at 80x24, where keys
go, what the progress bar claims, where the cursor stays, which toasts stay up, and where the
demo writes its export. Each runs the real app on the real sandbox over loopback (or the
widget alone), with the journal in `tmp_path`; waits are bounded, never timed.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import snapshot_apps as apps
from textual.widgets import DataTable, Input, OptionList, TextArea
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store.journal import LIVE_STATUSES
from tui.app import SmscastApp
from tui.screens.send import SendScreen
from tui.widgets import progress_panel
from tui.widgets.progress_panel import ProgressPanel

CONTACTS = """first_name,last_name,phone
Ana,Silva,+14155550100
Bob,Jones,+14155550101
Cleo,,+14155550102
Dan,Brown,+12025550143
Eve,White,+16175551212
"""
FAST = EngineOptions(rate=None, concurrency=4, track_seconds=30.0)
SLOW = EngineOptions(rate=1.0, concurrency=1, track_seconds=30.0)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A trial account that verifies every contact above."""
    with Sandbox(SandboxConfig(speedup=50)) as running:
        yield running


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    return path


class RecordingApp(SmscastApp):
    """The app, remembering every toast it raised (title, text)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.told: list[tuple[str, str]] = []

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        self.told.append((title, message))
        super().notify(message, title=title, **kwargs)


def make_app(
    sandbox: Sandbox,
    data_dir: Path,
    contacts: Path | None,
    options: EngineOptions = FAST,
    *,
    demo: bool = False,
) -> RecordingApp:
    """The app on the sandbox, its journal in `data_dir` (never the person's home)."""
    return RecordingApp(
        settings=sandbox_settings(sandbox, data_dir),
        contacts_file=contacts,
        db_path=data_dir / "journal.db",
        engine_options=options,
        quiet_hours=False,
        demo=demo,
    )


def screen_text(app: SmscastApp) -> list[str]:
    """The terminal's lines as the person sees them (toasts included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def send_everyone(app: SmscastApp, pilot: Any) -> SendScreen:
    """Confirm the planned campaign on Review (s, SEND, Enter); the Send screen it opens."""
    assert await until(pilot, lambda: app.draft.plan is not None and app.draft.account)
    await pilot.press("5")
    assert await until(pilot, lambda: bool(app.screen.query("#confirm")))
    await pilot.press("s", *"SEND", "enter")
    assert await until(pilot, lambda: app.runner is not None and app.send_screen is not None)
    screen = app.send_screen
    assert screen is not None
    return screen


# -- 1. the footer and History at 80x24 ----------------------------------------------------------


async def test_80x24_footers_keep_next_export_and_quit_and_history_headers_whole(
    tmp_path: Path,
) -> None:
    with apps.demo_app(tmp_path) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await apps.goto_history(pilot)  # sends the sample campaign, then History
            lines = screen_text(app)
            header = next(line for line in lines if "Campaign" in line and "State" in line)
            for title in ("Created (UTC)", "State", "To", "Delivered", "Failed"):
                assert f" {title} " in header, f"History header cut: {header!r}"
            # the file name comes last in the table (cut first), and whole below it
            assert f"{app.draft.campaign_id}: sample_contacts.csv" in "\n".join(lines)
            footer = lines[-1]
            for key in ("r Resume", "e Export", "t Retry failed", "f Follow up", "^q Quit"):
                assert key in footer, f"History footer lacks {key!r}: {footer!r}"

            await apps.goto(pilot, "6", "send")
            footer = screen_text(app)[-1]
            for key in ("p Pause", "r Resume", "c Cancel", "f Filter", "e Export", "^q Quit"):
                assert key in footer, f"Send footer lacks {key!r}: {footer!r}"

            await apps.goto(pilot, "4", "compose")
            footer = screen_text(app)[-1]
            for key in ("^f GSM fix", "n Next", "^q Quit"):
                assert key in footer, f"Compose footer lacks {key!r}: {footer!r}"

            for key, mode in (("1", "account"), ("2", "contacts"), ("3", "audience")):
                await apps.goto(pilot, key, mode)
                footer = screen_text(app)[-1]
                assert "^q Quit" in footer, f"{mode} footer lacks Quit: {footer!r}"
            await apps.goto(pilot, "5", "review")
            assert "^q Quit" in screen_text(app)[-1]


# -- 2. digit keys on Contacts without a file ----------------------------------------------------


async def test_contacts_without_a_file_digits_switch_screens_and_o_opens_the_path_box(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        assert await until(pilot, lambda: app.current_mode == "contacts")
        assert await until(pilot, lambda: bool(app.screen.query("#path")))
        await pilot.pause()
        path_input = app.screen.query_one("#path", Input)
        await pilot.press("3")  # a step key goes to that step, not into the path box
        assert await until(pilot, lambda: app.current_mode == "audience")
        assert path_input.value == ""
        await pilot.press("2")
        assert await until(pilot, lambda: app.current_mode == "contacts")
        await pilot.press("o")  # "File (o)": now typing a path, digits included, is expected
        assert path_input.has_focus
        await pilot.press("1", "x")
        assert path_input.value == "1x"
        await pilot.press("escape")  # leaves the box without opening anything
        assert not path_input.has_focus
        await pilot.press("3")
        assert await until(pilot, lambda: app.current_mode == "audience")
        await pilot.press("2")
        assert await until(pilot, lambda: app.current_mode == "contacts")
        await pilot.press("o")
        path_input.value = str(contacts)
        await pilot.press("enter")
        assert await until(pilot, lambda: app.draft.book is not None)
        problems = app.screen.query_one("#problems", DataTable)
        assert await until(pilot, lambda: problems.has_focus)  # opened: keys are keys again
        await pilot.press("n")
        assert await until(pilot, lambda: app.current_mode == "audience")


async def test_review_after_send_and_esc_in_a_field_leave_the_step_keys_working(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts)
    async with app.run_test(size=(100, 30)) as pilot:
        await send_everyone(app, pilot)  # typed SEND + Enter in the confirmation box
        await pilot.press("5")
        assert await until(pilot, lambda: app.current_mode == "review")
        await pilot.pause()
        await pilot.press("7")  # "see Send (6)": the box that took SEND no longer has the keys
        assert await until(pilot, lambda: app.current_mode == "history")
        await pilot.press("5")
        assert await until(pilot, lambda: app.current_mode == "review")
        await pilot.pause()
        await pilot.press("c", "1")  # in the canary box, digits are the number being typed
        canary = app.screen.query_one("#canary-number", Input)
        assert canary.has_focus and canary.value == "1"
        await pilot.press("escape", "6")
        assert await until(pilot, lambda: app.current_mode == "send")
        assert canary.value == "1"


# -- 3. the progress bar and messages Twilio has not delivered yet --------------------------------


async def test_progress_tells_sent_to_twilio_from_delivered() -> None:
    from textual.app import App, ComposeResult
    from textual.geometry import Region

    # the journal's "exists at Twilio, may still change"
    assert frozenset(LIVE_STATUSES) == progress_panel.AWAITING_DELIVERY

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ProgressPanel()

    def lines(panel: ProgressPanel) -> list[str]:
        width, height = panel.outer_size
        return [strip.text for strip in panel.render_lines(Region(0, 0, width, height))]

    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ProgressPanel)
        # everyone handed to Twilio, nobody delivered yet
        panel.update_progress({"queued": 16, "skipped": 9}, 16, 28.6, None, "running")
        await pilot.pause()
        shown = lines(panel)
        assert "16/16" in shown[0]
        assert "█" not in shown[0]  # the solid bar means an outcome is known
        assert "16 awaiting delivery" in shown[-1]
        # half delivered, the other half still with Twilio or the carrier
        panel.update_progress({"delivered": 8, "sent": 4, "queued": 4}, 16, 1.0, None, "finished")
        await pilot.pause()
        shown = lines(panel)
        assert shown[0].count("█") > 0 and shown[0].count("▒") > 0
        assert abs(shown[0].count("█") - shown[0].count("▒")) <= 1
        assert "8 awaiting delivery" in shown[-1] and "✓ finished" in shown[-1]
        # all delivered or failed: nothing awaits, the bar is solid
        panel.update_progress({"delivered": 15, "failed": 1}, 16, None, None, "finished")
        await pilot.pause()
        shown = lines(panel)
        assert "100%" in shown[0] and "▒" not in shown[0] and "░" not in shown[0]
        assert "awaiting" not in "\n".join(shown)


# -- 4. ctrl+f keeps the template editor's cursor ------------------------------------------------


async def test_smart_fix_keeps_the_cursor_where_it_was(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.audience is not None)
        await pilot.press("4")
        assert await until(pilot, lambda: bool(app.screen.query("#template")))
        editor = app.screen.query_one("#template", TextArea)
        editor.text = "Hi {first_name} \u201cwelcome\u201d\u2026\nsee you \u2014 soon. Reply STOP"
        assert await until(pilot, lambda: app.draft.template_text == editor.text)
        await pilot.press("ctrl+e")
        assert editor.has_focus
        editor.move_cursor((1, 12))  # after "see you — s"
        await pilot.press("ctrl+f")
        assert await until(pilot, lambda: "\u201c" not in app.draft.template_text)
        assert editor.text == 'Hi {first_name} "welcome"...\nsee you - soon. Reply STOP'
        assert editor.cursor_location == (1, 12)
        assert editor.has_focus
        editor.text = "A \u2026 b \u2026 c"
        assert await until(pilot, lambda: app.draft.template_text == editor.text)
        editor.move_cursor((0, 7))  # after the second ellipsis (1 character, 3 once fixed)
        await pilot.press("x", "ctrl+f")
        assert await until(pilot, lambda: app.draft.template_text == "A ... b ...x c")
        assert editor.cursor_location == (0, 12)  # still right after the x typed
        # from the columns list too: the cursor the person left stays
        await pilot.press("escape")
        assert app.screen.query_one("#columns", OptionList).has_focus
        editor.text = "A \u201cb\u201d c"
        assert await until(pilot, lambda: app.draft.template_text == editor.text)
        editor.move_cursor((0, 5))
        await pilot.press("ctrl+f")
        assert await until(pilot, lambda: app.draft.template_text == 'A "b" c')
        assert editor.cursor_location == (0, 5)


# -- 5. the "paused" toast goes when the campaign resumes ----------------------------------------


def paused_toast_shown(app: SmscastApp) -> bool:
    """The "Paused ... Press r to resume." toast is on the screen."""
    return "Press r to resume." in "\n".join(screen_text(app))


async def settle(pilot: Any) -> None:
    """Let the app handle what is queued and redraw (a few frames, no waiting for time)."""
    for _ in range(3):
        await pilot.pause()


async def test_resuming_clears_the_paused_toast_and_the_paused_state(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, SLOW)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await send_everyone(app, pilot)
        assert await until(pilot, lambda: screen.state == "running")
        await pilot.press("p")
        assert await until(pilot, lambda: screen.state == "paused")
        assert await until(pilot, lambda: paused_toast_shown(app))
        await pilot.press("r")
        await settle(pilot)  # a few frames, far less than the toast's own 8 s
        assert screen.state == "running"
        assert not paused_toast_shown(app)
        assert ("", "Resumed.") in app.told
        # the same from the command palette's "Resume sending" (no key on the Send screen)
        await pilot.press("p")
        assert await until(pilot, lambda: screen.state == "paused" and paused_toast_shown(app))
        app.resume_campaign()
        await settle(pilot)
        assert screen.state == "running"
        assert not paused_toast_shown(app)
        panel = "\n".join(screen_text(app))
        assert "PAUSED" not in panel
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)


# -- 6. the demo's export goes to the working directory ------------------------------------------


async def test_demo_export_goes_to_the_working_directory_with_its_path_said(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"  # stands for the installed package's bundled sample
    package.mkdir()
    sample = package / "sample_contacts.csv"
    sample.write_text(CONTACTS, encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.chdir(workdir)
    app = make_app(sandbox, data, sample, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await send_everyone(app, pilot)
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
        await pilot.press("e")
        assert await until(pilot, lambda: app.last_export is not None)
    exported = Path(str(app.last_export))
    assert exported == workdir / f"smscast-{app.draft.campaign_id}.csv"
    assert exported.is_absolute() and exported.is_file()
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert sorted(p.name for p in package.iterdir()) == ["sample_contacts.csv"]
    assert ("Export", f"Results exported to {exported}") in app.told
