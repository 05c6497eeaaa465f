"""Pilot tests of the whole campaign flow against the real sandbox over loopback.

Load, filter, compose, confirm, send, watch it finish, export; pause and resume; quit
mid-send and reopen the campaign from History. The journal lives in `tmp_path`; the sandbox
is checked afterwards for exactly one message per recipient.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store.journal import FINAL_STATUSES, Journal
from tui.app import SmscastApp
from tui.screens.dialogs import ConfirmDialog

CONTACTS = """first_name,last_name,phone
Ana,Silva,+14155550100
Bob,Jones,+14155550101
Cleo,,+14155550102
Dan,Brown,+12025550143
Eve,White,+16175551212
Finn,Gray,+12125550199
Gus,Lee,12345
"""
#: The verified numbers of the sandbox's trial account among CONTACTS (Finn is not verified).
VERIFIED = ("+14155550100", "+14155550101", "+14155550102", "+12025550143", "+16175551212")
TEMPLATE = "Hi {first_name|there}, your order is ready. Reply STOP to opt out."
FAST = EngineOptions(rate=None, concurrency=4, track_seconds=30.0)
SLOW = EngineOptions(rate=1.0, concurrency=1, track_seconds=30.0)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A trial account; some messages end undelivered or failed so statuses vary."""
    config = SandboxConfig(speedup=50, undelivered_share=0.2, failed_share=0.2, seed=3)
    with Sandbox(config) as running:
        yield running


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    return path


def make_app(sandbox: Sandbox, data_dir: Path, contacts: Path | None, options: EngineOptions):
    """The app on the sandbox, its journal in `data_dir` (never the person's home)."""
    return SmscastApp(
        settings=sandbox_settings(sandbox, data_dir),
        contacts_file=contacts,
        engine_options=options,
        quiet_hours=False,
    )


async def compose_and_send(app: SmscastApp, pilot) -> None:
    """From a loaded app: check the audience, write the template, confirm with SEND."""
    assert await until(
        pilot, lambda: app.draft.account is not None and app.draft.audience is not None
    )
    await pilot.press("3")
    assert await until(pilot, lambda: len(app.draft.audience.included) == len(VERIFIED))
    await pilot.press("4")
    app.screen.query_one("#template", TextArea).text = TEMPLATE
    assert await until(pilot, lambda: app.draft.template_text == TEMPLATE)
    assert await until(
        pilot,
        lambda: app.draft.plan is not None and app.draft.plan.summary.messages == len(VERIFIED),
    )
    await pilot.press("5")
    # The first visit to a screen takes a while under load: press keys once it is there.
    assert await until(pilot, lambda: bool(app.screen.query("#confirm")))
    await pilot.press("s")  # focus the confirmation
    confirm = app.screen.query_one("#confirm", Input)
    assert confirm.has_focus
    await pilot.press(*"SEND")
    await pilot.press("enter")
    assert await until(pilot, lambda: app.runner is not None)
    assert app.current_mode == "send"


def sent_to(sandbox: Sandbox) -> Counter[str]:
    """How many messages the sandbox holds per number."""
    return Counter(message["to"] for message in sandbox.messages())


async def test_whole_flow_load_filter_compose_send_finish_export(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, FAST)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        screen = app.send_screen
        assert screen is not None
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
        campaign_id = app.draft.campaign_id
        # exactly one message per included recipient, none to the unverified contact
        assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 1))
        with Journal.open(tmp_path / "journal.db") as journal:
            rows = journal.recipients(campaign_id)
        recipients = [r for r in rows if r.status != "skipped"]
        assert {r.to for r in recipients} == set(VERIFIED)
        assert all(r.status in FINAL_STATUSES for r in recipients)
        # the excluded contacts are recorded too, with their reasons (for the export)
        skipped = {r.row: r.error_message for r in rows if r.status == "skipped"}
        assert set(skipped) == {7, 8}  # Finn (unverified) and Gus (invalid)
        assert "verified" in skipped[7]
        table = screen.query_one("#status")
        assert table.total_count == len(rows)
        assert all(table.get_row(r.row).status == r.status for r in rows)
        failed = [r for r in recipients if r.status in ("failed", "undelivered")]
        failures = str(screen.query_one("#failures").render())
        for recipient in failed:
            assert str(recipient.error_code) in failures
        # filter and search act on the table
        await pilot.press("f")  # problems only
        assert table.shown_count == len(failed)
        await pilot.press("f", "f", "f", "f", "f")  # back to everyone
        assert table.shown_count == len(rows)
        await pilot.press("slash", *"Cleo", "enter")
        assert table.shown_count == 1 and table.selected_row.phone == "+14155550102"
        assert table.has_focus
        screen.query_one("#search", Input).value = ""
        await pilot.pause()
        assert table.shown_count == len(rows)
        # export
        await pilot.press("e")
        assert await until(pilot, lambda: app.last_export is not None)
    exported = Path(app.last_export)
    assert exported.parent == tmp_path
    raw = exported.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    exported_rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(exported_rows) == len(CONTACTS.splitlines()) - 1  # everyone, texted or not
    names = {row["first_name"] for row in exported_rows}
    # an invalid row is exported with its own cells too (read back from the file)
    assert names == {"Ana", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gus"}


async def test_pause_and_resume(sandbox: Sandbox, tmp_path: Path, contacts: Path) -> None:
    app = make_app(sandbox, tmp_path, contacts, SLOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        screen = app.send_screen
        assert await until(pilot, lambda: screen.state == "running")
        await pilot.press("p")
        assert await until(pilot, lambda: screen.state == "paused")
        paused_at = sum(sent_to(sandbox).values())
        assert paused_at < len(VERIFIED)
        with Journal.open(tmp_path / "journal.db") as journal:
            assert journal.campaign(app.draft.campaign_id).state == "paused"
        await pilot.pause(0.5)
        assert sum(sent_to(sandbox).values()) == paused_at  # nothing goes out while paused
        await pilot.press("r")
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
    assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 1))


