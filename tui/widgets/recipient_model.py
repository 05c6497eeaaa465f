"""The rows of the status table and the current view (filter, search, sort), without a widget.

`RecipientModel` holds every recipient of a campaign as a `RecipientRow` and keeps the view
the person asked for, so that `StatusTable` (the widget, `tui.widgets.status_table`) only
draws the lines on screen; it is tested and measured on its own (no Textual app needed).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from campaigns.store.statuses import DISPLAY_ORDER, FILTER_GROUPS
from campaigns.store.statuses import RecipientStatus as S

__all__ = ["COLUMNS", "STATUS_GLYPHS", "STATUS_GROUPS", "RecipientModel", "RecipientRow"]


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One recipient as the table shows it (a value: replace it, never mutate it).

    ``row`` is the spreadsheet row of the contact (header = 1), ``phone`` the E.164 number,
    ``status`` the journal's word (``pending``, ``sent``, ``delivered``, ``failed``, ...).
    """

    recipient_id: int
    row: int
    name: str
    phone: str
    status: str
    segments: int
    sid: str | None
    error_code: int | None


_GLYPHS: dict[str, str] = {
    S.PENDING: "·",
    S.INFLIGHT: "↑",
    S.ACCEPTED: "…",
    S.SCHEDULED: "…",
    S.QUEUED: "…",
    S.SENDING: "↑",
    S.SENT: "→",
    S.DELIVERED: "✓",
    S.READ: "✓",
    S.UNDELIVERED: "✗",
    S.FAILED: "✗",
    S.UNKNOWN: "?",
    S.CANCELED: "⊘",
    S.SKIPPED: "–",
}
#: Glyph per status, in display order; every status is also written as its word next to it.
STATUS_GLYPHS: dict[str, str] = {status: _GLYPHS[status] for status in DISPLAY_ORDER}

#: Display order, used when sorting by status.
_STATUS_RANK: dict[str, int] = {status: rank for rank, status in enumerate(DISPLAY_ORDER)}

#: Filter names that stand for several statuses.
STATUS_GROUPS: dict[str, frozenset[str]] = dict(FILTER_GROUPS)

#: Sortable columns, in display order.
COLUMNS: tuple[str, ...] = ("row", "name", "phone", "status", "segments", "sid", "error")


def _statuses_for(filter_status: str | None) -> frozenset[str] | None:
    """The statuses a filter keeps: a group's members, one status, or None for all."""
    if filter_status is None:
        return None
    return STATUS_GROUPS.get(filter_status, frozenset({filter_status}))


def _fold(row: RecipientRow) -> str:
    return f"{row.name.casefold()} {row.phone}"


