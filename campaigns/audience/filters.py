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

Recounting must be instant (the TUI toggles filters and recounts, at a million contacts):
`AudienceBuilder(book)` takes the book's columns (`campaigns.contacts.columns`) and codes each
distinct number once; each `build(...)` is then a few vectorised passes: one mask per filter
(a hash lookup of the suppressed or verified numbers, not a loop over contacts), one
quiet-hours computation per distinct set of time zones, gathered by each contact's zone code.
The `Audience` it returns holds index arrays over the book's columns: its `included`,
`excluded` and `deferred` make a `Contact`, an `Exclusion` or a datetime only when one is
read, so a recount costs milliseconds and no object per contact. `build_audience` is the
one-shot form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Protocol, overload
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from campaigns.audience.quiet_hours import QuietHours, zone
from campaigns.audience.registration import (
    KIND_REGISTRATION,
    Preflight,
    RegionBlock,
    regions_text,
)
from campaigns.contacts.columns import ContactColumns
from campaigns.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

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
    "DeferredRows",
    "Exclusion",
    "Exclusions",
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
# What quiet hours do to one set of zones (codes in the arrays).
_SEND, _DEFER, _NEVER, _UNKNOWN = 0, 1, 2, 3
# The kinds a contact of the book can be excluded for, by code in `Exclusions`.
_FOUND_KINDS = (KIND_SUPPRESSED, KIND_UNVERIFIED, KIND_QUIET_HOURS, KIND_REGISTRATION)
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

    included: Sequence[Contact]
    excluded: Sequence[Exclusion]
    deferred: Mapping[int, datetime]
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
        deferred: Mapping[int, datetime]
        included: Sequence[Contact]
        if isinstance(self.deferred, DeferredRows):
            deferred = self.deferred.without(rows)
        else:
            deferred = {row: at for row, at in self.deferred.items() if row not in rows}
        if isinstance(self.included, ContactColumns):
            included = self.included.without_rows(rows)
        else:
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
        self.contacts: ContactColumns = ContactColumns.of(book.contacts)
        first_per_row: dict[int, Exclusion] = {}
        for problem in book.problems:
            first_per_row.setdefault(
                problem.row, Exclusion(problem.row, problem.value, problem.kind, problem.reason)
            )
        self.problems: list[Exclusion] = sorted(first_per_row.values(), key=_by_row)
        self._problem_rows = np.array([e.row for e in self.problems], dtype=np.int64)
        self._problem_counts = Counter(exclusion.kind for exclusion in self.problems)
        # Each distinct number once: a filter looks its numbers up here, then gathers.
        codes, numbers = pd.factorize(self.contacts.phones, sort=False)
        self._number_codes: NDArray[np.int64] = codes.astype(np.int64)
        self._numbers = pd.Index(numbers)
        self._zones: dict[tuple[str, ...], list[ZoneInfo]] = {}
        #: Each contact's number's first five characters, coded (made when first needed).
        self._prefixes: tuple[NDArray[np.int64], list[str]] | None = None

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
        contacts = self.contacts
        count = len(contacts)
        kind = np.full(count, -1, dtype=np.int8)  # -1: included, else a `_FOUND_KINDS` code
        kind[self._members(suppressed)] = 0
        if verified is not None:
            kind[(kind < 0) & ~self._members(verified)] = 1
        blocks: list[RegionBlock] = []
        block_of = np.zeros(0, dtype=np.int32)
        if registration is not None and registration.blocks:
            blocks, block_of = self._blocks(registration)
            kind[(kind < 0) & (block_of >= 0)] = 3
        opens_at: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        opens: list[datetime | None] = []
        unknown_zone = 0
        if quiet_hours is not None:
            actions, opens = self._windows(quiet_hours, now)
            action = actions[contacts.zone_codes]
            kind[(kind < 0) & (action == _NEVER)] = 2
            unknown_zone = int(((kind < 0) & (action == _UNKNOWN)).sum())
            opens_at = np.flatnonzero((kind < 0) & (action == _DEFER))
        included = np.flatnonzero(kind < 0)
        found = np.flatnonzero(kind >= 0)
        found_kinds = kind[found]
        counts: Counter[str] = Counter(self._problem_counts)
        if len(found):  # (keys in order of first appearance, as counting one by one gives)
            _, first = np.unique(found_kinds, return_index=True)
            for code in found_kinds[np.sort(first)]:
                counts[_FOUND_KINDS[code]] = int((found_kinds == code).sum())
        counts["included"] = len(included)
        counts["deferred"] = len(opens_at)
        return Audience(
            included=contacts.take(included),
            excluded=Exclusions(
                self.problems,
                self._problem_rows,
                contacts.take(found),
                found_kinds,
                details,
                quiet_hours,
                (blocks, block_of[found] if len(block_of) else block_of),
            ),
            deferred=DeferredRows(
                contacts.rows[opens_at], contacts.zone_codes[opens_at], tuple(opens)
            ),
            counts=dict(counts),
            hints=_hints(counts, unknown_zone, quiet_hours, registration),
            quiet_hours=quiet_hours,
            unknown_zone=unknown_zone,
            registration=registration,
        )

    def _members(self, numbers: Container[str]) -> NDArray[np.bool_]:
        """Per contact: is its number in `numbers`? (A lookup per listed number when they can
        be listed, else one `in` per distinct number of the book.)"""
        if isinstance(numbers, Collection):
            listed = [n for n in numbers if isinstance(n, str)]
            found = (
                self._numbers.get_indexer(pd.Index(listed))
                if listed
                else np.zeros(0, dtype=np.intp)
            )
            hit = np.zeros(len(self._numbers) + 1, dtype=bool)
            hit[found] = True  # a number not in the book is -1: the spare last slot
            hit[-1] = False
        else:
            hit = np.array([n in numbers for n in self._numbers] + [False], dtype=bool)
        member: NDArray[np.bool_] = hit[self._number_codes]
        return member

    def _blocks(self, registration: Preflight) -> tuple[list[RegionBlock], NDArray[np.int32]]:
        """Per contact: the index of the registration block its number meets (-1: none), and
        the blocks. `block_for` depends on the number's first five characters only ("+1415":
        the region), so it is asked once per distinct prefix of the book."""
        if self._prefixes is None:
            prefixes = [phone[:5] for phone in self.contacts.phones.tolist()]
            coded, distinct = pd.factorize(np.array(prefixes, dtype=object), sort=False)
            self._prefixes = (np.asarray(coded, dtype=np.int64), [str(u) for u in distinct])
        codes, uniques = self._prefixes
        blocks: list[RegionBlock] = []
        index: dict[int, int] = {}
        per_prefix = np.full(len(uniques) + 1, -1, dtype=np.int32)
        for code, prefix in enumerate(uniques):
            block = registration.block_for(prefix)
            if block is not None:
                per_prefix[code] = index.setdefault(id(block), len(blocks))
                if per_prefix[code] == len(blocks):
                    blocks.append(block)
        block_of: NDArray[np.int32] = per_prefix[codes]
        return blocks, block_of

    def _windows(
        self, window: QuietHours, now: datetime
    ) -> tuple[NDArray[np.int8], list[datetime | None]]:
        """Per distinct set of time zones (the book's zone codes): what quiet hours do to a
        number in them now (send, defer, never, unknown), and when its window opens."""
        actions = np.zeros(len(self.contacts.zone_table), dtype=np.int8)
        opens: list[datetime | None] = []
        for code, names in enumerate(self.contacts.zone_table):
            action, at = self._window(window, names, now)
            actions[code] = action
            opens.append(at)
        return actions, opens

    def _window(
        self, window: QuietHours, names: tuple[str, ...], now: datetime
    ) -> tuple[int, datetime | None]:
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


