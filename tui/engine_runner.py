"""Runs `campaigns.send.engine.Engine` on its own thread and event loop, for the Textual app.

The engine is asyncio code that may keep a CPU busy; the app's event loop must never block, so
the engine gets a thread with its own loop. Its `emit` callback (on the engine's thread) only
appends to a thread-safe buffer; the app drains the buffer on a timer (at most 4 Hz) and
applies the batch to the Send screen. Pause, resume, cancel and stop may be called from the
app's thread: the engine hops onto its own loop (and queues calls made before it runs).
No textual here, so the runner is testable on its own.

Status callbacks: when the settings give a `listen_port` and the run's campaign asks Twilio
for callbacks (`EngineOptions.status_callback`), a `campaigns.pipeline.listen.ReceiptServer`
runs on the engine's loop for the run's life. Its desk (its own journal connection) records
each signed receipt, and the engine is told (`Engine.heard`), so the Send screen shows it at
once and the run ends as soon as every message is final. A port that cannot be listened on
(in use), or no auth token to check the signatures with (a campaign resumed after the
settings changed), is said in `callbacks.error`, and the run goes on without callbacks:
Twilio is not given the URL, the sweeps at their usual pace track the messages, nothing is
lost.
`callbacks` (a `CallbackCount`, replaced whole on the engine's thread) is what the app's
drain timer shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from campaigns.send import aio
from tui.event_buffer import EventBuffer, key_by_fields

if TYPE_CHECKING:  # loaded on the runner's thread, when the engine starts
    from campaigns.config.settings import Settings
    from campaigns.conversation.collector import Collected
    from campaigns.pipeline.listen import ReceiptServer
    from campaigns.send.callbacks import Answer
    from campaigns.send.engine import Engine, EngineOptions, RunResult
    from campaigns.send.events import Event

#: Coalescing: the latest status per recipient and the latest progress per campaign.
EVENT_KEYS = {
    "RecipientChanged": ("campaign_id", "row"),
    "Progress": ("campaign_id",),
}


@dataclass(frozen=True, slots=True)
class CallbackCount:
    """The run's status callbacks so far: where they are received (`url`, the URL Twilio was
    given), how many signed ones came, how many changed a row, how many were refused (4xx:
    unsigned, forged, stale, another campaign's) and how many wait for their message to be
    recorded; `error`: why the app could not listen (then the run tracks by sweeps);
    `elsewhere`: the campaign asks Twilio for callbacks but the app does not listen (no
    `listen_port`: another process, such as `smscast listen`, receives them); `stopped`: the
    run ended, and with it the app's listener (the counts are the run's last)."""

    url: str
    listening: str = ""  # host:port, once listening
    elsewhere: bool = False
    received: int = 0
    recorded: int = 0
    refused: int = 0
    held: int = 0
    error: str = ""
    hint: str = ""  # what to do about `error`
    stopped: bool = False


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
        #: The run's status callbacks (None: the app does not receive them for this run).
        self.callbacks: CallbackCount | None = None
        self._server: ReceiptServer | None = None

    @property
    def engine_stats(self) -> dict[str, int]:
        """What the engine counted so far (`Engine.stats`: tracking requests, receipts heard
        by callback...); empty before it exists."""
        engine = self._engine
        return dict(engine.stats) if engine is not None else {}

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

    def _heard(self, answer: Answer) -> None:
        """The listener's answer to a callback (on the engine's loop): counted; a receipt of
        this run's campaign is handed to the engine (which takes it only forward)."""
        count = self.callbacks
        if count is None:
            return
        if answer.status >= 400:
            count = replace(count, refused=count.refused + 1)
        elif not answer.later and answer.receipt is not None:
            count = replace(count, received=count.received + 1)
        if answer.applied:
            count = replace(count, recorded=count.recorded + 1)
        server = self._server
        self.callbacks = replace(count, held=server.desk.held if server is not None else 0)
        engine = self._engine
        if (
            engine is not None
            and answer.receipt is not None
            and answer.campaign_id == self.campaign_id
            and answer.status == 200
        ):
            engine.heard(answer.receipt)

    async def _listen(self, journal_path: Path, options: EngineOptions) -> ReceiptServer | None:
        """Start receiving the run's status callbacks, when the settings say the app listens
        and the campaign asks Twilio for them; the server (None: not listening)."""
        from campaigns.errors import ConfigError
        from campaigns.pipeline.listen import ReceiptServer, cannot_listen, open_desk
        from campaigns.store.journal import Journal

        port = self.settings.listen_port
        if not options.status_callback:
            return None
        if port is None:
            self.callbacks = CallbackCount(options.status_callback, elsewhere=True)
            return None
        host = self.settings.listen_host
        self.callbacks = CallbackCount(options.status_callback)
        desk_journal = Journal.open(journal_path)  # the desk's own connection, on its thread
        try:
            server = ReceiptServer(
                open_desk(self.settings, desk_journal),
                host=host,
                port=port,
                public_url=options.status_callback,
                on_answer=self._heard,
            )
            await server.start()
        except (OSError, ConfigError) as exc:  # in use; or no auth token to check them with
            desk_journal.close()
            told = cannot_listen(host, port, exc) if isinstance(exc, OSError) else exc
            self.callbacks = replace(self.callbacks, error=told.message, hint=told.hint or "")
            return None
        except BaseException:
            desk_journal.close()
            raise
        self.callbacks = replace(self.callbacks, listening=f"{host}:{port}")
        self._server = server
        return server

    async def _run(self) -> None:
        from campaigns.audience.suppression import SuppressionList
        from campaigns.conversation.polling import ReplyPoller, poll_gateway
        from campaigns.send.engine import Engine, EngineOptions
        from campaigns.store.journal import Journal
        from campaigns.twilio.gateway import TwilioGateway

        journal = Journal.open(self.db_path)
        suppression = SuppressionList(journal.path, self.settings.region)
        gateway = None
        server: ReceiptServer | None = None
        try:
            gateway = live = TwilioGateway(self.settings)
            options = replace(
                self.options if self.options is not None else EngineOptions(),
                exit_on_pause=False,
                opted_out=lambda phone, campaign: suppression.record_opt_out(phone, campaign),
            )
            server = await self._listen(journal.path, options)
            if server is None and self.callbacks is not None and self.callbacks.error:
                # Not listening: Twilio is not given the URL; the sweeps track as usual.
                options = replace(options, status_callback=None)
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
            # Each closes whatever the one before it did: a listener that fails to stop must
            # not leave the journals or the gateway open.
            try:
                if server is not None:
                    try:
                        await server.stop()
                    finally:
                        server.desk.journal.close()
            finally:
                if self.callbacks is not None:  # (before `on_stopped`: the app's last drain)
                    self.callbacks = replace(self.callbacks, stopped=True)
                try:
                    if gateway is not None:
                        gateway.close()
                finally:
                    try:
                        suppression.close()
                    finally:
                        journal.close()
