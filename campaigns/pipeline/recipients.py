"""The journal rows of a new campaign, built the same way by the command line and the app.

Every contact of the file gets a row, so the export shows everyone: the planned messages
(pending, with `not_before` for quiet-hours deferrals), then every excluded row as `skipped`
with its reason (audience exclusions, plan problems such as an over-long or blank body, rows
left out by `--limit`), each with its original cells (also the invalid and duplicate rows,
read back from the file through `ContactBook.row_fields`). An optional canary (the person's
own number) is row 0 and gets the first planned message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from campaigns.store.journal import SKIPPED, NewRecipient

if TYPE_CHECKING:  # (the book's module loads pandas: callers have it loaded already)
    from campaigns.audience.filters import Audience
    from campaigns.compose.plan import Plan
    from campaigns.contacts.book import ContactBook
    from campaigns.contacts.rows import Contact


def journal_recipients(
    book: ContactBook,
    audience: Audience,
    plan: Plan,
    *,
    limited_out: Iterable[Contact] = (),
    canary: str | None = None,
) -> list[NewRecipient]:
    """`NewRecipient`s for `Journal.create_campaign`, in the order described above."""
    by_row = {contact.row: contact for contact in book.contacts}
    out: list[NewRecipient] = []
    if canary and plan.messages:
        first = plan.messages[0]
        out.append(
            NewRecipient(
                row=0,
                to=canary,
                body=first.body,
                segments=first.segments,
                cost=first.cost,
                fields={"canary": "your own number"},
            )
        )
    for message in plan.messages:
        contact = by_row.get(message.row)
        out.append(
            NewRecipient(
                row=message.row,
                to=message.to,
                body=message.body,
                segments=message.segments,
                cost=message.cost,
                fields=dict(contact.fields) if contact is not None else {},
                not_before=audience.deferred.get(message.row),
            )
        )
    planned = {message.row for message in plan.messages}
    skipped: dict[int, tuple[str, str]] = {}
    for exclusion in audience.excluded:
        skipped.setdefault(exclusion.row, (exclusion.phone, exclusion.reason))
    for problem in plan.problems:
        if problem.row not in planned:
            skipped.setdefault(problem.row, (problem.value, problem.reason))
    for contact in limited_out:
        skipped.setdefault(contact.row, (contact.phone, "left out by --limit"))
    # Invalid and duplicate rows are not contacts: their cells come from the file itself.
    original = book.row_fields(row for row in skipped if row not in by_row)
    for row, (phone, reason) in sorted(skipped.items()):
        contact = by_row.get(row)
        out.append(
            NewRecipient(
                row=row,
                to=(contact.phone if contact is not None else phone) or "",
                body="",
                segments=0,
                cost=0.0,
                fields=dict(contact.fields) if contact is not None else original.get(row, {}),
                status=SKIPPED,
                error_message=reason,
            )
        )
    return out
