"""The status table: every recipient of a campaign, live, drawn line by line.

A Line-API widget (``ScrollView`` + ``render_line``): only the rows on screen are ever drawn,
so 100,000 recipients cost no more to show than thirty. The data lives in a
:class:`RecipientModel` apart from the widget (``tui.widgets.recipient_model``); status
changes are applied in batches by recipient id and only the visible lines they touch are
redrawn. Over 500 lines as one module on purpose: it is one widget class (layout, drawing,
cursor, keys and messages of one ScrollView), and its public API below is the screens' seam.

Public API (stable; screens code against it)::

    RecipientRow(recipient_id: int, row: int, name: str, phone: str, status: str,
                 segments: int, sid: str | None, error_code: int | None)   # frozen

    table = StatusTable(rows=(), id="status")  # a focusable widget; header line on top
    table.load(rows: Sequence[RecipientRow])   # replace everything (keeps filter/search/sort)
    table.apply_changes(rows: Iterable[RecipientRow])  # update by recipient_id (unknown: append)
    table.set_filter(status: str | None)       # one status ("failed"), a group name from
                                               # STATUS_GROUPS ("problems", "in-progress",
                                               # "done"), or None for all
    table.set_search(text: str)                # name or number substring; "" for none
    table.sort_by(column: str, reverse=False)  # one of COLUMNS; "row" is the file order
    table.get_row(recipient_id) -> RecipientRow | None  # current row (to build a change)
    table.selected_row -> RecipientRow | None  # the row under the cursor
    table.cursor -> int                        # cursor position in the shown rows (settable)
    table.shown_count / table.total_count      # rows shown (after filter/search) / loaded
    table.filter_status, table.search_text, table.sort_column, table.sort_reverse

Messages (posted by the table; ``message.status_table`` is the sender)::

    StatusTable.Highlighted(status_table, row)   # cursor moved, or its row changed (coalesced)
    StatusTable.Selected(status_table, row)      # Enter (or double click) on a row
    StatusTable.ViewChanged(status_table, shown, total)  # filter/search/data changed what shows

Keys (Binding ids ``status_table.*``): up/down (k/j), page up/down, home/end, enter; a click
moves the cursor. Filter, search and sort keys belong to the screen.

Applying engine events (drained from ``tui.event_buffer.EventBuffer``)::

    changes = [replace(table.get_row(e.recipient_id), status=e.status, sid=e.sid,
                       error_code=e.error_code) for e in events if ...]
    table.apply_changes(changes)   # O(changes x log n); redraws only changed visible lines

At narrow widths the SID column, then the segments column, are left out; name and error share
the remaining width. Up to 100,000 rows are the tested size (see benchmarks/bench_tui.py).

Each status is shown as a glyph and its word (``✓ delivered``, ``✗ failed``), so it reads the
same in a 16-colour terminal and with NO_COLOR; colour only adds emphasis. The cursor row is
marked with ``›`` as well as highlighted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from campaigns.store.statuses import RecipientStatus as S
from campaigns.twilio.errors import describe
from campaigns.untrusted import visible
from tui.widgets.recipient_model import (
    COLUMNS,
    STATUS_GLYPHS,
    STATUS_GROUPS,
    RecipientModel,
    RecipientRow,
)

__all__ = [
    "COLUMNS",
    "STATUS_GLYPHS",
    "STATUS_GROUPS",
    "RecipientModel",
    "RecipientRow",
    "StatusTable",
    "error_text",
    "short_sid",
    "status_label",
    "status_tone",
]


#: Tone per status: picks the colour (component class); the glyph and word carry the meaning.
_TONES: dict[str, str] = {
    S.DELIVERED: "good",
    S.READ: "good",
    S.SENT: "good",
    S.UNDELIVERED: "bad",
    S.FAILED: "bad",
    S.UNKNOWN: "warn",
    S.CANCELED: "warn",
    S.SKIPPED: "muted",
}

_TITLES: dict[str, str] = {
    "row": "#",
    "name": "Name",
    "phone": "Number",
    "status": "Status",
    "segments": "Seg",
    "sid": "SID",
    "error": "Error",
}

_STATUS_WIDTH = 13  # "✗ undelivered"
_PHONE_WIDTH = 16  # "+" and up to 15 digits
_SID_WIDTH = 9  # "SM…1a2b3c"
_SEG_WIDTH = 3


def status_label(status: str) -> str:
    """Glyph and word for a status: ``"✓ delivered"``; unknown words get ``•``."""
    return f"{STATUS_GLYPHS.get(status, '•')} {status}"


def status_tone(status: str) -> str:
    """``good``, ``bad``, ``warn``, ``muted`` or ``wait``: the colour family of a status."""
    return _TONES.get(status, "wait")


def short_sid(sid: str | None) -> str:
    """A message SID shortened to its prefix and last six characters: ``SM…1a2b3c``."""
    if not sid:
        return ""
    return sid if len(sid) <= _SID_WIDTH else f"{sid[:2]}…{sid[-6:]}"


def error_text(code: int | None) -> str:
    """An error code and its short meaning: ``30003 Handset is unreachable (off ...)``."""
    if code is None:
        return ""
    info = describe(code)
    if info is None:
        return f"{code} (Twilio error {code})"
    meaning = info.meaning.rstrip(".")
    if meaning.startswith("The "):
        meaning = meaning[4].upper() + meaning[5:]
    return f"{code} {meaning}"


@dataclass(frozen=True)
class _Column:
    key: str
    width: int
    right: bool = False


class StatusTable(ScrollView, can_focus=True):
    """The recipients of a campaign with their live status (see the module docstring)."""

    DEFAULT_CSS = """
    StatusTable {
        height: 1fr;
        min-height: 5;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        & > .status-table--header { text-style: bold; background: $panel; color: $text; }
        & > .status-table--cursor { text-style: bold reverse; }
        &:focus > .status-table--cursor {
            text-style: bold;
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .status-table--good { color: $success; }
        & > .status-table--bad { color: $error; text-style: bold; }
        & > .status-table--warn { color: $warning; }
        & > .status-table--wait { color: $text-muted; }
        & > .status-table--muted { color: $text-disabled; }
        & > .status-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-table--header",
        "status-table--cursor",
        "status-table--good",
        "status-table--bad",
        "status-table--warn",
        "status-table--wait",
        "status-table--muted",
        "status-table--empty",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="status_table.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="status_table.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="status_table.page_up"),
        Binding(
            "pagedown", "cursor_page_down", "Page down", show=False, id="status_table.page_down"
        ),
        Binding("home", "cursor_home", "First", show=False, id="status_table.home"),
        Binding("end", "cursor_end", "Last", show=False, id="status_table.end"),
        # Not in the footer (the Send screen names it on its title line: the footer keeps
        # room at 80 columns for the keys that steer the campaign).
        Binding("enter", "select", "Details", id="status_table.select", show=False),
    ]

    class Highlighted(Message):
        """The cursor is on another recipient (bursts coalesce: only the latest is handled)."""

        def __init__(self, status_table: StatusTable, row: RecipientRow | None) -> None:
            super().__init__()
            self.status_table = status_table
            self.row = row

        @property
        def control(self) -> StatusTable:
            return self.status_table

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, StatusTable.Highlighted)
                and message.status_table is self.status_table
            )

    class Selected(Message):
        """Enter (or a click) on a recipient."""

        def __init__(self, status_table: StatusTable, row: RecipientRow) -> None:
            super().__init__()
            self.status_table = status_table
            self.row = row

        @property
        def control(self) -> StatusTable:
            return self.status_table

    class ViewChanged(Message):
        """What the table shows changed: `shown` rows of `total` (coalesced)."""

        def __init__(self, status_table: StatusTable, shown: int, total: int) -> None:
            super().__init__()
            self.status_table = status_table
            self.shown = shown
            self.total = total

        @property
        def control(self) -> StatusTable:
            return self.status_table

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, StatusTable.ViewChanged)
                and message.status_table is self.status_table
            )

    def __init__(
        self,
        rows: Sequence[RecipientRow] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.model = RecipientModel()
        self._cursor = 0
        self._shown = 0
        self._highlighted_id: int | None = None
        self._columns: list[_Column] = []
        self._layout_width = -1
        self._layout_max_row = -1
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        if rows:
            self.model.load(rows)
        self._shown = len(self.model)

    # -- public API ------------------------------------------------------------------------
    def load(self, rows: Sequence[RecipientRow]) -> None:
        """Show these rows instead of the current ones (filter, search and sort stay)."""
        self.model.load(rows)
        self._view_changed()

    def apply_changes(self, rows: Iterable[RecipientRow]) -> None:
        """Apply a batch of changed rows (matched by recipient_id); redraw only what shows."""
        changed, view_changed = self.model.apply(rows)
        if not changed:
            return
        if view_changed:
            self._view_changed()
            return
        # Compare the changed rows with the few on screen: O(changes + visible lines).
        changed_set = set(changed)
        top = round(self.scroll_y)
        bottom = min(len(self.model), top + max(0, self.scrollable_content_region.height - 1))
        for position in range(top, bottom):
            if self.model.index_at(position) in changed_set:
                self.refresh_line(position + 1)
                if position == self._cursor:  # the highlighted recipient changed status
                    self.post_message(self.Highlighted(self, self.model.row_at(position)))

    def set_filter(self, status: str | None) -> None:
        """Show only one status (or a group from STATUS_GROUPS); None shows all."""
        self.model.set_filter(status)
        self._view_changed(reset_cursor=True)

    def set_search(self, text: str) -> None:
        """Show only rows whose name or number contains text; "" shows all."""
        self.model.set_search(text)
        self._view_changed(reset_cursor=True)

    def sort_by(self, column: str, reverse: bool = False) -> None:
        """Sort by one of COLUMNS (``row`` is file order); raises ValueError otherwise."""
        self.model.set_sort(column, reverse)
        self._view_changed()

    def get_row(self, recipient_id: int) -> RecipientRow | None:
        """The current row of a recipient (e.g. to ``dataclasses.replace`` it), or None."""
        return self.model.get(recipient_id)

    @property
    def filter_status(self) -> str | None:
        return self.model.filter_status

    @property
    def search_text(self) -> str:
        return self.model.search_text

    @property
    def sort_column(self) -> str:
        return self.model.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self.model.sort_reverse

    @property
    def shown_count(self) -> int:
        """Rows shown after filter and search."""
        return len(self.model)

    @property
    def total_count(self) -> int:
        """Rows loaded."""
        return self.model.total

    @property
    def cursor(self) -> int:
        """Cursor position among the shown rows (0 = first)."""
        return self._cursor

    @cursor.setter
    def cursor(self, position: int) -> None:
        self._move_cursor(position)

    @property
    def selected_row(self) -> RecipientRow | None:
        """The recipient under the cursor, or None when nothing shows."""
        if not 0 <= self._cursor < len(self.model):
            return None
        return self.model.row_at(self._cursor)

    # -- actions ---------------------------------------------------------------------------
    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_cursor_page_up(self) -> None:
        self._move_cursor(self._cursor - self._page())

    def action_cursor_page_down(self) -> None:
        self._move_cursor(self._cursor + self._page())

    def action_cursor_home(self) -> None:
        self._move_cursor(0)

    def action_cursor_end(self) -> None:
        self._move_cursor(len(self.model) - 1)

    def action_select(self) -> None:
        row = self.selected_row
        if row is not None:
            self.post_message(self.Selected(self, row))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < len(self.model):
            self._move_cursor(position)
            if event.chain >= 2:
                self.action_select()

    # -- internals -------------------------------------------------------------------------
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def _move_cursor(self, position: int) -> None:
        count = len(self.model)
        position = max(0, min(position, count - 1)) if count else 0
        old = self._cursor
        self._cursor = position
        if old != position:
            self.refresh_line(old + 1)
            self.refresh_line(position + 1)
        self._scroll_cursor_into_view()
        self._post_highlighted()

    def _post_highlighted(self) -> None:
        row = self.selected_row
        row_id = None if row is None else row.recipient_id
        if row_id != self._highlighted_id:
            self._highlighted_id = row_id
            self.post_message(self.Highlighted(self, row))

    def _scroll_cursor_into_view(self) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + body:
            self.scroll_to(y=self._cursor - body + 1, animate=False, immediate=True)

    def _view_changed(self, reset_cursor: bool = False) -> None:
        shown = len(self.model)
        self.virtual_size = Size(self.virtual_size.width, shown + 1)
        if reset_cursor:
            self._cursor = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        elif self._cursor >= shown:
            self._cursor = max(0, shown - 1)
        self.refresh()
        if shown != self._shown or reset_cursor:
            self._shown = shown
            self.post_message(self.ViewChanged(self, shown, self.model.total))
        self._post_highlighted()

    def on_mount(self) -> None:  # ScrollView's own on_mount runs too (handlers follow the MRO)
        self._view_changed()

    def on_resize(self) -> None:
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def _layout(self, width: int) -> list[_Column]:
        """Column widths for this width (cached until the width or the row numbers grow)."""
        if (width, self.model.max_row) == (self._layout_width, self._layout_max_row):
            return self._columns
        digits = max(3, len(str(self.model.max_row)))
        fixed = [
            _Column("row", digits, right=True),
            _Column("phone", _PHONE_WIDTH),
            _Column("status", _STATUS_WIDTH),
            _Column("segments", _SEG_WIDTH, right=True),
            _Column("sid", _SID_WIDTH),
        ]

        # 1 cell for the cursor mark, 1 between columns; name and error share what is left.
        def spare(cols: list[_Column]) -> int:
            return width - 1 - sum(c.width for c in cols) - (len(cols) + 1)

        if spare(fixed) < 30:
            fixed = [c for c in fixed if c.key != "sid"]
        if spare(fixed) < 20:
            fixed = [c for c in fixed if c.key != "segments"]
        left = max(2, spare(fixed))
        name_width = max(1, min(24, left * 2 // 5))
        error_width = max(1, left - name_width)
        by_key = {c.key: c for c in fixed}
        by_key["name"] = _Column("name", name_width)
        by_key["error"] = _Column("error", error_width)
        self._columns = [by_key[key] for key in COLUMNS if key in by_key]
        self._layout_width, self._layout_max_row = width, self.model.max_row
        self._lines.clear()
        return self._columns

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self._layout(width)
        if y == 0:
            return self._render_header(columns, width)
        position = round(self.scroll_y) + y - 1
        shown = len(self.model)
        if position >= shown:
            if shown == 0 and y == 1:
                text = (
                    "  No recipients to show."
                    if self.model.total == 0
                    else "  No recipients match the filter or search."
                )
                style = self.get_component_rich_style("status-table--empty")
                return Strip([Segment(set_cell_size(text, width), style)], width)
            return Strip.blank(width, self.rich_style)
        row = self.model.row_at(position)
        is_cursor = position == self._cursor
        key = (row, is_cursor, self.has_focus, width)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._render_row(row, is_cursor, columns, width)
            self._lines[key] = strip
        return strip

    def _render_header(self, columns: list[_Column], width: int) -> Strip:
        style = self.get_component_rich_style("status-table--header")
        arrow = "▼" if self.model.sort_reverse else "▲"
        parts = [" "]
        for column in columns:
            title = _TITLES[column.key]
            if column.key == self.model.sort_column and (
                column.key != "row" or self.model.sort_reverse
            ):
                title = f"{title}{arrow}"
            parts.append(_fit(title, column.width, column.right))
            parts.append(" ")
        return Strip([Segment(set_cell_size("".join(parts), width), style)], width)

    def _render_row(
        self, row: RecipientRow, is_cursor: bool, columns: list[_Column], width: int
    ) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("status-table--cursor")
        segments = [Segment("›" if is_cursor else " ", base)]
        used = 1
        for column in columns:
            text, style = self._cell(row, column.key), base
            if column.key == "status":
                if is_cursor:
                    style = base + Style(bold=True)
                else:
                    tone = f"status-table--{status_tone(row.status)}"
                    style = base + self.get_component_rich_style(tone)
            elif column.key == "error" and row.error_code is not None and not is_cursor:
                style = base + self.get_component_rich_style("status-table--bad")
            segments.append(Segment(_fit(text, column.width, column.right), style))
            segments.append(Segment(" ", base))
            used += column.width + 1
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, max(used, width)).crop(0, width)

    @staticmethod
    def _cell(row: RecipientRow, key: str) -> str:
        if key == "row":
            return str(row.row)
        # Names come from the file, and so may the "number" of a skipped row: drawn through
        # `visible` (controls and bidi marks as escapes). Only rows on screen are drawn, and
        # each drawn line is cached, so 100,000 rows cost nothing more.
        if key == "name":
            return visible(row.name)
        if key == "phone":
            return visible(row.phone)
        if key == "status":
            return status_label(row.status)
        if key == "segments":
            return str(row.segments) if row.segments else ""
        if key == "sid":
            return short_sid(row.sid)
        return error_text(row.error_code)


def _fit(text: str, width: int, right: bool = False) -> str:
    """Pad or cut text to exactly width cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - length)
    return pad + text if right else text + pad
