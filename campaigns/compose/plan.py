"""The plan: exactly what each recipient will get, how it is encoded, and what it may cost.

`build_plan(contacts, template, prices)` renders the template for every contact, analyzes the
body (`campaigns.compose.segments`) and prices it (`campaigns.compose.pricing`, an estimate).

Columnar, for a million contacts: a body depends only on the cells of the columns the template
uses, so the contacts are grouped by those cells (`pandas.factorize`, column by column) and each
distinct combination is rendered, checked and analyzed ONCE ("Hi {first_name|there}" over a
million rows renders a few hundred bodies, not a million). The per-contact facts are then
arrays gathered by each contact's group: segments, cost (segments x the price of its number,
the same float product as one by one), the totals (the cost summed in order, `numpy.cumsum`,
so the float is the one a loop adds up). `Plan.messages` makes a `PlannedMessage` only when
one is read. A template with a column of distinct values ({Phone}) is one group per row: the
old cost, never more. `should_stop` lets the app cancel a plan that is no longer wanted.

Rows left out,
each a `Problem`:
- "body-too-long": a body over 1,600 characters (UTF-16 code units; Twilio refuses it, 21617);
- "body-empty": a body that renders to nothing (Twilio refuses it, 21602);
- "body-blank": a body of only spaces, line breaks or invisible characters (zero-width
  spaces, bidi marks, controls): Twilio accepts it, delivers a blank text and charges for it.
Rows kept, with a `ContactWarning`:
- "empty-field": a used placeholder is empty (no default), so nobody is surprised by "Hi ,";
- "control-character": the body holds a control or invisible formatting character (other
  than a line break). It is sent as it is (what is sent is the person's text) and counted in
  the segments as Twilio counts it (most force UCS-2), but phones may show it as a box, drop
  it, or (a bidi control) reorder the text around it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd

from campaigns.compose.pricing import PriceTable
from campaigns.compose.segments import GSM7, MAX_BODY_CHARS, analyze, smart_encode, utf16_length
from campaigns.compose.template import Template, snake_case
from campaigns.contacts.columns import ContactColumns
from campaigns.contacts.rows import Contact, ContactWarning, Problem
from campaigns.untrusted import visible

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "PROBLEM_LABELS",
    "Plan",
    "PlanCancelled",
    "PlanSummary",
    "PlannedMessage",
    "PlannedMessages",
    "build_plan",
]


class PlanCancelled(Exception):
    """`build_plan` stopped because `should_stop()` said the plan is no longer wanted."""


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One recipient's message: spreadsheet row, E.164 number, body, encoding, parts, cost."""

    row: int
    to: str
    body: str
    encoding: str
    segments: int
    cost: float

    def to_json(self) -> dict[str, object]:
        """The message as a JSON-ready dict (the `preview --json` line)."""
        return {
            "row": self.row,
            "to": self.to,
            "body": self.body,
            "encoding": self.encoding,
            "segments": self.segments,
            "cost": round(self.cost, 6),
        }


@dataclass(frozen=True)
class PlanSummary:
    """Totals over the planned messages; `cost` is an estimate in `currency`.

    `histogram` maps segments per message to how many messages have that many (ascending).
    `ucs2_messages` counts the messages Twilio sends as UCS-2, and `smart_segments` the total
    segments if Twilio's Smart Encoding were on (equal to `segments` when it would not help).
    """

    messages: int
    segments: int
    cost: float
    currency: str
    histogram: dict[int, int]
    ucs2_messages: int = 0
    smart_segments: int = 0

    def to_json(self) -> dict[str, object]:
        """The summary as a JSON-ready dict (histogram keys become strings)."""
        return {
            "messages": self.messages,
            "segments": self.segments,
            "cost": round(self.cost, 6),
            "currency": self.currency,
            "estimate": True,
            "histogram": {str(parts): count for parts, count in self.histogram.items()},
            "ucs2_messages": self.ucs2_messages,
            "smart_segments": self.smart_segments,
        }


