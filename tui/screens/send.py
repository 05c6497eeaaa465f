"""Step 6, Send: progress (bar, counts, rate, ETA), the status table of every recipient
(filter, search, sort), pause / resume / cancel, and the failures grouped by error code.

The app hands this screen batches of engine events (`apply`), at most four times a second;
the progress panel and the table are updated separately, the table only for changed rows.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Static

from campaigns.send.events import (
    CampaignFinished,
    CampaignPaused,
    CampaignStarted,
    EngineError,
    Event,
    Progress,
    RecipientChanged,
)
from campaigns.store.statuses import ENDED_STATES, FAILED_OR_UNKNOWN
from campaigns.store.statuses import CampaignState as C
from campaigns.store.statuses import RecipientStatus as S
from tui.screens.audience import contact_name
from tui.screens.base import StepScreen
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.callback_line import CallbackLine
from tui.widgets.failure_summary import FailureSummary
from tui.widgets.plain import plain_lines
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.reply_count import ReplyCount
from tui.widgets.safe_input import SafeInput
from tui.widgets.status_table import COLUMNS, RecipientRow, StatusTable

if TYPE_CHECKING:
    from campaigns.store.journal import Recipient
    from tui.engine_runner import CallbackCount

#: Campaigns this large get the garbage collector frozen after loading (see show_recipients).
LARGE_CAMPAIGN = 10_000

#: The filters `f` cycles through (None = everything).
FILTERS: tuple[str | None, ...] = (None, "problems", "in-progress", "done", S.DELIVERED, S.FAILED)
#: The rows the failure summary counts (and whose details show their error).
FAILED = FAILED_OR_UNKNOWN
#: The keys the footer leaves out, after the campaign's id (fits 80 columns).
TITLE_KEYS = "   ⏎ details · / search · o sort"


def recipient_row(recipient: Recipient) -> RecipientRow:
    """A journal `Recipient` as a status-table row (the spreadsheet row is its id)."""
    return RecipientRow(
        recipient_id=recipient.row,
        row=recipient.row,
        name=contact_name(recipient.fields),
        phone=recipient.to,
        status=recipient.status,
        segments=recipient.segments,
        sid=recipient.sid,
        error_code=recipient.error_code,
    )


class SendScreen(StepScreen):
    """Watch the campaign go out, and steer it."""

    STEP = "send"
    AUTO_FOCUS = "#status"
    # The footer keeps the keys that steer the campaign, Export and Quit visible at 80
    # columns; Enter, / and o are named on the title line (all are in ctrl+p > Keys).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause", id="send-pause"),
        Binding("r", "resume", "Resume", id="send-resume"),
        Binding("c", "cancel", "Cancel", id="send-cancel"),
        Binding("f", "cycle_filter", "Filter", id="send-filter"),
        Binding("slash", "search", "Search", id="send-search", show=False),
        Binding("o", "cycle_sort", "Sort", id="send-sort", show=False),
        Binding("e", "export", "Export", id="send-export"),
        Binding("escape", "table", "Table", show=False, id="send-table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.campaign_id: str | None = None
        self.state = "idle"
        self.total = 0
        self.counts: dict[str, int] = {}
        self.rate: float | None = None
        self.eta: float | None = None
        self.failures: dict[int, int | None] = {}
        self.schedule = ""
        self._filter = 0
        self._sort = 0

    def body(self) -> Iterable[Widget]:
        yield Static(
            "No campaign yet: review and confirm one (5), or open one from History (7).",
            id="send-title",
            markup=False,
        )
        yield Static("", id="send-schedule", markup=False)
        yield CallbackLine(id="send-callbacks")
        yield ProgressPanel(id="progress")
        with Horizontal(id="search-row"):
            yield Static("Search (/):", classes="label")
            yield SafeInput(
                placeholder="name or number; Enter returns to the table", id="search", compact=True
            )
        yield StatusTable(id="status")
        yield FailureSummary(id="failures")
        yield ReplyCount(id="send-replies")

    def on_mount(self) -> None:
        self.smscast.send_screen = self
        self.query_one("#search", Input).cursor_blink = False
        self.query_one("#status", StatusTable).focus()

    def sync(self) -> None:
        self._show_progress()

    # -- data from the app ------------------------------------------------------------------
    def show_recipients(
        self, campaign_id: str, rows: Sequence[RecipientRow], state: str, schedule: str = ""
    ) -> None:
        """Show a campaign's recipients (journal rows made `RecipientRow`s by a worker with
        `recipient_row`, so 100,000 of them cost the event loop little); `schedule`: its
        schedule in words, for a scheduled campaign."""
        self.campaign_id = campaign_id
        self.schedule = schedule
        self.state = state
        self.total = sum(1 for r in rows if r.status != S.SKIPPED)  # as the engine counts
        self.counts = dict(Counter(r.status for r in rows))
        self.failures = {r.row: r.error_code for r in rows if r.status in FAILED}
        self.rate, self.eta = None, None
        self.query_one("#status", StatusTable).load(rows)
        if len(rows) >= LARGE_CAMPAIGN:
            # A full collection walks every loaded row: at 100k rows that is a ~300 ms stall
            # in the middle of a send (benchmarks/bench_tui.py). Collect once now and move the
            # survivors out of the collector's sight; refcounting still frees them later.
            gc.collect()
            gc.freeze()
        title = Text(f"Campaign {campaign_id}")
        title.append(TITLE_KEYS, style="not bold dim")
        self.query_one("#send-title", Static).update(title)
        self._show_progress()
        self._show_failures()

    def apply(self, events: Sequence[Event]) -> None:
        """Apply a batch of engine events (already coalesced by the event buffer)."""
        table = self.query_one("#status", StatusTable)
        changes: list[RecipientRow] = []
        for event in events:
            if isinstance(event, RecipientChanged):
                changes.append(self._changed_row(table, event))
            elif isinstance(event, Progress):
                self.counts, self.total = dict(event.counts), event.total
                self.rate, self.eta = event.rate, event.eta_seconds
                if self.state == "idle":
                    self.state = C.RUNNING
            elif isinstance(event, CampaignStarted):
                self.state, self.total = C.RUNNING, event.total
            elif isinstance(event, CampaignPaused):
                self.state = C.PAUSED
                text = plain_lines(event.reason, *([event.hint] if event.hint else []))
                self.notify(
                    text + "\nPress r to resume.",
                    title="Paused",
                    markup=False,
                    severity="warning",
                    timeout=8,
                )
            elif isinstance(event, CampaignFinished):
                self.state = C.CANCELED if event.canceled else C.FINISHED
                self.counts = dict(event.counts) or self.counts
                self.eta = None
            elif isinstance(event, EngineError):
                text = plain_lines(event.message, *([event.hint] if event.hint else []))
                self.notify(text, title="Sending", severity="error", markup=False, timeout=10)
        if changes:
            table.apply_changes(changes)
            self._show_failures()
        self._show_progress()

    def _changed_row(self, table: StatusTable, event: RecipientChanged) -> RecipientRow:
        current = table.get_row(event.row)
        if event.status in FAILED:
            self.failures[event.row] = event.error_code
        else:
            self.failures.pop(event.row, None)
        if current is None:
            return RecipientRow(
                event.row, event.row, "", event.to, event.status, 0, event.sid, event.error_code
            )
        return replace(
            current,
            status=event.status,
            sid=event.sid or current.sid,
            error_code=event.error_code,
        )

    def show_callbacks(self, count: CallbackCount | None) -> None:
        """The run's status callbacks (None: the app does not receive them for this run)."""
        self.query_one("#send-callbacks", CallbackLine).show(count)

    def resumed(self) -> None:
        """The paused engine goes on (r here, or "Resume sending" in the palette): show it
        sending, and take down the "Paused ... Press r to resume." toast, now untrue (with it
        go the other toasts, all about the pause: Textual clears toasts only all at once)."""
        if self.state != C.PAUSED:
            return
        self.state = C.RUNNING
        self.app.clear_notifications()
        self.notify("Resumed.", markup=False, timeout=3)
        self._show_progress()

    def engine_ended(self, state: str) -> None:
        """The engine's thread ended (it finished, was canceled, paused or failed)."""
        if self.state in (C.RUNNING, "canceling", "idle"):
            self.state = state
        self._show_progress()

    def _show_progress(self) -> None:
        if not self.is_mounted:
            return
        line = self.query_one("#send-schedule", Static)
        held = self.counts.get(S.SCHEDULED, 0)
        shown = [self.schedule] if self.schedule else []
        if held:
            shown.append(f"Scheduled at Twilio: {held} (c cancels those not sent yet).")
        line.display = bool(shown)
        line.update(plain_lines(*shown))
        self.query_one("#progress", ProgressPanel).update_progress(
            self.counts, self.total, self.rate, self.eta, self.state
        )
        replies = self.query_one("#send-replies", ReplyCount)
        replies.display = self.campaign_id is not None
        replies.show(self.smscast.inbox.tallies.get(self.campaign_id or ""))

    def _show_failures(self) -> None:
        self.query_one("#failures", FailureSummary).update(Counter(self.failures.values()))

    # -- keys -------------------------------------------------------------------------------
    def action_pause(self) -> None:
        """Pause sending (in-flight requests finish; resumable)."""
        if self.smscast.runner is not None and self.smscast.runner.running:
            self.smscast.pause_campaign()
            self.notify("Pausing after the requests in flight...", markup=False)

    def action_resume(self) -> None:
        """Resume sending."""
        if self.campaign_id is None:
            return
        if self.state in ENDED_STATES:
            self.notify(f"This campaign is {self.state}: nothing left to send.", markup=False)
            return
        self.smscast.resume_campaign(self.campaign_id)  # calls `resumed` if it was paused
        if self.state != C.RUNNING:  # the engine had stopped: it starts again on the campaign
            self.state = C.RUNNING
            self._show_progress()

    def action_cancel(self) -> None:
        """Cancel the campaign for good, after asking (a scheduled one with the messages
        Twilio holds for it, even when no engine runs here)."""
        running = self.smscast.runner is not None and self.smscast.runner.running
        held = self.counts.get(S.SCHEDULED, 0)
        if not running:
            cid = self.campaign_id
            if cid is None or not (held or (self.schedule and self.state not in ENDED_STATES)):
                return

            def cancel_here(yes: bool | None) -> None:
                if yes:
                    self.smscast.cancel_for_good(cid)

            self.app.push_screen(
                ConfirmDialog(
                    f"Cancel campaign {cid}? {held} message(s) Twilio holds are canceled "
                    "there; recipients not yet sent never get it.",
                    yes="Cancel campaign",
                    no="Keep it",
                ),
                cancel_here,
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.state = "canceling"
                if held and self.campaign_id is not None:  # then what Twilio holds
                    self.smscast.cancel_for_good(self.campaign_id)
                else:
                    self.smscast.cancel_campaign()
                self._show_progress()

        self.app.push_screen(
            ConfirmDialog(
                "Cancel this campaign? Recipients not yet sent will never get it.",
                yes="Cancel campaign",
                no="Keep it",
            ),
            answered,
        )

    def action_cycle_filter(self) -> None:
        """Show all, problems, in progress, done, delivered or failed recipients."""
        self._filter = (self._filter + 1) % len(FILTERS)
        status = FILTERS[self._filter]
        self.query_one("#status", StatusTable).set_filter(status)
        self.notify(f"Showing: {status or 'everyone'}", markup=False, timeout=2)

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self._sort = (self._sort + 1) % len(COLUMNS)
        column = COLUMNS[self._sort]
        self.query_one("#status", StatusTable).sort_by(column)
        self.notify(f"Sorted by {column}", markup=False, timeout=2)

    def action_search(self) -> None:
        """Search by name or number."""
        self.query_one("#search", Input).focus()

    def action_table(self) -> None:
        """Back to the table."""
        self.query_one("#status", StatusTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.query_one("#status", StatusTable).set_search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.action_table()

    def on_status_table_selected(self, event: StatusTable.Selected) -> None:
        """Enter on a recipient: what happened to them, in words."""
        from tui.widgets.failure_summary import explain

        row = event.row
        lines = [f"Row {row.row}: {row.name or row.phone} ({row.phone})", f"Status: {row.status}"]
        if row.sid:
            lines.append(f"Message SID: {row.sid}")
        if row.error_code is not None or row.status in FAILED:
            meaning, advice = explain(row.error_code)
            code = f"{row.error_code}: " if row.error_code is not None else ""
            lines += [f"{code}{meaning}", f"-> {advice}"]
        # The name, number and SID come from the file or Twilio: each line made visible.
        self.notify(plain_lines(*lines), title="Recipient", markup=False, timeout=8)

    def action_export(self) -> None:
        """Export this campaign's results to CSV."""
        if self.campaign_id is not None:
            self.smscast.export_campaign(self.campaign_id)
