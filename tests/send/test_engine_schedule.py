"""Scheduled campaigns through the real SDK against the sandbox: Twilio holds each message
(`scheduled`, with its SID in the journal); cancel cancels each held one once and records one
that already left as such; a crash between creating scheduled messages and recording them is
reconciled by the next run (nobody scheduled twice); a row too close to its time for Twilio
waits here; the sending window holds at SendAt."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from engine_support import Clock, assert_exactly_once, gateway_for, numbers, open_journal, run

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.sandbox.config import Faults
from campaigns.send.schedule import Schedule
from campaigns.send.unschedule import cancel_held
from campaigns.store import journal as J
from campaigns.twilio.gateway import TwilioGateway

FULL = {"trial": False, "delivery_delay": 0.05, "accept_delay": 0.01}


def scheduled_campaign(
    journal: J.Journal,
    sb: Sandbox,
    due: list[datetime],
    *,
    mode: str = "twilio",
    settings: dict[str, Any] | None = None,
    to: list[str] | None = None,
) -> str:
    phones = to or numbers(len(due), 71_000)
    schedule = Schedule(mode, "test", "at a time", min(due), max(due))  # type: ignore[arg-type]
    return journal.create_campaign(
        template="Hello {i}",
        source_name="t.csv",
        source_sha256="0" * 64,
        sender=None,
        messaging_service_sid=sb.messaging_service_sid,
        settings=settings or {},
        recipients=[
            J.NewRecipient(
                i + 2,
                phone,
                f"Hello {i}",
                1,
                0.0079,
                send_at=when,
                not_before=when if mode == "local" else None,
            )
            for i, (phone, when) in enumerate(zip(phones, due, strict=True))
        ],
        schedule=schedule.to_json(),
    )


async def cancel(sb: Sandbox, journal: J.Journal, cid: str) -> Any:
    async with gateway_for(sb).async_session() as session:
        return await cancel_held(session, journal, cid)


def test_twilio_holds_each_message_and_cancel_cancels_each_once(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb = sandbox_factory(**FULL)
    journal = open_journal(tmp_path)
    at = datetime.now(UTC) + timedelta(hours=3)
    cid = scheduled_campaign(journal, sb, [at] * 4)
    result, _ = asyncio.run(run(sb, journal, cid, track_seconds=30))
    assert result.state == J.FINISHED  # handed over: nothing is left to send from here
    assert assert_exactly_once(sb, journal, cid) == {"scheduled": 4}
    assert {m["status"] for m in sb.messages()} == {"scheduled"}
    rows = journal.recipients(cid)
    assert all(r.sid and r.send_at == at for r in rows)

    report = asyncio.run(cancel(sb, journal, cid))
    assert (report.canceled, report.already_left, report.unsettled) == (4, 0, 0)
    assert journal.counts(cid) == {"canceled": 4}
    assert {m["status"] for m in sb.messages()} == {"canceled"}
    again = asyncio.run(cancel(sb, journal, cid))  # nothing is held: no request at all
    assert (again.canceled, again.already_left, again.unsettled) == (0, 0, 0)
    assert all(r.cancel_requested_at is not None for r in journal.recipients(cid))


def test_cancel_records_a_message_that_already_left(sandbox_factory: Any, tmp_path: Path) -> None:
    # At 20,000x a message scheduled 21 minutes out leaves after 63 ms; one a day out stays.
    sb = sandbox_factory(speedup=20_000.0, **FULL)
    journal = open_journal(tmp_path)
    now = datetime.now(UTC)
    cid = scheduled_campaign(
        journal, sb, [now + timedelta(minutes=21, seconds=30), now + timedelta(days=3)]
    )
    asyncio.run(run(sb, journal, cid))
    assert journal.counts(cid) == {"scheduled": 2}
    time.sleep(0.3)
    report = asyncio.run(cancel(sb, journal, cid))
    assert (report.canceled, report.already_left, report.unsettled) == (1, 1, 0)
    near, far = journal.recipients(cid)
    assert near.status in {"queued", "sending", "sent", "delivered"}
    assert near.error_message is not None and "already left" in near.error_message
    assert far.status == "canceled"
    by_sid = {m["sid"]: m["status"] for m in sb.messages()}
    assert by_sid[far.sid] == "canceled" and by_sid[near.sid] != "canceled"


def test_a_crash_between_scheduling_and_recording_is_reconciled(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The state a crash leaves: the intents committed (`inflight`), the messages created at
    Twilio with SendAt, no answer recorded. The next run finds each one: none twice."""
    sb = sandbox_factory(**FULL)
    journal = open_journal(tmp_path)
    at = datetime.now(UTC) + timedelta(hours=2)
    cid = scheduled_campaign(journal, sb, [at] * 5)
    rows = journal.recipients(cid)
    journal.apply(cid, intents=[J.Intent(r.row, J.now_utc()) for r in rows])
    client = TwilioGateway.make_client(gateway_for(sb), None)
    for r in rows[:3]:  # three requests had reached Twilio when the process died
        client.messages.create(
            to=r.to,
            body=r.body,
            messaging_service_sid=sb.messaging_service_sid,
            schedule_type="fixed",
            send_at=at,
        )
    assert journal.counts(cid) == {"inflight": 5}
    result, _ = asyncio.run(run(sb, journal, cid))
    assert result.state == J.FINISHED
    assert assert_exactly_once(sb, journal, cid) == {"scheduled": 5}
    assert len(sb.messages()) == 5