@dataclass(frozen=True)
class Plan:
    """The planned messages in file order, their summary, and rows left out or worth a look."""

    messages: Sequence[PlannedMessage]
    summary: PlanSummary
    problems: list[Problem] = field(default_factory=list)
    warnings: list[ContactWarning] = field(default_factory=list)

    @cached_property
    def _problem_by_row(self) -> dict[int, Problem]:
        return {problem.row: problem for problem in reversed(self.problems)}

    @cached_property
    def _warnings_by_row(self) -> dict[int, list[ContactWarning]]:
        found: dict[int, list[ContactWarning]] = {}
        for warning in self.warnings:
            found.setdefault(warning.row, []).append(warning)
        return found

    def problem_at(self, row: int) -> Problem | None:
        """The first problem with this row's message (empty, blank, too long), if any."""
        return self._problem_by_row.get(row)

    def warnings_at(self, row: int) -> list[ContactWarning]:
        """This row's warnings, in order (looked up, not searched: a million rows)."""
        return self._warnings_by_row.get(row, [])

    def left_out(self) -> str:
        """The rows the message itself leaves out, in words ("3 left out: 2 with an empty
        message, 1 too long"), or "" when there are none (for the app's counts)."""
        if not self.problems:
            return ""
        kinds = Counter(problem.kind for problem in self.problems)
        parts = [f"{n} {PROBLEM_LABELS.get(kind, kind)}" for kind, n in kinds.most_common()]
        return f"{len(self.problems)} left out: {', '.join(parts)}"


#: The plan's problem kinds in words (a row is left out because its message is ...).
PROBLEM_LABELS: dict[str, str] = {
    "body-too-long": "too long",
    "body-empty": "with an empty message",
    "body-blank": "with a blank message",
}


class PlannedMessages(Sequence[PlannedMessage]):
    """The planned messages in order, as columns: a `PlannedMessage` is made when read."""

    def __init__(
        self,
        rows: NDArray[np.int64],
        phones: NDArray[np.object_],
        groups: NDArray[np.int64],
        bodies: Sequence[str],
        encodings: Sequence[str],
        segments: NDArray[np.int64],
        costs: NDArray[np.float64],
    ) -> None:
        self.rows, self.phones, self.groups = rows, phones, groups
        self._bodies, self._encodings = bodies, encodings
        self.segments, self.costs = segments, costs

    def __len__(self) -> int:
        return len(self.rows)

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same messages (a list, other columns)."""
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # (a sequence, compared by its messages)

    @overload
    def __getitem__(self, index: int) -> PlannedMessage: ...
    @overload
    def __getitem__(self, index: slice) -> list[PlannedMessage]: ...
    def __getitem__(self, index: int | slice) -> PlannedMessage | list[PlannedMessage]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("message index out of range")
        return self._make(index)

    def __iter__(self) -> Iterator[PlannedMessage]:
        bodies, encodings = self._bodies, self._encodings
        for row, phone, group, parts, cost in zip(
            self.rows.tolist(),
            self.phones.tolist(),
            self.groups.tolist(),
            self.segments.tolist(),
            self.costs.tolist(),
            strict=True,
        ):
            yield PlannedMessage(row, phone, bodies[group], encodings[group], parts, cost)

    def _make(self, index: int) -> PlannedMessage:
        group = int(self.groups[index])
        return PlannedMessage(
            int(self.rows[index]),
            str(self.phones[index]),
            self._bodies[group],
            self._encodings[group],
            int(self.segments[index]),
            float(self.costs[index]),
        )


# What a group's body is (`_Group.status`).
_OK, _TOO_LONG, _BLANK = 0, 1, 2


@dataclass(slots=True)
class _Group:
    """One distinct combination of the template's cells: its body and what it is."""

    body: str
    status: int
    encoding: str = GSM7
    segments: int = 0
    smart_segments: int = 0
    empty: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)


def _group(template: Template, fields: Mapping[str, str]) -> _Group:
    """Render and judge one body, as the plan has always judged each (see the docstring)."""
    body = template.render(fields)
    if len(body) > MAX_BODY_CHARS // 2 and utf16_length(body) > MAX_BODY_CHARS:
        return _Group(body, _TOO_LONG)
    printable = body.isprintable()
    if not (printable and body.strip()) and _is_blank(body):
        return _Group(body, _BLANK)
    empty = template.empty_fields(fields) if template.required else []
    controls = _controls(body) if not printable else []
    info = analyze(body)
    smart = info.segments
    if info.encoding != GSM7:
        smart = min(info.segments, analyze(smart_encode(body)).segments)
    return _Group(body, _OK, info.encoding, info.segments, smart, empty, controls)


