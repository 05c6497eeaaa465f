"""Delivery tracking by polling: when to ask Twilio again about each live message.

A terminal has no public URL for status callbacks, so the engine fetches each non-final
message with backoff (1 s, 2 s, 4 s ... up to `cap`), until it is final or the engine's time
limit passes. This class is only the schedule; the engine decides how many polls it can afford.

A message Twilio answers 404 for (code 20404: it no longer has it: deleted, another account,
or a sandbox that was restarted and forgot it) is *gone*: asking again would get the same
answer forever. Both the engine and `refresh_statuses` then record it once (`gone_outcome`:
the row keeps its last known status, error code 20404 and a sentence saying Twilio no longer
has the message) and stop polling it (`pollable`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaigns.twilio.protocols import Gateway

#: Twilio's "The requested resource was not found" (HTTP 404), on a message it once gave us.
GONE_CODE = 20404
GONE_MESSAGE = (
    "Twilio no longer has this message (404, error 20404: deleted, or the account or sandbox "
    "that held it is not the one asked); its last known status is kept and it is no longer "
    "checked."
)


def is_gone(exc: Any) -> bool:
    """Whether a failed fetch (a `TwilioFailure`) means Twilio does not have the message.

    Only Twilio's own code 20404 counts: a bare HTTP 404 without it (a proxy, a wrong base
    URL) says nothing about the message, and the row stays polled."""
    return getattr(exc, "code", None) == GONE_CODE


def gone_outcome(row: int, status: str) -> Any:
    """The `journal.Outcome` recording that Twilio no longer has the message of `row`."""
    from campaigns.store.journal import Outcome

    return Outcome(row, status, error_code=GONE_CODE, error_message=GONE_MESSAGE)


def pollable(row: Any) -> bool:
    """Whether a journal `Recipient` is worth asking Twilio about: live, with a SID, and not
    already known to be gone."""
    from campaigns.store.journal import LIVE_STATUSES

    return row.status in LIVE_STATUSES and bool(row.sid) and row.error_code != GONE_CODE


@dataclass(slots=True)
class _Tracked:
    row: int
    sid: str
    to: str
    tries: int


class PollSchedule:
    """A heap of (due time, row) for the messages whose delivery status is still open."""

    def __init__(self, *, track_seconds: float, first: float = 1.0, cap: float = 15.0) -> None:
        self.track_seconds = track_seconds
        self.first = first
        self.cap = cap
        self._tracked: dict[int, _Tracked] = {}
        self._heap: list[tuple[float, int]] = []
        self._out: set[int] = set()  # rows with a poll in flight

    def __len__(self) -> int:
        return len(self._tracked)

    def add(self, row: int, sid: str, to: str, now: float) -> None:
        """Start tracking a message (first poll after `first` seconds)."""
        self._tracked[row] = _Tracked(row, sid, to, 0)
        heapq.heappush(self._heap, (now + self.first, row))

    def next_due(self) -> float | None:
        """When the next poll is due (None when nothing waits for one)."""
        while self._heap and (
            self._heap[0][1] not in self._tracked or self._heap[0][1] in self._out
        ):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def due(self, now: float, limit: int) -> list[tuple[int, str, str]]:
        """Up to `limit` polls due by `now`, as (row, sid, to); they count as in flight."""
        out: list[tuple[int, str, str]] = []
        while self._heap and len(out) < limit and self._heap[0][0] <= now:
            _, row = heapq.heappop(self._heap)
            item = self._tracked.get(row)
            if item is None or row in self._out:
                continue
            self._out.add(row)
            out.append((row, item.sid, item.to))
        return out

    def retry(self, row: int, now: float) -> None:
        """The message is not final yet: poll again later, a little later each time."""
        self._out.discard(row)
        item = self._tracked.get(row)
        if item is None:
            return
        item.tries += 1
        delay = min(self.cap, self.first * 2**item.tries)
        heapq.heappush(self._heap, (now + delay, row))

    def requeue(self, now: float) -> None:
        """Polls that were in flight and got canceled: due again now."""
        for row in list(self._out):
            self._out.discard(row)
            if row in self._tracked:
                heapq.heappush(self._heap, (now, row))

    def done(self, row: int) -> None:
        """The message is final: stop tracking it."""
        self._out.discard(row)
        self._tracked.pop(row, None)


async def refresh_statuses(
    gateway: Gateway,
    journal: Any,
    campaign_id: str,
    *,
    concurrency: int = 10,
    timeout: float = 15.0,
) -> int:
    """Fetch every live (not final) message of the campaign once and record what changed.

    Used by `smscast status` after the engine has stopped tracking. Returns how many rows
    changed. Twilio errors leave a row as it was (the next refresh tries again), except a 404:
    the message is gone (`gone_outcome`) and is not asked about again.
    """
    import asyncio

    from campaigns.store.journal import LIVE_STATUSES, Outcome
    from campaigns.twilio.errors import TwilioFailure, describe

    rows = [r for r in journal.recipients(campaign_id, LIVE_STATUSES) if pollable(r)]
    gate = asyncio.Semaphore(max(1, concurrency))
    outcomes: list[Outcome] = []

    async with gateway.async_session() as session:

        async def one(row: Any) -> None:
            async with gate:
                try:
                    record = await session.fetch(row.sid, timeout=timeout)
                except TwilioFailure as exc:
                    if is_gone(exc):
                        outcomes.append(gone_outcome(row.row, row.status))
                    return
            if (
                record.status != row.status
                or (record.price and not row.price)
                or (record.from_ and not getattr(row, "from_number", None))
            ):
                info = describe(record.error_code)
                outcomes.append(
                    Outcome(
                        row.row,
                        record.status,
                        sid=record.sid,
                        error_code=record.error_code,
                        error_message=(info.meaning if info else record.error_message)
                        if record.error_code
                        else None,
                        price=record.price,
                        segments=record.num_segments,
                        from_number=record.from_,
                    )
                )

        await asyncio.gather(*(one(r) for r in rows))
    journal.apply(campaign_id, outcomes)
    return len(outcomes)
