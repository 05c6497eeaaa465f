"""Who gets the message: the contacts that pass every filter, and a reason for each one that
does not.

Filters, in this order (a contact stops at the first that excludes it, so it keeps exactly one
reason):

1. invalid and duplicate numbers: every problem row of the contact book (missing, invalid,
   scientific notation, duplicate), with the book's own sentence;
2. the suppression list (opted out, or removed by hand): "opted out: replied STOP on
   2026-11-20 (campaign ...)" when the list knows when and where;
3. verified numbers (trial accounts): an unverified contact is excluded as "not a verified
   number of this trial account (Twilio would refuse it with 21608)", and the audience carries
   a hint saying where to verify numbers;
4. sender registration (`registration`, the preflight): a US-bound contact the campaign's
   sender cannot reach today (a long code not registered for A2P 10DLC, a toll-free number
   not verified) is excluded with the reason and what to do; see `registration`;
5. quiet hours: a contact outside its sending window is DEFERRED, not dropped: it stays in
   `included` and `deferred[row]` says when its window next opens (UTC). Only a number whose
   time zones never share an open moment within 48 hours is excluded. See `quiet_hours` for the
   window's meaning (the ALLOWED hours, default 08:00-21:00 local time).

Recounting must be instant (the TUI toggles filters and recounts): `AudienceBuilder(book)`
materialises the contacts once, and each `build(...)` is then a single pass with set lookups
and one quiet-hours computation per distinct set of time zones. `build_audience` is the
one-shot form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from campaigns.audience.quiet_hours import QuietHours, zone
from campaigns.audience.registration import (
    KIND_REGISTRATION,
    Preflight,
    RegionBlock,
    regions_text,
)
from campaigns.errors import InputError

if TYPE_CHECKING:
    from campaigns.contacts.rows import Contact, Problem

__all__ = [
    "KIND_QUIET_HOURS",
    "KIND_REGISTRATION",
    "KIND_SUPPRESSED",
    "KIND_UNVERIFIED",
    "UNVERIFIED_REASON",
    "VERIFY_HINT",
    "Audience",
    "AudienceBuilder",
    "Exclusion",
    "build_audience",
    "resolve_verified_only",
]

KIND_SUPPRESSED = "suppressed"
KIND_UNVERIFIED = "unverified"
KIND_QUIET_HOURS = "quiet-hours"

UNVERIFIED_REASON = (
    "not a verified number of this trial account (Twilio would refuse it with 21608)"
)
VERIFY_HINT = (
    "A trial account may text only verified numbers: verify them in the Twilio Console, "
    "Phone Numbers > Manage > Verified Caller IDs (or upgrade the account)."
)
_SUPPRESSED_REASON = "on the suppression list (opted out or removed by hand)"
_VERIFIED_MODES = ("auto", "on", "off")
# What quiet hours do to one set of zones.
_SEND, _DEFER, _NEVER, _UNKNOWN = "send", "defer", "never", "unknown-zone"
_by_row = attrgetter("row")


class _Book(Protocol):
    """What the audience reads from a `ContactBook`."""

    @property
    def contacts(self) -> Sequence[Contact]: ...
    @property
    def problems(self) -> list[Problem]: ...


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A row that will not be texted: its number as written, the filter's kind, a sentence.

    `kind` is the contact book's problem kind ("missing", "invalid", "scientific-notation",
    "duplicate") or one of "suppressed", "unverified", "registration",
    "quiet-hours".
    """

    row: int
    phone: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Audience:
    """The result of the filters.

    `included` are the contacts to text (deferred ones among them, in file order);
    `excluded` one `Exclusion` per row left out, in row order; `deferred` row -> the UTC
    instant its sending window opens; `counts` how many of each: `included`, `deferred`, and
    one key per exclusion kind; `hints` what the person can do (e.g. where to verify numbers).
    """

    included: list[Contact]
    excluded: list[Exclusion]
    deferred: dict[int, datetime]
    counts: dict[str, int]
    hints: list[str] = field(default_factory=list)
    quiet_hours: QuietHours | None = None
    #: Included numbers whose time zone is unknown (the window could not be checked for them).
    unknown_zone: int = 0
    #: The sender's registration preflight it was built with (None: not checked).
    registration: Preflight | None = None

    def reasons(self) -> dict[int, Exclusion]:
        """Row -> its exclusion, for showing a row's reason."""
        return {exclusion.row: exclusion for exclusion in self.excluded}

    def without(self, rows: Collection[int]) -> Audience:
        """This audience less `rows`: the rows the plan leaves out (an empty, blank or too long
        message) are not texted at all, so they are neither included nor deferred, and the
        deferral hint counts only those who will be texted later."""
        if not rows:
            return self
        counts = dict(self.counts)
        deferred = {row: at for row, at in self.deferred.items() if row not in rows}
        included = [contact for contact in self.included if contact.row not in rows]
        counts["deferred"], counts["included"] = len(deferred), len(included)
        return replace(
            self,
            included=included,
            deferred=deferred,
            counts=counts,
            hints=_hints(Counter(counts), self.unknown_zone, self.quiet_hours, self.registration),
        )

    def undeferred(self) -> Audience:
        """This audience with nobody deferred: a scheduled campaign sends each recipient at
        its own time, put inside its window then (`campaigns.send.schedule`), so the window's
        state now defers no one and its hint would be untrue."""
        if not self.deferred:
            return self
        counts = dict(self.counts)
        counts["deferred"] = 0
        return replace(
            self,
            deferred={},
            counts=counts,
            hints=_hints(Counter(counts), self.unknown_zone, self.quiet_hours),
        )


