"""The sending window: parsing, local-time checks, several zones at once, DST, midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from campaigns.audience.quiet_hours import HORIZON, QuietHours, zone
from campaigns.errors import InputError


def window(text: str) -> QuietHours:
    parsed = QuietHours.parse(text)
    assert parsed is not None
    return parsed


def zones(*names: str) -> list:
    found = [zone(name) for name in names]
    assert all(found)
    return found


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def brute_force_next_open(w: QuietHours, tzs: list, now: datetime) -> datetime | None:
    """The oracle: walk minute by minute (every opening in these cases is on a minute)."""
    moment = now
    while moment <= now + HORIZON:
        if w.is_open(moment, tzs):
            return moment
        moment = (moment + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return None


# -- parsing -------------------------------------------------------------------------------


def test_parse_reads_the_allowed_window() -> None:
    w = window("08:00-21:00")
    assert (w.send_from, w.send_until) == (time(8, 0), time(21, 0))
    assert str(w) == "08:00-21:00"
    assert QuietHours.default() == w
    assert window(" 8:05 - 21:30 ") == QuietHours(time(8, 5), time(21, 30))


@pytest.mark.parametrize("text", ["off", "OFF", " off "])
def test_off_means_no_window(text: str) -> None:
    assert QuietHours.parse(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("8-21", "not a time window"),
        ("", "not a time window"),
        ("08:00 to 21:00", "not a time window"),
        ("24:00-21:00", "not a time of day"),
        ("08:60-21:00", "not a time of day"),
        ("08:00-08:00", "same time"),
    ],
)
def test_bad_windows_are_input_errors_naming_the_option(text: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        QuietHours.parse(text)
    assert "--quiet-hours" in str(info.value)
    assert words in str(info.value)
    assert "HH:MM-HH:MM" in (info.value.hint or "")


# -- one local time ------------------------------------------------------------------------


def test_window_is_half_open() -> None:
    w = window("08:00-21:00")
    assert w.allows(time(8, 0)) and w.allows(time(20, 59, 59))
    assert not w.allows(time(21, 0)) and not w.allows(time(7, 59, 59))
    assert not w.crosses_midnight


def test_window_crossing_midnight_allows_the_night() -> None:
    w = window("22:00-06:00")
    assert w.crosses_midnight
    assert w.allows(time(22, 0)) and w.allows(time(23, 59)) and w.allows(time(0, 0))
    assert w.allows(time(5, 59))
    assert not w.allows(time(6, 0)) and not w.allows(time(12, 0)) and not w.allows(time(21, 59))


# -- next_open -----------------------------------------------------------------------------


def test_open_now_returns_now_in_utc() -> None:
    now = utc(2026, 11, 25, 18, 0)  # 13:00 in New York
    assert window("08:00-21:00").next_open(zones("America/New_York"), now) == now


def test_closed_now_opens_at_local_start() -> None:
    now = utc(2026, 11, 25, 12, 0)  # 07:00 EST
    opens = window("08:00-21:00").next_open(zones("America/New_York"), now)
    assert opens == utc(2026, 11, 25, 13, 0)
    assert opens.tzinfo is UTC


def test_late_evening_waits_for_tomorrow_morning() -> None:
    now = utc(2026, 11, 26, 5, 30)  # 21:30 PST on the 25th
    opens = window("08:00-21:00").next_open(zones("America/Los_Angeles"), now)
    assert opens == utc(2026, 11, 26, 16, 0)  # 08:00 PST on the 26th


def test_several_zones_need_the_window_open_in_all() -> None:
    # 08:30 in New York but 05:30 in Los Angeles: wait for Los Angeles' 08:00.
    now = utc(2026, 11, 25, 13, 30)
    w = window("08:00-21:00")
    tzs = zones("America/New_York", "America/Los_Angeles")
    assert w.next_open(tzs, now) == utc(2026, 11, 25, 16, 0)
    assert w.next_open(zones("America/New_York"), now) == now


def test_north_dakota_number_in_two_zones() -> None:
    # +1 701 spans America/Denver and America/North_Dakota/Center (one hour apart).
    now = utc(2026, 11, 25, 14, 30)  # 08:30 Central, 07:30 Mountain
    tzs = zones("America/Denver", "America/North_Dakota/Center")
    assert window("08:00-21:00").next_open(tzs, now) == utc(2026, 11, 25, 15, 0)


def test_zones_that_never_share_the_window() -> None:
    # Honolulu 09-12 = 19:00-22:00 UTC; Kolkata 09-12 = 03:30-06:30 UTC.
    tzs = zones("Pacific/Honolulu", "Asia/Kolkata")
    assert window("09:00-12:00").next_open(tzs, utc(2026, 11, 25, 0, 0)) is None
    # The default window: Honolulu 18:00-07:00 UTC, Kolkata 02:30-15:30 UTC: they meet at 02:30.
    assert window("08:00-21:00").next_open(tzs, utc(2026, 11, 25, 0, 0)) == utc(2026, 11, 25, 2, 30)


def test_toll_free_number_in_every_nanp_zone() -> None:
    from campaigns.contacts.phones import check_number

    names = check_number("+18005550100").timezones
    assert "Pacific/Guam" in names and "Pacific/Pago_Pago" in names
    w, tzs = window("08:00-21:00"), zones(*names)
    for now in (utc(2026, 11, 25, 16, 0), utc(2026, 7, 1, 12, 0)):
        opens = w.next_open(tzs, now)
        assert opens is not None
        assert opens == brute_force_next_open(w, tzs, now)


def test_midnight_crossing_window_in_tokyo() -> None:
    w = window("22:00-06:00")
    tokyo = zones("Asia/Tokyo")
    assert w.next_open(tokyo, utc(2026, 11, 25, 3, 0)) == utc(2026, 11, 25, 13, 0)  # 12:00 JST
    inside = utc(2026, 11, 25, 16, 0)  # 01:00 JST
    assert w.next_open(tokyo, inside) == inside


@pytest.mark.parametrize(
    ("names", "text", "now", "meets"),
    [
        (("America/New_York", "Europe/London"), "08:00-21:00", utc(2026, 3, 8, 3, 0), True),
        (("Australia/Lord_Howe", "Pacific/Auckland"), "07:30-09:45", utc(2026, 4, 4), True),
        (("America/Chicago",), "22:00-06:00", utc(2026, 11, 1, 12, 0), True),
        (("Asia/Kathmandu", "America/St_Johns"), "09:00-20:00", utc(2026, 11, 25, 9, 17), True),
        (
            ("Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo"),
            "10:00-18:00",
            utc(2026, 3, 29),
            False,
        ),
    ],
)
def test_next_open_agrees_with_a_minute_by_minute_walk(
    names: tuple[str, ...], text: str, now: datetime, meets: bool
) -> None:
    w, tzs = window(text), zones(*names)
    opens = w.next_open(tzs, now)
    assert opens == brute_force_next_open(w, tzs, now)
    assert (opens is not None) is meets
    if opens is not None and opens > now:
        assert not w.is_open(opens - timedelta(seconds=1), tzs)


# -- daylight saving -----------------------------------------------------------------------


def test_spring_forward_gap_opens_at_the_jump() -> None:
    # 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:30 never happens that day.
    opens = window("02:30-21:00").next_open(zones("America/New_York"), utc(2026, 3, 8, 5, 0))
    assert opens == utc(2026, 3, 8, 7, 0)  # the jump, 03:00 EDT


def test_fall_back_day_opens_at_standard_time() -> None:
    # 2026-11-01 in New York: 02:00 EDT falls back to 01:00 EST.
    now = utc(2026, 11, 1, 5, 30)  # 01:30 EDT (the first 01:30)
    opens = window("08:00-21:00").next_open(zones("America/New_York"), now)
    assert opens == utc(2026, 11, 1, 13, 0)  # 08:00 EST, not 12:00 UTC


def test_fall_back_reopens_a_window_ending_in_the_repeated_hour() -> None:
    # Window 22:00-01:30: closed at 01:45 EDT, but at 06:00 UTC the clock reads 01:00 EST.
    now = utc(2026, 11, 1, 5, 45)
    opens = window("22:00-01:30").next_open(zones("America/New_York"), now)
    assert opens == utc(2026, 11, 1, 6, 0)


def test_spring_forward_day_in_europe() -> None:
    # 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 08:00 CEST is 06:00 UTC.
    opens = window("08:00-21:00").next_open(zones("Europe/Berlin"), utc(2026, 3, 29, 0, 30))
    assert opens == utc(2026, 3, 29, 6, 0)


def test_no_zones_means_nothing_to_wait_for() -> None:
    now = utc(2026, 11, 25, 3, 0)
    assert window("08:00-21:00").next_open([], now) == now


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        window("08:00-21:00").next_open(zones("UTC"), datetime(2026, 11, 25, 3, 0))


def test_unknown_zone_name_is_none() -> None:
    assert zone("Mars/Olympus_Mons") is None


@pytest.mark.parametrize(
    "text", ["０８:００-２１:００", "٠٨:٠٠-٢١:٠٠", "08:00-２１:00", "۰۸:۰۰-۲۱:۰۰"]
)
def test_only_ascii_digits_make_a_window(text: str) -> None:
    """`\\d` and int() take any script's digits; a window is written with 0-9, and the
    sentence says that is what is wrong."""
    with pytest.raises(InputError) as error:
        QuietHours.parse(text)
    assert "digits other than 0-9" in str(error.value)
    assert "--quiet-hours" in str(error.value)


# -- the window a campaign was planned with -------------------------------------------------


def test_the_stored_window_is_read_back_as_planned() -> None:
    from campaigns.audience.quiet_hours import window_of_settings

    assert window_of_settings({"quiet_hours": "22:00-06:00"}) == window("22:00-06:00")
    assert window_of_settings({"quiet_hours": "off"}) is None
    # No key: a campaign made through the API, planned without a window.
    assert window_of_settings({}) is None
    # Unreadable (a hand-edited journal): the default, never "send at any hour".
    assert window_of_settings({"quiet_hours": "tea time"}) == QuietHours.default()
