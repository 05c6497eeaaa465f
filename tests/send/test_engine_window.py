"""The sending window holds at the moment each request leaves, not only at planning: a campaign
running past the window's end, a resume after the close and a retry crossing it send nothing
outside the window; the rows go back to deferred with their next opening in the journal.

The engine reads the window from the campaign's stored settings ("quiet_hours", as both faces
store it) and the time from `EngineOptions.clock`, a synthetic clock here. The recipients are
+1 415 numbers: America/Los_Angeles, on PDT (UTC-7) on the dates used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from engine_support import (
    Clock,
    LoopSandbox,
    assert_exactly_once,
    campaign,
    gateway_for,
    numbers,
    open_journal,
)

from campaigns.audience.quiet_hours import QuietHours, SendWindow, zone
from campaigns.contacts.phones import check_number
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.events import Event
from campaigns.store import journal as J

FAST = {"trial": False, "speedup": 1000.0, "delivery_delay": 0.05, "accept_delay": 0.01}
WINDOW = {"quiet_hours": "08:00-21:00"}
#: 2026-06-01 in Los Angeles (PDT, UTC-7): the window closes at 21:00 local = 04:00 UTC on the
#: 2nd, and opens again at 08:00 local = 15:00 UTC on the 2nd.
CLOSES = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
OPENS = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Sandbox:
    with Sandbox(SandboxConfig(**FAST)) as sb:
        yield sb


def engine(sb: Sandbox, journal: J.Journal, cid: str, clock: Clock, **options: object) -> Engine:
    options.setdefault("track_seconds", 0)
    return Engine(gateway_for(sb), journal, cid, EngineOptions(clock=clock, **options))  # type: ignore[arg-type]


def deferred_rows(journal: J.Journal, cid: str) -> dict[int, datetime | None]:
    return {r.row: r.not_before for r in journal.recipients(cid) if r.status == J.PENDING}


@pytest.mark.parametrize(
    "pace",
    [{"concurrency": 1}, {"concurrency": 4, "rate": 20.0}],
    ids=["one-at-a-time", "paced"],
)
async def test_the_window_closing_mid_campaign_stops_every_send(
    sandbox: Sandbox, tmp_path: Path, pace: dict[str, float]
) -> None:
    """The window closes just as the 8th request leaves (it passed its check while open).
    Rows committed with it wait for a slot or the pacer: they are checked again before they
    leave (with the pacer several always wait), and the rest are never committed."""
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(20, 9000), settings=WINDOW)
    clock = Clock(CLOSES - timedelta(minutes=1))  # 20:59 local: open
    started: list[int] = []

    def emit(event: Event) -> None:
        if event.name == "recipient_changed" and event.status == J.INFLIGHT:  # type: ignore[attr-defined]
            started.append(event.row)  # type: ignore[attr-defined]
            if len(started) == 8:
                clock.now = CLOSES

    result = await engine(sandbox, journal, cid, clock, **pace).run(emit)
    assert len(started) == 8
    assert len(sandbox.messages()) == 8  # nothing left after the close
    assert (result.state, result.kind) == ("paused", "deferred")
    assert "2026-06-02 15:00 UTC" in result.reason  # says when the window opens
    assert deferred_rows(journal, cid) == {row: OPENS for row in range(10, 22)}
    assert_exactly_once(sandbox, journal, cid)


async def test_a_resume_after_the_close_sends_nothing_and_defers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(6, 9100), settings=WINDOW)  # planned while open
    night = Clock(CLOSES + timedelta(hours=1, minutes=30))  # 22:30 local
    result = await engine(sandbox, journal, cid, night).run(lambda e: None)
    assert sandbox.messages() == []
    assert (result.state, result.kind) == ("paused", "deferred")
    assert deferred_rows(journal, cid) == {row: OPENS for row in range(2, 8)}
    # Checked before the commit: no intent was even recorded for a closed window.
    assert {r.attempts for r in journal.recipients(cid)} == {0}
    assert journal.campaign(cid).state == J.PAUSED
    # The morning after: the stored not_before has passed and the window is open.
    morning = Clock(OPENS)
    result = await engine(sandbox, journal, cid, morning).run(lambda e: None)
    assert result.state == "finished"
    assert len(sandbox.messages()) == 6
    assert_exactly_once(sandbox, journal, cid)


async def test_a_transient_retry_crossing_the_close_is_deferred(tmp_path: Path) -> None:
    async with LoopSandbox(SandboxConfig(**FAST)) as ls:
        await ls.down()  # the first attempt meets a refused connection: nothing created
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(1, 9200), settings=WINDOW)
        clock = Clock(CLOSES - timedelta(seconds=1))  # 20:59:59 local
        failed: list[int] = []

        def emit(event: Event) -> None:
            if event.name == "recipient_changed" and event.status == J.PENDING and not failed:  # type: ignore[attr-defined]
                failed.append(event.row)  # type: ignore[attr-defined]
                clock.now = CLOSES  # the window closes before the retry ...
                ls.later(ls.up())  # ... and Twilio is reachable again for it

        result = await engine(ls.sandbox, journal, cid, clock).run(emit)
        assert failed == [2]
        assert ls.sandbox.messages() == []
        assert (result.state, result.kind) == ("paused", "deferred")
        assert deferred_rows(journal, cid) == {2: OPENS}


async def test_a_row_reconciled_back_to_pending_is_held_by_the_window(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A crash left a row in flight; at the next run Twilio has no such message, so it is
    pending again, but the window has closed meanwhile: it is deferred, not resent."""
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(2, 9250), settings=WINDOW)
    journal.apply(cid, intents=[J.Intent(2, J.now_utc())])
    night = Clock(CLOSES + timedelta(minutes=5))
    eng = engine(sandbox, journal, cid, night, reconcile_grace=0.0)
    result = await eng.run(lambda e: None)
    assert eng.stats["reconciled_absent"] == 1
    assert sandbox.messages() == []
    assert (result.state, result.kind) == ("paused", "deferred")
    assert deferred_rows(journal, cid) == {2: OPENS, 3: OPENS}


