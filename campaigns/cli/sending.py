"""What `smscast send`, `resume` and `cancel` share: running the engine from the command line.

Runs `Engine.run` in an asyncio loop with Ctrl-C, SIGTERM and SIGHUP wired to a clean pause (a
second one stops at once), renders the event stream (a progress bar on stderr, or JSON lines on
stdout with `--json`), handles the canary question, and turns the outcome into the exit status and a
footer that says how to go further. A run holds the campaign's run lock
(`Journal.run_lock`) throughout, so two runs of one campaign can never text anyone twice.

Exit status of a run (`exit_status`): 0 everyone was texted; 3 the campaign is over (finished,
or canceled: it cannot be resumed) and some recipients did not get the message (failed,
undelivered, or canceled before being texted; the export says who); 4 paused or stopped, and
`smscast resume` goes on. A campaign that is already canceled is refused (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import replace
from typing import IO, TYPE_CHECKING

from campaigns.cli.main import EXIT_FAILED_RECIPIENTS, EXIT_OK, EXIT_PAUSED
from campaigns.send import aio
from campaigns.send.engine import Engine, EngineOptions, RunResult
from campaigns.send.events import (
    CampaignFinished,
    CampaignPaused,
    EngineError,
    Event,
    Progress,
    RecipientChanged,
)
from campaigns.store import statuses
from campaigns.store.journal import Journal
from campaigns.store.statuses import CampaignState, RecipientStatus
from campaigns.untrusted import json_dumps, visible

if TYPE_CHECKING:
    from campaigns.twilio.gateway import TwilioGateway

#: The counts a run shows, in display order: the recipients it texts (the skipped ones were
#: excluded before sending, and the plan said so).
_STATUS_ORDER = tuple(s for s in statuses.DISPLAY_ORDER if s != RecipientStatus.SKIPPED)


class Renderer:
    """Turns events into output: JSON lines, or a progress bar plus notable lines on stderr.

    Every line it writes goes through `campaigns.untrusted` (`visible` for text, `json_dumps`
    for JSON): reasons, error messages and plans quote Twilio's answers, cells and file names,
    and an escape sequence among them must not act on the operator's terminal."""

    def __init__(self, *, json_mode: bool, out: IO[str], err: IO[str]) -> None:
        self.json_mode = json_mode
        self.out = out
        self.err = err
        self.tty = err.isatty()
        self._last_line = 0.0
        self._bar_shown = False
        self._final_shown = False
        self._printed: Progress | None = None
        self.last_progress: Progress | None = None

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            self.out.write(json_dumps(event.to_json()) + "\n")
            if not isinstance(event, RecipientChanged):
                self.out.flush()
            return
        if isinstance(event, Progress):
            self.last_progress = event
            self._progress(event)
        elif isinstance(event, CampaignPaused):
            self._last_counts()
            self._clear()
            self.err.write(f"{_pause_line(_shown(event.reason))}\n")
        elif isinstance(event, EngineError):
            self._clear()
            self.err.write(f"smscast: {_shown(event.message)}\n")
        elif isinstance(event, CampaignFinished):
            self._last_counts()
            self._clear()

    def _last_counts(self) -> None:
        """Without a terminal, lines are throttled: make sure the last counts are printed."""
        last = self.last_progress
        if not self.tty and last is not None and last is not self._printed:
            self._final_shown = False
            self._last_line = 0.0
            self._progress(last)

    def _progress(self, event: Progress) -> None:
        now = time.monotonic()
        if not self.tty:
            final = event.done >= event.total
            if now - self._last_line < 5.0 and (not final or self._final_shown):
                return
            self._final_shown = final
        self._last_line = now
        self._printed = event
        width = 30
        filled = int(width * event.done / event.total) if event.total else width
        counts = "  ".join(f"{event.counts[s]} {s}" for s in _STATUS_ORDER if event.counts.get(s))
        eta = f"  ETA {_duration(event.eta_seconds)}" if event.eta_seconds else ""
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {event.done}/{event.total}"
            f"  {event.rate:.0f} msg/s{eta}  {counts}"
        )
        if self.tty:
            self.err.write("\r\x1b[K" + line)
            self._bar_shown = True
        else:
            self.err.write(line + "\n")
        self.err.flush()

    def _clear(self) -> None:
        if self._bar_shown:
            self.err.write("\n")
            self._bar_shown = False

    def say(self, text: str) -> None:
        """A human sentence (stderr in JSON mode so stdout stays JSON lines); each of its
        lines is shown through `visible`."""
        self._clear()
        (self.err if self.json_mode else self.out).write(_shown(text) + "\n")
        (self.err if self.json_mode else self.out).flush()


