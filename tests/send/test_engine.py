"""The engine against the sandbox (the real twilio SDK over loopback): every error class,
the breaker, pause/resume/cancel from another thread, canary, quiet hours, reconciliation."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from engine_support import (
    assert_exactly_once,
    campaign,
    gateway_for,
    numbers,
    open_journal,
    run,
)

from campaigns.sandbox import Faults, Sandbox, SandboxConfig
from campaigns.sandbox.rules import MAGIC_TO
from campaigns.send.engine import Engine, EngineOptions
from campaigns.store import journal as J
from campaigns.store.run_lock import CampaignBusyError

FAST = {"trial": False, "speedup": 1000.0, "delivery_delay": 0.05, "accept_delay": 0.01}


@pytest.fixture
def sandbox() -> Sandbox:
    with Sandbox(SandboxConfig(**FAST)) as sb:
        yield sb


async def test_sends_everyone_once_with_events(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(60))
    result, rec = await run(sandbox, journal, cid, concurrency=8)
    assert result.state == "finished"
    counts = assert_exactly_once(sandbox, journal, cid)
    assert sum(counts.values()) == 60 and set(counts) <= J.SENT_STATUSES
    assert journal.campaign(cid).state == J.FINISHED
    names = rec.names()
    assert names["campaign_started"] == 1 and names["campaign_finished"] == 1
    assert names["progress"] >= 1
    changed = rec.of("recipient_changed")
    assert {e.status for e in changed} >= {"inflight", "queued"}
    assert all(e.to_json()["event"] and e.campaign_id == cid for e in rec.events)
    final = rec.of("progress")[-1]
    assert final.done == final.total == 60


async def test_delivery_tracking_reaches_final_statuses(tmp_path: Path) -> None:
    config = SandboxConfig(**FAST, undelivered_share=0.3, seed=3)
    with Sandbox(config) as sb:
        journal = open_journal(tmp_path)
        to = numbers(30, 100)
        cid = campaign(journal, to)
        result, _ = await run(sb, journal, cid, concurrency=10, track_seconds=30)
        assert result.state == "finished"
        assert_exactly_once(sb, journal, cid)
        rows = journal.recipients(cid)
        for r in rows:
            expected, code = config.outcome(r.to)
            assert r.status == expected, r
            assert r.error_code == code
        assert any(r.status == "undelivered" for r in rows)


async def test_permanent_errors_are_recorded_and_the_campaign_goes_on(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = open_journal(tmp_path)
    magic = sorted(MAGIC_TO)  # 21211, 21612, 21408, 21610, 21614
    to = [*numbers(5, 200), *magic, *numbers(5, 300)]
    opted: list[tuple[str, str]] = []
    cid = campaign(journal, to)
    result, rec = await run(
        sandbox, journal, cid, concurrency=4, opted_out=lambda p, c: opted.append((p, c))
    )
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)
    by_to = {r.to: r for r in journal.recipients(cid)}
    for number, code in MAGIC_TO.items():
        assert (by_to[number].status, by_to[number].error_code) == ("failed", code)
        assert by_to[number].error_message
    assert opted == [("+15005550004", cid)]
    assert sum(1 for r in by_to.values() if r.sid) == 10, journal.recipients(cid)
    failed = [e for e in rec.of("recipient_changed") if e.status == "failed"]
    assert {e.error_code for e in failed} == set(MAGIC_TO.values())


async def test_fatal_error_pauses_with_the_reason(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(10, 400), sender="+15005550001")  # 21212
    result, rec = await run(sandbox, journal, cid, concurrency=1)
    assert (result.state, result.kind) == ("paused", "fatal")
    assert "From" in result.reason
    assert journal.campaign(cid).state == J.PAUSED
    assert journal.counts(cid) == {"pending": 10}
    assert sandbox.messages() == []
    assert rec.of("campaign_paused")[0].kind == "fatal"


async def test_breaker_pauses_after_the_same_code_many_times(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = open_journal(tmp_path)
    # The journal holds rows, not people: 30 rows to the geo-blocked magic number.
    cid = campaign(journal, ["+15005550003"] * 30 + numbers(5, 500))
    result, _ = await run(sandbox, journal, cid, concurrency=1, breaker_threshold=20)
    assert (result.state, result.kind) == ("paused", "breaker")
    assert "21408" in result.reason and "Geo permissions" in result.hint
    counts = journal.counts(cid)
    assert counts["failed"] == 20 and counts["pending"] == 15


async def test_rate_limits_never_fail_anyone_and_lower_concurrency(tmp_path: Path) -> None:
    config = SandboxConfig(**FAST, faults=Faults(rate_limit=0.25), seed=7)
    with Sandbox(config) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(80, 600))
        engine = Engine(
            gateway_for(sb), journal, cid, EngineOptions(concurrency=20, track_seconds=0)
        )
        result = await engine.run(lambda e: None)
        assert result.state == "finished"
        counts = assert_exactly_once(sb, journal, cid)
        assert set(counts) <= J.SENT_STATUSES
        assert engine._limit.decreases > 0
        assert any(r.attempts > 1 for r in journal.recipients(cid))


@pytest.mark.parametrize(
    "faults",
    [
        Faults(error_before=0.3),
        Faults(error_after=0.3),
        Faults(drop_after=0.3),
        Faults(hang=0.1),
    ],
    ids=["5xx-before", "5xx-after", "drop-after", "hang"],
)
async def test_ambiguous_failures_are_reconciled_never_duplicated(
    tmp_path: Path, faults: Faults
) -> None:
    config = SandboxConfig(**FAST, faults=faults, seed=11)
    with Sandbox(config) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(60, 700))
        options = EngineOptions(
            concurrency=10,
            track_seconds=0,
            request_timeout=1.0,
            reconcile_grace=0.05,
            lookup_attempts=8,
        )
        engine = Engine(gateway_for(sb), journal, cid, options)
        result = await engine.run(lambda e: None)
        counts = assert_exactly_once(sb, journal, cid)
        assert result.state == "finished", (result, counts)
        assert set(counts) <= J.SENT_STATUSES
        assert engine.stats["ambiguous"] > 0
        retried = [r for r in journal.recipients(cid) if r.attempts > 1]
        if faults.error_after or faults.drop_after:
            # created before the failure: found by the lookup, never sent again
            assert engine.stats["reconciled_found"] > 0
        else:
            # nothing was created: the lookup finds nothing and the row is sent again
            assert engine.stats["reconciled_absent"] > 0 and retried


async def test_lookup_failing_makes_unknown_never_resent(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    to = numbers(3, 800)
    cid = campaign(journal, to)
    journal.apply(cid, intents=[J.Intent(2, J.now_utc())])  # a crash left row 2 in flight
    # Twilio answers everything with 500: sends are ambiguous and no lookup can settle them.
    broken = SandboxConfig(**FAST, faults=Faults(error_before=1.0))
    with Sandbox(broken) as sb:
        result, _ = await run(
            sb, journal, cid, concurrency=1, lookup_attempts=2, reconcile_grace=0.0
        )
        assert (result.state, result.kind) == ("paused", "unknown")
        assert journal.counts(cid) == {J.UNKNOWN: 3}
        assert all(r.error_message for r in journal.recipients(cid))
    with Sandbox(SandboxConfig(**FAST)) as sb:
        result, _ = await run(sb, journal, cid, concurrency=1)
        # unknown rows are never resent on their own: the person decides
        assert (result.state, result.kind) == ("paused", "unknown")
        assert sb.messages() == []
        result, _ = await run(sb, journal, cid, concurrency=1, retry_unknown=True)
        assert result.state == "finished"
        assert sorted(m["to"] for m in sb.messages()) == to
        assert_exactly_once(sb, journal, cid)


async def test_resume_reconciles_inflight_rows_first(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    to = numbers(6, 900)
    cid = campaign(journal, to)
    at = J.now_utc()
    # A crash after the intents of rows 2-4, with only row 2's and 3's requests having left.
    journal.apply(cid, intents=[J.Intent(row, at) for row in (2, 3, 4)])
    async with gateway_for(sandbox).async_session() as session:
        for i in (0, 1):
            await session.send(to=to[i], body=f"Hello {i}", from_="+15017122661")
    result, _ = await run(sandbox, journal, cid, concurrency=3)
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)
    attempts = {r.row: r.attempts for r in journal.recipients(cid)}
    assert attempts == {2: 1, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1}


async def test_reconciliation_looks_back_to_the_campaign_start(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """An attempt whose answer was lost, retried much later (its first lookup found nothing
    while Twilio was slow to list it), is still found: lookups reach back to the campaign's
    start, not only to the latest attempt."""
    journal = open_journal(tmp_path)
    to = numbers(2, 950)
    cid = campaign(journal, to)
    async with gateway_for(sandbox).async_session() as session:
        await session.send(to=to[0], body="Hello 0", from_="+15017122661")  # the first attempt
    # The journal's latest attempt is 10 minutes after that message was created.
    journal.apply(cid, intents=[J.Intent(2, J.now_utc() + timedelta(minutes=10))])
    result, _ = await run(sandbox, journal, cid, concurrency=2)
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)
    assert {r.row: r.attempts for r in journal.recipients(cid)} == {2: 1, 3: 1}


async def test_pause_resume_and_cancel_from_another_thread(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(**FAST, latency_ms=20)) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(400, 1000))
        engine = Engine(
            gateway_for(sb),
            journal,
            cid,
            EngineOptions(concurrency=4, track_seconds=0, exit_on_pause=False),
        )
        seen: list[str] = []
        paused = threading.Event()

        def emit(event: object) -> None:
            seen.append(event.name)  # type: ignore[attr-defined]
            if event.name == "recipient_changed" and seen.count("recipient_changed") == 40:
                threading.Thread(target=engine.pause).start()
            if event.name == "campaign_paused":
                paused.set()

        task = asyncio.ensure_future(engine.run(emit))
        await asyncio.get_running_loop().run_in_executor(None, paused.wait, 10)
        assert journal.campaign(cid).state == J.PAUSED
        at_pause = len(sb.messages())
        await asyncio.sleep(0.2)
        assert len(sb.messages()) == at_pause  # nothing leaves while paused
        assert journal.counts(cid).get(J.INFLIGHT) is None
        threading.Thread(target=engine.resume).start()
        await asyncio.sleep(0.3)
        assert len(sb.messages()) > at_pause
        threading.Thread(target=engine.cancel).start()
        result = await asyncio.wait_for(task, 10)
        assert result.state == "canceled"
        counts = assert_exactly_once(sb, journal, cid)
        assert counts.get("canceled", 0) > 0 and counts.get(J.PENDING) is None
        assert journal.campaign(cid).state == J.CANCELED


async def test_pause_then_a_new_run_finishes(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(50, 1500))
    engine = Engine(
        gateway_for(sandbox), journal, cid, EngineOptions(concurrency=2, track_seconds=0)
    )

    def emit(event: object) -> None:
        if event.name == "recipient_changed" and event.status == "queued":  # type: ignore
            engine.pause("Paused by the test.")

    result = await engine.run(emit)
    assert (result.state, result.kind) == ("paused", "user")
    assert journal.counts(cid).get(J.PENDING, 0) > 0
    result, _ = await run(sandbox, journal, cid, concurrency=5)
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)


async def test_canary_waits_for_outcomes_then_pauses(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(20, 1600))
    result, _ = await run(sandbox, journal, cid, concurrency=5, canary=3, track_seconds=20)
    assert (result.state, result.kind) == ("paused", "canary")
    assert "3 delivered" in result.reason
    rows = journal.recipients(cid)
    assert [r.status for r in rows[:3]] == ["delivered"] * 3
    assert {r.status for r in rows[3:]} == {J.PENDING}
    assert len(sandbox.messages()) == 3
    result, _ = await run(sandbox, journal, cid, concurrency=5)
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)


async def test_quiet_hours_deferral(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    to = numbers(4, 1700)
    soon = J.now_utc() + timedelta(seconds=1.0)
    cid = campaign(journal, to, not_before={3: soon, 5: J.now_utc() + timedelta(hours=5)})
    starts: dict[int, object] = {}

    def emit(event: object) -> None:
        if event.name == "recipient_changed" and event.status == "inflight":  # type: ignore
            starts[event.row] = J.now_utc()  # type: ignore[attr-defined]

    engine = Engine(gateway_for(sandbox), journal, cid, EngineOptions(track_seconds=0))
    result = await engine.run(emit)
    # Row 3 waited for its window; row 5's is hours away: the campaign pauses for it.
    assert starts[3] >= soon
    assert 5 not in starts
    assert (result.state, result.kind) == ("paused", "deferred")
    assert {r.row: r.status for r in journal.recipients(cid)}[5] == J.PENDING
    assert to[3] not in {m["to"] for m in sandbox.messages()}


async def test_messaging_service_sends(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(5, 1800), service=sandbox.messaging_service_sid)
    result, _ = await run(sandbox, journal, cid)
    assert result.state == "finished"
    assert_exactly_once(sandbox, journal, cid)
    assert all(m["messaging_service_sid"] for m in sandbox.messages())


async def test_canceled_campaign_cannot_run(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(2, 1900))
    journal.set_state(cid, J.CANCELED)
    result, rec = await run(sandbox, journal, cid)
    assert result.state == "canceled"
    assert rec.names()["engine_error"] == 1
    assert sandbox.messages() == []


async def test_a_second_run_of_the_same_campaign_is_refused_while_one_sends(
    tmp_path: Path,
) -> None:
    """The app and the command line (or two of either) must never send one campaign at once:
    the second engine gets CampaignBusyError before it sends anything, from any thread."""
    with Sandbox(SandboxConfig(**FAST, latency_ms=20)) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(200, 3000))
        options = EngineOptions(concurrency=2, track_seconds=0)
        first = Engine(gateway_for(sb), journal, cid, options)
        started = threading.Event()

        def emit(event: object) -> None:
            if event.name == "recipient_changed":  # type: ignore[attr-defined]
                started.set()

        task = asyncio.ensure_future(first.run(emit))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        errors: list[BaseException] = []

        def second_run() -> None:  # another thread, its own loop and journal connection
            other = J.Journal.open(journal.path)
            try:
                engine = Engine(gateway_for(sb), other, cid, options)
                asyncio.run(engine.run(lambda event: None))
            except BaseException as exc:
                errors.append(exc)
            finally:
                other.close()

        thread = threading.Thread(target=second_run)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        assert len(errors) == 1 and isinstance(errors[0], CampaignBusyError)
        assert "twice" in errors[0].hint
        result = await asyncio.wait_for(task, 30)
        assert result.state == "finished"
        assert_exactly_once(sb, journal, cid)
        # Once the first run has ended, the lock is free again.
        again = await Engine(gateway_for(sb), journal, cid, options).run(lambda event: None)
        assert again.state == "finished"


async def test_a_retry_after_on_429_is_honoured(tmp_path: Path) -> None:
    """Twilio documents no Retry-After for Messages, but when a 429 carries one the retry
    waits at least that long (and the throttled recipients are still sent, once)."""
    faults = Faults(rate_limit=0.3, retry_after=0.4)
    with Sandbox(SandboxConfig(**FAST, faults=faults, seed=3)) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(20, 4000))
        engine = Engine(
            gateway_for(sb), journal, cid, EngineOptions(concurrency=2, track_seconds=0)
        )
        moments: dict[int, list[tuple[str, float]]] = {}

        def emit(event: object) -> None:
            if event.name == "recipient_changed":  # type: ignore[attr-defined]
                row = event.row  # type: ignore[attr-defined]
                moments.setdefault(row, []).append((event.status, time.monotonic()))  # type: ignore[attr-defined]

        result = await engine.run(emit)
        assert result.state == "finished"
        assert_exactly_once(sb, journal, cid)
        waits = []
        for changes in moments.values():
            for (status, at), (_, again) in itertools.pairwise(changes):
                if status == J.PENDING:  # throttled: the next change is its retry leaving
                    waits.append(again - at)
        assert waits, "the seed gave no 429 at all"
        assert min(waits) >= 0.4
