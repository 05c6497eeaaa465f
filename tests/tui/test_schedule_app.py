"""The app schedules: Review's "Send at" says the mode and the times; through a Messaging
Service the messages are held by Twilio (`scheduled`), the Send screen counts them, and
History's x cancels them at Twilio (each once), against the real sandbox over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store.journal import Journal
from tui.app import SmscastApp
from tui.screens.dialogs import ConfirmDialog

CONTACTS = "name,phone\nAna,+14155550100\nBob,+14155550101\nCleo,+12025550143\n"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(trial=False, delivery_delay=0.05)) as running:
        yield running


async def test_review_schedules_send_counts_history_cancels(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    app = SmscastApp(
        settings=sandbox_settings(sandbox, tmp_path),
        contacts_file=contacts,
        engine_options=EngineOptions(rate=None, concurrency=4, track_seconds=0.0),
        quiet_hours=False,
    )
    at = datetime.now(UTC) + timedelta(hours=3)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.account is not None)
        app.choose_sender(sandbox.messaging_service_sid)
        await pilot.press("4")
        app.screen.query_one("#template", TextArea).text = "Hi {name}"
        assert await until(pilot, lambda: app.draft.plan is not None and app.draft.plan.messages)
        await pilot.press("5")
        assert await until(pilot, lambda: bool(app.screen.query("#schedule")))
        app.screen.query_one("#schedule", Input).value = f"{at:%Y-%m-%d %H:%M} UTC"
        summary = app.screen.query_one("#review-summary", Static)
        assert await until(pilot, lambda: "is not a date" in str(summary.render()))
        app.screen.query_one("#schedule", Input).value = f"{at.astimezone():%Y-%m-%d %H:%M}"
        assert await until(pilot, lambda: "Twilio holds" in str(summary.render()))
        await pilot.press("s")
        await pilot.press(*"SEND", "enter")
        assert await until(pilot, lambda: app.draft.campaign_id is not None)
        cid = app.draft.campaign_id
        assert await until(
            pilot, lambda: {m["status"] for m in sandbox.messages()} == {"scheduled"}
        )
        assert await until(pilot, lambda: len(sandbox.messages()) == 3 and not app.draft.sending)
        screen = app.send_screen
        assert screen is not None
        line = screen.query_one("#send-schedule", Static)
        assert await until(pilot, lambda: "Scheduled at Twilio: 3" in str(line.render()))

        await pilot.press("7")
        assert await until(pilot, lambda: bool(app.draft.history))
        await pilot.press("x")
        assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        assert await until(pilot, lambda: {m["status"] for m in sandbox.messages()} == {"canceled"})
    with Journal.open(tmp_path / "journal.db") as journal:
        assert journal.counts(cid) == {"canceled": 3}
        assert journal.campaign(cid).state == "canceled"
    assert len(sandbox.messages()) == 3