async def test_a_campaign_stored_without_a_window_is_not_held(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Both faces store "quiet_hours" with every campaign; one made through the API without it
    had no window at planning, and none is assumed at send time ("off" is the same)."""
    journal = open_journal(tmp_path)
    night = Clock(CLOSES + timedelta(hours=2))
    for settings in ({}, {"quiet_hours": "off"}):
        cid = campaign(journal, numbers(3, 9300 + len(settings) * 10), settings=settings)
        result = await engine(sandbox, journal, cid, night).run(lambda e: None)
        assert result.state == "finished"
    assert len(sandbox.messages()) == 6


def test_send_window_answers_as_the_window_does() -> None:
    """`SendWindow` (cached per zone set and minute) agrees with `QuietHours` minute by minute
    across a close, an opening and a DST change, for single and multi-zone numbers."""
    window = QuietHours.default()
    check = SendWindow(window)
    la = [zone("America/Los_Angeles")]
    toll_free = "+18005550199"  # every zone of the North American plan
    plan_zones = [tz for tz in (zone(n) for n in check_number(toll_free).timezones) if tz]
    assert len(plan_zones) > 1
    check.learn([numbers(1, 9400)[0], toll_free])
    start = datetime(2026, 3, 8, 0, 0, tzinfo=UTC)  # the US spring-forward day
    for minute in range(0, 36 * 60, 7):
        now = start + timedelta(minutes=minute, seconds=minute % 60)
        opens = check.closed_until(numbers(1, 9400)[0], now)
        expected = None if window.is_open(now, la) else window.next_open(la, now)
        assert opens == expected, now
        assert (check.closed_until(toll_free, now) is None) == window.is_open(now, plan_zones)
    assert check.closed_until("+999", start) is None  # no known zone: not checked
