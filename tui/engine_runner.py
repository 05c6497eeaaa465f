"""Runs `campaigns.send.engine.Engine` on its own thread and event loop, for the Textual app.

The engine is asyncio code that may keep a CPU busy; the app's event loop must never block, so
the engine gets a thread with its own loop. Its `emit` callback (on the engine's thread) only
appends to a thread-safe buffer; the app drains the buffer on a timer (at most 4 Hz) and
applies the batch to the Send screen. Pause, resume, cancel and stop may be called from the
app's thread: the engine hops onto its own loop (and queues calls made before it runs).
No textual here, so the runner is testable on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from campaigns.send import aio
from tui.event_buffer import EventBuffer, key_by_fields

if TYPE_CHECKING:  # loaded on the runner's thread, when the engine starts
    from campaigns.config.settings import Settings
    from campaigns.conversation.collector import Collected
    from campaigns.send.engine import Engine, EngineOptions, RunResult
    from campaigns.send.events import Event

#: Coalescing: the latest status per recipient and the latest progress per campaign.
EVENT_KEYS = {
    "RecipientChanged": ("campaign_id", "row"),
    "Progress": ("campaign_id",),
}


class EngineRunner:
    """One engine run (a send or a resume) of one campaign, on a background thread."""

    def __init__(
        self,
        *,
        settings: Settings,
        db_path: Path | None,
        campaign_id: str,
        on_stopped: Callable[[str | None], object],
        options: EngineOptions | None = None,
    ) -> None:
        """`on_stopped(error_text)` is called on the runner's thread when the run ends."""
        self.settings = settings
        self.db_path = db_path
        self.campaign_id = campaign_id
        self.options = options
        self.buffer: EventBuffer[Event] = EventBuffer(key_by_fields(EVENT_KEYS))
        self._on_stopped = on_stopped
        self._thread: threading.Thread | None = None
        self.result: RunResult | None = None  # once the engine returned
        self.paused = False  # the engine said CampaignPaused (and waits for resume)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._pending: list[str] = []  # control calls made before the engine existed
        #: Called with each poll that found new replies during the run (replies are polled
        #: beside the engine: `campaigns.conversation.polling`), on the poller's thread: a
        #: screen that shows them posts a message from it, never touches a widget.
        self.on_replies: Callable[[Collected], None] | None = None
        self.reply_interval = 10.0  # seconds between two polls (`ReplyPoller`)

    @property
    def running(self) -> bool:
        """True while the engine's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the engine's thread (returns at once)."""
        self._thread = threading.Thread(
            target=self._main, name=f"engine-{self.campaign_id}", daemon=True
        )
        self._thread.start()

    def drain(self) -> list[Event]:
        """The events buffered since the last call, coalesced, in order ([] when none)."""
        return self.buffer.drain()

    def pause(self) -> None:
        """Ask the engine to pause after the requests in flight."""
        self._call("pause")

    def resume(self) -> None:
        """Ask a paused engine to go on."""
        self._call("resume")

    def cancel(self) -> None:
        """Ask the engine to stop for good: nothing more is sent."""
        self._call("cancel")

    def stop(self, timeout: float = 10.0) -> None:
        """End the run, leaving the campaign resumable (quitting the app mid-send).

        Pausing lets the requests in flight finish; if that takes too long the engine stops at
        once and the next run reconciles what was in flight.
        """
        if not self.paused:
            self.pause()
            if self._thread is not None:
                self._thread.join(min(timeout, 2.0))
        self._call("stop")
        if self._thread is not None:
            self._thread.join(timeout)

    def _call(self, method: str) -> None:
        """Call an engine control method (the engine hops onto its own loop). Never waits:
        before the engine exists the call is kept and made as soon as it does."""
        with self._lock:
            engine = self._engine
            if engine is None:
                self._pending.append(method)
                return
        getattr(engine, method)()

    def _emit(self, event: Event) -> None:
        """The engine's `emit` (its thread): note whether it is paused, buffer the event."""
        name = type(event).__name__
        if name == "CampaignPaused":
            self.paused = True
        elif name == "CampaignStarted":
            self.paused = False
        self.buffer.put(event)

    def _main(self) -> None:
        error: str | None = None
        try:
            aio.run(self._run())
        except BaseException as exc:  # reported to the person, never raised on a thread
            from tui.errors_text import describe_error

            error = describe_error(exc, "Engine")
        finally:
            self._on_stopped(error)

    async def _run(self) -> None:
        from campaigns.audience.suppression import SuppressionList
        from campaigns.conversation.polling import ReplyPoller, poll_gateway
        from campaigns.send.engine import Engine, EngineOptions
        from campaigns.store.journal import Journal
        from campaigns.twilio.gateway import TwilioGateway

        journal = Journal.open(self.db_path)
        suppression = SuppressionList(journal.path, self.settings.region)
        gateway = None
        try:
            gateway = live = TwilioGateway(self.settings)
            options = replace(
                self.options if self.options is not None else EngineOptions(),
                exit_on_pause=False,
                opted_out=lambda phone, campaign: suppression.record_opt_out(phone, campaign),
            )
            engine = Engine(gateway, journal, self.campaign_id, options)
            with self._lock:
                self._engine = engine
                pending, self._pending = self._pending, []
            for method in pending:  # the engine queues them until its loop runs
                getattr(engine, method)()
            with ReplyPoller(
                journal.path,
                lambda: poll_gateway(live),
                self.campaign_id,
                region=self.settings.region,
                interval=self.reply_interval,
                on_new=self.on_replies,
            ):
                self.result = await engine.run(self._emit)
        finally:
            if gateway is not None:
                gateway.close()
            suppression.close()
            journal.close()