_NO_CODE = 1_000_000  # sorts rows without an error code after those with one


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class RecipientModel:
    """The rows of the table and the current view (filter, search, sort), without any widget.

    Rows are kept in load order and found by recipient id in O(1). With no filter, search or
    sort the view is every row in load order and costs nothing. Otherwise the view is a sorted
    list of *entries*, one per shown row: the row index itself (file order) or a
    ``(sort value, ±index)`` pair; a change moves one entry with a bisect delete and insert, so
    a batch costs O(changes × log n) and never re-filters or re-sorts the 100,000 rows. A full
    rebuild happens only when the filter, search, sort or data set is replaced.
    """

    def __init__(self) -> None:
        self._rows: list[RecipientRow] = []
        self.max_row = 0  # the largest spreadsheet row number (sizes the "#" column)
        self._folded: list[str] = []  # casefolded "name phone", for search and name sort
        self._index: dict[int, int] = {}
        self._filter: str | None = None
        self._statuses: frozenset[str] | None = None
        self._search = ""
        self._needle = ""
        self._needle_digits = ""
        self._sort = "row"
        self._reverse = False
        self._entries: list[Any] | None = None  # None: every row, in load order
        self._stale = False

    # -- data ------------------------------------------------------------------------------
    def load(self, rows: Sequence[RecipientRow]) -> None:
        """Replace all rows (the view is rebuilt with the current filter, search and sort)."""
        self._rows = list(rows)
        self.max_row = max((r.row for r in self._rows), default=0)
        self._folded = [_fold(r) for r in self._rows]
        self._index = {r.recipient_id: i for i, r in enumerate(self._rows)}
        self._stale = True

    def apply(self, rows: Iterable[RecipientRow]) -> tuple[list[int], bool]:
        """Update rows by recipient id (unknown ids are appended).

        Returns the row indices changed and whether the view's membership or order changed
        (then the caller redraws every visible line rather than single lines).
        """
        changed: list[int] = []
        view_changed = False
        entries = None if self._stale else self._entries
        for new in rows:
            i = self._index.get(new.recipient_id)
            if i is None:
                i = len(self._rows)
                self._rows.append(new)
                self.max_row = max(self.max_row, new.row)
                self._folded.append(_fold(new))
                self._index[new.recipient_id] = i
                changed.append(i)
                view_changed = True
                if entries is not None and self._keep(new, i):
                    insort(entries, self._entry(new, i))
                continue
            old = self._rows[i]
            if old == new:
                continue
            if entries is not None:
                was = self._entry(old, i) if self._keep(old, i) else None
            self._rows[i] = new
            changed.append(i)
            if old.name != new.name or old.phone != new.phone:
                self._folded[i] = _fold(new)
            if entries is None:
                continue
            now = self._entry(new, i) if self._keep(new, i) else None
            if was == now:
                continue
            view_changed = True
            if was is not None:
                del entries[bisect_left(entries, was)]
            if now is not None:
                insort(entries, now)
        return changed, view_changed

    # -- view settings ---------------------------------------------------------------------
    def set_filter(self, status: str | None) -> None:
        """Show one status, a group from STATUS_GROUPS, or everything (None)."""
        self._filter = status or None
        self._statuses = _statuses_for(self._filter)
        self._stale = True

    def set_search(self, text: str) -> None:
        """Show rows whose name or number contains text (case-insensitive; a number typed
        with spaces, dashes or brackets matches on its digits)."""
        self._search = text
        self._needle = text.strip().casefold()
        only_number = bool(self._needle) and all(ch in "+0123456789 -()." for ch in self._needle)
        self._needle_digits = _digits(self._needle) if only_number else ""
        self._stale = True

    def set_sort(self, column: str, reverse: bool = False) -> None:
        """Sort by one of COLUMNS; ties keep load order (also when reversed)."""
        if column not in COLUMNS:
            raise ValueError(f"unknown column {column!r}; choose one of {', '.join(COLUMNS)}")
        self._sort, self._reverse = column, reverse
        self._stale = True

    @property
    def filter_status(self) -> str | None:
        return self._filter

    @property
    def search_text(self) -> str:
        return self._search

    @property
    def sort_column(self) -> str:
        return self._sort

    @property
    def sort_reverse(self) -> bool:
        return self._reverse

    # -- reading ---------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Rows loaded."""
        return len(self._rows)

    def __len__(self) -> int:
        """Rows shown."""
        entries = self._view()
        return len(self._rows) if entries is None else len(entries)

    def get(self, recipient_id: int) -> RecipientRow | None:
        """The current row of a recipient, or None when unknown."""
        index = self._index.get(recipient_id)
        return None if index is None else self._rows[index]

    def index_at(self, position: int) -> int:
        """The row index shown at a position (0 = first row under the header)."""
        entries = self._view()
        if entries is None:
            return position
        if self._reverse:
            position = len(entries) - 1 - position
        entry = entries[position]
        return entry if type(entry) is int else abs(entry[1])

    def row_at(self, position: int) -> RecipientRow:
        """The row shown at a position."""
        return self._rows[self.index_at(position)]

    def position_of(self, index: int) -> int | None:
        """Where row index is shown, or None when it is filtered out (O(log n))."""
        entries = self._view()
        if entries is None:
            return index if 0 <= index < len(self._rows) else None
        row = self._rows[index]
        if not self._keep(row, index):
            return None
        entry = self._entry(row, index)
        at = bisect_left(entries, entry)
        if at >= len(entries) or entries[at] != entry:
            return None
        return len(entries) - 1 - at if self._reverse else at

    def position_of_id(self, recipient_id: int) -> int | None:
        """Where a recipient is shown, or None (unknown or filtered out)."""
        index = self._index.get(recipient_id)
        return None if index is None else self.position_of(index)

    # -- internals -------------------------------------------------------------------------
    def _view(self) -> list[Any] | None:
        if self._stale:
            self._rebuild()
        return self._entries

    def _keep(self, row: RecipientRow, index: int) -> bool:
        if self._statuses is not None and row.status not in self._statuses:
            return False
        if self._needle:
            if self._needle_digits and self._needle_digits in row.phone:
                return True
            return self._needle in self._folded[index]
        return True

    def _entry(self, row: RecipientRow, index: int) -> Any:
        """The sort entry of a row: its index (file order) or (value, ±index).

        Reversed views are read back to front, so their ties carry ``-index`` to stay in load
        order.
        """
        column = self._sort
        if column == "row" and not self._reverse:
            return index
        tie = -index if self._reverse else index
        if column == "row":
            return (row.row, tie)
        if column == "name":
            return (self._folded[index], tie)
        if column == "status":
            return (_STATUS_RANK.get(row.status, len(_STATUS_RANK)), tie)
        if column == "error":
            return (row.error_code or _NO_CODE, tie)
        if column == "sid":
            return (row.sid or "", tie)
        return (getattr(row, column), tie)

    def _rebuild(self) -> None:
        """Recompute the view from scratch (after a new filter, search, sort or data set)."""
        self._stale = False
        rows, entry = self._rows, self._entry
        statuses, needle = self._statuses, self._needle
        if statuses is None and not needle and self._sort == "row" and not self._reverse:
            self._entries = None
            return
        if statuses is None and not needle:
            kept: Iterable[int] = range(len(rows))
        elif not needle:
            kept = [i for i, r in enumerate(rows) if r.status in statuses]  # type: ignore[operator]
        else:
            kept = [i for i, r in enumerate(rows) if self._keep(r, i)]
        entries = [entry(rows[i], i) for i in kept]
        if self._sort != "row" or self._reverse:
            entries.sort()
        self._entries = entries
