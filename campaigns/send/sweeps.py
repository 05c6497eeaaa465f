"""Delivery receipts by the page: when to sweep Twilio's Messages listing, and which messages
a sweep could not place.

Fetching every live message again and again costs at least one request per message (several
when carriers are slow), against the same account-wide concurrency that sending needs. Twilio
hands out a thousand messages per list request, so a *sweep* lists the campaign's messages
(`From` = each sender the campaign's messages left from, `DateSent>` = just before the
oldest message it waits for was created, `PageSize` 1000, every page) and matches them by
SID: a campaign of 20,000 costs at most ~20 requests per sweep, whatever its carriers do, and
a long one's sweeps read only the pages of the messages still waiting.

The schedule (`SweepSchedule`, the engine's tracker when `EngineOptions.receipts` is
"sweep"; `tracking.PollSchedule` is the per-message one it replaces, kept for comparison):
- a sweep is one *leg* per sender address, each leg one page request at a time (the next page
  needs the previous one's token); the engine spends at most its tracking share of the
  requests on them, so sweeps never delay sending;
- a receipt is recorded at most `cap` seconds (15) after Twilio has it: sweeps start at
  most `cap` apart, less the time the next one takes to read and record (`_end`), which holds
  while a sweep reads in under ~9 s (about 10,000 messages waiting at once against Twilio;
  beyond that sweeps follow each other after a pause of `first`). Each lists only from just
  before the oldest message it waits for (`_window`), so a long campaign's sweeps read the
  pages of its last minutes, not all of it again. A message that never gets a receipt
  (Twilio's `sent` stays) holds the listing's start back until tracking ends: the listing
  is then as long as it was before the window, never longer;
- sweeps back off while nothing changes (doubling from `first` up to `cap`); after one that
  found a change the next comes `first` after it began while the requests spent stay within
  `budget` per message watched (plus `allowance`: a small campaign hears of its receipts
  within a second or two), and `cap` after it once they do not. The promise wins over the
  budget: below ~1.3 messages/s (one request per 15 s is 0.05 per message at 1.3/s) a
  campaign costs more than 0.05 requests per message, at most one page per `cap`;
- a message that `miss_limit` complete sweeps in a row did not list (and that was watched
  before each of them began: one created during a sweep is not counted as missed by it),
  although a message sent after it from the same sender was listed, is a *stray*: it gets
  one single fetch (`Fetch`), then waits twice as long before the next one (`stray_after`,
  doubling up to `stray_cap`). A sender sends in order, so messages with nothing listed
  after them are most likely still waiting in the sender's queue: only the oldest of those
  is fetched (a probe), not one request per message of a backlog. Strays are the few a
  sweep cannot place: a message not sent yet (Twilio filters `DateSent` on the sent date,
  which a queued message does not have: see `campaigns/sandbox/api_v2010._message_filter`
  for what is assumed), one that failed before it left, one deleted, one sent from a number
  the campaign did not expect;
- a leg's pages follow one another in one admission slot (each page a request of its own).
The engine stops tracking when every message is final or its `track_seconds` have passed;
`smscast status` sweeps once more later (`tracking.refresh_statuses`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from campaigns.twilio.models import Receipt, ReceiptPage


def listed_from(
    date_created: datetime | None, handed: datetime | None, margin: float
) -> datetime | None:
    """A moment before Twilio dates a message sent: its `date_created` less a second (Twilio's
    own clock, in whole seconds; a message is sent after it is created), else when smscast
    handed it over less `margin` seconds (this machine's clock may be off), else None."""
    if date_created is not None:
        return date_created - timedelta(seconds=1)
    if handed is not None:
        return handed - timedelta(seconds=margin)
    return None


class Fetch(NamedTuple):
    """One single fetch of a message: a stray's, or per-message polling's (`PollSchedule`)."""

    row: int
    sid: str
    to: str


@dataclass(slots=True)
class Page:
    """The next page request of one leg of a sweep: messages from `from_` (None: any)."""

    from_: str | None
    since: datetime
    url: str | None = None  # None: the first page
    sweep: int = 0


@dataclass(slots=True)
class _Watched:
    row: int
    sid: str
    to: str
    from_: str | None
    since_sweep: int  # the first sweep that began after this message was watched
    seq: int  # the order it was watched in (about the order Twilio created them)
    #: A moment before Twilio dated it sent (its `date_created` less a second, or its intent
    #: less the margin for a skewed clock), or None when not known: the campaign's start.
    listed_from: datetime | None
    misses: int = 0
    stray_due: float = 0.0
    stray_wait: float = 0.0
    fetching: bool = False


@dataclass(slots=True)
class _Sweep:
    number: int
    began: float
    legs_left: set[str | None] = field(default_factory=set)
    seen: set[int] = field(default_factory=set)
    changed: bool = False
    pages: int = 0


TrackRequest = Fetch | Page


class SweepSchedule:
    """The live messages of a run, the sweeps over them and the strays' fetches."""

    def __init__(
        self,
        *,
        since: datetime,
        track_seconds: float,
        first: float = 1.0,
        cap: float = 15.0,
        miss_limit: int = 2,
        stray_after: float = 30.0,
        stray_cap: float = 600.0,
        page_size: int = 1000,
        record_delay: float = 0.0,
        narrow: bool = True,
    ) -> None:
        self.since = since
        #: False: every sweep lists from `since` (the way before `_window`, for comparison).
        self.narrow = narrow
        #: Seconds from a page's answer to its receipts being in the journal (the engine's
        #: group commits and its tick): part of the promised `cap`.
        self.record_delay = record_delay
        self.track_seconds = track_seconds
        self.first = first
        self.cap = cap
        self.miss_limit = miss_limit
        self.stray_after = stray_after
        self.stray_cap = stray_cap
        self.page_size = page_size
        #: Requests per watched message (plus `allowance` in all) the sweeps may spend
        #: at their quick pace; beyond it they come once per `cap`.
        self.budget = 0.02
        self.allowance = 30
        self.watched = 0  # messages watched so far, in all
        self.interval = first
        #: Requests by kind, for tests and the benchmark: pages, fetches, sweeps.
        self.pages = 0
        self.fetches = 0
        self.sweeps = 0
        #: When each sweep began (monotonic seconds): the benchmark's sweep period; how long
        #: each took to read; how many listed from over a second after the campaign's start.
        self.started: list[float] = []
        self.reads: list[float] = []
        self.narrow_sweeps = 0
        self._by_sid: dict[str, _Watched] = {}
        self._by_row: dict[int, _Watched] = {}
        self._sweep: _Sweep | None = None
        self._ready: list[Page] = []  # pages due now (a leg's next page, or a retry)
        self._retry: list[tuple[float, int, Page]] = []
        self._out = 0  # page requests in flight
        self._next_sweep: float | None = None
        self._strays: list[tuple[float, int]] = []
        self._counter = 0
        self._seq = 0
        #: Per sender (None: any): the latest-watched message a listing has shown. A sender
        #: sends in order, so an earlier one of it that is not listed should have been.
        self._latest_listed: dict[str | None, int] = {}

    def __len__(self) -> int:
        return len(self._by_row)

    # -- what is watched ---------------------------------------------------------------------

    def add(
        self,
        row: int,
        sid: str,
        to: str,
        now: float,
        from_: str | None = None,
        listed_from: datetime | None = None,
    ) -> None:
        """Watch a live message (sent from `from_`, None when not known yet), which a listing
        with `DateSent>` = `listed_from` shows once it is sent (None: not known, the
        campaign's start is used)."""
        if row in self._by_row:
            self.done(row)
        number = self._sweep.number + 1 if self._sweep is not None else self.sweeps + 1
        self._seq += 1
        self.watched += 1
        item = _Watched(
            row, sid, to, from_, number, self._seq, listed_from, stray_wait=self.stray_after
        )
        item.stray_due = now + self.stray_after
        self._by_sid[sid] = item
        self._by_row[row] = item
        if self._next_sweep is None:
            self._next_sweep = now + self.first

    def done(self, row: int) -> None:
        """The message is final (or gone): stop watching it."""
        item = self._by_row.pop(row, None)
        if item is not None:
            self._by_sid.pop(item.sid, None)
            if self._sweep is not None:
                self._sweep.seen.discard(row)  # `seen` counts watched messages only

    def watching(self, sid: str) -> tuple[int, str] | None:
        """(row, to) of a watched message (None: not one of ours, or no longer watched)."""
        item = self._by_sid.get(sid)
        return (item.row, item.to) if item is not None else None

    def row_of(self, sid: str) -> int | None:
        """The row of a watched message (None: not one of ours, or no longer watched)."""
        item = self._by_sid.get(sid)
        return item.row if item is not None else None

    # -- what is due -------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When the next request is due (None when nothing waits for one)."""
        if not self._by_row:
            return None
        if self._ready:
            return 0.0
        moments = []
        if self._retry:
            moments.append(self._retry[0][0])
        if self._sweep is None and self._next_sweep is not None:
            moments.append(self._next_sweep)
        while self._strays and self._stale_stray(self._strays[0][1]):
            heapq.heappop(self._strays)
        if self._strays:
            moments.append(self._strays[0][0])
        return min(moments) if moments else None

    def _stale_stray(self, row: int) -> bool:
        item = self._by_row.get(row)
        return item is None or item.fetching

    def due(self, now: float, limit: int) -> list[TrackRequest]:
        """Up to `limit` requests to start now: page requests first, then stray fetches."""
        out: list[TrackRequest] = []
        if not self._by_row:
            return out
        while self._retry and self._retry[0][0] <= now:
            self._ready.append(heapq.heappop(self._retry)[2])
        if self._sweep is None and self._next_sweep is not None and now >= self._next_sweep:
            self._begin(now)
        current = self._sweep.number if self._sweep is not None else None
        while self._ready and len(out) < limit:
            page = self._ready.pop()
            if page.sweep != current:
                continue  # a page of a sweep that was given up
            self._out += 1
            self.pages += 1
            out.append(page)
        while self._strays and len(out) < limit and self._strays[0][0] <= now:
            _, row = heapq.heappop(self._strays)
            item = self._by_row.get(row)
            if item is None or item.fetching or item.stray_due > now:
                continue
            item.fetching = True
            self.fetches += 1
            out.append(Fetch(item.row, item.sid, item.to))
        return out

    def _begin(self, now: float) -> None:
        self.sweeps += 1
        self.started.append(now)
        legs = {item.from_ for item in self._by_row.values()}
        if None in legs:
            legs = {None}  # one listing of every sender covers the unknown ones too
        since = self._window()
        if since - self.since > timedelta(seconds=1):
            self.narrow_sweeps += 1
        sweep = _Sweep(self.sweeps, now, legs_left=set(legs))
        self._sweep = sweep
        self._next_sweep = None
        for leg in sorted(legs, key=lambda x: x or ""):
            self._ready.append(Page(leg, since, None, sweep.number))

    def _window(self) -> datetime:
        """Where this sweep's listing starts (its `DateSent>`): the earliest `listed_from` of
        the watched messages (the campaign's start when one is not known).

        Twilio lists newest first and dates a message when it leaves, after it was created:
        so this listing holds every watched message that has left, and a long campaign's
        sweeps read the pages of the messages still waiting, not all of it again. Assumed:
        Twilio honours the time of day in `DateSent>` (the spec types it date-time and the SDK
        sends one; the docs show whole days only). Were it to honour only the day, sweeps
        would list from midnight UTC: still every message, only more pages.
        """
        oldest: datetime | None = None
        if not self.narrow:
            return self.since
        for item in self._by_row.values():
            start = item.listed_from
            if start is None or start <= self.since:
                return self.since
            if oldest is None or start < oldest:
                oldest = start
        return oldest or self.since

    # -- answers -----------------------------------------------------------------------------

    def page_answered(
        self, page: Page, answer: ReceiptPage, now: float
    ) -> list[tuple[int, str, Receipt]]:
        """A page came back: the receipts of watched messages on it (the caller records
        those that changed, then says so with `changed`); the leg goes on or ends."""
        self._out -= 1
        found: list[tuple[int, str, Receipt]] = []
        sweep = self._sweep
        if sweep is not None and page.sweep != sweep.number:
            sweep = None  # an answer of a sweep that was given up (a pause): use it, no more
        if sweep is not None:
            sweep.pages += 1
        for receipt in answer.receipts:
            item = self._by_sid.get(receipt.sid)
            if item is None:
                continue
            found.append((item.row, item.to, receipt))
            item.misses = 0
            for leg in (item.from_, None):
                if item.seq > self._latest_listed.get(leg, 0):
                    self._latest_listed[leg] = item.seq
            if sweep is not None:
                sweep.seen.add(item.row)
        if sweep is None:
            return found
        if len(sweep.seen) >= len(self._by_row):
            # Every watched message is placed: the older pages have nothing more for us.
            self._ready = [p for p in self._ready if p.sweep != sweep.number]
            self._end(sweep, now)
        elif answer.next_page_url:
            self._ready.append(Page(page.from_, page.since, answer.next_page_url, page.sweep))
        else:
            sweep.legs_left.discard(page.from_)
            if not sweep.legs_left:
                self._end(sweep, now)
        return found

    def continuation(self, page: Page) -> Page | None:
        """The next page of `page`'s leg, if it is due now, taken as started (the request
        that answered `page` goes straight on with it, in the same admission slot)."""
        for index in range(len(self._ready) - 1, -1, -1):
            follow = self._ready[index]
            if follow.from_ == page.from_ and follow.sweep == page.sweep and follow.url:
                del self._ready[index]
                self._out += 1
                self.pages += 1
                return follow
        return None

    def page_failed(self, page: Page, now: float, delay: float) -> None:
        """A page request failed (throttled, Twilio unreachable): the same page again after
        `delay` seconds."""
        self._out -= 1
        self._counter += 1
        heapq.heappush(self._retry, (now + delay, self._counter, page))

    def changed(self) -> None:
        """The current sweep found something new: the next one comes soon again."""
        if self._sweep is not None:
            self._sweep.changed = True

    def _end(self, sweep: _Sweep, now: float) -> None:
        self._sweep = None
        read = now - sweep.began
        self.reads.append(read)
        if sweep.changed:
            # Soon again while the requests spent stay within the budget (one more sweep like
            # this one included); at the promised pace, `cap`, beyond it.
            spent = self.pages + self.fetches + sweep.pages
            affordable = spent <= self.budget * self.watched + self.allowance
            self.interval = self.first if affordable else self.cap
        else:
            self.interval = min(self.cap, self.interval * 2)
        # The promise: a receipt is recorded at most `cap` after Twilio has it. The worst case
        # is one Twilio had just after its page was read: the next sweep reads that page
        # (or a later one: newer messages push it down) at most its own reading time after it
        # starts, and records it `record_delay` later. So sweeps start at most `cap` apart
        # less that, the reading reckoned as half as long again as the longest of the last
        # four.
        reserve = 1.5 * max(self.reads[-4:]) + self.record_delay
        start = sweep.began + min(self.interval, self.cap - reserve)
        if start < now:  # the promise cannot be kept: not back to back, `first` after it
            start = now + self.first
        self._next_sweep = start if self._by_row else None
        latest = self._latest_listed
        heads: dict[str | None, _Watched] = {}
        for item in self._by_row.values():
            if item.row in sweep.seen or item.since_sweep > sweep.number:
                continue
            item.misses += 1
            if item.seq > latest.get(item.from_, 0):
                # Nothing sent after it is listed either: most likely still in the sender's
                # queue, like all behind it. Only the oldest is probed (a deleted message, or
                # a Twilio that forgot them all, is found that way too, one per sweep).
                head = heads.get(item.from_)
                if head is None or item.seq < head.seq:
                    heads[item.from_] = item
            elif item.misses >= self.miss_limit and not item.fetching:
                heapq.heappush(self._strays, (max(now, item.stray_due), item.row))
        for item in heads.values():
            if item.misses >= self.miss_limit and not item.fetching:
                heapq.heappush(self._strays, (max(now, item.stray_due), item.row))

    def retry(self, row: int, now: float) -> None:
        """A stray's fetch says it is not final yet (or could not be read): watch it again;
        its next single fetch waits twice as long."""
        item = self._by_row.get(row)
        if item is None:
            return
        item.fetching = False
        item.misses = 0
        item.stray_wait = min(self.stray_cap, item.stray_wait * 2)
        item.stray_due = now + item.stray_wait

    def requeue(self, now: float) -> None:
        """Requests in flight were canceled (a pause): sweep again from the start later."""
        self._ready.clear()
        self._retry.clear()
        self._out = 0
        self._sweep = None
        if self._by_row:
            self._next_sweep = now
        for item in self._by_row.values():
            item.fetching = False
