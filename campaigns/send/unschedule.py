"""Cancel the messages Twilio holds for a campaign (`scheduled`), each at most once, journaled.

Exactly once, the same way as sending: the cancels' intent (`cancel_requested_at`) is
committed for every row before any cancel request leaves, and each answer is recorded after:
- `canceled` -> the row is `canceled` (it never went out);
- 30409 "cannot be canceled" (the message is no longer scheduled: its time came) -> the
  message is fetched and its real status recorded (`queued`, `sent`, `delivered`, ...), with a
  note that it had already left: a message that went out is never recorded as canceled;
- no answer, or Twilio unreachable -> the row stays `scheduled` with its intent; the next
  cancel fetches such a row first and cancels it only if Twilio still holds it (so none is
  canceled twice, and none is left behind: the report counts the unsettled ones).

A STOP reply does not cancel messages Twilio already holds (Twilio's scheduling FAQ); this is
also what a face calls to honour an opt-out for a scheduled message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from campaigns.store import journal as J
from campaigns.store.statuses import RecipientStatus
from campaigns.twilio.errors import PermanentError, TwilioFailure
from campaigns.twilio.models import MessageRecord
from campaigns.twilio.protocols import GatewaySession

__all__ = ["CancelReport", "cancel_held"]

#: Cancels in flight at once (each is one small request).
_CONCURRENCY = 10
_LEFT_NOTE = "It had already left when the campaign was canceled."
_CANCELED_NOTE = "Canceled before its time; it was never sent."


@dataclass(slots=True)
class CancelReport:
    """What a cancel did: canceled at Twilio, found already gone out, and left unsettled
    (no answer: run the cancel again)."""

    canceled: int = 0
    already_left: int = 0
    unsettled: int = 0
    problems: list[str] = field(default_factory=list)


async def cancel_held(
    session: GatewaySession,
    journal: J.Journal,
    campaign_id: str,
    *,
    rows: Iterable[int] | None = None,
    timeout: float = 15.0,
) -> CancelReport:
    """Cancel the campaign's `scheduled` messages (only `rows`, when given); see the module
    docstring. The caller holds the campaign's run lock."""
    wanted = None if rows is None else set(rows)
    held = [
        r
        for r in journal.recipients(campaign_id, [RecipientStatus.SCHEDULED])
        if r.sid and (wanted is None or r.row in wanted)
    ]
    report = CancelReport()
    if not held:
        return report
    journal.request_cancels(campaign_id, [r.row for r in held], J.now_utc())
    gate = asyncio.Semaphore(_CONCURRENCY)
    outcomes: list[J.Outcome] = []

    async def one(r: J.Recipient) -> None:
        assert r.sid is not None
        async with gate:
            try:
                if r.cancel_requested_at is not None:
                    # An earlier cancel got no answer: ask first, cancel only if still held.
                    now = await session.fetch(r.sid, timeout=timeout)
                    if now.status != RecipientStatus.SCHEDULED:
                        outcomes.append(_settled(r.row, now))
                        _count(report, now)
                        return
                record = await session.cancel(r.sid, timeout=timeout)
            except PermanentError as exc:
                if exc.code != 30409:
                    report.unsettled += 1
                    report.problems.append(f"row {r.row}: {exc}")
                    return
                try:  # no longer scheduled: record what it became
                    record = await session.fetch(r.sid, timeout=timeout)
                except TwilioFailure as fetch_failed:
                    report.unsettled += 1
                    report.problems.append(f"row {r.row}: {fetch_failed}")
                    return
            except TwilioFailure as exc:
                report.unsettled += 1
                report.problems.append(f"row {r.row}: {exc}")
                return
        outcomes.append(_settled(r.row, record))
        _count(report, record)

    try:
        await asyncio.gather(*(one(r) for r in held))
    finally:
        journal.apply(campaign_id, outcomes)  # whatever was answered is recorded
    return report


def _settled(row: int, record: MessageRecord) -> J.Outcome:
    canceled = record.status == RecipientStatus.CANCELED
    return J.Outcome(
        row,
        record.status,
        sid=record.sid,
        error_code=record.error_code,
        error_message=_CANCELED_NOTE if canceled else (record.error_message or _LEFT_NOTE),
        price=record.price,
    )


def _count(report: CancelReport, record: MessageRecord) -> None:
    if record.status == RecipientStatus.CANCELED:
        report.canceled += 1
    elif record.status == RecipientStatus.SCHEDULED:
        report.unsettled += 1
    else:
        report.already_left += 1