def _groups_of(
    contacts: ContactColumns, template: Template
) -> tuple[NDArray[np.int64], list[dict[str, str]]]:
    """Each contact's group (the distinct cells of the template's columns) and one group's
    cells each. A column's distinct values are found once per book (`ContactColumns.cached`)
    and gathered; groups no contact of these has are left out."""
    count = len(contacts)
    columns = [c for c in template.placeholders if c in contacts.frame.columns]
    if not columns:
        return np.zeros(count, dtype=np.int64), ([{}] if count else [])
    coded = [
        contacts.cached(("distinct", column), partial(_distinct, column)) for column in columns
    ]
    index = contacts.root_index
    if len(columns) == 1:
        codes = coded[0][0][index]
        used = np.bincount(codes, minlength=len(coded[0][1])) > 0
        codes = (np.cumsum(used) - 1)[codes]
        values = coded[0][1][used]
        return codes, [{columns[0]: value} for value in values.tolist()]
    codes = np.zeros(count, dtype=np.int64)
    for column_codes, uniques in coded:
        codes = codes * max(len(uniques), 1) + column_codes[index]
        compact, _ = pd.factorize(codes, sort=False)  # compact again: no overflow
        codes = np.asarray(compact, dtype=np.int64)
    _, first = np.unique(codes, return_index=True)  # first contact of each group, by code
    cells = {
        column: uniques[column_codes[index[first]]]
        for column, (column_codes, uniques) in zip(columns, coded, strict=True)
    }
    groups = [{column: cells[column][i] for column in columns} for i in range(len(first))]
    return codes, groups


