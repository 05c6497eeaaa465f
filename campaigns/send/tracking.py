"""Delivery tracking by polling, one message at a time: when to ask Twilio again about each.

The engine's tracking before sweeps (`campaigns.send.sweeps`, the default since): each
non-final message fetched with backoff (1 s, 2 s, 4 s ... up to `cap`), until it is final or
the engine's time limit passes. At least one request per message; kept for
`EngineOptions(receipts="poll")`, which `benchmarks/bench_track.py` compares sweeps with.
This class is only the schedule; the engine decides how many polls it can afford.

A message Twilio answers 404 for (code 20404: it no longer has it: deleted, another account,
or a sandbox that was restarted and forgot it) is *gone*: asking again would get the same
answer forever. Both the engine and `refresh_statuses` then record it once (`gone_outcome`:
the row keeps its last known status, error code 20404 and a sentence saying Twilio no longer
has the message) and stop polling it (`pollable`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campaigns.send.sweeps import Fetch

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
        self._rows: dict[str, int] = {}  # sid -> row, of the tracked messages
        self._heap: list[tuple[float, int]] = []
        self._out: set[int] = set()  # rows with a poll in flight

    def __len__(self) -> int:
        return len(self._tracked)

    def add(
        self,
        row: int,
        sid: str,
        to: str,
        now: float,
        from_: str | None = None,
        listed_from: datetime | None = None,
    ) -> None:
        """Start tracking a message (first poll after `first` seconds; `from_` and
        `listed_from` are not needed to fetch one message)."""
        self._tracked[row] = _Tracked(row, sid, to, 0)
        self._rows[sid] = row
        heapq.heappush(self._heap, (now + self.first, row))

    def next_due(self) -> float | None:
        """When the next poll is due (None when nothing waits for one)."""
        while self._heap and (
            self._heap[0][1] not in self._tracked or self._heap[0][1] in self._out
        ):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def due(self, now: float, limit: int) -> list[Fetch]:
        """Up to `limit` polls due by `now`, as (row, sid, to); they count as in flight."""
        out: list[Fetch] = []
        while self._heap and len(out) < limit and self._heap[0][0] <= now:
            _, row = heapq.heappop(self._heap)
            item = self._tracked.get(row)
            if item is None or row in self._out:
                continue
            self._out.add(row)
            out.append(Fetch(row, item.sid, item.to))
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
        item = self._tracked.pop(row, None)
        if item is not None:
            self._rows.pop(item.sid, None)

    def watching(self, sid: str) -> tuple[int, str] | None:
        """(row, to) of a tracked message (None: not one of ours, or no longer tracked)."""
        item = self._tracked.get(self._rows.get(sid, -1))
        return (item.row, item.to) if item is not None and item.sid == sid else None


async def refresh_statuses(
    gateway: Gateway,
    journal: Any,
    campaign_id: str,
    *,
    concurrency: int = 10,
    timeout: float = 15.0,
    margin: float = 120.0,
) -> int:
    """Record what Twilio now says of every live (not final) message of the campaign.

    Used by `smscast status` and History after the engine has stopped tracking: one sweep of
    the listing (`From` = the campaign's sender, or every sender for a Messaging Service
    campaign; `DateSent>` = the oldest live message's hand-over (else the campaign's start)
    less `margin`; pages of 1,000, stopping once every live message is placed), then a
    single fetch for each one the sweep could not place (deleted, failed before it left ...)
    but a backlog still in Twilio's queue: of the messages handed over after the newest one
    listed, only the oldest is fetched, and the others only when it has left the queue.
    Returns how many rows changed. Twilio errors leave a row as it was (the next refresh
    tries again), except a 404 on a fetch: the message is gone (`gone_outcome`) and is not
    asked about again.
    """
    import asyncio
    from datetime import timedelta

    from campaigns.send.tally import outcome_of
    from campaigns.store.journal import LIVE_STATUSES, Outcome
    from campaigns.twilio.errors import TwilioFailure

    campaign = journal.campaign(campaign_id)
    rows = {r.sid: r for r in journal.recipients(campaign_id, LIVE_STATUSES) if pollable(r)}
    if not rows:
        return 0
    sender = None if campaign.messaging_service_sid else campaign.sender
    # From just before the oldest live message was handed over (Twilio dates a message when
    # it leaves, later): a long campaign's refresh reads its last minutes, not all of it.
    handed = [r.attempted_at for r in rows.values()]
    oldest = min(handed) if all(handed) else None
    since = max(campaign.created_at, oldest or campaign.created_at) - timedelta(seconds=margin)
    outcomes: list[Outcome] = []
    placed: set[str] = set()

    def seen(row: Any, receipt: Any) -> None:
        placed.add(row.sid)
        if (
            receipt.status != row.status
            or (receipt.price and not row.price)
            or (receipt.from_ and not getattr(row, "from_number", None))
        ):
            outcomes.append(outcome_of(row.row, receipt))

    async with gateway.async_session() as session:
        url: str | None = None
        try:
            while len(placed) < len(rows):
                page = await session.receipts_page(
                    from_=sender, sent_after=since, page_url=url, timeout=timeout
                )
                for receipt in page.receipts:
                    row = rows.get(receipt.sid)
                    if row is not None:
                        seen(row, receipt)
                url = page.next_page_url
                if url is None:
                    break
            listed = True
        except TwilioFailure:
            listed = False  # the listing failed: the single fetches below ask about every row
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(row: Any) -> str | None:
            async with gate:
                try:
                    record = await session.fetch(row.sid, timeout=timeout)
                except TwilioFailure as exc:
                    if is_gone(exc):
                        outcomes.append(gone_outcome(row.row, row.status))
                    return None
            seen(row, record)
            return str(record.status)

        strays, backlog = _unplaced(rows, placed)
        if not listed:
            strays, backlog = strays + backlog, []
        await asyncio.gather(*(one(r) for r in strays))
        if backlog and await one(backlog[0]) not in UNSENT_STATUSES:
            # The queue's head has left it (or is gone): the queue is not why they are not
            # listed, so each is asked about.
            await asyncio.gather(*(one(r) for r in backlog[1:]))
    journal.apply(campaign_id, outcomes)
    return len(outcomes)


#: The statuses of a message Twilio has not sent yet: it has no `date_sent`, so no DateSent
#: listing shows it (`campaigns.sandbox.api_v2010._message_filter` says what is assumed).
UNSENT_STATUSES = frozenset({"accepted", "queued", "scheduled", "sending"})


def _unplaced(rows: dict[str, Any], placed: set[str]) -> tuple[list[Any], list[Any]]:
    """The live rows a listing did not show (`placed`: those it did), split: *strays* (handed
    over before the newest one it showed, or when not known: each is asked about) and the
    *backlog* (handed over after it, oldest first: most likely still in Twilio's queue, as a
    sender sends in order, so its head is asked about first; `refresh_statuses`)."""
    newest = max((rows[sid].attempted_at for sid in placed if rows[sid].attempted_at), default=None)
    strays: list[Any] = []
    backlog: list[Any] = []
    for sid, row in rows.items():
        if sid in placed:
            continue
        if row.attempted_at is None or (newest is not None and row.attempted_at <= newest):
            strays.append(row)
        else:
            backlog.append(row)
    backlog.sort(key=lambda row: row.attempted_at)
    return strays, backlog
