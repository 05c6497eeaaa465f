"""When a recipient may be texted: the daily sending window, in the recipient's local time.

Naming, so nobody is confused: the issue calls the option "quiet hours", but the string a
person gives (`--quiet-hours 08:00-21:00`, the default) is the window in which sending is
ALLOWED. Outside it is the quiet time. So `QuietHours.parse("08:00-21:00")` means "send between
8 am and 9 pm local time, never between 9 pm and 8 am"; `"22:00-06:00"` (a window crossing
midnight) means "send only between 10 pm and 6 am". The window is half-open: 21:00 itself is
already quiet. `"off"` turns the filter off (`parse` returns None).

A number may lie in several time zones (a US area code spanning two, a toll-free number in
every zone of the plan). The most restrictive rule applies: the window must be open in ALL of
the number's zones at once. `next_open` finds the first such instant within `HORIZON` (48 h),
exactly, across daylight-saving changes (zoneinfo), or returns None when the zones never share
an open moment.

The window is applied twice: at planning (`campaigns.audience.filters` defers whoever is outside
it) and
at the moment each request leaves (`SendWindow`, used by the engine), so that a campaign running
past the window's end, a resume at night or a retry crossing the close never texts anyone in
their quiet time. `window_of_settings` reads the window a campaign was planned with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.errors import InputError

__all__ = [
    "DEFAULT_WINDOW",
    "HORIZON",
    "QuietHours",
    "SendWindow",
    "window_of_settings",
    "zone",
    "zone_names",
]

#: The allowed sending window when the person says nothing (recipient's local time).
DEFAULT_WINDOW = "08:00-21:00"
#: How far ahead `next_open` looks for a moment open in every zone of a number.
HORIZON = timedelta(hours=48)

# [0-9], not \d: \d (and int()) also take other scripts' digits ("０８", "٠٨").
_WINDOW = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*$")
_OPTION = "--quiet-hours"
_HINT = (
    f"Give {_OPTION} the hours when sending is allowed, in the recipient's local time, as "
    f"HH:MM-HH:MM (24-hour clock; the default is {DEFAULT_WINDOW}), or 'off' to send at any hour."
)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when this system's tz database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """The ALLOWED sending window `[send_from, send_until)` in local time; outside is quiet.

    `send_from > send_until` is a window crossing midnight (22:00-06:00: from 10 pm to 6 am).
    """

    send_from: time
    send_until: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """`"HH:MM-HH:MM"` -> the window; `"off"` -> None (no quiet hours at all).

        Raises `InputError` naming `--quiet-hours` for anything else, an impossible time or an
        empty window.
        """
        cleaned = text.strip().lower()
        if cleaned in ("off", "none", "no"):
            return None
        match = _WINDOW.match(cleaned)
        if match is None and any(char.isdigit() and not char.isascii() for char in cleaned):
            raise InputError(
                f"{_OPTION} {text!r} is written with digits other than 0-9 "
                "(full-width or another script's).",
                "Type the times with the ASCII digits 0-9, e.g. 08:00-21:00. " + _HINT,
            )
        if match is None:
            raise InputError(f"{_OPTION} {text!r} is not a time window like 08:00-21:00.", _HINT)
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        for hour, minute in ((h1, m1), (h2, m2)):
            if hour > 23 or minute > 59:
                raise InputError(
                    f"{_OPTION} {text!r}: {hour:02d}:{minute:02d} is not a time of day "
                    "(hours 00-23, minutes 00-59).",
                    _HINT,
                )
        send_from, send_until = time(h1, m1), time(h2, m2)
        if send_from == send_until:
            raise InputError(
                f"{_OPTION} {text!r} starts and ends at the same time, which leaves no hour "
                "to send in.",
                _HINT,
            )
        return cls(send_from, send_until)

    @classmethod
    def default(cls) -> QuietHours:
        """The default window, 08:00-21:00."""
        window = cls.parse(DEFAULT_WINDOW)
        assert window is not None
        return window

    def __str__(self) -> str:
        return f"{self.send_from:%H:%M}-{self.send_until:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        """True for windows like 22:00-06:00."""
        return self.send_from > self.send_until

    def allows(self, local: time) -> bool:
        """Whether sending is allowed at this local wall-clock time."""
        local = local.replace(tzinfo=None, fold=0)
        if self.crosses_midnight:
            return local >= self.send_from or local < self.send_until
        return self.send_from <= local < self.send_until

    def is_open(self, when: datetime, zones: Iterable[ZoneInfo]) -> bool:
        """Whether the aware instant `when` is inside the window in every one of `zones`."""
        return all(self.allows(when.astimezone(tz).time()) for tz in zones)

    def next_open(self, zones: Sequence[ZoneInfo], now: datetime) -> datetime | None:
        """The first instant at or after `now` (aware) open in all `zones`, in UTC.

        Returns `now` itself (in UTC) when the window is open everywhere already, and None
        when no instant within `HORIZON` is open in all zones. With no zones there is nothing
        to respect, and `now` is returned.

        Exact, not sampled: the set of open instants is a union of half-open intervals, so its
        first point after `now` is `now` or an instant at which one zone opens. A zone opens
        either when its wall clock reaches `send_from` (each local date's `send_from`, both
        folds) or when its clock jumps (a daylight-saving transition: a `send_from` inside a
        spring-forward gap opens at the jump). Every such candidate is checked in order.
        """
        if now.tzinfo is None:
            raise ValueError("next_open needs an aware datetime")
        start = now.astimezone(UTC)
        if self.is_open(start, zones):
            return start
        end = start + HORIZON
        candidates: set[datetime] = set()
        for tz in zones:
            candidates.update(self._openings(tz, start, end))
            candidates.update(_transitions(tz, start, end))
        for candidate in sorted(c for c in candidates if start < c <= end):
            if self.is_open(candidate, zones):
                return candidate
        return None

    def _openings(self, tz: ZoneInfo, start: datetime, end: datetime) -> Iterable[datetime]:
        """The UTC instants at which `tz`'s wall clock reads `send_from`, around [start, end]."""
        first: date = start.astimezone(tz).date() - timedelta(days=1)
        days = (end - start).days + 3
        for offset in range(days):
            day = first + timedelta(days=offset)
            for fold in (0, 1):
                local = datetime.combine(day, self.send_from, tzinfo=tz).replace(fold=fold)
                yield local.astimezone(UTC)