async def test_quit_mid_send_asks_then_reopen_and_resume_from_history(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, SLOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        assert await until(pilot, lambda: app.send_screen.state == "running")
        campaign_id = app.draft.campaign_id
        await pilot.press("ctrl+q")
        assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")  # keep sending: nothing happens
        assert await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert app.runner is not None and app.runner.running
        await pilot.press("ctrl+q")
        assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        assert await until(pilot, lambda: app.return_value is not None)
    assert app.return_value == 4
    first_run = sum(sent_to(sandbox).values())
    assert first_run < len(VERIFIED)
    with Journal.open(tmp_path / "journal.db") as journal:
        assert journal.campaign(campaign_id).state == "paused"

    reopened = make_app(sandbox, tmp_path, None, FAST)
    async with reopened.run_test(size=(100, 30)) as pilot:
        await pilot.press("7")
        assert await until(
            pilot, lambda: [r.campaign.id for r in reopened.draft.history] == [campaign_id]
        )
        await pilot.pause()
        await pilot.press("enter")  # open it on the status table
        assert await until(pilot, lambda: reopened.current_mode == "send")
        screen = reopened.send_screen
        assert await until(pilot, lambda: screen.campaign_id == campaign_id)
        assert screen.query_one("#status").total_count == len(CONTACTS.splitlines()) - 1
        assert screen.state == "paused"
        await pilot.press("r")  # resume
        assert await until(pilot, lambda: screen.state == "finished" and not reopened.draft.sending)
        # back in History: export the results, and refresh delivery statuses from Twilio
        await pilot.press("7")
        assert await until(
            pilot, lambda: [r.campaign.state for r in reopened.draft.history] == ["finished"]
        )
        await pilot.press("e")
        assert await until(pilot, lambda: reopened.last_export is not None)
        assert Path(reopened.last_export).is_file()
        await pilot.press("u")
        assert await until(pilot, lambda: reopened.current_mode == "send")
    assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 1))


async def test_canary_first_n_pauses_for_a_look_then_sends_the_rest(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, FAST)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.plan is not None and app.draft.account)
        await pilot.press("5")
        await pilot.press("f", "2", "enter")  # send the first 2, then pause
        await pilot.press(*"SEND", "enter")
        screen = await _send_screen(app, pilot)
        assert await until(pilot, lambda: screen.state == "paused")
        assert sum(sent_to(sandbox).values()) == 2
        with Journal.open(tmp_path / "journal.db") as journal:
            campaign = journal.campaign(app.draft.campaign_id)
        assert campaign.state == "paused" and campaign.settings["canary"] == 2
        await pilot.press("r")
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
    assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 1))


async def _send_screen(app: SmscastApp, pilot):
    """The Send screen once the engine runs on the new campaign."""
    assert await until(pilot, lambda: app.runner is not None and app.send_screen is not None)
    return app.send_screen


async def test_cancel_asks_then_stops_for_good(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, SLOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        screen = app.send_screen
        assert await until(pilot, lambda: screen.state == "running")
        await pilot.press("c")
        assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        assert await until(pilot, lambda: screen.state == "canceled" and not app.draft.sending)
        with Journal.open(tmp_path / "journal.db") as journal:
            campaign = journal.campaign(app.draft.campaign_id)
            counts = journal.counts(campaign.id)
        assert campaign.state == "canceled"
        assert counts.get("canceled", 0) >= 1  # the ones not yet sent never will be
        assert counts.get("pending", 0) == 0
    assert sum(sent_to(sandbox).values()) < len(VERIFIED)
