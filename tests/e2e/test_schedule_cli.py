"""`smscast send --at` as a person runs it, against the sandbox in-process: through a Messaging
Service Twilio holds the messages and the command exits; `status` follows them (and cancels
the message of someone who opted out since) and `cancel` cancels the rest; from a single
number the campaign waits in the journal, and `resume --due` (the cron line) sends nothing
before its time. The dry run says which mode and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, run_cli, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J


def _send(contacts: Path, at: datetime, *extra: str) -> list[str]:
    return [
        *SMSCAST,
        "send",
        str(contacts),
        "--template",
        "Hello {name}",
        "--quiet-hours",
        "off",
        "--at",
        f"{at:%Y-%m-%d %H:%M}",
        "--tz",
        "UTC",
        *extra,
    ]


@pytest.mark.slow  # six smscast processes
def test_at_through_a_service_is_held_by_twilio_and_canceled(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False)
    contacts = write_contacts(tmp_path / "contacts.csv", numbers(3, 64_000))
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    env["TWILIO_MESSAGING_SERVICE_SID"] = sb.messaging_service_sid
    env.pop("TWILIO_PHONE_NUMBER")
    at = datetime.now(UTC) + timedelta(hours=5)
    dry = run_cli([*_send(contacts, at), "--json"], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout.splitlines()[0])
    assert plan["schedule"]["mode"] == "twilio"
    assert sb.messages() == []

    sent = run_cli([*_send(contacts, at), "--send", "--yes"], env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "scheduled at Twilio" in sent.stdout
    assert {m["status"] for m in sb.messages()} == {"scheduled"}
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert journal.counts(cid) == {"scheduled": 3}

    # Someone opts out after being scheduled: Twilio would still send theirs; `status` cancels it.
    stop = numbers(3, 64_000)[1]
    added = run_cli([*SMSCAST, "suppress", "add", stop], env, tmp_path)
    assert added.returncode == 0, added.stderr
    status = run_cli([*SMSCAST, "status", cid], env, tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Canceled 1 scheduled message(s)" in status.stdout
    assert "2 held by Twilio" in status.stdout and "Scheduled at" in status.stdout
    assert [m["status"] for m in sb.messages(stop)] == ["canceled"]

    canceled = run_cli([*SMSCAST, "cancel", cid, "--yes"], env, tmp_path)
    assert canceled.returncode == 3, canceled.stderr  # over, with recipients not texted
    assert "2 canceled" in canceled.stdout
    assert {m["status"] for m in sb.messages()} == {"canceled"}
    with J.Journal.open(db) as journal:
        assert journal.counts(cid) == {"canceled": 3}
        assert journal.campaign(cid).state == J.CANCELED
    again = run_cli([*SMSCAST, "cancel", cid, "--yes"], env, tmp_path)
    assert again.returncode == 1 and "already canceled" in again.stderr


@pytest.mark.slow  # three smscast processes
def test_at_from_a_single_number_waits_in_the_journal(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False)
    contacts = write_contacts(tmp_path / "contacts.csv", numbers(2, 65_000))
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    at = datetime.now(UTC) + timedelta(hours=5)
    dry = run_cli(_send(contacts, at), env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "single number" in dry.stdout and "smscast resume" in dry.stdout

    sent = run_cli([*_send(contacts, at), "--send", "--yes"], env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "scheduled" in sent.stdout
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        rows = journal.recipients(cid)
        assert {r.status for r in rows} == {"pending"}
        assert all(r.not_before == r.send_at for r in rows)
    due = run_cli([*SMSCAST, "resume", "--due", "--yes"], env, tmp_path)
    assert due.returncode == 0, due.stderr
    assert f"Campaign {cid}: next due at" in due.stdout
    assert sb.messages() == []


def test_bad_times_are_usage_errors(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False)
    contacts = write_contacts(tmp_path / "contacts.csv", numbers(1, 66_000))
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    base = [*SMSCAST, "send", str(contacts), "--template", "Hi"]
    for extra in (["--at", "tomorrow"], ["--at-local", "25:00"], ["--tz", "Mars/Base"]):
        result = run_cli([*base, *extra], env, tmp_path)
        assert result.returncode == 2, (extra, result.stderr)
        assert "Traceback" not in result.stderr
