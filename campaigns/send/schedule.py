"""When a scheduled campaign's recipients are due, and who holds each message until then.

Two ways to wait (the issue's two modes):
- **twilio**: each message is created now with `ScheduleType=fixed` and `SendAt`, and Twilio
  holds it (status `scheduled`) until then: nothing needs to stay up. Twilio schedules only
  through a Messaging Service, and only when the request arrives at least 15 minutes and at
  most 35 days before `SendAt` (https://www.twilio.com/docs/api/errors/35114; an older page
  said 7 days, another 300 s). smscast keeps a margin on both edges (`TWILIO_MIN_AHEAD`,
  `TWILIO_MAX_AHEAD`) so a request in flight never lands on the wrong side of Twilio's.
- **local**: the campaign waits in the journal (each recipient `pending` with `not_before` =
  its time) and `smscast resume` (the app, or cron) sends what is due. Chosen for a single
  number, a time too soon or past 35 days.

The mode is chosen once, at planning (`choose_mode`), and stored with the campaign. In twilio
mode each request still asks `twilio_holds(send_at, now)` as it leaves: a row that comes too
close to its time (a resume hours later, a long queue) is not scheduled at Twilio but waits
here and is sent when due, so a late resume never makes Twilio refuse it (or send early).

Times (`send_times`): `--at WHEN` is one instant (the operator's zone, or `--tz`);
`--at-local HH:MM` is that wall-clock time on each recipient's own clock: for a number in
several zones, the latest of those instants (nobody gets it before HH:MM in any zone that
number may be in), computed per date with zoneinfo, so DST days are exact. A wall time that
a DST change skips (02:30 on a spring-forward day) is the instant the clock jumps to (fold 0
read with the offset before the jump: 03:30 new time); one it repeats (01:30 on a fall-back
day) is its first occurrence. Either way, each time is then moved into the recipient's
sending window (`QuietHours.next_open`, all zones at once) if it falls outside it: smscast
never schedules a message for someone's quiet time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from campaigns.audience.quiet_hours import QuietHours, zone, zone_names
from campaigns.errors import InputError

__all__ = [
    "TWILIO_MAX_AHEAD",
    "TWILIO_MIN_AHEAD",
    "Mode",
    "Schedule",
    "ScheduleRequest",
    "choose_mode",
    "operator_zone",
    "parse_at",
    "parse_at_local",
    "send_times",
    "twilio_holds",
]

Mode = Literal["twilio", "local"]

#: Twilio's edges (15 minutes, 35 days) with smscast's margin: 5 minutes for the request's
#: way and a clock that is a little off, an hour at the far end.
TWILIO_MIN_AHEAD = timedelta(minutes=20)
TWILIO_MAX_AHEAD = timedelta(days=35) - timedelta(hours=1)

# [0-9], not \d: \d also takes other scripts' digits.
_WHEN = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{1,2}):([0-9]{2})\s*$")
_HHMM = re.compile(r"^\s*(?:([0-9]{4})-([0-9]{2})-([0-9]{2})\s+)?([0-9]{1,2}):([0-9]{2})\s*$")
_AT_HINT = (
    "Give {label} a date and time as YYYY-MM-DD HH:MM (24-hour clock), e.g. 2026-12-08 09:00."
)
_LOCAL_HINT = (
    "Give {label} the time on each recipient's own clock as HH:MM (the next such time), "
    "or YYYY-MM-DD HH:MM for a given day, e.g. 09:00."
)


def operator_zone(name: str | None) -> tzinfo:
    """The zone `--at` is read in: `--tz NAME` (IANA), else this computer's own."""
    if name:
        found = zone(name)
        if found is None:
            raise InputError(
                f"--tz {name!r} is not a time zone this computer knows.",
                "Give an IANA name such as America/New_York or Europe/London.",
            )
        return found
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def parse_at(text: str, tz: tzinfo, label: str = "--at") -> datetime:
    """`--at WHEN` -> the aware instant (UTC). The wall time is read in `tz`, DST-exact.
    `label` names the field in the sentences (the app's "Send at")."""
    hint = _AT_HINT.format(label=label)
    match = _WHEN.match(text)
    if match is None:
        raise InputError(f"{label} {text!r} is not a date and time.", hint)
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        naive = datetime(year, month, day, hour, minute)
    except ValueError:
        raise InputError(f"{label} {text!r} is not a real date and time.", hint) from None
    if isinstance(tz, ZoneInfo):
        return naive.replace(tzinfo=tz).astimezone(UTC)
    # This computer's own zone: the C library knows its DST rules for that date.
    return naive.astimezone().astimezone(UTC)