def window_of_settings(settings: Mapping[str, object]) -> QuietHours | None:
    """The sending window a campaign was planned with, from its stored settings.

    Both faces store the `--quiet-hours` text under "quiet_hours" with every campaign they
    create ("off" when there was none). A campaign without the key was made through the Python
    API (tests, benchmarks) with no window applied at planning: None, no window (assumed; every
    campaign smscast's own faces ever created has the key). A stored value that no longer
    parses (a hand-edited journal) falls back to the default window: under-sending at night
    beats texting someone in their quiet time.
    """
    text = settings.get("quiet_hours")
    if text is None:
        return None
    try:
        return QuietHours.parse(str(text))
    except InputError:
        return QuietHours.default()


def zone_names(phones: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The IANA zone names of each E.164 number (empty: unknown), in one bulk pass through
    `phones.normalize_unique`, the function the contact book used at planning."""
    from campaigns.contacts.phones import normalize_unique

    if not phones:
        return {}
    found = normalize_unique(list(phones), "US")  # E.164 with "+": the region is never used
    codes = memoryview(found.zone_codes).cast("H")
    return {
        phone: found.zone_table[codes[i]] if found.e164[i] is not None else ()
        for i, phone in enumerate(phones)
    }


class _ZoneSet:
    """One distinct set of time zones, with the window's state cached for one UTC minute."""

    __slots__ = ("minute", "opens", "zones")

    def __init__(self, zones: tuple[ZoneInfo, ...]) -> None:
        self.zones = zones
        self.minute = -1  # the UTC minute (POSIX seconds // 60) `opens` is valid for
        self.opens: datetime | None = None  # None: open in that minute


class SendWindow:
    """The window checked at the moment each request leaves, cheap enough to ask per message.

    `closed_until(phone, now)` is None when `phone` (E.164) may be texted at `now`, else the
    UTC instant its window next opens (as `QuietHours.next_open`, in all of its zones).

    Cost: each number's zones are found once (`learn` does a whole campaign in one bulk call to
    `phones.normalize_unique`, the function the contact book used at planning, so the zones
    are the same), and numbers share one `_ZoneSet` per distinct set of zones. The open/closed
    state (and the next opening) of a zone set is computed once per UTC minute: every window
    edge is a whole local minute and every zone in use today is offset from UTC by whole
    minutes, DST changes included, so neither can change inside a UTC minute. A check is then
    a dict lookup and an integer comparison.

    A number without a known zone is not checked (as at planning: the audience says so).
    """

    def __init__(self, window: QuietHours) -> None:
        self.window = window
        self._by_phone: dict[str, _ZoneSet | None] = {}
        self._by_names: dict[tuple[str, ...], _ZoneSet | None] = {}

    def learn(self, phones: Iterable[str]) -> None:
        """Find the zones of these numbers now, in one bulk pass (new numbers only)."""
        new = [p for p in dict.fromkeys(phones) if p not in self._by_phone]
        for phone, names in zone_names(new).items():
            self._by_phone[phone] = self._zone_set(names)

    def _zone_set(self, names: tuple[str, ...]) -> _ZoneSet | None:
        if names not in self._by_names:
            infos = tuple(tz for tz in (zone(name) for name in names) if tz is not None)
            self._by_names[names] = _ZoneSet(infos) if infos else None
        return self._by_names[names]

    def closed_until(self, phone: str, now: datetime) -> datetime | None:
        """None when the window is open for `phone` at the aware instant `now`; else when it
        next opens (UTC). Zones that never share an open moment within `HORIZON` (planning
        excludes such numbers) count as closed for `HORIZON`."""
        try:
            zones = self._by_phone[phone]
        except KeyError:
            self.learn((phone,))
            zones = self._by_phone[phone]
        if zones is None:
            return None
        minute = int(now.timestamp()) // 60
        if zones.minute != minute:
            zones.minute = minute
            if self.window.is_open(now, zones.zones):
                zones.opens = None
            else:
                opens = self.window.next_open(zones.zones, now)
                zones.opens = opens if opens is not None else now.astimezone(UTC) + HORIZON
        return zones.opens


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] at which `tz` changes its UTC offset, to the second.

    Scans hour by hour (no zone changes its offset twice within an hour) and bisects each
    change on whole POSIX seconds (tz database transitions fall on whole seconds).
    """
    found: list[datetime] = []

    def offset_at(seconds: int) -> timedelta | None:
        return datetime.fromtimestamp(seconds, tz).utcoffset()

    first, last = int(start.timestamp()), int(end.timestamp()) + 1
    before = first
    offset = offset_at(before)
    while before < last:
        after = min(before + 3600, last)
        after_offset = offset_at(after)
        if after_offset != offset:
            low, high = before, after  # offset_at(low) == offset != offset_at(high)
            while high - low > 1:
                middle = (low + high) // 2
                if offset_at(middle) == offset:
                    low = middle
                else:
                    high = middle
            found.append(datetime.fromtimestamp(high, UTC))
            offset = after_offset
        before = after
    return found