def _distinct(column: str, root: ContactColumns) -> tuple[NDArray[np.int64], NDArray[np.object_]]:
    """A column's code per contact of the book and its distinct values (code -> value)."""
    codes, uniques = pd.factorize(root.column(column), use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


#: Numbers priced between two looks at `should_stop`: a cold price table parses some
#: (~15 us each), and a cancelled plan must stop within tens of milliseconds.
_PRICE_CHUNK = 5_000


def _prices_of(
    contacts: ContactColumns, prices: PriceTable, check: Callable[[], None]
) -> NDArray[np.float64]:
    """The price per segment of each contact's number: once per book and price table (or,
    for an audience of under a quarter of the book, just its numbers), in chunks so that a
    cancelled plan stops (what was priced stays in the table's cache)."""

    def price_all(root: ContactColumns) -> NDArray[np.float64]:
        phones = root.phones
        parts = [np.zeros(0)]
        for start in range(0, len(phones), _PRICE_CHUNK):
            check()
            parts.append(prices.for_numbers(phones[start : start + _PRICE_CHUNK]))
        return np.concatenate(parts)

    if len(contacts) * 4 < len(contacts.root):  # a small audience: price just its numbers
        return price_all(contacts)
    priced: NDArray[np.float64] = contacts.cached(("prices", prices), price_all)
    return priced[contacts.root_index]


def build_plan(
    contacts: Iterable[Contact],
    template: Template,
    prices: PriceTable,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """Render, analyze and price one message per contact, in order (see the docstring).

    Raises `PlanCancelled` as soon as `should_stop()` is true (checked between groups).
    """
    columns = ContactColumns.of(contacts)

    def check() -> None:
        if should_stop is not None and should_stop():
            raise PlanCancelled

    check()
    codes, cells = _groups_of(columns, template)
    groups: list[_Group] = []
    for start in range(0, len(cells), 512):
        check()
        groups.extend(_group(template, fields) for fields in cells[start : start + 512])
    check()
    status = np.array([g.status for g in groups], dtype=np.int8)[codes]
    rows = columns.rows
    problems: list[Problem] = []
    for index in np.flatnonzero(status != _OK).tolist():
        code = int(codes[index])
        if groups[code].status == _TOO_LONG:
            problems.append(_too_long(int(rows[index]), groups[code].body))
        else:
            problems.append(_blank(int(rows[index]), groups[code].body, cells[code], template))
    warned = np.array([bool(g.empty or g.controls) for g in groups], dtype=bool)[codes]
    warnings: list[ContactWarning] = []
    for index in np.flatnonzero(warned & (status == _OK)).tolist():
        group = groups[int(codes[index])]
        if group.empty:
            warnings.append(_empty_warning(int(rows[index]), group.empty))
        if group.controls:
            warnings.append(_control_warning(int(rows[index]), group.controls))
    check()
    sent = np.flatnonzero(status == _OK)
    message_groups = codes[sent]
    segments = np.array([g.segments for g in groups], dtype=np.int64)[message_groups]
    phones = columns.phones[sent]
    costs = segments * _prices_of(columns, prices, check)[sent]
    gsm = np.array([g.encoding == GSM7 for g in groups], dtype=bool)[message_groups]
    smart = np.array([g.smart_segments for g in groups], dtype=np.int64)[message_groups]
    counts = np.bincount(segments) if len(segments) else np.zeros(0, dtype=np.int64)
    summary = PlanSummary(
        messages=len(sent),
        segments=int(segments.sum()),
        cost=float(np.cumsum(costs)[-1]) if len(costs) else 0.0,  # in order, as a loop adds
        currency=prices.currency,
        histogram={parts: int(n) for parts, n in enumerate(counts.tolist()) if n},
        ucs2_messages=int((~gsm).sum()),
        smart_segments=int(smart.sum()),
    )
    messages = PlannedMessages(
        rows[sent],
        phones,
        message_groups,
        [g.body for g in groups],
        [g.encoding for g in groups],
        segments,
        costs,
    )
    return Plan(messages, summary, problems, warnings)


def _too_long(row: int, body: str) -> Problem:
    length = utf16_length(body)
    return Problem(
        row=row,
        column="body",
        value=f"{length} characters",
        kind="body-too-long",
        reason=(
            f"the message for this row is {length:,} characters; Twilio refuses more than "
            f"{MAX_BODY_CHARS:,} (error 21617)"
        ),
    )


#: Characters a phone shows as a line break: GSM-7 has both, so they are ordinary text.
_LINE_BREAKS = frozenset("\n\r")

#: Names for the control characters people meet (unicodedata has none for category Cc).
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "BEL",
    "\x08": "BACKSPACE",
    "\x09": "TAB",
    "\x0b": "VERTICAL TAB",
    "\x0c": "FORM FEED",
    "\x1b": "ESC",
    "\x7f": "DEL",
}


def _is_blank(body: str) -> bool:
    """True when a phone would show nothing: no character that is visible ink (only
    whitespace, controls and invisible formatting characters, or nothing at all)."""
    return not any(char.isprintable() and not char.isspace() for char in body)


def _controls(body: str) -> list[str]:
    """The distinct control / invisible formatting characters in `body` (line breaks are
    text), in order of first appearance."""
    return [
        char for char in dict.fromkeys(body) if char not in _LINE_BREAKS and visible(char) != char
    ]


def _char_name(char: str) -> str:
    import unicodedata

    return _CONTROL_NAMES.get(char, "") or unicodedata.name(char, "control character")


def _blank(row: int, body: str, cells: Mapping[str, str], template: Template) -> Problem:
    fields = template.empty_fields(cells) if template.required else []
    cause = (
        f" because {', '.join(repr(name) for name in fields)} "
        f"{'is' if len(fields) == 1 else 'are'} empty"
        if fields
        else ""
    )
    if not body:
        return Problem(
            row=row,
            column="body",
            value="",
            kind="body-empty",
            reason=f"the message for this row is empty{cause}; Twilio refuses an empty "
            "message (error 21602). Fill the cell or give the placeholder a default",
        )
    return Problem(
        row=row,
        column="body",
        value=visible(body[:40]),
        kind="body-blank",
        reason=f"the message for this row is only spaces or invisible characters{cause} "
        f"({visible(body[:40])}); Twilio would deliver a blank text and charge for it. "
        "Fill the cell or give the placeholder a default",
    )


def _control_warning(row: int, controls: list[str]) -> ContactWarning:
    shown = ", ".join(f"{visible(char)} ({_char_name(char)})" for char in controls[:5])
    more = f" and {len(controls) - 5} more" if len(controls) > 5 else ""
    what = "a control character" if len(controls) == 1 else "control characters"
    return ContactWarning(
        row=row,
        kind="control-character",
        message=(
            f"the message contains {what} "
            f"{shown}{more}: it is sent as it is, counted in the segments as Twilio counts "
            "it, and phones may show it as a box, drop it or reorder the text around it"
        ),
    )


def _empty_warning(row: int, columns: list[str]) -> ContactWarning:
    names = ", ".join(repr(column) for column in columns)
    return ContactWarning(
        row=row,
        kind="empty-field",
        message=(
            f"{names} {'is' if len(columns) == 1 else 'are'} empty, so the message has a gap; "
            f"fill the cell or give a default, like {{{snake_case(columns[0])}|...}}"
        ),
    )