def test_answers_lost_on_the_way_back_are_reconciled(sandbox_factory: Any, tmp_path: Path) -> None:
    sb = sandbox_factory(SandboxConfig(faults=Faults(drop_after=0.5), seed=3, **FULL))
    journal = open_journal(tmp_path)
    cid = scheduled_campaign(journal, sb, [datetime.now(UTC) + timedelta(hours=2)] * 8)
    result, _ = asyncio.run(run(sb, journal, cid, reconcile_grace=0.0, request_timeout=2.0))
    assert result.state == J.FINISHED
    assert assert_exactly_once(sb, journal, cid) == {"scheduled": 8}


def test_a_row_too_close_for_twilio_waits_here_and_leaves_when_due(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """A resume well after planning: the first row is due in 5 minutes, too soon for Twilio to
    hold, so nothing is created for it until its time; the other is held by Twilio."""
    sb = sandbox_factory(**FULL)
    journal = open_journal(tmp_path)
    now = datetime.now(UTC)
    soon, later = now + timedelta(minutes=5), now + timedelta(hours=2)
    cid = scheduled_campaign(journal, sb, [soon, later])
    result, _ = asyncio.run(run(sb, journal, cid))
    assert (result.state, result.kind) == ("paused", "scheduled")
    assert journal.counts(cid) == {"pending": 1, "scheduled": 1}
    assert len(sb.messages()) == 1
    clock = Clock(soon + timedelta(seconds=1))  # its time came: sent at once, not scheduled
    result, _ = asyncio.run(run(sb, journal, cid, clock=clock))
    assert result.state == J.FINISHED
    counts = assert_exactly_once(sb, journal, cid)
    assert counts.get("scheduled") == 1 and sum(counts.values()) == 2
    first = journal.recipients(cid)[0]
    assert first.status != "scheduled"
    assert [m["status"] != "scheduled" for m in sb.messages(first.to)] == [True]


def test_the_sending_window_holds_at_send_at(sandbox_factory: Any, tmp_path: Path) -> None:
    """Twilio will send at SendAt, so the window is checked there, not now: a time in the
    recipient's quiet hours is moved to the window's next opening before it is created."""
    sb = sandbox_factory(**FULL)
    journal = open_journal(tmp_path)
    la = ZoneInfo("America/Los_Angeles")
    day = (datetime.now(la) + timedelta(days=2)).date()
    at = datetime(day.year, day.month, day.day, 22, 30, tzinfo=la).astimezone(UTC)
    opens = datetime(day.year, day.month, day.day, 8, 0, tzinfo=la) + timedelta(days=1)
    cid = scheduled_campaign(
        journal,
        sb,
        [at],
        settings={"quiet_hours": "08:00-21:00"},
        to=["+14155552000"],
    )
    asyncio.run(run(sb, journal, cid))
    (row,) = journal.recipients(cid)
    assert row.status == "scheduled"
    assert row.send_at == opens.astimezone(UTC)


def test_a_stop_reply_cancels_that_persons_held_message(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """Twilio keeps a held message after the person opts out; the reply collector cancels it."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.pipeline.replies import collect_replies

    sb = sandbox_factory(**FULL)
    journal = open_journal(tmp_path)
    people = numbers(3, 72_000)
    cid = scheduled_campaign(journal, sb, [datetime.now(UTC) + timedelta(hours=4)] * 3, to=people)
    asyncio.run(run(sb, journal, cid))
    assert journal.counts(cid) == {"scheduled": 3}
    sb.receive(people[0], sb.phone_number, "STOP")
    with SuppressionList(journal.path) as suppressions:
        collect_replies(journal, gateway_for(sb), suppressions)
    by_to = {r.to: r.status for r in journal.recipients(cid)}
    assert by_to == {people[0]: "canceled", people[1]: "scheduled", people[2]: "scheduled"}
    ours = journal.recipients(cid)[0].sid
    assert [m["status"] for m in sb.messages(people[0]) if m["sid"] == ours] == ["canceled"]
