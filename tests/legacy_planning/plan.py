"""The plan: exactly what each recipient will get, how it is encoded, and what it may cost.

`build_plan(contacts, template, prices)` renders the template for every contact, analyzes the
body (`campaigns.compose.segments`) and prices it (`campaigns.compose.pricing`, an estimate).
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from campaigns.compose.pricing import PriceTable
from campaigns.compose.segments import GSM7, MAX_BODY_CHARS, analyze, smart_encode, utf16_length
from campaigns.compose.template import Template, snake_case
from campaigns.contacts.rows import Contact, ContactWarning, Problem
from campaigns.untrusted import visible

__all__ = ["PROBLEM_LABELS", "Plan", "PlanSummary", "PlannedMessage", "build_plan"]


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


def build_plan(contacts: Iterable[Contact], template: Template, prices: PriceTable) -> Plan:
    """Render, analyze and price one message per contact, in order."""
    messages: list[PlannedMessage] = []
    problems: list[Problem] = []
    warnings: list[ContactWarning] = []
    histogram: Counter[int] = Counter()
    total_segments = 0
    total_cost = 0.0
    ucs2 = 0
    smart_segments = 0
    render, empty_fields, for_number = template.render, template.empty_fields, prices.for_number
    check_empty = bool(template.required)
    for contact in contacts:
        body = render(contact.fields)
        if len(body) > MAX_BODY_CHARS // 2 and utf16_length(body) > MAX_BODY_CHARS:
            problems.append(_too_long(contact, body))
            continue
        printable = body.isprintable()
        if not (printable and body.strip()) and _is_blank(body):
            problems.append(_blank(contact, body, template))
            continue
        if check_empty:
            empty = empty_fields(contact.fields)
            if empty:
                warnings.append(_empty_warning(contact, empty))
        if not printable and (controls := _controls(body)):
            warnings.append(_control_warning(contact, controls))
        info = analyze(body)
        segments = info.segments
        cost = segments * for_number(contact.phone)
        messages.append(
            PlannedMessage(contact.row, contact.phone, body, info.encoding, segments, cost)
        )
        histogram[segments] += 1
        total_segments += segments
        total_cost += cost
        if info.encoding == GSM7:
            smart_segments += segments
        else:
            ucs2 += 1
            smart_segments += min(segments, analyze(smart_encode(body)).segments)
    summary = PlanSummary(
        messages=len(messages),
        segments=total_segments,
        cost=total_cost,
        currency=prices.currency,
        histogram=dict(sorted(histogram.items())),
        ucs2_messages=ucs2,
        smart_segments=smart_segments,
    )
    return Plan(messages, summary, problems, warnings)


def _too_long(contact: Contact, body: str) -> Problem:
    length = utf16_length(body)
    return Problem(
        row=contact.row,
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


def _blank(contact: Contact, body: str, template: Template) -> Problem:
    fields = template.empty_fields(contact.fields) if template.required else []
    cause = (
        f" because {', '.join(repr(name) for name in fields)} "
        f"{'is' if len(fields) == 1 else 'are'} empty"
        if fields
        else ""
    )
    if not body:
        return Problem(
            row=contact.row,
            column="body",
            value="",
            kind="body-empty",
            reason=f"the message for this row is empty{cause}; Twilio refuses an empty "
            "message (error 21602). Fill the cell or give the placeholder a default",
        )
    return Problem(
        row=contact.row,
        column="body",
        value=visible(body[:40]),
        kind="body-blank",
        reason=f"the message for this row is only spaces or invisible characters{cause} "
        f"({visible(body[:40])}); Twilio would deliver a blank text and charge for it. "
        "Fill the cell or give the placeholder a default",
    )


def _control_warning(contact: Contact, controls: list[str]) -> ContactWarning:
    shown = ", ".join(f"{visible(char)} ({_char_name(char)})" for char in controls[:5])
    more = f" and {len(controls) - 5} more" if len(controls) > 5 else ""
    what = "a control character" if len(controls) == 1 else "control characters"
    return ContactWarning(
        row=contact.row,
        kind="control-character",
        message=(
            f"the message contains {what} "
            f"{shown}{more}: it is sent as it is, counted in the segments as Twilio counts "
            "it, and phones may show it as a box, drop it or reorder the text around it"
        ),
    )


def _empty_warning(contact: Contact, columns: list[str]) -> ContactWarning:
    names = ", ".join(repr(column) for column in columns)
    return ContactWarning(
        row=contact.row,
        kind="empty-field",
        message=(
            f"{names} {'is' if len(columns) == 1 else 'are'} empty, so the message has a gap; "
            f"fill the cell or give a default, like {{{snake_case(columns[0])}|...}}"
        ),
    )
