"""When a scheduled campaign's recipients are due and who holds them (`send.schedule`): DST days
for `--at-local`, the most restrictive zone, the sending window, and the mode's edges; and the
sandbox's own scheduling window edges, read at a chosen instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from campaigns.audience.quiet_hours import QuietHours
from campaigns.errors import InputError
from campaigns.sandbox.api_v2010 import _scheduled_send_at
from campaigns.sandbox.rules import Refusal
from campaigns.send.schedule import (
    TWILIO_MAX_AHEAD,
    TWILIO_MIN_AHEAD,
    ScheduleRequest,
    choose_mode,
    operator_zone,
    parse_at,
    parse_at_local,
    send_times,
    twilio_holds,
)

NEW_YORK = "+12125550100"
LONDON = "+442079460000"
LOS_ANGELES = "+14155552000"
IDAHO = "+12085550100"  # area code 208: America/Boise and America/Los_Angeles


def local(text: str, now: datetime, *numbers: str, window: str = "off") -> list[datetime]:
    day, wall = parse_at_local(text)
    request = ScheduleRequest(local_time=wall, local_date=day, tz="UTC")
    return send_times(list(numbers), request, QuietHours.parse(window), now)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "number", "expected"),
    [
        # New York springs forward on 2026-03-08: 09:00 is 14:00 UTC the day before, 13:00 on it.
        ("2026-03-07", NEW_YORK, utc(2026, 3, 7, 14)),
        ("2026-03-08", NEW_YORK, utc(2026, 3, 8, 13)),
        # ... and falls back on 2026-11-01.
        ("2026-10-31", NEW_YORK, utc(2026, 10, 31, 13)),
        ("2026-11-01", NEW_YORK, utc(2026, 11, 1, 14)),
        # London on its own dates (2026-03-29): New York's change moves nothing there.
        ("2026-03-08", LONDON, utc(2026, 3, 8, 9)),
        ("2026-03-29", LONDON, utc(2026, 3, 29, 8)),
    ],
)
def test_at_local_is_exact_on_dst_days(day: str, number: str, expected: datetime) -> None:
    assert local(f"{day} 09:00", utc(2026, 1, 1), number) == [expected]


def test_at_local_in_a_skipped_or_repeated_hour() -> None:
    # 02:30 does not exist in New York on 2026-03-08: the clock jumps to 03:30 (07:30 UTC).
    assert local("2026-03-08 02:30", utc(2026, 1, 1), NEW_YORK) == [utc(2026, 3, 8, 7, 30)]
    # 01:30 happens twice on 2026-11-01: the first one (EDT, 05:30 UTC).
    assert local("2026-11-01 01:30", utc(2026, 1, 1), NEW_YORK) == [utc(2026, 11, 1, 5, 30)]


def test_at_local_is_the_next_such_time_on_each_clock() -> None:
    now = utc(2026, 3, 7, 20)  # 15:00 in New York, 20:00 in London, 12:00 in Los Angeles
    got = local("09:00", now, NEW_YORK, LONDON, LOS_ANGELES)
    # Tomorrow everywhere; New York is already on EDT then (13:00 UTC), London not (09:00).
    assert got == [utc(2026, 3, 8, 13), utc(2026, 3, 8, 9), utc(2026, 3, 8, 16)]


def test_a_number_in_two_zones_gets_the_latest_instant() -> None:
    # 09:00 in Boise is 16:00 UTC, in Los Angeles 17:00: nobody gets it before 09:00.
    assert local("2026-01-15 09:00", utc(2026, 1, 1), IDAHO) == [utc(2026, 1, 15, 17)]


def test_a_time_outside_the_sending_window_moves_to_its_opening() -> None:
    got = local("2026-01-15 07:00", utc(2026, 1, 1), NEW_YORK, window="08:00-21:00")
    assert got == [utc(2026, 1, 15, 13)]  # 08:00 EST
    request = ScheduleRequest(at=utc(2026, 1, 16, 3), tz="UTC")  # 22:00 in New York
    window = QuietHours.parse("08:00-21:00")
    assert send_times([NEW_YORK], request, window, utc(2026, 1, 1)) == [utc(2026, 1, 16, 13)]


def test_at_is_read_in_the_operators_zone() -> None:
    zone = operator_zone("America/New_York")
    assert parse_at("2026-03-08 09:00", zone) == utc(2026, 3, 8, 13)
    assert parse_at("2026-03-07 09:00", zone) == utc(2026, 3, 7, 14)
    with pytest.raises(InputError, match="not a real date"):
        parse_at("2026-02-30 09:00", zone)
    with pytest.raises(InputError, match="not a time zone"):
        operator_zone("Mars/Olympus")
    assert parse_at_local("9:05") == (None, time(9, 5))
    assert parse_at_local("2026-12-08 09:00") == (date(2026, 12, 8), time(9, 0))
    with pytest.raises(InputError):
        parse_at_local("25:00")


def test_the_mode_and_its_edges() -> None:
    now = utc(2026, 6, 1)
    at = now + timedelta(hours=2)
    assert choose_mode(messaging_service=False, times=[at], now=now)[0] == "local"
    assert "single number" in choose_mode(messaging_service=False, times=[at], now=now)[1]
    assert choose_mode(messaging_service=True, times=[at], now=now)[0] == "twilio"
    soon = now + TWILIO_MIN_AHEAD
    assert choose_mode(messaging_service=True, times=[soon], now=now)[0] == "twilio"
    too_soon = soon - timedelta(seconds=1)
    mode, why = choose_mode(messaging_service=True, times=[too_soon, at], now=now)
    assert (mode, "too soon" in why) == ("local", True)
    far = now + TWILIO_MAX_AHEAD
    assert choose_mode(messaging_service=True, times=[at, far], now=now)[0] == "twilio"
    mode, why = choose_mode(messaging_service=True, times=[at, far + timedelta(seconds=1)], now=now)
    assert (mode, "35 days" in why) == ("local", True)
    # Each request asks again as it leaves.
    assert twilio_holds(soon, now) and not twilio_holds(too_soon, now)
    assert twilio_holds(far, now) and not twilio_holds(far + timedelta(seconds=1), now)


def test_smscasts_margin_is_inside_twilios_window() -> None:
    """What smscast schedules, the sandbox (Twilio's rules, the stricter side) accepts; the
    sandbox refuses exactly at 15 minutes and just past 35 days."""
    now = 1_800_000_000.0

    def answer(ahead: float) -> float | int:
        at = datetime.fromtimestamp(now + ahead, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        got = _scheduled_send_at({"ScheduleType": "fixed", "SendAt": at}, "MG1", now)
        return got.code if isinstance(got, Refusal) else got - now

    assert answer(900) == 35114
    assert answer(901) == 901
    assert answer(35 * 86400) == 35 * 86400
    assert answer(35 * 86400 + 1) == 35115
    assert answer(TWILIO_MIN_AHEAD.total_seconds()) > 0
    assert answer(TWILIO_MAX_AHEAD.total_seconds()) > 0
    no_service = _scheduled_send_at({"ScheduleType": "fixed", "SendAt": "x"}, "", now)
    assert isinstance(no_service, Refusal) and no_service.code == 35118
