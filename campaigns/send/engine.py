"""The sending engine: every pending recipient of a campaign gets exactly one message.

The conductor. One asyncio task (`Engine.run`) drives everything. Each *tick* it takes as many
pending rows as admission (`admission.Admission`: the AIMD concurrency bound and the segment
pacer), transient patience (`patience.TransientPatience`: Twilio unreachable holds sending back)
and the canary (`canary.Canary`) allow, commits their intent together with the outcomes
gathered since the last tick in ONE transaction (`group_commit.GroupCommit`), and only then
starts their requests (`dispatch.Dispatcher.send`). Ticks come at most every `commit_interval`
seconds while busy, so a few hundred rows share each durable commit and the journal's fsync
does not cap throughput. What each answer means (by error class, lookups instead of blind
resends, the circuit breaker `breaker.CircuitBreaker`) is the dispatcher's; rows left
`inflight` by a crash are reconciled the same way before anything else on the next run.

The sending window (the campaign's `--quiet-hours`, `quiet_hours.SendWindow`) is checked for
each recipient twice: when its intent would be committed (here: a closed window commits
nothing) and again right before its request leaves (`Dispatcher.send`, after the slot is
taken). A recipient whose window has closed goes back to `pending` with `not_before` = its next
opening, persisted, and waits in `later.LaterQueue` like a retry (within `max_defer_wait`, else
the campaign pauses with kind `deferred`). Every path that sends goes through both checks: a
first run, a resume, a retry after a transient failure or a lookup that found nothing, a
deferred row coming due.

Delivery is tracked by sweeps of Twilio's listing (`sweeps.SweepSchedule`: a page of 1,000
receipts per request, single fetches only for strays) or, with `receipts="poll"`, by
per-message polling (`tracking.PollSchedule`), spending at most `poll_share` of the requests
while sending, then until every message is final or `track_seconds` have passed.
Counts and per-recipient events come from `tally.Tally`, the measured rate and ETA of
`Progress` from `rate_meter.RateMeter`.

`pause`, `resume`, `cancel` and `stop` may be called from any thread (the TUI runs the engine
in a worker thread with its own loop): they hop onto the engine's loop with
`call_soon_threadsafe`. Everything the engine has to say goes to `emit` as `campaigns.send.events`.

Over ~500 lines on purpose: what is left is one job, the run's order (controls, the tick, the
ways a run ends and their messages); splitting it further would spread one sequence over files.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from campaigns.audience.quiet_hours import SendWindow, window_of_settings
from campaigns.errors import JournalError, JournalGoneError
from campaigns.send.admission import Admission
from campaigns.send.breaker import CircuitBreaker
from campaigns.send.callbacks import callback_url
from campaigns.send.canary import Canary
from campaigns.send.dispatch import Dispatcher, Row
from campaigns.send.events import (
    CampaignFinished,
    CampaignPaused,
    CampaignStarted,
    EngineError,
    Event,
    Progress,
)
from campaigns.send.group_commit import GroupCommit
from campaigns.send.later import LaterQueue
from campaigns.send.options import (
    CALLBACK_SWEEPS,
    EngineOptions,
    RunResult,
    engine_settings,
    options_from_settings,
)
from campaigns.send.pacing import AdaptiveLimit, SegmentPacer
from campaigns.send.patience import TransientPatience
from campaigns.send.rate_meter import RateMeter
from campaigns.send.schedule import Schedule
from campaigns.send.sweeps import SweepSchedule, TrackRequest, listed_from
from campaigns.send.tally import Tally
from campaigns.send.tracking import PollSchedule
from campaigns.store import journal as J
from campaigns.store.statuses import RecipientStatus
from campaigns.twilio.models import Receipt
from campaigns.twilio.protocols import Gateway, GatewaySession

__all__ = [
    "RATE_MARGIN",
    "Emit",
    "Engine",
    "EngineOptions",
    "RunResult",
    "engine_settings",
    "options_from_settings",
]

Emit = Callable[[Event], None]

#: Share of `--rate` the pacer aims at.
RATE_MARGIN = 0.98


@dataclass(frozen=True, slots=True)
class _Request:
    action: str  # "pause" | "cancel" | "stop"
    reason: str = ""
    hint: str = ""
    kind: str = "user"


class Engine:
    """Sends one campaign of the journal through a `Gateway` (`TwilioGateway`); see the module
    docstring."""

    # Set by `_init_state`, which comes after the methods that also assign them.
    _outcomes: list[J.Outcome]
    _window: SendWindow | None

    def __init__(
        self,
        gateway: Gateway,
        journal: J.Journal,
        campaign_id: str,
        options: EngineOptions | None = None,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.campaign_id = journal.campaign(campaign_id).id
        self.options = options or EngineOptions()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._request: _Request | None = None
        self._resumed: asyncio.Future[str] | None = None
        self._pending_control: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._wake_event = asyncio.Event()  # replaced by `run`; here so `_wake` always works
        self._admission: Admission | None = None  # made by `run`
        self._window: SendWindow | None = None

    # -- control, from any thread ------------------------------------------------------------

    def pause(self, reason: str = "Paused by you.", hint: str = "") -> None:
        """Stop starting new requests; in-flight ones finish; the campaign becomes resumable."""
        self._control(lambda: self._set_request(_Request("pause", reason, hint, "user")))

    def cancel(self) -> None:
        """Stop for good: in-flight requests finish, recipients not yet sent become canceled."""
        self._control(lambda: self._set_request(_Request("cancel", "Canceled.")))

    def stop(self) -> None:
        """Stop at once (a second Ctrl-C): in-flight requests are abandoned and stay `inflight`
        in the journal, to be reconciled by the next run."""
        self._control(lambda: self._set_request(_Request("stop", "Stopped at once.")))

    def resume(self) -> None:
        """Go on after a pause (only while `run` is waiting, i.e. `exit_on_pause=False`)."""
        self._control(self._do_resume)

    def heard(self, receipt: Receipt) -> None:
        """A receipt that came another way (a status callback the app received while this
        runs): the run records it and stops watching the message as if a sweep had seen it,
        only forward (`Dispatcher.heard`); nothing when the message is not this run's. May be
        called from any thread."""

        def take() -> None:
            dispatch = getattr(self, "_dispatch", None)  # none before the run's session
            if dispatch is not None and dispatch.heard(receipt):
                self.stats["receipts_heard"] += 1

        self._control(take)

    def _control(self, action: Callable[[], None]) -> None:
        with self._lock:
            loop = self._loop
            if loop is None:
                self._pending_control.append(action)
                return
        if threading.get_ident() == self._loop_thread:
            action()
        else:
            loop.call_soon_threadsafe(action)

    def _set_request(self, request: _Request) -> None:
        current = self._request
        # Escalate only: stop > cancel > pause.
        order = {"pause": 0, "cancel": 1, "stop": 2}
        if current is None or order[request.action] > order[current.action]:
            self._request = request
        if self._resumed is not None and not self._resumed.done() and request.action != "pause":
            self._resumed.set_result(request.action)
        if self._admission is not None:
            self._admission.close()  # the sends waiting for a slot are turned away
        self._wake()

    def _clear_request(self) -> None:
        self._request = None
        if self._admission is not None:
            self._admission.reopen()

    def _do_resume(self) -> None:
        if self._resumed is not None and not self._resumed.done():
            self._resumed.set_result("resume")
        elif self._request is not None and self._request.action == "pause":
            self._clear_request()
            self._wake()

    # -- the run -----------------------------------------------------------------------------

    async def run(self, emit: Emit) -> RunResult:
        """Send the campaign's pending recipients; returns when it finishes, pauses or stops.

        Holds the campaign's run lock throughout (`Journal.run_lock`): a second run of the same
        campaign, from the app or the command line, in this process or another, would text
        people twice, so it gets `CampaignBusyError` before anything happens."""
        with self.journal.run_lock(self.campaign_id):
            return await self._run(emit)

    async def _run(self, emit: Emit) -> RunResult:
        self._emit = emit
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
            queued, self._pending_control = self._pending_control, []
        self._init_state()
        for action in queued:
            action()
        campaign = self.journal.campaign(self.campaign_id)
        if campaign.state == J.CANCELED:
            with self._lock:
                self._loop = None
            return self._refuse("This campaign was canceled; it cannot be resumed.")
        # Group commits run on this one thread (the connection is never used concurrently).
        self._commits.open()
        self._from = campaign.sender if not campaign.messaging_service_sid else None
        self._service = campaign.messaging_service_sid
        window = window_of_settings(campaign.settings)
        self._window = SendWindow(window) if window is not None else None
        schedule = Schedule.from_json(campaign.schedule)
        self._scheduled = schedule is not None
        self._twilio_schedules = schedule is not None and schedule.mode == "twilio"
        try:
            async with self.gateway.async_session() as session:
                self._polls = self._tracker(campaign.created_at)
                self._dispatch = self._dispatcher(session, campaign.created_at)
                try:
                    return await self._sessions_work()
                except JournalError as exc:
                    # Before the session closes: the sends in flight are abandoned, not failed.
                    await self._abandon_tasks()
                    return self._journal_failed(exc)
        finally:
            self._cancel_tasks()
            # Whatever is still gathered; if the journal cannot take it, those rows stay
            # `inflight` and the next run reconciles them (never hide the error under way).
            with contextlib.suppress(JournalError):
                self._commits.flush()
            self._commits.close()
            with self._lock:
                self._loop = None

    async def _sessions_work(self) -> RunResult:
        """Reconcile, then drive (and with `exit_on_pause=False`, wait out pauses) to the end."""
        if self.options.retry_unknown:
            # Ask Twilio again first: found -> recorded, absent -> sent, else unknown.
            self.journal.set_status(self.campaign_id, [J.UNKNOWN], J.INFLIGHT, None)
        # After a crash: settle every `inflight` row before anything is sent.
        inflight = self.journal.recipients(self.campaign_id, [J.INFLIGHT])
        if inflight:
            await self._dispatch.reconcile_inflight(inflight)
            self._commits.flush()
        self._load()
        while True:
            result = await self._drive()
            if result.state != J.PAUSED or self.options.exit_on_pause:
                return result
            assert self._loop is not None
            self._resumed = self._loop.create_future()
            what = await self._resumed
            self._resumed = None
            if what == "resume":
                self._clear_request()
                self._load()
                continue
            if what == "cancel":
                return self._finish(canceled=True)
            return result

    async def _abandon_tasks(self) -> None:
        """Cancel every request in flight and wait until they are gone (their rows stay
        `inflight` in the journal: the next run reconciles them with Twilio)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _journal_failed(self, exc: JournalError) -> RunResult:
        """The journal could not be read or written: stop sending at once.

        No request may leave before its intent is durable, and the intents of the failed
        commit were rolled back (those rows are still `pending`; their requests were never
        started). What is gathered is written if the disk takes it, and the campaign marked
        paused with the reason; if even that fails, the journal still says `running` (or
        holds `inflight` rows) and `smscast resume` reconciles them as after a crash. A journal
        deleted or replaced is not written to at all."""
        cid = self.campaign_id
        reason = str(exc)
        if isinstance(exc, JournalGoneError):
            hint = exc.hint or ""
        else:
            reason += " Sending stopped: no message leaves before the journal records it."
            hint = (
                f"{exc.hint or ''} Then run 'smscast resume {cid}': the requests that were in "
                "flight are checked with Twilio first, so nobody is texted twice."
            ).strip()
            with contextlib.suppress(JournalError):
                self._commits.flush()
            with contextlib.suppress(JournalError):
                self._set_campaign_state(J.PAUSED, reason, hint)
        self._commits.drop()
        self._emit(CampaignPaused(cid, reason=reason, hint=hint, kind="journal"))
        return RunResult("stopped", self._tally.nonzero(), reason, hint, "journal")

    def _refuse(self, message: str) -> RunResult:
        self._emit(EngineError(self.campaign_id, message))
        counts = self.journal.counts(self.campaign_id)
        return RunResult("canceled", counts, message, kind="refused")

    def _init_state(self) -> None:
        """The run's collaborators, and the methods the per-message paths call, bound once."""
        opts = self.options
        self._limit = AdaptiveLimit(opts.concurrency)
        # A 2% margin under a fixed rate absorbs network jitter, so that even counted where the
        # messages arrive no one-second window exceeds the rate.
        pacer = SegmentPacer(opts.rate * RATE_MARGIN) if opts.rate else None
        self._admission = Admission(self._limit, pacer, closed=self._request is not None)
        self._commits = GroupCommit(self.journal, self.campaign_id)
        self._tally = Tally(self.campaign_id, self._emit, self._commits.gathered.append)
        self._queue: deque[Row] = deque()
        self._later: LaterQueue[Row] = LaterQueue()  # retries and quiet-hours deferrals
        self._polls = self._tracker(J.now_utc())  # again by `_run`, from the campaign's start
        self._tasks: set[asyncio.Task[None]] = set()
        self._polls_started = 0
        self._patience = TransientPatience(opts.transient_patience, wall_clock=J.now_utc)
        self._send_breaker = CircuitBreaker(opts.breaker_threshold)
        self._delivery_breaker = CircuitBreaker(opts.breaker_threshold)
        self._canary = Canary(opts.canary)
        self._meter = RateMeter()
        self._window = None  # set by `_run` from the campaign's settings
        self._scheduled = False  # set by `_run` from the campaign's schedule
        self._twilio_schedules = False
        #: What happened, for tests and reports: throttled, transient, ambiguous,
        #: reconciled_found, reconciled_absent, unknown, polls, deferred (by the window at send
        #: time), gone (tracked messages Twilio no longer has).
        self.stats: Counter[str] = Counter()
        self._wake_event = asyncio.Event()
        self._last_progress = 0.0
        self._sending_done_at: float | None = None

    def _tracker(self, began: datetime) -> PollSchedule | SweepSchedule:
        """How delivery is tracked: sweeps of the listing since `began` (less the margin a
        late listing or a skewed clock needs), or per-message polling (`receipts="poll"`)."""
        opts = self.options
        first, cap = opts.sweep_first, opts.sweep_cap
        if opts.status_callback:
            # Twilio posts the receipts; sweeps are the safety net, at a low rate.
            first, cap = max(first, CALLBACK_SWEEPS[0]), max(cap, CALLBACK_SWEEPS[1])
        if opts.receipts == "poll":
            return PollSchedule(track_seconds=opts.track_seconds, first=first, cap=cap)
        return SweepSchedule(
            since=began - timedelta(seconds=opts.reconcile_margin),
            track_seconds=opts.track_seconds,
            first=first,
            cap=cap,
            # A stray is fetched once two sweeps missed it and it is two short intervals old
            # (then less and less often); a backlog costs one probe per sender at a time.
            stray_after=2 * first,
            page_size=opts.sweep_page_size,
            # A page's receipts reach the journal at the next group commit or the one after,
            # and the engine's tick may come a progress interval later.
            record_delay=2 * opts.commit_interval + opts.progress_interval,
            narrow=opts.receipts != "sweep-from-start",
        )

    @property
    def _run_admission(self) -> Admission:
        """The run's admission (made by `run`; asked for only while it runs)."""
        assert self._admission is not None
        return self._admission

    def _dispatcher(self, session: GatewaySession, began: datetime) -> Dispatcher:
        """The requests' side of the run, on `session`, sharing the run's collaborators."""
        return Dispatcher(
            campaign_id=self.campaign_id,
            options=self.options,
            session=session,
            sender=self._from,
            service=self._service,
            # Reconciliation looks back to here: an earlier attempt that Twilio lists late must
            # still be found, whichever attempt's answer was lost.
            began=began,
            status_callback=(
                # Issued now, not when the campaign was made: a resumed or scheduled
                # campaign's run may come weeks later (`callbacks.MAX_AGE`).
                callback_url(self.options.status_callback, self.campaign_id, J.now_utc())
                if self.options.status_callback
                else None
            ),
            window=self._window,
            twilio_schedules=self._twilio_schedules,
            admission=self._run_admission,
            tally=self._tally,
            gather=self._commits.gathered.append,
            queue=self._queue,
            later=self._later,
            polls=self._polls,
            patience=self._patience,
            send_breaker=self._send_breaker,
            delivery_breaker=self._delivery_breaker,
            canary=self._canary,
            stats=self.stats,
            wake=self._wake_event,
            emit=self._emit,
            pause=self._pause_for,
        )

    def _pause_for(self, reason: str, hint: str, kind: str) -> None:
        self._set_request(_Request("pause", reason, hint, kind))

    def _wake(self) -> None:
        self._wake_event.set()

    def _load(self) -> None:
        """Queue the pending rows (deferring those with a future `not_before`) and track live
        messages again."""
        self._queue.clear()
        self._later.clear()
        now_wall = self.options.clock()
        now = time.monotonic()
        status, counts = self._tally.status, self._tally.counts
        status.clear()
        counts.clear()
        # The lean read (no JSON fields, no dates but not_before): 20,000 rows load quickly.
        for r in self.journal.send_rows(self.campaign_id):
            status[r.row] = r.status
            counts[r.status] += 1
            if r.status == J.PENDING:
                item = Row(
                    r.row, r.to, r.body, r.segments, not_before=r.not_before, send_at=r.send_at
                )
                if r.not_before is not None and r.not_before > now_wall:
                    delay = (r.not_before - now_wall).total_seconds()
                    self._later.push(now + delay, item)
                else:
                    # A scheduled row is queued too: its first check decides whether Twilio
                    # holds it or it waits here (`Dispatcher.not_yet`).
                    self._queue.append(item)
            elif r.status == RecipientStatus.SCHEDULED and r.send_at and r.send_at > now_wall:
                continue  # held by Twilio until its time: `smscast status` follows it
            elif r.status in J.LIVE_STATUSES and r.sid and self.options.track_seconds > 0:
                # A message Twilio said it no longer has (`tracking.is_gone`) is asked about once
                # more per run at most: the lean read does not carry its mark.
                start = listed_from(None, r.attempted_at, self.options.reconcile_margin)
                self._polls.add(r.row, r.sid, r.to, now, self._from, start)
        if self._window is not None:
            # Each number's zones once, in one bulk pass, before the first check.
            self._window.learn(item.to for item in (*self._queue, *self._later))
        self._sending_done_at = None
        self._set_campaign_state(J.RUNNING)
        self._emit(
            CampaignStarted(
                self.campaign_id,
                total=self._tally.total(),
                to_send=len(self._queue) + len(self._later),
                rate=self.options.rate,
                concurrency=self.options.concurrency,
            )
        )

    def _set_campaign_state(
        self, state: str, reason: str | None = None, hint: str | None = None
    ) -> None:
        self.journal.set_state(self.campaign_id, state, reason=reason, hint=hint)

    # -- the scheduler -----------------------------------------------------------------------

    async def _drive(self) -> RunResult:
        opts = self.options
        admission, patience, canary = self._admission, self._patience, self._canary
        assert admission is not None
        dispatch = self._dispatch
        send, poll_one, spawn = dispatch.send, dispatch.poll, self._spawn
        queue, later = self._queue, self._later
        last_commit = 0.0
        while True:
            request = self._request
            now = time.monotonic()
            if request is not None:
                if request.action == "stop":
                    self._cancel_tasks()
                    self._commits.flush()
                    return self._paused(
                        request.reason,
                        "Resume to reconcile and go on.",
                        "stop",
                        state_name="stopped",
                    )
                if dispatch.active_sends == 0:
                    await self._drop_polls()
                    self._commits.flush()
                    if request.action == "cancel":
                        return self._finish(canceled=True)
                    return self._paused(request.reason, request.hint, request.kind)
            if later:
                for item in later.pop_due(now):
                    item.not_before = None  # due: the window is checked again before it leaves
                    queue.append(item)
            intents: list[Row] = []
            wait = opts.progress_interval
            if request is None:
                # Sends wait at the gate (`Admission.admit`) once their intent is durable, so a
                # freed slot is refilled at once, not at the next group commit; Twilio
                # unreachable holds them back, then one probe at a time; a canary out, all.
                active_sends = dispatch.active_sends
                free = patience.room(admission.room(active_sends), now, active_sends)
                free = canary.room(free)
                in_canary = canary.left > 0
                checks = self._window is not None or self._scheduled
                wall = opts.clock() if checks and queue else None
                while free > 0 and queue:
                    item = queue.popleft()
                    if wall is not None:
                        # The first check: a closed window (or a time not come, for a row
                        # Twilio will not hold) commits no intent for this row.
                        opens = dispatch.not_yet(item, wall)
                        if opens is not None:
                            dispatch.defer(item, opens, wall, now)
                            continue
                    intents.append(item)
                    free -= 1
                    if in_canary:
                        canary.take(item.row)
                polls = self._due_polls(now, admission.free_slots())
            else:
                polls = []
            at = J.now_utc()
            for item in intents:
                item.attempted_at = at
            # Exactly once: these requests leave only once their intent is durable. The commit
            # (an fsync) runs on the journal's thread; responses keep being handled meanwhile.
            await self._commits.commit([J.Intent(item.row, at) for item in intents])
            last_commit = now
            # Counted here, not when the tasks first run, so `_check_done` sees them at once.
            for item in intents:
                dispatch.active_sends += 1
                spawn(send(item))
            for poll in polls:
                admission.active += 1
                self._polls_started += 1
                self.stats["tracking_requests"] += 1
                spawn(poll_one(poll))
            self._maybe_progress(now)

            outcome = self._check_done(now)
            if outcome is not None:
                return outcome
            if later:
                wait = min(wait, max(0.0, later.first()[0] - now))
            if queue:
                hold = patience.wait(now)
                if hold is not None:
                    wait = min(wait, hold)
            next_poll = self._polls.next_due()
            if next_poll is not None:
                wait = min(wait, max(0.001, next_poll - now))
            await self._sleep(wait)
            # Group commits: while busy, gather completions for at least `commit_interval`.
            since = time.monotonic() - last_commit
            if since < opts.commit_interval and self._request is None:
                await asyncio.sleep(opts.commit_interval - since)

    def _due_polls(self, now: float, free: int) -> list[TrackRequest]:
        """The tracking requests (sweep pages, single fetches) to start now: at most
        `poll_share` of the requests while sending (all the free slots while the canary waits,
        or once sending is over), so tracking never delays sending."""
        canary = self._canary
        if free <= 0 or (self.options.track_seconds <= 0 and not canary.rows):
            return []
        dispatch = self._dispatch
        sending = bool(self._queue) or dispatch.active_sends > 0
        budget = free
        if sending and not canary.holding:
            share = self.options.poll_share
            allowed = int(share / (1 - share) * dispatch.sends_started) + 1 - self._polls_started
            budget = min(free, max(0, allowed))
        if budget <= 0:
            return []
        return list[TrackRequest](self._polls.due(now, budget))

    async def _sleep(self, timeout: float) -> None:
        if self._wake_event.is_set():
            self._wake_event.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake_event.wait(), timeout)
        self._wake_event.clear()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drop_polls(self) -> None:
        """Cancel the status polls in flight (safe: they change nothing at Twilio)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Only polls were left, and a task canceled unstarted never counts down.
        self._run_admission.active = 0
        self._polls.requeue(time.monotonic())

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # -- finishing ---------------------------------------------------------------------------

    def _check_done(self, now: float) -> RunResult | None:
        if self._dispatch.active_sends or self._request is not None:
            return None
        if self._canary.holding:
            return self._check_canary(now)
        if self._queue:
            return None
        if self._later:
            first, item = self._later.first()
            if first - now <= self.options.max_defer_wait:
                return None
            waiting = len(self._later)
            when = item.not_before or self.options.clock() + timedelta(seconds=first - now)
            if item.send_at is not None and item.send_at >= when:
                return self._paused(
                    f"{waiting} recipient(s) are scheduled; the first is due at "
                    f"{when:%Y-%m-%d %H:%M} UTC.",
                    f"Run 'smscast resume {self.campaign_id}' then, or let cron run "
                    "'smscast resume --due --yes' (the README shows the line): each is sent "
                    "when due, inside its sending window.",
                    "scheduled",
                )
            return self._paused(
                f"{waiting} recipient(s) are outside their sending window (quiet hours); "
                f"the first window opens at {when:%Y-%m-%d %H:%M} UTC.",
                f"Run 'smscast resume {self.campaign_id}' after then: each recipient is "
                "texted only inside its own window.",
                "deferred",
            )
        if self._sending_done_at is None:
            self._sending_done_at = now
        if self._polls and now - self._sending_done_at < self.options.track_seconds:
            return None
        if self._run_admission.active:
            return None
        return self._finish(canceled=False)

    def _check_canary(self, now: float) -> RunResult | None:
        canary = self._canary
        waiting_for = canary.waiting_for(self._tally.status)
        if self._sending_done_at is None:
            self._sending_done_at = now
        limit = self.options.track_seconds if self.options.track_seconds > 0 else 120.0
        if waiting_for and now - self._sending_done_at < limit and self._polls:
            return None
        if self._run_admission.active:
            return None
        sent, summary = len(canary.rows), canary.summary(self._tally.status)
        self.options = replace(self.options, canary=0)
        canary.finish()
        return self._paused(
            f"Canary of {sent} sent: {summary}.",
            f"Check them, then run 'smscast resume {self.campaign_id}' to send the rest.",
            "canary",
        )

    def _paused(self, reason: str, hint: str, kind: str, state_name: str = J.PAUSED) -> RunResult:
        self._commits.flush()
        self._set_campaign_state(J.PAUSED, reason, hint)
        self._emit_progress(time.monotonic())
        self._emit(CampaignPaused(self.campaign_id, reason=reason, hint=hint, kind=kind))
        self._clear_request()
        return RunResult(state_name, self._tally.nonzero(), reason, hint, kind)

    def _finish(self, *, canceled: bool) -> RunResult:
        self._commits.flush()
        tally = self._tally
        if canceled:
            self.journal.set_status(
                self.campaign_id, [J.PENDING], "canceled", "The campaign was canceled."
            )
            tally.recount(self.journal.counts(self.campaign_id))
            self._set_campaign_state(J.CANCELED, "Canceled.")
        elif tally.counts.get(J.UNKNOWN):
            return self._paused(
                f"{tally.counts[J.UNKNOWN]} recipient(s) may or may not have been texted: "
                "Twilio could not be asked.",
                f"Check them with 'smscast status {self.campaign_id}', then "
                f"'smscast resume {self.campaign_id} --retry-unknown' to ask Twilio again "
                "(those it does not have are sent).",
                "unknown",
            )
        else:
            self._set_campaign_state(J.FINISHED)
        self._emit_progress(time.monotonic())
        self._emit(CampaignFinished(self.campaign_id, counts=tally.nonzero(), canceled=canceled))
        return RunResult(J.CANCELED if canceled else J.FINISHED, tally.nonzero())

    # -- events ------------------------------------------------------------------------------

    def _maybe_progress(self, now: float) -> None:
        if now - self._last_progress >= self.options.progress_interval:
            self._emit_progress(now)

    def _emit_progress(self, now: float) -> None:
        self._last_progress = now
        rate = self._meter.rate(now, self._dispatch.sent_total)
        tally = self._tally
        left = tally.left()
        total = tally.total()
        self._emit(
            Progress(
                self.campaign_id,
                counts=tally.nonzero(),
                total=total,
                done=total - left,
                rate=round(rate, 1),
                eta_seconds=RateMeter.eta(left, rate),
            )
        )
