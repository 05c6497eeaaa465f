"""The sending engine: every pending recipient of a campaign gets exactly one message.

One asyncio task (`Engine.run`) drives everything. Each *tick* it takes as many pending rows
as the concurrency bound (`AdaptiveLimit`, AIMD on 429s) and the segment pacer
(`SegmentPacer`) allow, commits their intent together with the outcomes gathered since the
last tick in ONE transaction (`Journal.apply`), and only then starts their requests. Ticks come
at most every `commit_interval` seconds while busy, so a few hundred rows share each durable
commit and the journal's fsync does not cap throughput.

Errors act by class (see `campaigns.twilio.errors`): transient -> retried with backoff and
jitter (429 also lowers the concurrency; it never fails a recipient); permanent -> recorded,
the campaign goes on (a circuit breaker pauses it when the same code hits many recipients in a
row); fatal -> the campaign pauses with the reason; ambiguous (timeout, 5xx, dropped
connection) -> `reconcile.lookup`, never a blind resend. Rows left `inflight` by a crash are
reconciled the same way before anything else on the next run. Transient failures that are not
throttling (Twilio unreachable for a moment) hold all sending back with backoff, one probe at a
time, and pause the campaign only after `transient_patience` seconds without a success.

The sending window (the campaign's `--quiet-hours`, `quiet_hours.SendWindow`) is checked for
each recipient twice: when its intent would be committed (a closed window commits nothing) and
again right before its request leaves (`_send`, after the slot is taken). A recipient whose
window has closed goes back to `pending` with `not_before` = its next opening, persisted, and is
then handled like any deferred row (waited for within `max_defer_wait`, else the campaign pauses
with kind `deferred`). Every path that sends goes through both checks: a first run, a resume, a
retry after a transient failure or a lookup that found nothing, a deferred row coming due.

Delivery is tracked by polling (`tracking.PollSchedule`), spending at most `poll_share` of the
requests while sending, then until every message is final or `track_seconds` have passed.

`pause`, `resume`, `cancel` and `stop` may be called from any thread (the TUI runs the engine
in a worker thread with its own loop): they hop onto the engine's loop with
`call_soon_threadsafe`. Everything the engine has to say goes to `emit` as `campaigns.send.events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from campaigns.audience.quiet_hours import SendWindow, window_of_settings
from campaigns.errors import JournalError, JournalGoneError
from campaigns.send.events import (
    CampaignFinished,
    CampaignPaused,
    CampaignStarted,
    EngineError,
    Event,
    Progress,
    RecipientChanged,
)
from campaigns.send.pacing import AdaptiveLimit, SegmentPacer
from campaigns.send.reconcile import LookupResult, lookup
from campaigns.send.tracking import PollSchedule, gone_outcome, is_gone
from campaigns.store import journal as J
from campaigns.twilio.errors import (
    AmbiguousError,
    FatalError,
    PermanentError,
    TransientError,
    TwilioFailure,
    describe,
)
from campaigns.twilio.limits import backoff
from campaigns.twilio.models import MessageRecord
from campaigns.twilio.protocols import Gateway, GatewaySession

Emit = Callable[[Event], None]

#: Share of `--rate` the pacer aims at.
RATE_MARGIN = 0.98

#: Codes that never trip the circuit breaker: they are about one person, not the campaign.
_BREAKER_EXEMPT = frozenset({21610})


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How to send. `rate` is segments per second (None = only the concurrency bound)."""

    rate: float | None = None
    concurrency: int = 10
    track_seconds: float = 120.0
    canary: int = 0
    request_timeout: float = 15.0
    exit_on_pause: bool = True
    breaker_threshold: int = 20
    poll_share: float = 0.15
    progress_interval: float = 0.1
    #: Seconds between group commits while busy. 50 ms: each commit (a transaction, an fsync, a
    #: hop to the journal's thread and back) is shared by ~80 rows at 1,600 msg/s; at 10 ms it
    #: cost ~50 us of client CPU per message more (bench_send.py), for no more throughput.
    #: Requests wait for their intent's commit, but a concurrency's worth is always committed
    #: ahead at the gate, so the wait does not slow sends.
    commit_interval: float = 0.05
    retry_unknown: bool = False
    max_defer_wait: float = 60.0
    reconcile_margin: float = 120.0
    reconcile_grace: float = 0.5
    lookup_attempts: int = 6
    #: Seconds of transient failures in a row (Twilio unreachable, connections refused: nothing
    #: was created) during which sending backs off and retries, one probe at a time, before
    #: the campaign pauses with kind `transient`. A network blip costs a short wait, not a pause.
    transient_patience: float = 30.0
    opted_out: Callable[[str, str], object] | None = field(default=None, compare=False)
    #: The wall clock for the send-time rules (the sending window, `not_before`): an aware UTC
    #: datetime. Tests pass a synthetic one; intents and reconciliation keep real time (they are
    #: compared with Twilio's own timestamps).
    clock: Callable[[], datetime] = field(default=J.now_utc, compare=False)


