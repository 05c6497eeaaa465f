"""Step 7, History: past campaigns from the journal; open one on its status table, resume it,
refresh its delivery statuses from Twilio, export its results, and make a retry (t) or a
follow-up (f) of an ended one (`SmscastApp.retry_campaign` / `follow_up_campaign`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from campaigns.store import statuses
from tui.screens.base import StepScreen
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.plain import plain, plain_lines
from tui.widgets.reply_count import reply_cell

if TYPE_CHECKING:
    from collections.abc import Mapping

    from campaigns.store.journal import Campaign
    from tui.core import CampaignRow

#: What the Delivered and Failed columns count.
DELIVERED = statuses.DELIVERED
FAILED = statuses.FAILED_OR_UNKNOWN


class HistoryScreen(StepScreen):
    """The journal's campaigns, newest first."""

    STEP = "history"
    AUTO_FOCUS = "#campaigns"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="history-open"),
        Binding("r", "resume", "Resume", id="history-resume"),
        # Update statuses and Reload out of the footer: at 80 columns it then holds Retry
        # failed and Follow up with Resume, Export, Cancel and Quit (the summary line above
        # the table names every key, and ctrl+p > Keys lists them).
        Binding("u", "refresh_statuses", "Update statuses", id="history-update", show=False),
        Binding("e", "export", "Export", id="history-export"),
        Binding("x", "cancel", "Cancel", id="history-cancel"),
        Binding("t", "retry", "Retry failed", id="history-retry"),
        Binding("f", "follow_up", "Follow up", id="history-follow-up"),
        Binding("g", "reload", "Reload", id="history-reload", show=False),
    ]

    def body(self) -> Iterable[Widget]:
        yield Static("Reading the journal...", id="history-summary", markup=False)
        table: DataTable[str] = DataTable(id="campaigns", cursor_type="row", zebra_stripes=True)
        table.add_column("Campaign", key="id")
        # The file name (of any length) comes last: at 80 columns it is what gets cut, never
        # the counts or their headers. "From": what a retry or follow-up was made from.
        table.add_columns("Created (UTC)", "State", "To", "Delivered", "Failed", "From")
        table.add_column("Replies", key="replies")
        table.add_column("File", key="file")
        yield table
        yield Static("", id="campaign-detail", markup=False)

    def on_mount(self) -> None:
        self.smscast.load_history()

    def on_screen_resume(self) -> None:
        self.smscast.load_history()
        self.query_one("#campaigns", DataTable).focus()

    def sync(self) -> None:
        rows = self.draft.history
        table = self.query_one("#campaigns", DataTable)
        selected = self.selected_id()
        table.clear()
        for item in rows:
            campaign, counts = item.campaign, item.counts
            table.add_row(
                campaign.id,
                f"{campaign.created_at:%m-%d %H:%M}",
                item.state or campaign.state,
                str(item.total),
                str(statuses.count_of(counts, DELIVERED)),
                str(statuses.count_of(counts, FAILED)),
                _made_from(campaign),
                reply_cell(self.smscast.inbox.tallies.get(campaign.id)),
                plain(_file_name(campaign.source_name)),
                key=campaign.id,
            )
        if selected is not None and selected in [r.campaign.id for r in rows]:
            table.move_cursor(row=table.get_row_index(selected))
        self._show_detail()
        summary = self.query_one("#history-summary", Static)
        summary.update(
            f"{len(rows)} campaign{'s' if len(rows) != 1 else ''}. Enter opens one; "
            "r resumes it; u asks Twilio for the latest delivery statuses; "
            "e exports the results to CSV; 8 shows its replies; t retries its failures; "
            "f sends a follow-up; g reads the journal again."
            if rows
            else "No campaigns yet."
        )

    def selected_id(self) -> str | None:
        """The id of the campaign under the cursor."""
        table = self.query_one("#campaigns", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted campaign in full: its file (the table shows the name only, and at
        80 columns may cut it), its template, and why it stopped, if it did."""
        campaign = self._selected_campaign()
        detail = self.query_one("#campaign-detail", Static)
        detail.display = campaign is not None
        if campaign is None:
            return
        lines = [f"{campaign.id}: {_shown_path(campaign.source_name)}"]
        if campaign.parent_id:
            lines.append(f"{(campaign.kind or 'made').capitalize()} of {campaign.parent_id}")
        row = self._selected_row()
        if row is not None and row.chain:
            lines.append(_chain_line(row.chain, row.chain_counts))
        if campaign.state_reason:
            lines.append(f"{campaign.state.capitalize()}: {campaign.state_reason}")
        lines.extend(schedule_lines(campaign, row.counts if row is not None else {}))
        lines.append(f"Template: {campaign.template}")
        detail.update(plain_lines(*lines))  # the path, template and reason are untrusted

    def _selected_row(self) -> CampaignRow | None:
        wanted = self.selected_id()
        return next((r for r in self.draft.history if r.campaign.id == wanted), None)

    def _selected_campaign(self) -> Campaign | None:
        row = self._selected_row()
        return row.campaign if row is not None else None

    def action_open(self) -> None:
        """Show the campaign on the status table."""
        campaign = self._selected_campaign()
        if campaign is not None:
            self.smscast.open_campaign(campaign.id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_resume(self) -> None:
        """Send what the campaign has left to send."""
        campaign = self._selected_campaign()
        if campaign is None:
            return
        if campaign.state in statuses.ENDED_STATES:
            self.notify(
                f"Campaign {campaign.id} is {campaign.state}: nothing to resume.", markup=False
            )
            return
        self.smscast.run_campaign(campaign.id)

    def action_refresh_statuses(self) -> None:
        """Ask Twilio for the latest status of its messages."""
        campaign = self._selected_campaign()
        if campaign is not None:
            self.smscast.refresh_statuses(campaign.id)

    def action_export(self) -> None:
        """Export the campaign's results to CSV."""
        campaign = self._selected_campaign()
        if campaign is not None:
            self.smscast.export_campaign(campaign.id)

    def action_cancel(self) -> None:
        """Cancel the campaign for good, with the messages Twilio holds for it, after asking."""
        campaign = self._selected_campaign()
        if campaign is None:
            return
        row = self._selected_row()
        held = row.counts.get(statuses.RecipientStatus.SCHEDULED, 0) if row is not None else 0
        if campaign.state in statuses.ENDED_STATES and not held:
            self.notify(f"Campaign {campaign.id} is {campaign.state}.", markup=False)
            return
        cid = campaign.id

        def answered(yes: bool | None) -> None:
            if yes:
                self.smscast.cancel_for_good(cid)

        held_text = f", and {held} message(s) Twilio holds are canceled there" if held else ""
        self.app.push_screen(
            ConfirmDialog(
                f"Cancel campaign {cid}? Recipients not yet sent never get it{held_text}.",
                yes="Cancel campaign",
                no="Keep it",
            ),
            answered,
        )

    def action_retry(self) -> None:
        """A retry of the campaign: its people whose failure a second try can change, on
        Review (nothing is sent until SEND there)."""
        campaign = self._selected_campaign()
        if campaign is not None:
            self.smscast.retry_campaign(campaign.id)

    def action_follow_up(self) -> None:
        """A follow-up of the campaign: choose who, then write it on Compose."""
        campaign = self._selected_campaign()
        if campaign is not None:
            self.smscast.follow_up_campaign(campaign.id)

    def action_reload(self) -> None:
        """Read the journal again."""
        self.smscast.load_history()


def schedule_lines(campaign: Campaign, counts: dict[str, int]) -> list[str]:
    """A scheduled campaign's lines: its schedule (mode, why, when) and what Twilio holds."""
    from campaigns.send.schedule import Schedule

    schedule = Schedule.from_json(campaign.schedule)
    if schedule is None:
        return []
    lines = [schedule.describe()]
    held = counts.get(statuses.RecipientStatus.SCHEDULED, 0)
    waiting = counts.get(statuses.RecipientStatus.PENDING, 0)
    if held:
        lines.append(f"Scheduled at Twilio: {held} (x cancels those not sent yet).")
    if waiting and schedule.mode == "local":
        lines.append(f"Waiting here: {waiting} (r sends those due; x cancels).")
    return lines


def _shown_path(source: str) -> str:
    """A contacts file's path as the person would type it: relative to the current directory
    when inside it, else with `~` for the home directory."""
    path = Path(source)
    with contextlib.suppress(ValueError, OSError):
        return str(path.relative_to(Path.cwd()))
    with contextlib.suppress(ValueError, RuntimeError):
        return str(Path("~") / path.relative_to(Path.home()))
    return source


def _file_name(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


#: The From column's word per kind: short, so that the cell fits whole at 80 columns (the
#: detail line below the table names the parent in full).
_MADE_FROM = {"retry": "retry", "follow-up": "follow"}


def _made_from(campaign: Campaign) -> str:
    """The From cell: "retry a1b2c3" / "follow a1b2c3" (the parent's id without its date),
    or '' for a campaign made from a file."""
    if not campaign.parent_id:
        return ""
    word = _MADE_FROM.get(campaign.kind or "", campaign.kind or "from")
    return f"{word} {campaign.parent_id.rsplit('-', 1)[-1]}"


def _chain_line(chain: tuple[str, ...], counts: Mapping[str, int]) -> str:
    """The chain's combined outcome, each person once (`campaigns.store.lineage`)."""
    from campaigns.store.lineage import chain_sentence

    return f"{chain[0]} {chain_sentence(len(chain) - 1, counts)}"