def resolve_verified_only(mode: str, account_type: str | None) -> bool:
    """`--verified-only auto|on|off` -> whether to keep only verified numbers.

    `auto` is on for a Trial account (Twilio refuses unverified numbers with 21608) and off for
    a Full one (or when the account type is not known).
    """
    cleaned = mode.strip().lower()
    if cleaned not in _VERIFIED_MODES:
        raise InputError(
            f"--verified-only {mode!r} is not one of auto, on, off.",
            "Use --verified-only auto (on for trial accounts), on, or off.",
        )
    if cleaned == "auto":
        return (account_type or "").strip().lower() == "trial"
    return cleaned == "on"


class AudienceBuilder:
    """A contact book prepared once, so that `build` can be called at every filter toggle."""

    def __init__(self, book: _Book) -> None:
        self.contacts: list[Contact] = list(book.contacts)
        first_per_row: dict[int, Exclusion] = {}
        for problem in book.problems:
            first_per_row.setdefault(
                problem.row, Exclusion(problem.row, problem.value, problem.kind, problem.reason)
            )
        self.problems: list[Exclusion] = sorted(first_per_row.values(), key=_by_row)
        self._problem_counts = Counter(exclusion.kind for exclusion in self.problems)
        self._zones: dict[tuple[str, ...], list[ZoneInfo]] = {}
        self._unverified: dict[int, Exclusion] = {}  # the same value at every recount
        #: Row -> (the block it met, its exclusion): the same value while the sender is.
        self._registered: dict[int, tuple[RegionBlock, Exclusion]] = {}

    def build(
        self,
        *,
        suppressed: Container[str],
        verified: frozenset[str] | None,
        quiet_hours: QuietHours | None,
        now: datetime,
        registration: Preflight | None = None,
    ) -> Audience:
        """Apply the filters in order. See the module docstring.

        `suppressed`: any container of E.164 numbers; a `Mapping` to `Suppression` entries (or
        a `SuppressionList`, read once via `entries()`) lets exclusions say when and why.
        `verified`: the account's verified numbers, or None for no verified-only filter.
        `quiet_hours`: the allowed window, or None for no quiet hours. `now`: aware datetime.
        `registration`: the sender's preflight, or None for no registration check.
        """
        if now.tzinfo is None:
            raise ValueError("build_audience needs an aware 'now' (e.g. datetime.now(UTC))")
        now = now.astimezone(UTC)
        suppressed = _loaded(suppressed)
        details = suppressed if isinstance(suppressed, Mapping) else None
        # Zone tuples are shared between contacts (the book interns them) and hashing a tuple of
        # 42 zone names per contact costs more than the rest of the loop: key them by identity.
        windows: dict[int, tuple[tuple[str, ...], str, datetime | None]] = {}
        unverified = self._unverified
        included: list[Contact] = []
        found: list[Exclusion] = []
        deferred: dict[int, datetime] = {}
        counts: Counter[str] = Counter(self._problem_counts)
        unknown_zone = 0
        blocks = registration if registration is not None and registration.blocks else None
        registered = self._registered
        for contact in self.contacts:
            phone = contact.phone
            if phone in suppressed:
                reason = _suppressed_reason(details, phone)
                found.append(Exclusion(contact.row, phone, KIND_SUPPRESSED, reason))
                continue
            if verified is not None and phone not in verified:
                exclusion = unverified.get(contact.row)
                if exclusion is None:
                    exclusion = Exclusion(contact.row, phone, KIND_UNVERIFIED, UNVERIFIED_REASON)
                    unverified[contact.row] = exclusion
                found.append(exclusion)
                continue
            if blocks is not None:
                block = blocks.block_for(phone)
                if block is not None:
                    cached = registered.get(contact.row)
                    if cached is None or cached[0] is not block:
                        exclusion = Exclusion(
                            contact.row, phone, KIND_REGISTRATION, block.sentence()
                        )
                        cached = registered[contact.row] = (block, exclusion)
                    found.append(cached[1])
                    continue
            if quiet_hours is not None:
                zones = contact.timezones
                state = windows.get(id(zones))
                if state is None or state[0] is not zones:
                    state = (zones, *self._window(quiet_hours, zones, now))
                    windows[id(zones)] = state
                action = state[1]
                if action == _DEFER:
                    deferred[contact.row] = state[2]  # type: ignore[assignment]
                elif action == _NEVER:
                    reason = _never_reason(quiet_hours, zones)
                    found.append(Exclusion(contact.row, phone, KIND_QUIET_HOURS, reason))
                    continue
                elif action == _UNKNOWN:
                    unknown_zone += 1
            included.append(contact)
        for exclusion in found:
            counts[exclusion.kind] += 1
        excluded = sorted([*self.problems, *found], key=_by_row) if found else list(self.problems)
        counts["included"] = len(included)
        counts["deferred"] = len(deferred)
        return Audience(
            included=included,
            excluded=excluded,
            deferred=deferred,
            counts=dict(counts),
            hints=_hints(counts, unknown_zone, quiet_hours, registration),
            quiet_hours=quiet_hours,
            unknown_zone=unknown_zone,
            registration=registration,
        )

    def _window(
        self, window: QuietHours, names: tuple[str, ...], now: datetime
    ) -> tuple[str, datetime | None]:
        """What quiet hours do to a number in these zones now: send, defer (until), never."""
        infos = self._zone_infos(names)
        if not infos:
            return _UNKNOWN, None
        opens = window.next_open(infos, now)
        if opens is None:
            return _NEVER, None
        return (_DEFER, opens) if opens > now else (_SEND, None)

    def _zone_infos(self, names: tuple[str, ...]) -> list[ZoneInfo]:
        infos = self._zones.get(names)
        if infos is None:
            infos = [tz for tz in (zone(name) for name in names) if tz is not None]
            self._zones[names] = infos
        return infos