_FROM_STORED: Any = object()


def engine_settings(options: EngineOptions) -> dict[str, Any]:
    """What a campaign stores of how it is sent (`Journal.create_campaign(settings=...)`), so
    that a resume, from either face, goes on at the same pace."""
    return {
        "rate_segments_per_second": options.rate,
        "concurrency": options.concurrency,
        "track": options.track_seconds,
    }


def options_from_settings(
    stored: Mapping[str, Any],
    *,
    rate: float | None = _FROM_STORED,
    concurrency: int | None = None,
    track_seconds: float | None = None,
    **extra: Any,
) -> EngineOptions:
    """EngineOptions as a campaign's stored settings say (`engine_settings`); a `rate` given
    (None = only the concurrency bound), a `concurrency` or `track_seconds` not None, and any
    other option in `extra` win."""
    if rate is _FROM_STORED:
        stored_rate = stored.get("rate_segments_per_second")
        rate = float(stored_rate) if stored_rate else None
    if concurrency is None:
        concurrency = int(stored.get("concurrency") or 10)
    if track_seconds is None:
        track = stored.get("track")
        track_seconds = 120.0 if track is None else float(track)
    return EngineOptions(
        rate=rate,
        concurrency=int(concurrency),
        track_seconds=max(0.0, float(track_seconds)),
        **extra,
    )


@dataclass(frozen=True, slots=True)
class RunResult:
    """How `Engine.run` ended: `state` is finished, paused, canceled or stopped."""

    state: str
    counts: dict[str, int]
    reason: str = ""
    hint: str = ""
    kind: str = ""


