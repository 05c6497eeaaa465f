"""One request's life: a send from admission to its recorded outcome, a lookup, a status poll.

One job: turn what Twilio answers into the journal's outcomes and the engine's next steps, by
error class (see `campaigns.twilio.errors`): a success is recorded and tracked; transient ->
back to `pending`, retried after backoff (429: AIMD lowers the concurrency; anything else:
`TransientPatience` holds all sending back, then pauses); permanent -> `failed`, fed to the
circuit breaker (a 21610 also to `opted_out`); fatal -> the campaign pauses; ambiguous (timeout,
5xx, dropped connection, anything unexpected) -> `reconcile.lookup` after `reconcile_grace`,
never a blind resend: found -> recorded, Twilio has none -> resent later, no answer -> `unknown`.

The exactly-once order: the engine starts `send` only after the row's intent is durable (the
group commit); `send` then waits for admission (a slot, the pacer) and checks the sending window
once more right before the request leaves, so a window that closed meanwhile defers the row
(back to `pending` with `not_before`), persisted. Status polls (`poll`) feed the delivery
breaker. Every request in flight holds an admission slot and gives it back (`release`).

The engine owns the run (the queue, the counts, the control); it gives this class its
collaborators and reads `active_sends`, `sends_started` and `sent_total` back.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from campaigns.audience.quiet_hours import SendWindow
from campaigns.send.admission import Admission
from campaigns.send.breaker import CircuitBreaker, tripped_message
from campaigns.send.canary import Canary
from campaigns.send.events import EngineError, Event
from campaigns.send.later import LaterQueue
from campaigns.send.options import EngineOptions
from campaigns.send.pacing import AdaptiveLimit
from campaigns.send.patience import TransientPatience
from campaigns.send.reconcile import LookupResult, lookup
from campaigns.send.schedule import twilio_holds
from campaigns.send.sweeps import Fetch, Page, SweepSchedule, TrackRequest, listed_from
from campaigns.send.tally import Tally, outcome_of
from campaigns.send.tracking import PollSchedule, gone_outcome, is_gone
from campaigns.store import journal as J
from campaigns.store.statuses import behind, moves_forward
from campaigns.twilio.errors import (
    AmbiguousError,
    FatalError,
    PermanentError,
    TransientError,
    TwilioFailure,
)
from campaigns.twilio.limits import backoff
from campaigns.twilio.models import MessageRecord


@dataclass(slots=True)
class Row:
    """A recipient to send to, as the engine carries it from the queue to its outcome."""

    row: int
    to: str
    body: str
    segments: int
    retries: int = 0
    attempted_at: datetime | None = None
    not_before: datetime | None = None  # when deferred: its window's next opening (UTC)
    #: A scheduled campaign: when this recipient is due (UTC), and whether this request
    #: asks Twilio to hold the message until then (`campaigns.send.schedule`).
    send_at: datetime | None = None
    hold: bool = False


class Dispatcher:
    """Sends, looks up and polls for one run; see the module docstring."""

    def __init__(
        self,
        *,
        campaign_id: str,
        options: EngineOptions,
        session: Any,
        sender: str | None,
        service: str | None,
        began: datetime,
        status_callback: str | None = None,
        window: SendWindow | None,
        twilio_schedules: bool = False,
        admission: Admission,
        tally: Tally,
        gather: Callable[[J.Outcome], None],
        queue: deque[Row],
        later: LaterQueue[Row],
        polls: PollSchedule | SweepSchedule,
        patience: TransientPatience,
        send_breaker: CircuitBreaker,
        delivery_breaker: CircuitBreaker,
        canary: Canary,
        stats: Counter[str],
        wake: asyncio.Event,
        emit: Callable[[Event], None],
        pause: Callable[[str, str, str], None],
    ) -> None:
        self.campaign_id = campaign_id
        self.options = options
        self.stats = stats
        #: Sends started by the engine and not over (those waiting for admission included),
        #: sends that left, messages Twilio has (for the rate meter).
        self.active_sends = 0
        self.sends_started = 0
        self.sent_total = 0
        self._session = session
        self._from = sender
        self._service = service
        self._began = began
        self._callback = status_callback
        self._window = window
        #: The campaign was planned for Twilio to hold its messages (schedule mode "twilio").
        self.twilio_schedules = twilio_schedules
        self._admission = admission
        self._limit: AdaptiveLimit = admission.limit
        # The per-message paths call these bound methods: no attribute chains there.
        self._admit = admission.admit
        self._release = admission.release
        self._change = tally.change
        self._status = tally.status
        self._gather = gather
        self._queue = queue
        self._later = later
        self._polls = polls
        self._patience = patience
        self._reachable = patience.reachable
        self._send_breaker = send_breaker
        self._send_ok = send_breaker.succeeded
        self._delivery_breaker = delivery_breaker
        self._canary = canary
        self._wake_event = wake
        self._emit = emit
        self._pause = pause

    def _record(self, item: Row, outcome: J.Outcome) -> None:
        self._change(item.row, item.to, outcome.status, outcome)
        self._wake_event.set()

    # -- one send ----------------------------------------------------------------------------

    async def send(self, item: Row) -> None:
        opts = self.options
        if not await self._admit(item.segments):
            self.active_sends -= 1
            self._record(item, J.Outcome(item.row, J.PENDING))
            self._queue.appendleft(item)
            self._wake_event.set()
            return
        # The second window check, at the last moment: the intent was committed earlier, and
        # the wait for a slot or the pacer since may have crossed the window's close. Nothing
        # awaits between here and `session.send`, which writes the request as soon as it has a
        # connection: at once on a kept-alive one, after the connect (loopback or a nearby
        # Twilio edge: milliseconds; at most `connect_timeout`) on a new one. So "the window
        # holds when the request leaves" is exact to within that connect time.
        if self._window is not None or item.send_at is not None:
            wall = opts.clock()
            opens = self.not_yet(item, wall)
            if opens is not None:
                self._release()
                self.active_sends -= 1
                self.defer(item, opens, wall, time.monotonic())
                self._wake_event.set()
                return
        self.sends_started += 1
        self._change(item.row, item.to, J.INFLIGHT)
        try:
            try:
                # The session bounds the call with `timeout` (no extra task per message here).
                record = await self._session.send(
                    to=item.to,
                    body=item.body,
                    from_=self._from,
                    messaging_service_sid=self._service,
                    timeout=opts.request_timeout,
                    status_callback=self._callback,
                    send_at=item.send_at if item.hold else None,
                )
            except TransientError as exc:
                self._on_transient(item, exc)
            except PermanentError as exc:
                self._on_permanent(item, exc)
            except FatalError as exc:
                self._record(item, J.Outcome(item.row, J.PENDING))
                self._pause(str(exc), exc.hint or "", "fatal")
            except AmbiguousError as exc:
                await self._on_ambiguous(item, exc)
            except TimeoutError:
                await self._on_ambiguous(item, None)
            except TwilioFailure as exc:  # an unknown subclass: be safe
                await self._on_ambiguous(item, exc)
            else:
                self._limit.on_success()
                self._reachable()
                self._send_ok()
                self.sent_total += 1
                outcome = outcome_of(item.row, record)
                if item.hold:
                    outcome = replace(outcome, send_at=item.send_at)
                self._record(item, outcome)
                self._track(item, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._emit(EngineError(self.campaign_id, f"Unexpected error: {exc!r}"))
            await self._on_ambiguous(item, None)
        finally:
            self._release()
            self.active_sends -= 1
            self._wake_event.set()

    def not_yet(self, item: Row, wall: datetime) -> datetime | None:
        """None when `item` may leave now, else when it may (UTC). Sets `item.hold`.

        A recipient of a scheduled campaign is held by Twilio when the campaign is in twilio
        mode and its time is still inside Twilio's window (`schedule.twilio_holds`): then the
        sending window is checked at its `send_at`, the moment it will really leave (a time
        outside the window moves to the window's next opening). Otherwise it waits here until
        `send_at`, and the window is checked when it leaves, as for any message."""
        at = item.send_at
        item.hold = False
        if at is not None and at > wall:
            if not (self.twilio_schedules and twilio_holds(at, wall)):
                return at  # waits here (local mode, too soon for Twilio, or past 35 days)
            if self._window is not None:
                opens = self._window.closed_until(item.to, at)
                if opens is not None:
                    item.send_at = opens
                    if not twilio_holds(opens, wall):
                        return opens
            item.hold = True
            return None
        if self._window is None:
            return None
        return self._window.closed_until(item.to, wall)

    def defer(self, item: Row, opens: datetime, wall: datetime, now: float) -> None:
        """The row's sending window is closed: back to `pending` until `opens` (UTC), which is
        persisted as its `not_before` (a resume, from either face, waits for it too)."""
        self.stats["deferred"] += 1
        item.not_before = opens
        self._record(item, J.Outcome(item.row, J.PENDING, not_before=opens))
        self._later.push(now + max(0.0, (opens - wall).total_seconds()), item)

    def _track(self, item: Row, record: MessageRecord) -> None:
        wanted = self.options.track_seconds > 0 or item.row in self._canary.rows
        # A message Twilio holds until its time is not polled now: `smscast status` follows it.
        if record.status == "scheduled":
            return
        if wanted and record.status not in J.FINAL_STATUSES:
            start = listed_from(
                record.date_created, item.attempted_at, self.options.reconcile_margin
            )
            self._polls.add(item.row, record.sid, item.to, time.monotonic(), record.from_, start)

    def _on_transient(self, item: Row, exc: TransientError) -> None:
        """Nothing was created: the row goes back to `pending` and is retried later.

        A 429 is about requests in flight, which AIMD is already lowering: that row alone
        retries soon. Any other transient failure (a refused connection, Twilio unreachable)
        is about the way to Twilio, not the row: `TransientPatience` holds all sending back
        with backoff, then probes one request at a time, and only after `transient_patience`
        seconds with no success does the campaign pause, saying what failed and since when."""
        throttled = exc.status == 429 or exc.code == 20429
        self.stats["throttled" if throttled else "transient"] += 1
        now = time.monotonic()
        item.retries += 1
        if throttled:
            self._limit.on_throttled()
            delay = backoff(item.retries, base=0.2, cap=5.0)
        else:
            delay = self._patience.failed(now)
        if exc.retry_after:
            delay = max(delay, exc.retry_after)
        self._record(item, J.Outcome(item.row, J.PENDING))
        self._later.push(now + delay, item)
        if not throttled and self._patience.exhausted(now):
            reason, hint = self._patience.message(exc, now, self.campaign_id)
            self._pause(reason, hint, "transient")
            self._patience.reachable()

    def _on_permanent(self, item: Row, exc: PermanentError) -> None:
        self._reachable()  # Twilio answered
        if item.hold and exc.code in _OUTSIDE_SCHEDULE_WINDOW:
            # Twilio's clock put SendAt outside its window (ours keeps a margin): nothing was
            # created; the row waits here and is sent when due, never failed for it.
            self.stats["schedule_refused"] += 1
            item.hold = False
            wall = self.options.clock()
            assert item.send_at is not None
            if item.send_at > wall:
                self.defer(item, item.send_at, wall, time.monotonic())
            else:
                self._record(item, J.Outcome(item.row, J.PENDING))
                self._queue.append(item)
            return
        self._record(
            item,
            J.Outcome(item.row, "failed", error_code=exc.code, error_message=str(exc)),
        )
        if exc.code == 21610 and self.options.opted_out is not None:
            try:
                self.options.opted_out(item.to, self.campaign_id)
            except Exception as err:
                self._emit(EngineError(self.campaign_id, f"Could not suppress {item.to}: {err}"))
        self._trip(self._send_breaker, exc.code)

    def _trip(self, breaker: CircuitBreaker, code: int | None) -> None:
        """One more failure for `breaker`: pause (kind `breaker`) when it trips."""
        streak = breaker.failed(code)
        if streak and code is not None:
            reason, hint = tripped_message(code, streak, self.campaign_id)
            self._pause(reason, hint, "breaker")

    # -- reconciliation ----------------------------------------------------------------------

    async def _on_ambiguous(self, item: Row, exc: TwilioFailure | None) -> None:
        """The message may exist: look it up before deciding anything."""
        self.stats["ambiguous"] += 1
        await asyncio.sleep(self.options.reconcile_grace)
        result = await self._lookup(item)
        self._apply_lookup(item, result, exc)

    async def _lookup(self, item: Row) -> LookupResult:
        assert item.attempted_at is not None
        self._admission.active += 1
        try:
            return await lookup(
                self._session,
                to=item.to,
                body=item.body,
                since=min(self._began, item.attempted_at)
                - timedelta(seconds=self.options.reconcile_margin),
                attempts=self.options.lookup_attempts,
                timeout=self.options.request_timeout,
            )
        finally:
            self._release()

    def _apply_lookup(self, item: Row, result: LookupResult, exc: TwilioFailure | None) -> None:
        self.stats[_lookup_stat(result)] += 1
        if result.record is not None:
            self.sent_total += 1
            self._record(item, outcome_of(item.row, result.record))
            self._track(item, result.record)
        elif result.found_nothing:
            item.retries += 1
            self._record(item, J.Outcome(item.row, J.PENDING))
            self._later.push(time.monotonic() + backoff(item.retries, base=0.2), item)
        else:
            why = str(exc) if exc is not None else "The request timed out."
            self._record(
                item,
                J.Outcome(
                    item.row,
                    J.UNKNOWN,
                    error_code=exc.code if exc is not None else None,
                    error_message=f"{why} Twilio could not be asked whether it was created.",
                ),
            )

    async def reconcile_inflight(self, rows: list[J.Recipient]) -> None:
        """After a crash: settle every `inflight` row (`rows`) before anything is sent; the
        outcomes go to the group commit (the engine flushes them)."""
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        self._status.clear()
        self._status.update((r.row, r.status) for r in rows)
        gather = self._gather

        async def one(r: J.Recipient) -> None:
            item = Row(r.row, r.to, r.body, r.segments, attempted_at=r.attempted_at)
            async with gate:
                result = await self._lookup(item)
            self.stats[_lookup_stat(result)] += 1
            if result.record is not None:
                gather(outcome_of(r.row, result.record))
            elif result.found_nothing:
                gather(J.Outcome(r.row, J.PENDING))
            else:
                gather(
                    J.Outcome(
                        r.row,
                        J.UNKNOWN,
                        error_message="Interrupted mid-request, and Twilio could not be asked "
                        "whether the message was created.",
                    )
                )

        await asyncio.gather(*(one(r) for r in rows))

    # -- delivery tracking -------------------------------------------------------------------

    async def poll(self, request: TrackRequest) -> None:
        """One tracking request: a page of a sweep, or one message's fetch."""
        if isinstance(request, Page):
            await self._sweep_page(request)
            return
        await self._fetch_one(request)

    async def _sweep_page(self, page: Page) -> None:
        """One leg of a sweep from `page` on: each next page is asked for at once, in the same
        admission slot (not at the engine's next tick: 20 pages would take 20 ticks)."""
        sweeps = self._polls
        assert isinstance(sweeps, SweepSchedule)
        try:
            follow: Page | None = page
            while follow is not None:
                if follow is not page:
                    self.stats["tracking_requests"] += 1
                follow = await self._one_page(sweeps, follow)
        finally:
            self._release()
            self._wake_event.set()

    async def _one_page(self, sweeps: SweepSchedule, page: Page) -> Page | None:
        """Ask for `page`; record what it says; the leg's next page to ask for now, if any."""
        try:
            answer = await self._session.receipts_page(
                from_=page.from_,
                sent_after=page.since,
                page_url=page.url,
                page_size=sweeps.page_size,
                timeout=self.options.request_timeout,
            )
        except TwilioFailure as exc:
            throttled = isinstance(exc, TransientError) and (exc.status == 429 or exc.code == 20429)
            if throttled:
                self._limit.on_throttled()
            self.stats["sweep_failed"] += 1
            sweeps.page_failed(page, time.monotonic(), backoff(1, base=1.0, cap=8.0))
            return None
        self.stats["sweep_pages"] += 1
        for row, to, receipt in sweeps.page_answered(page, answer, time.monotonic()):
            self._receipt(row, to, receipt)
        return sweeps.continuation(page)

    def _receipt(self, row: int, to: str, receipt: Any) -> None:
        """What a sweep (or a fetch) says of a watched message, recorded as a poll's would be;
        an answer older than what the run knows (a fetch that left before a status callback
        said more) is ignored."""
        current = self._status.get(row)
        if current is not None and behind(current, receipt.status):
            return
        if receipt.status != current:
            self._change(row, to, receipt.status, outcome_of(row, receipt))
            if isinstance(self._polls, SweepSchedule):
                self._polls.changed()
        if receipt.status in J.FINAL_STATUSES:
            self._polls.done(row)
            if receipt.status in J.FAILED_STATUSES:
                self._trip(self._delivery_breaker, receipt.error_code)
            elif receipt.status == "delivered":
                self._delivery_breaker.succeeded()

    def heard(self, receipt: Any) -> bool:
        """A receipt from elsewhere (a status callback) of a message this run watches:
        recorded as a sweep's would be, but only forward (callbacks come out of order);
        whether it was this run's."""
        watched = self._polls.watching(receipt.sid)
        if watched is None:
            return False
        row, to = watched
        current = self._status.get(row)
        if current is not None and not moves_forward(current, receipt.status):
            return True
        self._receipt(row, to, receipt)
        self._wake_event.set()
        return True

    async def _fetch_one(self, fetch: Fetch) -> None:
        row, sid, to = fetch
        try:
            record = await self._session.fetch(sid, timeout=self.options.request_timeout)
        except TransientError as exc:
            if exc.status == 429 or exc.code == 20429:
                self._limit.on_throttled()
            self._polls.retry(row, time.monotonic())
        except TwilioFailure as exc:
            if is_gone(exc):
                # Twilio no longer has it: the row keeps its last status, says so, and is not
                # polled again (asking again would get the same 404 forever).
                self.stats["gone"] += 1
                self._polls.done(row)
                status = self._status.get(row, "sent")
                self._change(row, to, status, gone_outcome(row, status))
            else:
                self._polls.retry(row, time.monotonic())
        else:
            self._receipt(row, to, record)
            if record.status not in J.FINAL_STATUSES:
                self._polls.retry(row, time.monotonic())
        finally:
            self._release()
            self._wake_event.set()


#: Twilio's answers to a SendAt outside its scheduling window (nothing was created).
_OUTSIDE_SCHEDULE_WINDOW = frozenset({35114, 35115})


def _lookup_stat(result: LookupResult) -> str:
    if result.record is not None:
        return "reconciled_found"
    return "reconciled_absent" if result.found_nothing else "unknown"