def build_audience(
    book: _Book,
    *,
    suppressed: Container[str],
    verified: frozenset[str] | None,
    quiet_hours: QuietHours | None,
    now: datetime,
    registration: Preflight | None = None,
) -> Audience:
    """One-shot `AudienceBuilder(book).build(...)`; keep a builder to recount cheaply."""
    return AudienceBuilder(book).build(
        suppressed=suppressed,
        verified=verified,
        quiet_hours=quiet_hours,
        now=now,
        registration=registration,
    )


def _loaded(suppressed: Container[str]) -> Container[str]:
    """A `SuppressionList` (anything with `entries()`) read once into a dict."""
    entries = getattr(suppressed, "entries", None)
    return entries() if callable(entries) else suppressed


def _suppressed_reason(details: Mapping[str, object] | None, phone: str) -> str:
    entry = details.get(phone) if details is not None else None
    sentence = getattr(entry, "sentence", None)
    return sentence() if callable(sentence) else _SUPPRESSED_REASON


def _never_reason(window: QuietHours, zones: Iterable[str]) -> str:
    return (
        f"its time zones ({', '.join(zones)}) never share a moment inside the sending window "
        f"{window} (local time) in the next 48 hours"
    )


def _hints(
    counts: Counter[str],
    unknown_zone: int,
    window: QuietHours | None,
    registration: Preflight | None = None,
) -> list[str]:
    hints: list[str] = []
    if counts.get(KIND_UNVERIFIED):
        hints.append(VERIFY_HINT)
    if counts.get(KIND_REGISTRATION) and registration is not None:
        advice = sorted({block.advice for block in registration.blocks.values()})
        hints.append(
            f"{counts[KIND_REGISTRATION]} recipients are left out: {registration.sender} "
            f"cannot text {regions_text(registration.blocks)} numbers today. To reach "
            f"them: {'; or '.join(advice)}."
        )
    if counts.get("deferred") and window is not None:
        hints.append(
            f"{counts['deferred']} recipients are outside their sending window ({window} "
            "local time) now and will be texted when it opens; --quiet-hours off sends at once."
        )
    if counts.get(KIND_QUIET_HOURS) and window is not None:
        hints.append(
            "Some numbers span time zones that never share the sending window: widen it with "
            "--quiet-hours, or use --quiet-hours off."
        )
    if unknown_zone:
        hints.append(
            f"{unknown_zone} numbers have no known time zone: quiet hours could not be "
            "checked for them."
        )
    return hints