def _shown(text: str) -> str:
    """`text` line by line through `visible`: its line breaks stay, every other control is
    made visible."""
    return "\n".join(map(visible, text.split("\n")))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _pause_line(reason: str) -> str:
    """The reason, introduced by "Paused:" unless it already says so (a signal's reason is a
    whole sentence, "Paused with Ctrl-C.", also stored in the journal and shown by status)."""
    return reason if reason.startswith("Paused") else f"Paused: {reason}"


#: The signals that pause a run as Ctrl-C does, and how the pause names each. SIGTERM is what
#: `kill`, systemd and container runtimes send; SIGHUP is a closed terminal or SSH session.
PAUSING_SIGNALS: dict[signal.Signals, str] = {
    signal.SIGINT: "Paused with Ctrl-C.",
    signal.SIGTERM: "Paused: smscast was asked to stop (SIGTERM).",
}
if hasattr(signal, "SIGHUP"):  # not on Windows
    PAUSING_SIGNALS[signal.SIGHUP] = "Paused: the terminal was closed (SIGHUP)."


def run_engine(engine: Engine, render: Renderer) -> RunResult:
    """Run the engine to its end. The first Ctrl-C, SIGTERM or SIGHUP pauses cleanly (the
    requests in flight finish and are recorded, the campaign is left paused and resumable);
    a second one stops at once (what is in flight is reconciled by the next run).

    After a SIGHUP the terminal is gone: writing to it would fail (EIO), so the standard
    streams that were a terminal are pointed at /dev/null and the pause goes on quietly."""
    terminals = _terminal_fds()

    def emit(event: Event) -> None:
        # A closed terminal (EIO) or a reader gone (EPIPE) must not break the run or its pause.
        with contextlib.suppress(OSError):
            render(event)

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        presses = 0

        def on_signal(signum: signal.Signals) -> None:
            nonlocal presses
            presses += 1
            if signum == getattr(signal, "SIGHUP", None):
                _detach_terminal(terminals)
            if presses == 1:
                with contextlib.suppress(OSError):
                    again = "Ctrl-C" if signum == signal.SIGINT else "again"
                    render.say(
                        f"Pausing: waiting for the requests in flight ({again} to stop now)."
                    )
                engine.pause(
                    PAUSING_SIGNALS[signum],
                    f"Run 'smscast resume {engine.campaign_id}' to go on.",
                )
            else:
                engine.stop()

        installed = []
        for signum in PAUSING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append(signum)
        try:
            return await engine.run(emit)
        finally:
            for signum in installed:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signum)

    return aio.run(main())


def _terminal_fds() -> list[int]:
    """Which of stdin, stdout and stderr are a terminal (asked before any hang-up)."""
    found = []
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError, ValueError):
            if os.isatty(fd):
                found.append(fd)
    return found


def _detach_terminal(fds: list[int]) -> None:
    """Point the descriptors that were the (now hung-up) terminal at /dev/null: output is
    dropped instead of failing with EIO, and a question reads "no" at once."""
    for fd in fds:
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)


