"""The app receives status callbacks while its campaign runs: with `status_callback_url` and
`listen_port` in the settings, its campaigns ask Twilio (the sandbox, over loopback) to post
the receipts to the app's own listener, which checks each signature and records it; the
engine takes them too, so the run ends without waiting for its (now rare) sweeps. A port in
use is said on the Send screen, and that run goes on with sweeps, nothing lost."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import snapshot_apps as apps
from test_flow import CONTACTS, VERIFIED, compose_and_send
from tui_support import until

from campaigns.config.settings import Settings, load_settings
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store.journal import FINAL_STATUSES, Journal, NewRecipient
from tui.app import SmscastApp
from tui.engine_runner import CallbackCount
from tui.widgets.callback_line import CallbackLine, callback_text

OPTIONS = EngineOptions(rate=None, concurrency=4, track_seconds=30.0)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A trial account whose callbacks come out of order now and then."""
    config = SandboxConfig(speedup=50, undelivered_share=0.2, callback_disorder=0.5, seed=5)
    with Sandbox(config) as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(sandbox: Sandbox, data_dir: Path, port: int) -> Settings:
    return load_settings(
        account_sid=sandbox.account_sid,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        data_dir=data_dir,
        db_path=data_dir / "journal.db",
        status_callback_url=f"http://127.0.0.1:{port}/receipts",
        listen_port=port,
        config_path=data_dir / "no-config.toml",
        env={},
        cwd=data_dir,
    )


def journal_statuses(data_dir: Path, campaign_id: str | None) -> dict[str, str]:
    assert campaign_id is not None
    with Journal.open(data_dir / "journal.db") as journal:
        return {r.sid: r.status for r in journal.recipients(campaign_id) if r.sid}


async def test_the_app_records_receipts_by_callback_and_sweeps_little(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    port = free_port()
    settings = settings_for(sandbox, tmp_path, port)
    app = SmscastApp(
        settings=settings, contacts_file=contacts, engine_options=OPTIONS, quiet_hours=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        screen = app.send_screen
        assert screen is not None
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
        runner = app.runner
        assert runner is not None and runner.callbacks is not None
        count = runner.callbacks
        widget = screen.query_one("#send-callbacks", CallbackLine)
        line = str(widget.render())
        stats = runner.engine_stats
        # Another campaign opened from History: nobody listens for its receipts, no line.
        with Journal.open(tmp_path / "journal.db") as journal:
            other = journal.create_campaign(
                template="Hi",
                source_name="/data/other.csv",
                source_sha256="f" * 64,
                sender="+15017122661",
                messaging_service_sid=None,
                settings={},
                recipients=[NewRecipient(2, "+14155550199", "Hi", 1, 0.0079, {})],
            )
        app.open_campaign(other)
        assert await until(pilot, lambda: screen.campaign_id == other and not widget.display)
        assert runner.campaign_id is not None
        app.open_campaign(runner.campaign_id)  # the run's own campaign: the line is back
        assert await until(pilot, lambda: screen.campaign_id == runner.campaign_id)
        assert await until(pilot, lambda: widget.display)
        reopened = str(widget.render())
    statuses = journal_statuses(tmp_path, app.draft.campaign_id)
    twilio = {m["sid"]: m["status"] for m in sandbox.messages()}
    assert statuses == twilio and len(statuses) == len(VERIFIED)
    assert set(statuses.values()) <= FINAL_STATUSES
    # Every receipt came by callback, signed and accepted; the engine heard them all.
    # (A `sent` posted out of order after the run ended finds nobody listening: harmless.)
    log = sandbox.callback_log
    answered = [(sid, status) for sid, status, code in log if code == 200]
    assert {sid for sid, status in answered if status in FINAL_STATUSES} == set(twilio)
    assert all(status == "sent" for _, status, code in log if code != 200)
    assert count.error == "" and count.refused == 0 and count.received == len(answered)
    assert count.recorded >= len(VERIFIED)  # at least each final receipt
    assert stats.get("receipts_heard", 0) >= len(VERIFIED)
    # The sweeps were the safety net only: none was due before the callbacks ended the run.
    assert stats.get("tracking_requests", 0) <= 1, stats
    # The run ended: the line says the listener stopped with it, never that receipts arrive.
    assert count.stopped
    assert "Status callbacks stopped with the run (the app receives none now)" in line
    assert "arrive" not in line and "arrive" not in reopened
    assert f"{count.received} received, {count.recorded} recorded" in line
    assert f"{count.received} received, {count.recorded} recorded" in reopened
    live = callback_text(replace(count, stopped=False))  # as it read while the run went on
    assert f"Receipts arrive by status callbacks at http://127.0.0.1:{port}/receipts" in live


async def test_a_port_in_use_is_said_and_the_run_goes_on_with_sweeps(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = settings_for(sandbox, tmp_path, port)
        app = SmscastApp(
            settings=settings, contacts_file=contacts, engine_options=OPTIONS, quiet_hours=False
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await compose_and_send(app, pilot)
            screen = app.send_screen
            assert screen is not None
            assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
            said = [n.message for n in app._notifications]
            line = str(screen.query_one("#send-callbacks", CallbackLine).render())
    assert any(f"Cannot receive status callbacks on 127.0.0.1:{port}" in m for m in said)
    assert "Status callbacks off for this run (sweeps track it)" in line
    statuses = journal_statuses(tmp_path, app.draft.campaign_id)
    assert statuses == {m["sid"]: m["status"] for m in sandbox.messages()}
    assert set(statuses.values()) <= FINAL_STATUSES and len(statuses) == len(VERIFIED)
    assert sandbox.callback_log == []  # Twilio was not given the URL


async def _send_with_callbacks(pilot: Any) -> None:
    """Send at 80x24, the finished demo campaign, with the callbacks line a run shows."""
    await apps.goto_send_finished(pilot)
    screen = pilot.app.send_screen
    screen.show_callbacks(
        CallbackCount(
            "https://sms.example.com/receipts", "127.0.0.1:8080", received=31, recorded=24
        )
    )
    await apps.settle(pilot)


def test_send_shows_the_callbacks_line_80x24(snap_compare: Any, tmp_path: Path) -> None:
    with apps.demo_app(tmp_path) as app:
        assert snap_compare(app, terminal_size=(80, 24), run_before=_send_with_callbacks)
