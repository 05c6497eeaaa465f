"""Receipts by the page (`campaigns.send.sweeps`): the schedule on its own, then the engine
and `smscast status` sweeping the sandbox's listing through the real SDK."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine_support import campaign, gateway_for, numbers, open_journal

from campaigns.cli.main import main
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.sweeps import Fetch, Page, SweepSchedule, listed_from
from campaigns.send.tracking import refresh_statuses
from campaigns.store import journal as J
from campaigns.twilio.models import Receipt, ReceiptPage

SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def _answer(sids: list[str], status: str = "delivered", more: bool = False) -> ReceiptPage:
    return ReceiptPage([Receipt(s, status) for s in sids], "next" if more else None)


def test_a_message_created_during_a_sweep_is_not_missed_by_it() -> None:
    sweeps = SweepSchedule(since=SINCE, track_seconds=60, first=1.0, cap=8.0, stray_after=0.0)
    sweeps.add(1, "SM1", "+1", 0.0, "+1501")
    sweeps.add(3, "SM3", "+3", 0.0, "+1501")  # sent after SM1 and listed: SM1 should be too
    assert sweeps.due(0.5, 10) == []
    (page,) = sweeps.due(1.0, 10)
    assert isinstance(page, Page) and (page.from_, page.url) == ("+1501", None)
    sweeps.add(2, "SM2", "+2", 1.1, "+1501")  # sent while the sweep is under way
    # Neither is listed (SM1 lost, SM2 created after the page): the sweep ends.
    assert [r.sid for _, _, r in sweeps.page_answered(page, _answer(["SM3"], "sent"), 1.2)] == [
        "SM3"
    ]
    (page,) = sweeps.due(3.2, 10)  # backing off: 2 s after, as nothing changed
    sweeps.page_answered(page, _answer(["SM3"], "sent"), 3.3)
    # SM1 missed two sweeps: a stray, fetched once; SM2 only one (the first began before it).
    page, fetch = sweeps.due(7.3, 10)  # 4 s after
    assert isinstance(page, Page) and fetch == Fetch(1, "SM1", "+1")
    sweeps.page_answered(page, _answer(["SM3"], "sent"), 7.4)
    # Its second miss: nothing after SM2 is listed, so it is probed as the oldest such.
    assert sweeps.due(7.4, 10) == [Fetch(2, "SM2", "+2")]
    assert sweeps.fetches == 2 and sweeps.interval == 8.0


def test_a_backlog_not_listed_yet_costs_one_probe_per_sweep_not_one_fetch_each() -> None:
    sweeps = SweepSchedule(since=SINCE, track_seconds=60, first=1.0, cap=1.0, stray_after=0.0)
    for row in range(100):  # queued at the sender: Twilio lists none of them by DateSent
        sweeps.add(row, f"SM{row}", "+1", 0.0, "+1501")
    fetched = []
    for sweep in range(8):
        now = 1.0 + 2 * sweep
        for request in sweeps.due(now, 1000):
            if isinstance(request, Page):
                sweeps.page_answered(request, _answer([]), now)
            else:
                fetched.append(request.sid)
                sweeps.retry(request.row, now)  # still queued
    assert fetched == ["SM0", "SM0"]  # the queue's head only, after two misses each time


def test_pages_follow_each_other_and_stop_once_everything_is_placed() -> None:
    sweeps = SweepSchedule(since=SINCE, track_seconds=60, first=1.0, cap=8.0)
    for row in range(3):
        sweeps.add(row, f"SM{row}", "+1", 0.0, "+1501")
    (first,) = sweeps.due(1.0, 10)
    assert isinstance(first, Page)
    found = sweeps.page_answered(first, _answer(["SMx", "SM2"], more=True), 1.1)
    assert [(row, r.status) for row, _, r in found] == [(2, "delivered")]
    (second,) = sweeps.due(1.1, 10)
    assert isinstance(second, Page) and second.url == "next"
    sweeps.changed()
    sweeps.page_answered(second, _answer(["SM0", "SM1"], more=True), 1.2)
    assert sweeps.due(1.2, 10) == []  # all three placed: the third page is never asked for
    # Changed: the next one soon again, `first` after this one began.
    assert sweeps.pages == 2 and sweeps.next_due() == 2.0


def test_sweeps_start_closer_together_when_reading_takes_long() -> None:
    # A receipt Twilio had just after its page was read waits for the next sweep to reach
    # that page: start to start, sweeps are at most `cap` less 1.5 times the reading apart.
    sweeps = SweepSchedule(since=SINCE, track_seconds=600, first=1.0, cap=8.0)
    sweeps.add(1, "SM1", "+1", 0.0, "+1501")
    (page,) = sweeps.due(1.0, 10)
    sweeps.page_answered(page, _answer(["SM1"], "sent"), 3.0)  # 2 s to read, nothing new
    assert sweeps.next_due() == 3.0  # 1 + min(2 s backing off, 8 - 1.5 * 2) = 3
    (page,) = sweeps.due(3.0, 10)
    sweeps.page_answered(page, _answer(["SM1"], "sent"), 3.5)  # quick again
    assert sweeps.next_due() == 7.0  # backing off: 4 s after it began (8 - 0.75 allows it)
    (page,) = sweeps.due(7.0, 10)
    sweeps.page_answered(page, _answer(["SM1"], "sent"), 13.0)  # reading took 6 s
    assert sweeps.next_due() == 14.0  # 8 - 9 < 6: the promise is lost; `first` after it


def test_a_sweep_lists_from_just_before_the_oldest_message_waiting() -> None:
    created = [SINCE + timedelta(minutes=2 + m) for m in range(3)]
    sweeps = SweepSchedule(since=SINCE, track_seconds=3600, first=1.0, cap=1.0)
    for row in range(3):
        sweeps.add(row, f"SM{row}", "+1", 0.0, "+1501", listed_from(created[row], None, 120))
    (page,) = sweeps.due(1.0, 10)
    # Twilio's own `date_created` less a second (its dates have whole seconds).
    assert isinstance(page, Page) and page.since == created[0] - timedelta(seconds=1)
    sweeps.page_answered(page, _answer(["SM0"]), 1.1)  # SM0 delivered: no longer watched
    sweeps.done(0)
    (page,) = sweeps.due(2.1, 10)
    assert isinstance(page, Page) and page.since == created[1] - timedelta(seconds=1)
    sweeps.page_answered(page, _answer(["SM1", "SM2"], "sent"), 2.2)
    # A message watched again by a resumed run: only when smscast handed it over is known,
    # on this machine's clock, so its listing starts the margin earlier.
    handed = SINCE + timedelta(minutes=3)
    sweeps.add(3, "SM3", "+1", 2.5, "+1501", listed_from(None, handed, 120))
    (page,) = sweeps.due(3.2, 10)
    assert isinstance(page, Page) and page.since == handed - timedelta(seconds=120)
    sweeps.page_answered(page, _answer(["SM3", "SM2", "SM1"], "sent"), 3.3)
    # Nothing known of one: the listing goes back to the campaign's start.
    sweeps.add(4, "SM4", "+1", 3.5, "+1501", None)
    (page,) = sweeps.due(4.3, 10)
    assert isinstance(page, Page) and page.since == SINCE
    assert sweeps.narrow_sweeps == 3


def _fast(**extra: float) -> SandboxConfig:
    return SandboxConfig(trial=False, speedup=1000.0, accept_delay=0.01, **extra)  # type: ignore[arg-type]


async def test_the_engine_tracks_a_campaign_by_pages_not_by_message(tmp_path: Path) -> None:
    # 300 messages in pages of 50: every sweep pages through the listing; receipts 0.2 s to
    # 1 s after sent, so the engine's tracking sees them arrive over several sweeps.
    config = _fast(delivery_delay=200.0, delivery_delay_max=1000.0, undelivered_share=0.2)
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(300, 8000), sender="55501")
        options = EngineOptions(
            concurrency=20,
            track_seconds=30,
            sweep_first=0.05,
            sweep_cap=0.2,
            sweep_page_size=50,
        )
        engine = Engine(gateway_for(sandbox), journal, cid, options)
        result = await engine.run(lambda e: None)
        assert result.state == "finished"
        twilio = {m["sid"]: m["status"] for m in sandbox.messages()}
        rows = journal.recipients(cid)
        assert {r.sid: r.status for r in rows} == twilio  # every receipt, matched by SID
        assert set(twilio.values()) == {"delivered", "undelivered"}
        stats = engine.stats
        assert stats["sweep_pages"] > 6  # more than one sweep of more than one page
        assert stats["tracking_requests"] < 300  # polling would ask at least once each


async def test_sweeps_list_only_from_just_before_the_oldest_message_waiting(
    tmp_path: Path,
) -> None:
    # 150 messages sent over ~3 s, receipts 0.1 s .. 0.4 s later: the sandbox's DateSent>
    # filter must give every watched message to the narrower sweeps.
    config = _fast(delivery_delay=100.0, delivery_delay_max=400.0)
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(150, 8200), sender="55501")
        options = EngineOptions(
            rate=50.0,
            concurrency=10,
            track_seconds=30,
            sweep_first=0.05,
            sweep_cap=0.3,
            sweep_page_size=40,
        )
        engine = Engine(gateway_for(sandbox), journal, cid, options)
        assert (await engine.run(lambda e: None)).state == "finished"
        twilio = {m["sid"]: m["status"] for m in sandbox.messages()}
        assert {r.sid: r.status for r in journal.recipients(cid)} == twilio
        assert set(twilio.values()) == {"delivered"}
        sweeps = engine._polls
        assert isinstance(sweeps, SweepSchedule)
        # The listings' start moved on with the oldest message waiting (by seconds: the
        # campaign sends for ~3 s), and they placed every message without a fetch of its own.
        began = journal.campaign(cid).created_at - timedelta(seconds=2)
        starts = sorted({q["DateSent>"] for q in sandbox.message_listings})
        assert len(starts) >= 3 and starts[0] >= began.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert sweeps.fetches == 0


async def test_a_refresh_lists_from_the_oldest_live_message_not_the_campaign_start(
    tmp_path: Path,
) -> None:
    config = _fast(delivery_delay=5000.0)  # receipts long after the engine stopped
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(10, 8600), sender="55501")
        await asyncio.sleep(1.1)  # sent a second and more after the campaign was made
        options = EngineOptions(concurrency=5, track_seconds=0.1)
        result = await Engine(gateway_for(sandbox), journal, cid, options).run(lambda e: None)
        assert result.state == "finished"
        handed = min(r.attempted_at for r in journal.recipients(cid) if r.attempted_at)
        listed = len(sandbox.message_listings)
        await refresh_statuses(gateway_for(sandbox), journal, cid, margin=0.0)
        (sweep,) = sandbox.message_listings[listed:]
        assert sweep["DateSent>"] == handed.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert journal.campaign(cid).created_at < handed - timedelta(seconds=1)


async def test_a_refresh_probes_the_head_of_a_backlog_not_each_queued_message(
    tmp_path: Path,
) -> None:
    # A long code sends 1 message/s (2/s sped up): 16 handed over at once mostly wait in
    # Twilio's queue, undated, so no DateSent listing shows them.
    with Sandbox(SandboxConfig(trial=False, speedup=2.0, accept_delay=0.01)) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(16, 8700), sender="+15017122661")
        options = EngineOptions(concurrency=16, track_seconds=0)
        result = await Engine(gateway_for(sandbox), journal, cid, options).run(lambda e: None)
        assert result.state == "finished"
        fetched = sandbox.message_fetches
        await refresh_statuses(gateway_for(sandbox), journal, cid)
        queued = [m for m in sandbox.messages() if m["status"] in ("queued", "accepted")]
        assert len(queued) > 8  # still a backlog after the refresh
        assert sandbox.message_fetches - fetched == 1  # its head only, not one fetch each


async def test_a_refresh_asks_each_when_the_backlog_head_has_left_the_queue(
    tmp_path: Path,
) -> None:
    # Every message fails before it leaves (no `date_sent`, so never listed): the head's
    # fetch says it is not in the queue, so the others are each asked about too.
    config = SandboxConfig(trial=False, speedup=1000.0, accept_delay=0.01, failed_share=1.0)
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(6, 8750), sender="+15017122661")
        options = EngineOptions(concurrency=6, track_seconds=0)
        result = await Engine(gateway_for(sandbox), journal, cid, options).run(lambda e: None)
        assert result.state == "finished"
        deadline = time.monotonic() + 10
        while any(m["status"] != "failed" for m in sandbox.messages()):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        fetched = sandbox.message_fetches
        assert await refresh_statuses(gateway_for(sandbox), journal, cid) == 6
        assert sandbox.message_fetches - fetched == 6
        assert journal.counts(cid) == {"failed": 6}


async def test_a_receipt_after_the_time_limit_is_picked_up_by_status(
    tmp_path: Path, capsys: object
) -> None:
    config = _fast(delivery_delay=1500.0)  # 1.5 s after sent: after the engine stopped
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(40, 8400), sender="55501")
        options = EngineOptions(concurrency=10, track_seconds=0.3, sweep_first=0.05)
        result = await Engine(gateway_for(sandbox), journal, cid, options).run(lambda e: None)
        assert result.state == "finished"
        assert journal.counts(cid) == {"sent": 40}
        # Nothing is final yet: a sweep changes nothing and every row stays watched.
        assert await refresh_statuses(gateway_for(sandbox), journal, cid) == 0
        deadline = time.monotonic() + 10
        while any(m["status"] != "delivered" for m in sandbox.messages()):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        db = str(journal.path)
        journal.close()
        code = await asyncio.to_thread(
            main,
            [
                "status",
                cid,
                "--db",
                db,
                "--base-url",
                sandbox.base_url,
                "--account-sid",
                sandbox.account_sid,
                "--auth-token",
                sandbox.auth_token,
            ],
        )
        assert code == 0
        with J.Journal.open(Path(db)) as again:
            assert again.counts(cid) == {"delivered": 40}


async def test_a_messaging_service_campaign_is_swept_number_by_number(tmp_path: Path) -> None:
    with Sandbox(_fast(delivery_delay=300.0)) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(60, 8600), service=sandbox.messaging_service_sid)
        options = EngineOptions(concurrency=10, track_seconds=30, sweep_first=0.05, sweep_cap=0.2)
        engine = Engine(gateway_for(sandbox), journal, cid, options)
        assert (await engine.run(lambda e: None)).state == "finished"
        assert all(m["from"] for m in sandbox.messages())  # the service picked each sender
        assert journal.counts(cid) == {"delivered": 60}
        sweeps = engine._polls
        assert isinstance(sweeps, SweepSchedule) and sweeps.fetches == 0
        # Placed by sweeps alone (no single fetch), one leg (From) per number the service
        # picked; a sweep stops early once every message is placed.
        assert engine.stats["sweep_pages"] >= 1