def confirm(question: str) -> bool:
    """Ask on the terminal (on stderr, so stdout stays data); anything but y/yes is no."""
    sys.stderr.write(f"{visible(question)} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()  # "" at end of input: no
    return answer.strip().lower() in ("y", "yes")


def drive(
    gateway: TwilioGateway,
    journal: Journal,
    campaign_id: str,
    options: EngineOptions,
    render: Renderer,
    *,
    interactive: bool,
    cancel: bool = False,
) -> int:
    """Run (and after an accepted canary, run again) the campaign; returns the exit status.

    Holds the campaign's run lock throughout (`CampaignBusyError`, exit 1, when another run
    has it) and refuses a canceled campaign (exit 1): it cannot be resumed. With `cancel`, the
    engine starts with the cancel already requested: it reconciles rows left in flight, then
    marks every pending recipient canceled (`smscast cancel`)."""
    from campaigns.errors import InputError

    with journal.run_lock(campaign_id):
        if journal.campaign(campaign_id).state == CampaignState.CANCELED:
            raise InputError(
                f"Campaign {campaign_id} was canceled; it cannot be resumed.",
                "Start a new one with 'smscast send'.",
            )
        return _drive(
            gateway, journal, campaign_id, options, render, interactive=interactive, cancel=cancel
        )


def _drive(
    gateway: TwilioGateway,
    journal: Journal,
    campaign_id: str,
    options: EngineOptions,
    render: Renderer,
    *,
    interactive: bool,
    cancel: bool,
) -> int:
    while True:
        engine = Engine(gateway, journal, campaign_id, options)
        if cancel:
            engine.cancel()  # applied as the run starts, after in-flight rows are reconciled
        result = run_engine(engine, render)
        if result.kind != "canary":
            break
        left = journal.counts(campaign_id)
        if not statuses.count_of(left, statuses.UNSENT):
            # The canary was everyone: nothing to ask about; one more run settles the end.
            options = replace(options, canary=0)
            continue
        canary = journal.recipients(campaign_id)
        tried = [r for r in canary if r.attempts > 0]
        if not render.json_mode:
            render.say(f"Canary: {result.reason}")
            for r in tried:
                detail = f" ({r.error_code}: {visible(r.error_message)})" if r.error_code else ""
                render.say(f"  row {r.row}  {visible(r.to)}  {r.status}{detail}")
        all_delivered = bool(tried) and all(r.status == RecipientStatus.DELIVERED for r in tried)
        go_on = confirm("Send to the rest?") if interactive else all_delivered
        if not go_on:
            break
        options = replace(options, canary=0)
    footer(campaign_id, result, render)
    return exit_status(result)


def exit_status(result: RunResult) -> int:
    """0 everyone texted; 3 over (finished or canceled) with recipients who did not get the
    message; 4 paused or stopped (resumable). See the module docstring."""
    if result.state in statuses.ENDED_STATES:
        missed = statuses.count_of(result.counts, statuses.MISSED)
        return EXIT_FAILED_RECIPIENTS if missed else EXIT_OK
    if result.kind == "scheduled":
        return EXIT_OK  # waiting for its time, as asked: not a pause to act on
    return EXIT_PAUSED


def footer(campaign_id: str, result: RunResult, render: Renderer) -> None:
    """Counts and the next commands, as a person would want them after a run."""
    if render.json_mode:
        return
    counts = {k: v for k, v in result.counts.items() if v}
    summary = ", ".join(f"{counts[s]} {s}" for s in _STATUS_ORDER if counts.get(s))
    lines = [f"Campaign {campaign_id}: {result.state}. {summary}."]
    if result.kind == "scheduled":  # waiting for its time, as asked
        lines = [f"Campaign {campaign_id}: waiting, as scheduled. {result.reason}", result.hint]
    elif result.state in (CampaignState.PAUSED, "stopped"):  # "stopped": a run, not a state
        if result.hint:
            lines.append(result.hint)
        lines.append(f"  smscast resume {campaign_id}      go on where it stopped")
    failed = statuses.count_of(counts, statuses.FAILED)
    if failed:
        lines.append(f"{failed} recipient(s) did not get the message; the export says why.")
    canceled = counts.get(RecipientStatus.CANCELED)
    if canceled:
        lines.append(
            f"{canceled} recipient(s) were not texted: the campaign was canceled "
            "(it cannot be resumed)."
        )
    held = counts.get(RecipientStatus.SCHEDULED)
    if held:
        lines.append(
            f"{held} message(s) scheduled at Twilio: 'smscast status {campaign_id}' follows "
            f"them, 'smscast cancel {campaign_id}' cancels those not sent yet."
        )
    live = statuses.count_of(counts, statuses.LIVE)
    if live:
        lines.append(f"  smscast status {campaign_id} --watch   follow delivery receipts")
    lines.append(f"  smscast status {campaign_id}           counts and failures by error")
    lines.append(f"  smscast export {campaign_id} -o results.csv   every recipient, for Excel")
    render.say("\n".join(lines))


def run_campaign(
    gateway: TwilioGateway,
    journal: Journal,
    campaign_id: str,
    options: EngineOptions,
    render: Renderer,
    *,
    region: str,
    interactive: bool,
) -> int:
    """`drive` a send or a resume with opt-outs recorded: a recipient who replied STOP
    (Twilio's 21610) joins the suppression list beside the journal, and replies are collected
    while it runs (`campaigns.conversation.polling`), each opt-out listed at once."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.conversation.polling import ReplyPoller
    from campaigns.twilio.gateway import TwilioGateway

    def own_gateway() -> TwilioGateway:
        return TwilioGateway(
            gateway.credentials, base_url=gateway.base_url, timeout=gateway.timeout
        )

    with (
        SuppressionList(journal.path, region=region) as suppression,
        ReplyPoller(journal.path, own_gateway, campaign_id, region=region) as poller,
    ):
        hooked = replace(
            options, opted_out=lambda phone, cid: suppression.record_opt_out(phone, cid)
        )
        code = drive(gateway, journal, campaign_id, hooked, render, interactive=interactive)
    if poller.stored:
        render.say(
            f"{poller.stored} repl(ies) came in while sending ({poller.opted_out} opted out):"
            f" smscast replies {campaign_id}"
        )
    return code


def is_interactive() -> bool:
    """Both ends are a terminal: we may ask questions."""
    return sys.stdin.isatty() and sys.stderr.isatty()
