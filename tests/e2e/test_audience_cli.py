"""The audience filters and delivery tracking as a person meets them on the command line,
against a sandbox over loopback: verified-only on a trial account (auto/on/off, with where to
verify), a STOP reply (21610) landing on the suppression list and excluding the number next
time, quiet hours deferring (not dropping) a recipient, and `smscast status --watch` (also
after a sandbox restart forgot the messages it follows)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from send_support import (
    SMSCAST,
    numbers,
    run_cli,
    sandbox_process,
    smscast_env,
    write_contacts,
)

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J


def _plan(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[0])


def test_trial_filters_and_a_stop_reply(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    verified = ("+14155550100", "+14155550101", "+14155550102")
    sb = sandbox_factory(trial=True, verified=verified, opted_out=("+14155550102",), speedup=1000.0)
    phones = [*verified, "+14155559999", "12345", "(415) 555-0100"]
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    dry = [*SMSCAST, "send", str(contacts), "-t", "Hi {name}", "--quiet-hours", "off", "--json"]

    auto = _plan(run_cli(dry, env, tmp_path))  # a trial account: auto = on
    kinds = {e["row"]: (e["kind"], e["reason"]) for e in auto["excluded"]}
    assert kinds[5][0] == "unverified" and "21608" in kinds[5][1]
    assert (kinds[6][0], kinds[7][0]) == ("invalid", "duplicate")
    assert any("Verified Caller IDs" in note for note in auto["notes"])  # where to verify
    assert auto["messages"] == 3
    assert _plan(run_cli([*dry, "--verified-only", "on"], env, tmp_path))["messages"] == 3
    off = _plan(run_cli([*dry, "--verified-only", "off"], env, tmp_path))
    assert off["messages"] == 4 and not any(e["kind"] == "unverified" for e in off["excluded"])
    assert sb.messages() == []

    sent = run_cli([*dry[:-1], "--send", "--yes", "--track", "0"], env, tmp_path)
    assert sent.returncode == 3, sent.stderr  # finished; the STOP reply failed
    assert sorted(m["to"] for m in sb.messages()) == ["+14155550100", "+14155550101"]
    listed = run_cli([*SMSCAST, "suppress", "list"], env, tmp_path)
    with J.Journal.open(tmp_path / "smscast.db") as journal:
        cid = journal.latest().id
    assert "+14155550102" in listed.stdout and cid in listed.stdout

    again = _plan(run_cli(dry, env, tmp_path))  # next time the number is excluded first
    kinds = {e["row"]: (e["kind"], e["reason"]) for e in again["excluded"]}
    assert kinds[4][0] == "suppressed" and "STOP" in kinds[4][1] and cid in kinds[4][1]
    assert again["messages"] == 2


def test_quiet_hours_defer_a_recipient_to_its_window(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0)
    phones = numbers(2, 66_000)  # +1 415: San Francisco time
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    la = ZoneInfo("America/Los_Angeles")
    opens_hour = (datetime.now(la).hour + 2) % 24  # a window that opens in 1-2 hours there
    window = f"{opens_hour:02d}:00-{(opens_hour + 2) % 24:02d}:00"
    base = [*SMSCAST, "send", str(contacts), "-t", "Hi {name}", "--quiet-hours", window]

    plan = _plan(run_cli([*base, "--json"], env, tmp_path))
    assert plan["messages"] == 2 and plan["excluded"] == []  # deferred, not dropped
    for row in ("2", "3"):
        opens = datetime.fromisoformat(plan["deferred"][row])
        local = opens.astimezone(la)
        assert (local.hour, local.minute) == (opens_hour, 0)
        assert timedelta(0) < opens - datetime.now(UTC) <= timedelta(hours=2)
    human = run_cli(base, env, tmp_path)
    assert "Deferred by quiet hours: 2" in human.stdout and "UTC" in human.stdout
    assert phones[0] in human.stdout

    sent = run_cli([*base, "--send", "--yes", "--track", "0"], env, tmp_path)
    assert sent.returncode == 4, sent.stderr  # paused until the window opens: resumable
    assert "quiet hours" in sent.stderr
    assert sb.messages() == []
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert journal.campaign(cid).state == J.PAUSED
        rows = journal.recipients(cid)
    assert {r.status for r in rows} == {J.PENDING} and all(r.not_before for r in rows)
    opening = rows[0].not_before

    # A day later, after that window has come and gone: the stored not_before has passed, but
    # the window is closed again. A resume must send no one, and defer them to the next opening.
    with sqlite3.connect(db) as raw:
        yesterday = (opening - timedelta(days=1)).isoformat()
        raw.execute("UPDATE recipients SET not_before = ?", (yesterday,))
    resumed = run_cli([*SMSCAST, "resume", cid, "--yes"], env, tmp_path)
    assert resumed.returncode == 4, resumed.stderr
    assert "outside their sending window" in resumed.stderr
    assert f"{opening:%Y-%m-%d %H:%M} UTC" in resumed.stderr  # when it opens
    assert sb.messages() == []
    with J.Journal.open(db) as journal:
        rows = journal.recipients(cid)
    assert {r.status for r in rows} == {J.PENDING}
    assert {r.not_before for r in rows} == {opening} and {r.attempts for r in rows} == {0}


def test_status_watch_follows_delivery_until_final(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=10.0, delivery_delay=20.0)  # 2 s to deliver
    phones = numbers(3, 66_100)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    sent = run_cli(
        [
            *SMSCAST,
            "send",
            str(contacts),
            "-t",
            "Hi {name}",
            "--quiet-hours",
            "off",
            "--send",
            "--yes",
            "--track",
            "0",  # do not wait for receipts: status --watch follows them
            "--rate",
            "max",
        ],
        env,
        tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    assert "smscast status" in sent.stdout and "--watch" in sent.stdout
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert "delivered" not in journal.counts(cid)  # still on their way

    watch = run_cli(
        [*SMSCAST, "status", "--watch", "--interval", "0.5", "--json"], env, tmp_path
    )  # no ID: the latest campaign
    assert watch.returncode == 0, watch.stderr
    reports = [json.loads(line) for line in watch.stdout.splitlines()]
    assert {r["campaign_id"] for r in reports} == {cid}
    assert reports[-1]["counts"] == {"delivered": 3}
    with J.Journal.open(db) as journal:
        assert journal.counts(cid) == {"delivered": 3}
    assert {m["status"] for m in sb.messages()} == {"delivered"}


def test_status_watch_ends_explaining_messages_a_restarted_sandbox_forgot(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """Sent to one sandbox, which then restarts on the same port with the same account and no
    messages: every fetch answers 404 (20404). `status --watch` records that once per message
    and ends, saying so, instead of polling forever."""
    first = sandbox_factory(trial=False, speedup=1.0, delivery_delay=600.0)  # stays queued
    phones = numbers(3, 66_200)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(first, tmp_path, db)
    send = [*SMSCAST, "send", str(contacts), "-t", "Hi {name}", "--quiet-hours", "off"]
    sent = run_cli([*send, "--send", "--yes", "--track", "0", "--rate", "max"], env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    port = first.base_url.rsplit(":", 1)[1]
    first.__exit__(None, None, None)  # the sandbox goes away, and with it every message
    again = ["--port", port, "--account-sid", first.account_sid, "--auth-token", first.auth_token]
    with sandbox_process(*again) as second:
        assert second.base_url == first.base_url and second.messages() == []
        try:
            watch = subprocess.run(
                [*SMSCAST, "status", "--watch", "--interval", "0.5"],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=60,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("status --watch kept polling messages the server does not have")
        assert watch.returncode == 0, watch.stderr
        assert "3 message(s) Twilio no longer has (404, error 20404)" in watch.stdout
        assert "no longer checked" in watch.stdout
        report = json.loads(run_cli([*SMSCAST, "status", "--json"], env, tmp_path).stdout)
    assert (report["gone"], report["tracked"]) == (3, 0)
    with J.Journal.open(db) as journal:
        rows = journal.recipients(journal.latest().id)
    assert {r.status for r in rows} <= J.LIVE_STATUSES and all(r.sid for r in rows)
    assert all(r.error_code == 20404 and "no longer has" in (r.error_message or "") for r in rows)
