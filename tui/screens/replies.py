"""View 8, Replies: what people answered a campaign, one thread per person.

The threads come newest first, each marked `●` while it holds a reply nobody has read (it is
read once shown below the table); `k` filters them by kind, `c` shows another campaign. Below
the table, the highlighted thread in full: the recipient's row from the contacts file, the
message they were sent, and what came back and what was answered, newest first. A possible
opt-out ("stop texting me") is decided with one key: `y` puts the number on the suppression
list, `n` marks it as not an opt-out. `a` (or Enter) writes a reply to that person, sent by a
worker exactly once (`campaigns.pipeline.replies.send_reply`). New replies arrive while a
campaign runs (the engine runner's poller) and, on this screen, every few seconds after it.

Every body, name and cell is untrusted: drawn through `tui.widgets.plain` (never as markup,
controls made visible).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from campaigns.untrusted import excerpt
from tui.screens.audience import contact_name
from tui.screens.base import StepScreen
from tui.widgets.plain import plain, plain_lines
from tui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    from campaigns.conversation.actions import ReplyAction
    from campaigns.store.replies import OutboundReply, StoredReply
    from tui.replies_core import ThreadView

#: New replies a toast quotes (the newest); the rest are counted.
TOAST_REPLIES = 3
#: The marks of a thread (glyphs, so they read without colour): a reply nobody has read, a
#: possible opt-out waiting for a decision.
UNREAD = "●"
REVIEW = "?"
#: Conversation lines the detail shows (the newest), so the table keeps its room at 80x24.
DETAIL_LINES = 4
#: The table's columns: key and header. The person is their name (else their number: the
#: detail below gives both), so the reply keeps some room at 80 columns; it comes last, and is
#: what gets cut (the detail shows it whole).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", "  "),
    ("when", "When (UTC)"),
    ("row", "Row"),
    ("person", "Person"),
    ("kind", "Kind"),
    ("latest", "Latest reply"),
)


class RepliesScreen(StepScreen):
    """A campaign's replies, thread by thread."""

    STEP = "replies"
    AUTO_FOCUS = "#threads"
    # The screen's layout lives with it (a view beside the flow's steps in `app.tcss`).
    DEFAULT_CSS = """
    RepliesScreen #replies-summary { height: auto; padding: 0 1; }
    RepliesScreen #threads { height: 1fr; min-height: 4; }
    RepliesScreen #thread-detail {
        height: auto;
        max-height: 9;
        padding: 0 1;
        border-top: solid $secondary;
    }
    RepliesScreen #reply-row { height: 1; }
    RepliesScreen #reply-body { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cycle_kind", "Kind", id="replies-kind"),
        Binding("y", "confirm_opt_out", "Opt out", id="replies-confirm"),
        Binding("n", "dismiss_opt_out", "Not one", id="replies-dismiss"),
        Binding("a", "answer", "Reply", id="replies-answer"),
        Binding("c", "next_campaign", "Campaign", id="replies-campaign", show=False),
        Binding("g", "collect", "Check now", id="replies-collect", show=False),
        Binding("escape", "table", "Table", show=False, id="replies-table"),
    ]

    def body(self) -> Iterable[Widget]:
        yield Static("Reading the journal...", id="replies-summary", markup=False)
        table: DataTable[object] = DataTable(id="threads", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="thread-detail", markup=False)
        with Horizontal(id="reply-row"):
            yield Static("Reply (a):", classes="label")
            yield SafeInput(
                placeholder="a text to this person; Enter sends it, Esc goes back",
                id="reply-body",
                compact=True,
            )

    def on_mount(self) -> None:
        self.query_one("#reply-body", Input).cursor_blink = False
        self.sync()

    def on_screen_resume(self) -> None:
        self.sync()
        self.query_one("#threads", DataTable).focus()

    # -- drawing ----------------------------------------------------------------------------
    def sync(self) -> None:
        inbox = self.smscast.inbox
        table: DataTable[object] = self.query_one("#threads", DataTable)
        page = inbox.page
        views = page.threads if page is not None else ()
        selected = self.selected_key()
        table.clear()
        for view in views:
            table.add_row(*self._cells(view), key=view.key)
        keys = [v.key for v in views]
        # the same thread stays highlighted; when it is gone (filtered out), the newest is
        table.move_cursor(row=keys.index(selected) if selected in keys else 0)
        self._show_summary()
        self._show_detail()

    def _cells(self, view: ThreadView) -> tuple[object, ...]:
        thread = view.thread
        latest = thread.latest
        return (
            self._mark(view),
            utc_minute(latest.received_at),
            str(thread.row) if thread.row is not None else "",
            plain(excerpt(contact_name(view.fields) or thread.phone, 16)),
            latest.kind,
            plain(excerpt(latest.body, 60)),
        )

    def _mark(self, view: ThreadView) -> str:
        unread = UNREAD if self.smscast.inbox.unread(view) else " "
        return unread + (REVIEW if view.thread.to_review else " ")

    def _show_summary(self) -> None:
        inbox = self.smscast.inbox
        page = inbox.page
        summary = self.query_one("#replies-summary", Static)
        if page is None:
            summary.update("Reading the journal...")
            return
        if page.campaign_id is None:
            summary.update("No campaigns yet: replies to a campaign show here once it is sent.")
            return
        shown = f"showing {inbox.kind} (k)" if inbox.kind else "all kinds (k)"
        if not page.threads:
            none = f"No {inbox.kind} replies" if inbox.kind else "No replies yet"
            summary.update(f"{none} to campaign {page.campaign_id} · {shown} · c campaign")
            return
        replies = sum(len(v.thread.replies) for v in page.threads)
        unread = sum(inbox.unread(v) for v in page.threads)
        review = sum(len(v.thread.to_review) for v in page.threads)
        parts = [
            f"Campaign {page.campaign_id}: {replies} repl{'y' if replies == 1 else 'ies'}"
            f" from {page.total_threads} {'person' if page.total_threads == 1 else 'people'}"
        ]
        if unread:
            parts.append(f"{UNREAD} {unread} new")
        if review:
            parts.append(f"{REVIEW} {review} to review (y/n)")
        parts.append(shown)
        if len(page.threads) < page.total_threads:
            parts.append(f"the newest {len(page.threads)} listed")
        lines = [" · ".join(parts)]
        if inbox.collect_error:
            lines.append(f"Could not check Twilio for new replies: {inbox.collect_error}")
        summary.update(plain_lines(*lines))

    def selected(self) -> ThreadView | None:
        """The thread under the cursor."""
        page = self.smscast.inbox.page
        table: DataTable[object] = self.query_one("#threads", DataTable)
        if page is None or not page.threads or table.row_count == 0:
            return None
        row = table.cursor_row
        return page.threads[row] if 0 <= row < len(page.threads) else None

    def selected_key(self) -> str | None:
        """The key of the table row under the cursor (the thread kept across a reload: read
        from the table, which still shows the page before)."""
        table: DataTable[object] = self.query_one("#threads", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # the cursor is past the rows (CellDoesNotExist)
            return None
        return str(key.value) if key.value is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted thread in full; shown, its replies are read."""
        view = self.selected()
        detail = self.query_one("#thread-detail", Static)
        detail.display = view is not None
        if view is None:
            return
        detail.update(plain_lines(*detail_lines(view)))
        if self.smscast.inbox.unread(view):
            self.smscast.mark_thread_read(view)
            table: DataTable[object] = self.query_one("#threads", DataTable)
            table.update_cell(view.key, "mark", self._mark(view))
            self._show_summary()

    # -- keys -------------------------------------------------------------------------------
    def action_cycle_kind(self) -> None:
        """Show only threads with a reply of the next kind (then every thread again)."""
        self.smscast.filter_replies(self.smscast.inbox.next_kind())

    def action_next_campaign(self) -> None:
        """Show the replies to the next campaign in History (newest first, wrapping)."""
        self.smscast.show_next_campaign_replies()

    def action_collect(self) -> None:
        """Ask Twilio for new replies now."""
        self.smscast.collect_replies(announce=True)

    def action_confirm_opt_out(self) -> None:
        """The highlighted person's possible opt-out means stop: suppress the number."""
        self._decide(confirm=True)

    def action_dismiss_opt_out(self) -> None:
        """The highlighted person's possible opt-out is not one."""
        self._decide(confirm=False)

    def _decide(self, *, confirm: bool) -> None:
        view = self.selected()
        if view is None:
            return
        if not view.thread.to_review:
            self.notify("This thread has no possible opt-out to decide.", markup=False)
            return
        self.smscast.decide_possible_opt_out(view, confirm=confirm)

    def action_answer(self) -> None:
        """Write a reply to the highlighted person."""
        view = self.selected()
        if view is None:
            return
        if view.thread.row is None:
            self.notify("No campaign texted this number: there is nobody to reply to here.")
            return
        if view.thread.opted_out:
            self.notify(
                f"{view.thread.phone} is on the suppression list: smscast never texts them.",
                markup=False,
            )
            return
        self.query_one("#reply-body", Input).focus()

    def action_table(self) -> None:
        """Back to the threads."""
        self.query_one("#threads", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_answer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "reply-body":
            return
        event.stop()
        view = self.selected()
        body = event.value
        if view is None or view.thread.row is None or not body.strip():
            self.action_table()
            return
        self.smscast.send_reply_to(view, body)

    def reply_sent(self) -> None:
        """The reply went: clear the field and go back to the threads."""
        self.query_one("#reply-body", Input).value = ""
        self.action_table()


def detail_lines(view: ThreadView) -> list[str]:
    """The thread in full, as lines (each made visible by the caller): who, their row's
    cells, what they were sent, the conversation newest first, and what to decide."""
    thread = view.thread
    name = contact_name(view.fields)
    who = [f"Row {thread.row}" if thread.row is not None else "No campaign texted this number"]
    who += [name] if name else []
    who.append(f"{thread.phone} (texted from {thread.sender})")
    if thread.opted_out:
        who.append("OPTED OUT")
    lines = [" · ".join(who)]
    cells = [f"{k}={v}" for k, v in view.fields.items() if str(v).strip()]
    if cells:
        lines.append(excerpt("Cells: " + ", ".join(cells), 160))
    if thread.sent_body is not None:
        lines.append(excerpt(f"Sent ({thread.sent_status}): {thread.sent_body}", 160))
    said = sorted(
        [*map(_reply_line, thread.replies), *map(_answer_line, thread.answers)], reverse=True
    )
    lines += [text for _, text in said[:DETAIL_LINES]]
    if len(said) > DETAIL_LINES:
        lines.append(f"(and {len(said) - DETAIL_LINES} earlier)")
    if thread.to_review:
        lines.append(
            "Possible opt-out: y if they mean stop (on the suppression list at once), n if not."
        )
    return lines


def utc_minute(moment: datetime) -> str:
    """A time as the screen shows it: month, day, hour and minute in UTC (as History)."""
    return f"{moment.astimezone(UTC):%m-%d %H:%M}"


def _reply_line(reply: StoredReply) -> tuple[datetime, str]:
    said = f"{utc_minute(reply.received_at)}  {reply.kind:<16} {reply.body}"
    return reply.received_at, excerpt(said, 160)


def _answer_line(answer: OutboundReply) -> tuple[datetime, str]:
    said = f"{utc_minute(answer.attempted_at)}  {'you (' + answer.status + ')':<16} {answer.body}"
    return answer.attempted_at, excerpt(said, 160)


def new_replies_text(stored: Sequence[StoredReply], actions: Sequence[ReplyAction]) -> str:
    """A toast's lines for the replies a poll found (each line made visible by the caller):
    how many, the newest few quoted, and each number whose listing changed."""
    count = len(stored)
    lines = [f"{count} new repl{'y' if count == 1 else 'ies'} (8 shows them)"]
    for reply in sorted(stored, key=lambda r: r.received_at, reverse=True)[:TOAST_REPLIES]:
        row = f"row {reply.row}" if reply.row is not None else "no campaign"
        lines.append(excerpt(f"{reply.from_number} ({row}), {reply.kind}: {reply.body}", 70))
    if count > TOAST_REPLIES:
        lines.append(f"and {count - TOAST_REPLIES} more")
    last = {a.phone: a.action for a in actions}
    for phone, action in last.items():
        if action == "suppressed":
            lines.append(f"{phone} opted out: on the suppression list now.")
        elif action == "lifted":
            lines.append(f"{phone} opted back in (START): off the suppression list.")
        elif action == "review":
            lines.append(f"{phone} may want to stop: decide on Replies (y or n).")
    return "\n".join(lines)
