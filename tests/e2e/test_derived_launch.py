"""`smscast retry` and `smscast follow-up` have what `smscast send` offers, through the same
`campaigns.cli.launch`: a retry scheduled with `--at` through a Messaging Service is held by
Twilio, a follow-up with `--at-local` from a single number waits in the journal (`smscast
status` shows both scheduled), a follow-up with `--status-callback` creates messages that carry
the URL (the sandbox's own record), and `--lookup` on a retry leaves out a landline that the
sandbox's Lookup knows of. Against in-process sandboxes over loopback, through the real SDK."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store import journal as J

#: Failures end with 30003 (worth a second try), 30005, 30006 or 30007; receipts at once.
CONFIG = SandboxConfig(trial=False, speedup=1000.0, undelivered_share=0.4, failed_share=0.2, seed=5)
#: The same account later, on the real clock (a scheduled message is held for real), where
#: every message is delivered.
LATER = dataclasses.replace(CONFIG, speedup=1.0, undelivered_share=0.0, failed_share=0.0, seed=6)


def _parent(sb: Sandbox, tmp_path: Path, count: int, start: int) -> tuple[str, Path]:
    """A campaign of `count` people sent through `sb`, its receipts awaited: its id."""
    db = tmp_path / "smscast.db"
    contacts = write_contacts(tmp_path / "people.csv", numbers(count, start))
    done = run_cli(
        send_args(contacts, "--track", "30", "--rate", "max"),
        smscast_env(sb, tmp_path, db),
        tmp_path,
    )
    assert done.returncode == 3, done.stderr  # some did not get it
    with J.Journal.open(db) as journal:
        return journal.latest().id, db


def _people(db: Path, cid: str) -> tuple[set[str], set[str]]:
    """The parent's numbers a retry texts (failed with 30003) and those it reached."""
    with J.Journal.open(db) as journal:
        rows = journal.recipients(cid)
    retryable = {
        r.to for r in rows if r.status in ("failed", "undelivered") and r.error_code == 30003
    }
    return retryable, {r.to for r in rows if r.status == "delivered"}


def _new(sb: Sandbox, before: set[str]) -> list[dict[str, object]]:
    return [m for m in sb.messages() if m["sid"] not in before]


@pytest.mark.slow  # seven smscast processes
def test_scheduled_retry_scheduled_follow_up_and_a_status_callback(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    cid, db = _parent(sandbox_factory(CONFIG), tmp_path, 16, 73_000)
    retryable, reached = _people(db, cid)
    assert retryable and len(reached) >= 2
    sb = sandbox_factory(LATER)
    env = smscast_env(sb, tmp_path, db)

    # A retry at a moment 25 minutes ahead, through a Messaging Service: Twilio holds it.
    at = datetime.now(UTC) + timedelta(minutes=25)
    retry = run_cli(
        [
            *SMSCAST,
            "retry",
            cid,
            "--messaging-service",
            sb.messaging_service_sid,
            "--at",
            f"{at:%Y-%m-%d %H:%M}",
            "--tz",
            "UTC",
            "--send",
            "--yes",
        ],
        env,
        tmp_path,
    )
    assert retry.returncode == 0, retry.stderr
    assert f"(retry of {cid}) stored in" in retry.stdout
    assert "Handing each message to Twilio to hold" in retry.stdout
    held = sb.messages()
    assert Counter(m["to"] for m in held) == Counter(retryable)  # each once, held
    assert {m["status"] for m in held} == {"scheduled"}
    with J.Journal.open(db) as journal:
        (retry_campaign,) = journal.children(cid)
        assert journal.counts(retry_campaign.id) == {"scheduled": len(retryable)}
    status = run_cli([*SMSCAST, "status", retry_campaign.id], env, tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"{len(retryable)} held by Twilio" in status.stdout
    assert "Scheduled at" in status.stdout and "Twilio holds each message" in status.stdout

    # A follow-up at noon on each recipient's clock, two days ahead, from the parent's single
    # number: it waits in the journal; nothing reaches Twilio before its time.
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    later = run_cli(
        [
            *SMSCAST,
            "follow-up",
            cid,
            "--who",
            "delivered",
            "-t",
            "See you soon, {name}!",
            "--at-local",
            f"{day:%Y-%m-%d} 12:00",
            "--send",
            "--yes",
        ],
        env,
        tmp_path,
    )
    assert later.returncode == 0, later.stderr
    assert f"(follow-up of {cid}) stored in" in later.stdout
    assert "waiting for its time" in later.stdout
    assert len(sb.messages()) == len(held)
    with J.Journal.open(db) as journal:
        follow_up = journal.latest()
        assert (follow_up.parent_id, follow_up.kind) == (cid, "follow-up")
        rows = journal.recipients(follow_up.id)
        assert {r.to for r in rows} == reached
        assert {r.status for r in rows} == {"pending"}
        noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        assert {r.not_before for r in rows} == {noon}
    status = run_cli([*SMSCAST, "status", follow_up.id], env, tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"Scheduled at {day:%Y-%m-%d} 12:00 on each recipient's own clock" in status.stdout
    assert "waits in the journal" in status.stdout

    # A follow-up sent now, asking Twilio to post its receipts to a server of ours (nothing
    # listens on port 9, and `#rc=0` asks for no retries: only the request is checked here).
    hook = "http://127.0.0.1:9/receipts"
    before = {str(m["sid"]) for m in sb.messages()}
    asked = run_cli(
        [
            *SMSCAST,
            "follow-up",
            cid,
            "--who",
            "delivered",
            "-t",
            "Did it arrive, {name}?",
            "--status-callback",
            hook + "#rc=0",
            "--send",
            "--yes",
            "--track",
            "0",
            "--rate",
            "max",
        ],
        env,
        tmp_path,
    )
    assert asked.returncode == 0, asked.stderr
    new = _new(sb, before)
    assert Counter(m["to"] for m in new) == Counter(reached)
    kept = sb.status_callbacks()
    assert all(kept[str(m["sid"])].startswith(hook + "?") for m in new), kept
    assert not any(kept[sid] for sid in before)  # the others were created without one


@pytest.mark.slow  # three smscast processes
def test_retry_with_lookup_leaves_out_a_landline(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    cid, db = _parent(sandbox_factory(CONFIG), tmp_path, 16, 74_000)
    retryable, _ = _people(db, cid)
    assert len(retryable) >= 2
    landline = sorted(retryable)[0]
    types = {number: "mobile" for number in retryable} | {landline: "landline"}
    sb = sandbox_factory(dataclasses.replace(LATER, speedup=1000.0, line_types=types))
    env = smscast_env(sb, tmp_path, db)

    refused = run_cli([*SMSCAST, "retry", cid, "--lookup"], env, tmp_path)  # no terminal
    assert refused.returncode == 2
    assert "smscast retry: error: --lookup is billed" in refused.stderr
    assert sb.lookups_billed == 0

    sent = run_cli(
        [*SMSCAST, "retry", cid, "--lookup", "--send", "--yes", "--track", "0", "--rate", "max"],
        env,
        tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    assert "a landline" in sent.stdout
    assert sb.lookups_billed == len(retryable)
    assert Counter(m["to"] for m in sb.messages()) == Counter(retryable - {landline})
    with J.Journal.open(db) as journal:
        (retry,) = journal.children(cid)
        rows = {r.to: r for r in journal.recipients(retry.id)}
    assert rows[landline].status == J.SKIPPED
    assert "landline" in str(rows[landline].error_message)