@dataclass(slots=True)
class _Row:
    row: int
    to: str
    body: str
    segments: int
    retries: int = 0
    attempted_at: datetime | None = None
    not_before: datetime | None = None  # when deferred: its window's next opening (UTC)


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
        waiters = getattr(self, "_waiters", None)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)
        self._wake()

    def _do_resume(self) -> None:
        if self._resumed is not None and not self._resumed.done():
            self._resumed.set_result("resume")
        elif self._request is not None and self._request.action == "pause":
            self._request = None
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
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="smscast-journal")
        self._from = campaign.sender if not campaign.messaging_service_sid else None
        self._service = campaign.messaging_service_sid
        # Reconciliation looks back to here: an earlier attempt that Twilio lists late must
        # still be found, whichever attempt's answer was lost.
        self._began = campaign.created_at
        window = window_of_settings(campaign.settings)
        self._window = SendWindow(window) if window is not None else None
        try:
            async with self.gateway.async_session() as session:
                self._session: GatewaySession = session
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
                self._flush()
            self._writer.shutdown(wait=True)
            with self._lock:
                self._loop = None

    async def _sessions_work(self) -> RunResult:
        """Reconcile, then drive (and with `exit_on_pause=False`, wait out pauses) to the end."""
        if self.options.retry_unknown:
            # Ask Twilio again first: found -> recorded, absent -> sent, else unknown.
            self.journal.set_status(self.campaign_id, [J.UNKNOWN], J.INFLIGHT, None)
        await self._reconcile_inflight()
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
                self._request = None
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
                self._flush()
            with contextlib.suppress(JournalError):
                self._set_campaign_state(J.PAUSED, reason, hint)
        self._outcomes = []
        self._emit(CampaignPaused(cid, reason=reason, hint=hint, kind="journal"))
        return RunResult("stopped", self._nonzero(), reason, hint, "journal")

    def _refuse(self, message: str) -> RunResult:
        self._emit(EngineError(self.campaign_id, message))
        counts = self.journal.counts(self.campaign_id)
        return RunResult("canceled", counts, message, kind="refused")

    def _init_state(self) -> None:
        opts = self.options
        self._limit = AdaptiveLimit(opts.concurrency)
        # A 2% margin under a fixed rate absorbs network jitter, so that even counted where the
        # messages arrive no one-second window exceeds the rate.
        self._pacer = SegmentPacer(opts.rate * RATE_MARGIN) if opts.rate else None
        self._queue: deque[_Row] = deque()
        self._later: list[tuple[float, int, _Row]] = []  # retries and quiet-hours deferrals
        self._polls = PollSchedule(track_seconds=opts.track_seconds)
        self._status: dict[int, str] = {}
        self._counts: Counter[str] = Counter()
        self._outcomes: list[J.Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._active = 0  # requests in flight (sends, polls, lookups)
        self._active_sends = 0
        self._at_gate = 0
        self._gate = asyncio.Lock()
        self._slot_freed = asyncio.Event()
        #: Unpaced sends waiting for a slot, in FIFO order: `_release` hands a freed slot
        #: straight to the first (True), a pause/cancel/stop turns them all away (False).
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._sends_started = 0
        self._polls_started = 0
        #: Transient failures in a row (429s aside): how many, since when (monotonic and wall
        #: clock), and until when sending holds back (`_on_transient`).
        self._transient_streak = 0
        self._transient_since: float | None = None
        self._transient_since_wall: datetime | None = None
        self._hold_until = 0.0
        self._window: SendWindow | None = None  # set by `_run` from the campaign's settings
        #: What happened, for tests and reports: throttled, transient, ambiguous,
        #: reconciled_found, reconciled_absent, unknown, polls, deferred (by the window at send
        #: time), gone (tracked messages Twilio no longer has).
        self.stats: Counter[str] = Counter()
        self._breaker: dict[str, tuple[int | None, int]] = {
            "send": (None, 0),
            "delivery": (None, 0),
        }
        self._wake_event = asyncio.Event()
        self._seq = 0
        self._rate_samples: deque[tuple[float, int]] = deque()
        self._sent_total = 0
        self._last_progress = 0.0
        self._canary_rows: set[int] = set()
        self._canary_left = self.options.canary
        self._sending_done_at: float | None = None

    def _wake(self) -> None:
        self._wake_event.set()

    def _load(self) -> None:
        """Queue the pending rows (deferring those with a future `not_before`) and track live
        messages again."""
        self._queue.clear()
        self._later.clear()
        now_wall = self.options.clock()
        now = time.monotonic()
        self._status.clear()
        self._counts.clear()
        # The lean read (no JSON fields, no dates but not_before): 20,000 rows load quickly.
        for r in self.journal.send_rows(self.campaign_id):
            self._status[r.row] = r.status
            self._counts[r.status] += 1
            if r.status == J.PENDING:
                item = _Row(r.row, r.to, r.body, r.segments, not_before=r.not_before)
                if r.not_before is not None and r.not_before > now_wall:
                    delay = (r.not_before - now_wall).total_seconds()
                    self._push_later(now + delay, item)
                else:
                    self._queue.append(item)
            elif r.status in J.LIVE_STATUSES and r.sid and self.options.track_seconds > 0:
                # A message Twilio said it no longer has (`tracking.is_gone`) is asked about once
                # more per run at most: the lean read does not carry its mark.
                self._polls.add(r.row, r.sid, r.to, now)
        if self._window is not None:
            # Each number's zones once, in one bulk pass, before the first check.
            self._window.learn(item.to for item in (*self._queue, *(x[2] for x in self._later)))
        self._sending_done_at = None
        self._set_campaign_state(J.RUNNING)
        self._emit(
            CampaignStarted(
                self.campaign_id,
                total=self._total(),
                to_send=len(self._queue) + len(self._later),
                rate=self.options.rate,
                concurrency=self.options.concurrency,
            )
        )

    def _total(self) -> int:
        return sum(n for status, n in self._counts.items() if status != J.SKIPPED)

    def _set_campaign_state(
        self, state: str, reason: str | None = None, hint: str | None = None
    ) -> None:
        self.journal.set_state(self.campaign_id, state, reason=reason, hint=hint)

    def _push_later(self, when: float, item: _Row) -> None:
        import heapq

        self._seq += 1
        heapq.heappush(self._later, (when, self._seq, item))

    # -- the scheduler -----------------------------------------------------------------------

    async def _drive(self) -> RunResult:
        import heapq

        opts = self.options
        last_commit = 0.0
        while True:
            request = self._request
            now = time.monotonic()
            if request is not None:
                if request.action == "stop":
                    self._cancel_tasks()
                    self._flush()
                    return self._paused(
                        request.reason,
                        "Resume to reconcile and go on.",
                        "stop",
                        state_name="stopped",
                    )
                if self._active_sends == 0:
                    await self._drop_polls()
                    self._flush()
                    if request.action == "cancel":
                        return self._finish(canceled=True)
                    return self._paused(request.reason, request.hint, request.kind)
            while self._later and self._later[0][0] <= now:
                item = heapq.heappop(self._later)[2]
                item.not_before = None  # due: the window is checked again before it leaves
                self._queue.append(item)
            intents: list[_Row] = []
            wait = opts.progress_interval
            if request is None:
                # Sends wait at the gate (`_admit`) once their intent is durable, so a freed
                # slot is refilled at once, not at the next group commit. Keep at most one
                # concurrency's worth waiting there (a fifth of a second's worth when paced).
                limit = self._limit.value
                free = 2 * limit - self._active_sends
                if self._pacer is not None:
                    ahead = max(1, math.ceil(self._pacer.rate * 0.2)) - self._at_gate
                    free = min(free, ahead)
                if self._transient_since is not None:
                    # Twilio unreachable: hold back, then one probe at a time (`_on_transient`).
                    free = min(free, 0 if now < self._hold_until else 1 - self._active_sends)
                window = self._window
                wall = self.options.clock() if window is not None and self._queue else None
                while free > 0 and self._queue and self._canary_allows():
                    item = self._queue.popleft()
                    if wall is not None:
                        # The first check: a closed window commits no intent for this row.
                        opens = window.closed_until(item.to, wall)  # type: ignore[union-attr]
                        if opens is not None:
                            self._defer(item, opens, wall, now)
                            continue
                    intents.append(item)
                    free -= 1
                    if self._canary_left > 0:
                        self._canary_left -= 1
                        self._canary_rows.add(item.row)
                polls = self._due_polls(now, self._limit.value - self._active)
            else:
                polls = []
            at = J.now_utc()
            for item in intents:
                item.attempted_at = at
            # The commit (an fsync) runs on the journal's thread: responses keep being handled
            # meanwhile, and these requests leave only once their intent is durable.
            await self._commit([J.Intent(item.row, at) for item in intents])
            last_commit = now
            # Counted here, not when the tasks first run, so `_check_done` sees them at once.
            for item in intents:
                self._active_sends += 1
                self._spawn(self._send(item))
            for poll in polls:
                self._active += 1
                self._polls_started += 1
                self._spawn(self._poll(poll))
            self._maybe_progress(now)

            outcome = self._check_done(now)
            if outcome is not None:
                return outcome
            if self._later:
                wait = min(wait, max(0.0, self._later[0][0] - now))
            if self._transient_since is not None and self._queue:
                wait = min(wait, max(0.001, self._hold_until - now))
            next_poll = self._polls.next_due()
            if next_poll is not None:
                wait = min(wait, max(0.001, next_poll - now))
            await self._sleep(wait)
            # Group commits: while busy, gather completions for at least `commit_interval`.
            since = time.monotonic() - last_commit
            if since < opts.commit_interval and self._request is None:
                await asyncio.sleep(opts.commit_interval - since)

    def _canary_allows(self) -> bool:
        # Once the canary is out, hold the rest until its outcome is known (`_check_canary`).
        return self.options.canary <= 0 or self._canary_left > 0

    def _due_polls(self, now: float, free: int) -> list[tuple[int, str, str]]:
        if free <= 0 or (self.options.track_seconds <= 0 and not self._canary_rows):
            return []
        sending = bool(self._queue) or self._active_sends > 0
        budget = free
        if sending and not self._canary_holding():
            share = self.options.poll_share
            allowed = int(share / (1 - share) * self._sends_started) + 1 - self._polls_started
            budget = min(free, max(0, allowed))
        if budget <= 0:
            return []
        return self._polls.due(now, budget)

    def _canary_holding(self) -> bool:
        return self.options.canary > 0 and self._canary_left == 0 and bool(self._canary_rows)

    async def _sleep(self, timeout: float) -> None:
        if self._wake_event.is_set():
            self._wake_event.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake_event.wait(), timeout)
        self._wake_event.clear()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drop_polls(self) -> None:
        """Cancel the status polls in flight (safe: they change nothing at Twilio)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._active = 0  # only polls were left, and a task canceled unstarted never counts down
        self._polls.requeue(time.monotonic())

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # -- finishing ---------------------------------------------------------------------------

    def _check_done(self, now: float) -> RunResult | None:
        if self._active_sends or self._request is not None:
            return None
        if self._canary_holding():
            return self._check_canary(now)
        if self._queue:
            return None
        if self._later:
            first = self._later[0][0]
            if first - now <= self.options.max_defer_wait:
                return None
            waiting = len(self._later)
            item = self._later[0][2]
            when = item.not_before or self.options.clock() + timedelta(seconds=first - now)
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
        if self._active:
            return None
        return self._finish(canceled=False)

    def _check_canary(self, now: float) -> RunResult | None:
        rows = self._canary_rows
        open_rows = [
            r for r in rows if self._status.get(r) not in J.FINAL_STATUSES | {J.UNKNOWN, J.SKIPPED}
        ]
        waiting_for = [r for r in open_rows if self._status.get(r) != J.PENDING]
        if self._sending_done_at is None:
            self._sending_done_at = now
        limit = self.options.track_seconds if self.options.track_seconds > 0 else 120.0
        if waiting_for and now - self._sending_done_at < limit and self._polls:
            return None
        if self._active:
            return None
        counts = Counter(self._status[r] for r in rows)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.options = replace(self.options, canary=0)
        self._canary_rows = set()
        return self._paused(
            f"Canary of {len(rows)} sent: {summary}.",
            f"Check them, then run 'smscast resume {self.campaign_id}' to send the rest.",
            "canary",
        )

    def _paused(self, reason: str, hint: str, kind: str, state_name: str = J.PAUSED) -> RunResult:
        self._flush()
        self._set_campaign_state(J.PAUSED, reason, hint)
        self._emit_progress(time.monotonic())
        self._emit(CampaignPaused(self.campaign_id, reason=reason, hint=hint, kind=kind))
        self._request = None
        return RunResult(state_name, self._nonzero(), reason, hint, kind)

    def _nonzero(self) -> dict[str, int]:
        return {status: n for status, n in self._counts.items() if n}

    def _finish(self, *, canceled: bool) -> RunResult:
        self._flush()
        if canceled:
            self.journal.set_status(
                self.campaign_id, [J.PENDING], "canceled", "The campaign was canceled."
            )
            self._counts = Counter(self.journal.counts(self.campaign_id))
            self._set_campaign_state(J.CANCELED, "Canceled.")
        elif self._counts.get(J.UNKNOWN):
            return self._paused(
                f"{self._counts[J.UNKNOWN]} recipient(s) may or may not have been texted: "
                "Twilio could not be asked.",
                f"Check them with 'smscast status {self.campaign_id}', then "
                f"'smscast resume {self.campaign_id} --retry-unknown' to ask Twilio again "
                "(those it does not have are sent).",
                "unknown",
            )
        else:
            self._set_campaign_state(J.FINISHED)
        self._emit_progress(time.monotonic())
        self._emit(CampaignFinished(self.campaign_id, counts=self._nonzero(), canceled=canceled))
        return RunResult(J.CANCELED if canceled else J.FINISHED, self._nonzero())

    # -- journal + events --------------------------------------------------------------------

    async def _commit(self, intents: list[J.Intent]) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes or intents:
            await asyncio.get_running_loop().run_in_executor(
                self._writer, self.journal.apply, self.campaign_id, outcomes, intents
            )

    def _flush(self, intents: list[J.Intent] | None = None) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes or intents:
            self.journal.apply(self.campaign_id, outcomes, intents or ())

    def _change(self, row: int, to: str, status: str, outcome: J.Outcome | None = None) -> None:
        old = self._status.get(row)
        if old is not None:
            self._counts[old] -= 1
        self._status[row] = status
        self._counts[status] += 1
        if outcome is not None:
            self._outcomes.append(outcome)
            self._emit(
                RecipientChanged(
                    self.campaign_id,
                    row=row,
                    to=to,
                    status=status,
                    sid=outcome.sid,
                    error_code=outcome.error_code,
                    error_message=outcome.error_message,
                )
            )
        else:
            self._emit(RecipientChanged(self.campaign_id, row=row, to=to, status=status))

    def _record(self, item: _Row, outcome: J.Outcome) -> None:
        self._change(item.row, item.to, outcome.status, outcome)
        self._wake()

    def _maybe_progress(self, now: float) -> None:
        if now - self._last_progress >= self.options.progress_interval:
            self._emit_progress(now)

    def _emit_progress(self, now: float) -> None:
        self._last_progress = now
        samples = self._rate_samples
        samples.append((now, self._sent_total))
        while len(samples) > 2 and now - samples[0][0] > 5.0:
            samples.popleft()
        t0, n0 = samples[0]
        rate = (self._sent_total - n0) / (now - t0) if now - t0 > 0.2 else 0.0
        left = self._counts.get(J.PENDING, 0) + self._counts.get(J.INFLIGHT, 0)
        total = self._total()
        self._emit(
            Progress(
                self.campaign_id,
                counts=self._nonzero(),
                total=total,
                done=total - left,
                rate=round(rate, 1),
                eta_seconds=round(left / rate, 1) if rate > 0 and left else None,
            )
        )

    # -- one send ----------------------------------------------------------------------------

    async def _send(self, item: _Row) -> None:
        opts = self.options
        if not await self._admit(item):
            self._active_sends -= 1
            self._record(item, J.Outcome(item.row, J.PENDING))
            self._queue.appendleft(item)
            self._wake()
            return
        # The second window check, at the last moment: the intent was committed earlier, and
        # the wait for a slot or the pacer since may have crossed the window's close. Nothing
        # awaits between here and `session.send`, which writes the request as soon as it has a
        # connection: at once on a kept-alive one, after the connect (loopback or a nearby
        # Twilio edge: milliseconds; at most `connect_timeout`) on a new one. So "the window
        # holds when the request leaves" is exact to within that connect time.
        if self._window is not None:
            wall = opts.clock()
            opens = self._window.closed_until(item.to, wall)
            if opens is not None:
                self._release()
                self._active_sends -= 1
                self._defer(item, opens, wall, time.monotonic())
                self._wake()
                return
        self._sends_started += 1
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
                )
            except TransientError as exc:
                self._on_transient(item, exc)
            except PermanentError as exc:
                self._on_permanent(item, exc)
            except FatalError as exc:
                self._record(item, J.Outcome(item.row, J.PENDING))
                self._set_request(_Request("pause", str(exc), exc.hint or "", "fatal"))
            except AmbiguousError as exc:
                await self._on_ambiguous(item, exc)
            except TimeoutError:
                await self._on_ambiguous(item, None)
            except TwilioFailure as exc:  # an unknown subclass: be safe
                await self._on_ambiguous(item, exc)
            else:
                self._limit.on_success()
                self._reachable()
                self._breaker["send"] = (None, 0)
                self._sent_total += 1
                self._record(item, self._record_outcome(item.row, record))
                self._track(item, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._emit(EngineError(self.campaign_id, f"Unexpected error: {exc!r}"))
            await self._on_ambiguous(item, None)
        finally:
            self._release()
            self._active_sends -= 1
            self._wake()

    def _defer(self, item: _Row, opens: datetime, wall: datetime, now: float) -> None:
        """The row's sending window is closed: back to `pending` until `opens` (UTC), which is
        persisted as its `not_before` (a resume, from either face, waits for it too)."""
        self.stats["deferred"] += 1
        item.not_before = opens
        self._record(item, J.Outcome(item.row, J.PENDING, not_before=opens))
        self._push_later(now + max(0.0, (opens - wall).total_seconds()), item)

    def _release(self) -> None:
        self._active -= 1
        self._slot_freed.set()
        waiters = self._waiters
        while waiters and self._active < self._limit.value and self._request is None:
            waiter = waiters.popleft()
            if not waiter.done():
                self._active += 1  # the slot passes straight to the first send waiting
                waiter.set_result(True)

    async def _admit(self, item: _Row) -> bool:
        """Wait, in FIFO order, for a request slot (the AIMD bound) and the pacer; then take
        the slot. False when the campaign is pausing or stopping meanwhile: the request must
        not leave."""
        if self._pacer is None:
            if self._request is not None:
                return False
            if self._active < self._limit.value and not self._waiters:
                self._active += 1  # the common case: a free slot and no one queued before us
                return True
            # Wait in line: `_release` hands us a slot (already counted), or a pause turns
            # us away. One wake-up per send, no lock hand-offs.
            waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self._at_gate += 1
            try:
                return await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result():
                    self._release()  # handed a slot just as we were canceled: give it back
                raise
            finally:
                self._at_gate -= 1
        self._at_gate += 1
        try:
            async with self._gate:
                while True:
                    if self._request is not None:
                        return False
                    if self._active >= self._limit.value:
                        self._slot_freed.clear()
                        await self._slot_freed.wait()
                        continue
                    if self._pacer is not None:
                        now = time.monotonic()
                        delay = self._pacer.delay(item.segments, now)
                        if delay > 0:
                            await asyncio.sleep(delay)
                            continue
                        self._pacer.take(item.segments, now)
                    self._active += 1
                    return True
        finally:
            self._at_gate -= 1

    @staticmethod
    def _record_outcome(row: int, record: MessageRecord) -> J.Outcome:
        code = record.error_code
        info = describe(code)
        return J.Outcome(
            row,
            record.status,
            sid=record.sid,
            error_code=code,
            error_message=(info.meaning if info else record.error_message) if code else None,
            price=record.price,
            segments=record.num_segments,
        )

    def _track(self, item: _Row, record: MessageRecord) -> None:
        wanted = self.options.track_seconds > 0 or item.row in self._canary_rows
        if wanted and record.status not in J.FINAL_STATUSES:
            self._polls.add(item.row, record.sid, item.to, time.monotonic())

    def _on_transient(self, item: _Row, exc: TransientError) -> None:
        """Nothing was created: the row goes back to `pending` and is retried later.

        A 429 is about requests in flight, which AIMD is already lowering: that row alone
        retries soon. Any other transient failure (a refused connection, Twilio unreachable)
        is about the way to Twilio, not the row: all sending holds back with backoff, then
        probes with one request at a time, and only after `transient_patience` seconds with
        no success does the campaign pause, saying what failed and since when."""
        throttled = exc.status == 429 or exc.code == 20429
        self.stats["throttled" if throttled else "transient"] += 1
        now = time.monotonic()
        item.retries += 1
        if throttled:
            self._limit.on_throttled()
            delay = backoff(item.retries, base=0.2, cap=5.0)
        else:
            if self._transient_since is None:
                self._transient_since = now
                self._transient_since_wall = J.now_utc()
            self._transient_streak += 1
            delay = backoff(self._transient_streak, base=0.25, cap=5.0)
            self._hold_until = max(self._hold_until, now + delay)
        if exc.retry_after:
            delay = max(delay, exc.retry_after)
        self._record(item, J.Outcome(item.row, J.PENDING))
        self._push_later(now + delay, item)
        since = self._transient_since
        if not throttled and since is not None and now - since >= self.options.transient_patience:
            self._pause_unreachable(exc, now)

    def _pause_unreachable(self, exc: TransientError, now: float) -> None:
        since = self._transient_since_wall or J.now_utc()
        seconds = now - (self._transient_since or now)
        self._set_request(
            _Request(
                "pause",
                f"Twilio could not be reached for {seconds:.0f} s ({self._transient_streak} "
                f"attempts since {since:%H:%M:%S} UTC, each retried with backoff); the last "
                f"error: {exc}",
                "Nothing was created by the failed attempts: those recipients are still "
                "pending. Check the network connection (or status.twilio.com), then run "
                f"'smscast resume {self.campaign_id}'.",
                "transient",
            )
        )
        self._reachable()

    def _reachable(self) -> None:
        """Twilio answered (or the run pauses): the transient streak is over."""
        self._transient_streak = 0
        self._transient_since = None
        self._transient_since_wall = None
        self._hold_until = 0.0

    def _on_permanent(self, item: _Row, exc: PermanentError) -> None:
        self._reachable()  # Twilio answered
        self._record(
            item,
            J.Outcome(item.row, "failed", error_code=exc.code, error_message=str(exc)),
        )
        if exc.code == 21610 and self.options.opted_out is not None:
            try:
                self.options.opted_out(item.to, self.campaign_id)
            except Exception as err:
                self._emit(EngineError(self.campaign_id, f"Could not suppress {item.to}: {err}"))
        self._trip("send", exc.code)

    def _trip(self, stream: str, code: int | None) -> None:
        """The circuit breaker: the same permanent code for many recipients in a row."""
        if code is None or code in _BREAKER_EXEMPT:
            self._breaker[stream] = (None, 0)
            return
        last, streak = self._breaker[stream]
        streak = streak + 1 if last == code else 1
        self._breaker[stream] = (code, streak)
        if streak >= self.options.breaker_threshold:
            self._breaker[stream] = (None, 0)
            info = describe(code)
            meaning = info.meaning if info else f"Twilio error {code}."
            advice = info.advice if info else "See Twilio's page for this error code."
            self._set_request(
                _Request(
                    "pause",
                    f"{streak} recipients in a row failed with error {code}: {meaning}",
                    f"{advice} Then run 'smscast resume {self.campaign_id}'.",
                    "breaker",
                )
            )

    async def _on_ambiguous(self, item: _Row, exc: TwilioFailure | None) -> None:
        """The message may exist: look it up before deciding anything."""
        self.stats["ambiguous"] += 1
        await asyncio.sleep(self.options.reconcile_grace)
        result = await self._lookup(item)
        self._apply_lookup(item, result, exc)

    async def _lookup(self, item: _Row) -> LookupResult:
        assert item.attempted_at is not None
        self._active += 1
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

    def _apply_lookup(self, item: _Row, result: LookupResult, exc: TwilioFailure | None) -> None:
        self.stats[_lookup_stat(result)] += 1
        if result.record is not None:
            self._sent_total += 1
            self._record(item, self._record_outcome(item.row, result.record))
            self._track(item, result.record)
        elif result.found_nothing:
            item.retries += 1
            self._record(item, J.Outcome(item.row, J.PENDING))
            self._push_later(time.monotonic() + backoff(item.retries, base=0.2), item)
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

    async def _reconcile_inflight(self) -> None:
        """After a crash: settle every `inflight` row before anything is sent."""
        rows = self.journal.recipients(self.campaign_id, [J.INFLIGHT])
        if not rows:
            return
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        self._status = {r.row: r.status for r in rows}

        async def one(r: J.Recipient) -> None:
            item = _Row(r.row, r.to, r.body, r.segments, attempted_at=r.attempted_at)
            async with gate:
                result = await self._lookup(item)
            self.stats[_lookup_stat(result)] += 1
            if result.record is not None:
                self._outcomes.append(self._record_outcome(r.row, result.record))
            elif result.found_nothing:
                self._outcomes.append(J.Outcome(r.row, J.PENDING))
            else:
                self._outcomes.append(
                    J.Outcome(
                        r.row,
                        J.UNKNOWN,
                        error_message="Interrupted mid-request, and Twilio could not be asked "
                        "whether the message was created.",
                    )
                )

        await asyncio.gather(*(one(r) for r in rows))
        self._flush()

    # -- delivery tracking -------------------------------------------------------------------

    async def _poll(self, poll: tuple[int, str, str]) -> None:
        row, sid, to = poll
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
            if record.status != self._status.get(row):
                self._change(row, to, record.status, self._record_outcome(row, record))
            if record.status in J.FINAL_STATUSES:
                self._polls.done(row)
                if record.status in J.FAILED_STATUSES:
                    self._trip("delivery", record.error_code)
                elif record.status == "delivered":
                    self._breaker["delivery"] = (None, 0)
            else:
                self._polls.retry(row, time.monotonic())
        finally:
            self._release()
            self._wake()


def _lookup_stat(result: LookupResult) -> str:
    if result.record is not None:
        return "reconciled_found"
    return "reconciled_absent" if result.found_nothing else "unknown"