def parse_at_local(text: str, label: str = "--at-local") -> tuple[date | None, time]:
    """`--at-local [YYYY-MM-DD ]HH:MM` -> (the day, or None for the next such time; the time)."""
    hint = _LOCAL_HINT.format(label=label)
    match = _HHMM.match(text)
    if match is None:
        raise InputError(f"{label} {text!r} is not a time.", hint)
    year, month, day, hour, minute = match.groups()
    try:
        wall = time(int(hour), int(minute))
        on = date(int(year), int(month), int(day)) if year else None
    except ValueError:
        raise InputError(f"{label} {text!r} is not a real time.", hint) from None
    return on, wall


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """What the person asked: one instant (`at`), or a wall time on each recipient's clock
    (`local_time`, on `local_date` or the next one). `tz` names the operator's zone (for
    showing `at`, and for numbers whose zone is unknown under `--at-local`)."""

    at: datetime | None = None
    local_time: time | None = None
    local_date: date | None = None
    tz: str = ""

    def describe(self) -> str:
        """The request in a person's words."""
        if self.at is not None:
            return f"at {self.at:%Y-%m-%d %H:%M} UTC"
        assert self.local_time is not None
        day = f"{self.local_date:%Y-%m-%d} " if self.local_date else ""
        return f"at {day}{self.local_time:%H:%M} on each recipient's own clock"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A campaign's schedule as the journal keeps it (`Campaign.schedule`)."""

    mode: Mode
    reason: str
    asked: str
    first: datetime
    last: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "reason": self.reason,
            "asked": self.asked,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | None) -> Schedule | None:
        if not stored:
            return None
        mode: Mode = "twilio" if stored.get("mode") == "twilio" else "local"
        return cls(
            mode=mode,
            reason=str(stored.get("reason", "")),
            asked=str(stored.get("asked", "")),
            first=datetime.fromisoformat(str(stored["first"])),
            last=datetime.fromisoformat(str(stored["last"])),
        )

    def describe(self) -> str:
        """One line for the dry run, Review and `status`: which mode, and why."""
        span = f"{self.first:%Y-%m-%d %H:%M} UTC"
        if self.last != self.first:
            span += f" to {self.last:%Y-%m-%d %H:%M} UTC"
        if self.mode == "twilio":
            how = "Twilio holds each message until its time (the command can exit)"
        else:
            how = "The campaign waits in the journal, and a resume sends what is due"
        return f"Scheduled {self.asked}: {span}. {how}: {self.reason}."


def twilio_holds(send_at: datetime, now: datetime) -> bool:
    """Whether a message due at `send_at` can be created now for Twilio to hold (with
    smscast's margin on both of Twilio's edges)."""
    ahead = send_at - now
    return TWILIO_MIN_AHEAD <= ahead <= TWILIO_MAX_AHEAD


def choose_mode(
    *, messaging_service: bool, times: Sequence[datetime], now: datetime
) -> tuple[Mode, str]:
    """The mode for a campaign due at `times`, and why (said by the dry run)."""
    if not times:
        return "local", "nobody to schedule"
    first, last = min(times), max(times)
    if not messaging_service:
        return "local", (
            "sending from a single number, and Twilio schedules only through a Messaging Service"
        )
    if first - now < TWILIO_MIN_AHEAD:
        minutes = int(TWILIO_MIN_AHEAD.total_seconds() // 60)
        return "local", (
            f"the first is due in less than {minutes} minutes, too soon for Twilio to "
            "schedule (it needs 15 minutes)"
        )
    if last - now > TWILIO_MAX_AHEAD:
        return "local", "the last is due more than 35 days ahead, past what Twilio schedules"
    return "twilio", "through a Messaging Service, between 15 minutes and 35 days ahead"


def send_times(
    numbers: Sequence[str],
    request: ScheduleRequest,
    window: QuietHours | None,
    now: datetime,
) -> list[datetime]:
    """Each number's due moment (UTC), in order; see the module docstring."""
    fallback = operator_zone(request.tz or None)
    names = zone_names(list(dict.fromkeys(numbers)))
    zones_by_names: dict[tuple[str, ...], tuple[tzinfo, ...]] = {}
    cache: dict[tuple[str, ...], datetime] = {}
    out: list[datetime] = []
    for number in numbers:
        key = names.get(number, ())
        if key not in cache:
            if key not in zones_by_names:
                found = tuple(z for z in (zone(n) for n in key) if z is not None)
                zones_by_names[key] = found
            zones = zones_by_names[key]
            if request.at is not None:
                moment = request.at.astimezone(UTC)
            else:
                assert request.local_time is not None
                moment = _latest_local(
                    zones or (fallback,), request.local_time, request.local_date, now
                )
            if window is not None and zones:
                opens = window.next_open([z for z in zones if isinstance(z, ZoneInfo)], moment)
                moment = opens if opens is not None else moment
            cache[key] = moment
        out.append(cache[key])
    return out


def _latest_local(zones: Sequence[tzinfo], wall: time, on: date | None, now: datetime) -> datetime:
    """The latest over `zones` of the instant each zone's clock reads `wall` on `on` (or on
    the first day it is still ahead of `now` there)."""
    moments = []
    for tz in zones:
        day = on if on is not None else now.astimezone(tz).date()
        moment = _wall_instant(day, wall, tz)
        if on is None and moment <= now:
            moment = _wall_instant(day + timedelta(days=1), wall, tz)
        moments.append(moment)
    return max(moments)


def _wall_instant(day: date, wall: time, tz: tzinfo) -> datetime:
    """The UTC instant at which `tz`'s clock reads `wall` on `day`. Fold 0 (PEP 495): a
    repeated wall time is its first occurrence, and a skipped one is read with the offset
    before the jump, which lands just after it (02:30 -> 03:30 new time)."""
    return datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)