class Exclusions(Sequence[Exclusion]):
    """The excluded rows in row order: the book's problems and the contacts a filter left
    out, each `Exclusion` made when it is read."""

    def __init__(
        self,
        problems: list[Exclusion],
        problem_rows: NDArray[np.int64],
        found: ContactColumns,
        found_kinds: NDArray[np.int8],
        details: Mapping[str, object] | None,
        quiet_hours: QuietHours | None,
        blocks: tuple[list[RegionBlock], NDArray[np.int32]] = ([], np.zeros(0, dtype=np.int32)),
    ) -> None:
        """`blocks`: the registration blocks and, per found contact, the one it met."""
        self._problems = problems
        self._blocks = blocks
        self._found = found
        self._kinds = found_kinds
        self._details = details
        self._quiet_hours = quiet_hours
        # (stable: a problem before a contact of the same row, as one sorted list had it)
        rows = np.concatenate([problem_rows, found.rows])
        if len(problem_rows) == 0 and bool(np.all(rows[1:] > rows[:-1])):
            self._order = np.arange(len(rows))  # (already in row order: the usual case)
        else:
            self._order = np.argsort(rows, kind="stable")

    def __len__(self) -> int:
        return len(self._order)

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same exclusions (a list, another `Exclusions`)."""
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # (a sequence, compared by its items)

    @overload
    def __getitem__(self, index: int) -> Exclusion: ...
    @overload
    def __getitem__(self, index: slice) -> list[Exclusion]: ...
    def __getitem__(self, index: int | slice) -> Exclusion | list[Exclusion]:
        if isinstance(index, slice):
            return [self._make(int(i)) for i in self._order[index]]
        return self._make(int(self._order[index]))

    def __iter__(self) -> Iterator[Exclusion]:
        return (self._make(int(i)) for i in self._order)

    def _make(self, merged: int) -> Exclusion:
        if merged < len(self._problems):
            return self._problems[merged]
        index = merged - len(self._problems)
        row, phone = int(self._found.rows[index]), str(self._found.phones[index])
        kind = _FOUND_KINDS[self._kinds[index]]
        if kind == KIND_SUPPRESSED:
            reason = _suppressed_reason(self._details, phone)
        elif kind == KIND_UNVERIFIED:
            reason = UNVERIFIED_REASON
        elif kind == KIND_REGISTRATION:
            blocks, block_of = self._blocks
            reason = blocks[int(block_of[index])].sentence()
        else:
            assert self._quiet_hours is not None  # excluded by quiet hours only when on
            zones = self._found.zone_table[int(self._found.zone_codes[index])]
            reason = _never_reason(self._quiet_hours, zones)
        return Exclusion(row, phone, kind, reason)


class DeferredRows(Mapping[int, datetime]):
    """Row -> the UTC instant its sending window opens, for the deferred contacts (in contact
    order), from their zone codes; point lookups build a dict once, on first use."""

    def __init__(
        self,
        rows: NDArray[np.int64],
        zone_codes: NDArray[np.int32],
        opens: tuple[datetime | None, ...],
    ) -> None:
        self._rows = rows
        self._zone_codes = zone_codes
        self._opens = opens
        self._lookup: dict[int, datetime] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[int]:
        return (int(row) for row in self._rows)

    def __getitem__(self, row: int) -> datetime:
        if self._lookup is None:
            self._lookup = dict(self._pairs())
        return self._lookup[row]

    def __contains__(self, row: object) -> bool:
        try:
            self[row]  # type: ignore[index]
        except (KeyError, TypeError):
            return False
        return True

    def _pairs(self) -> Iterator[tuple[int, datetime]]:
        opens = self._opens
        for row, code in zip(self._rows.tolist(), self._zone_codes.tolist(), strict=True):
            at = opens[code]
            assert at is not None  # deferred only where the window opens later
            yield row, at

    def of_rows(self, rows: Collection[int]) -> dict[int, datetime]:
        """The deferrals of just these rows (one vectorised pass; no dict of them all)."""
        wanted = np.isin(self._rows, np.fromiter(rows, dtype=np.int64, count=len(rows)))
        picked = DeferredRows(self._rows[wanted], self._zone_codes[wanted], self._opens)
        return dict(picked._pairs())

    def without(self, rows: Collection[int]) -> DeferredRows:
        """These deferrals less `rows`."""
        keep = ~np.isin(self._rows, np.fromiter(rows, dtype=np.int64, count=len(rows)))
        return DeferredRows(self._rows[keep], self._zone_codes[keep], self._opens)


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
