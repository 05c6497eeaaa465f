"""Step 2, Contacts: open a contacts file (CSV, spreadsheet or vCard; a path with completion),
see what was detected (encoding and delimiter, or format and sheet; the export layout; the
phone column, changeable), the counts, and every problem by row with its reason and suggested
repair."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from tui.screens.base import StepScreen
from tui.widgets.path_input import PathSuggester
from tui.widgets.plain import plain, plain_lines
from tui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from campaigns.contacts.book import ContactBook

#: Rows a table shows at most (a DataTable of 100,000 rows would stall the app).
MAX_ROWS = 1000

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class ContactsScreen(StepScreen):
    """The contacts file, what was found in it, and its problems."""

    STEP = "contacts"
    AUTO_FOCUS = "#problems"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "focus_path", "Open file", id="contacts-open"),
        Binding("c", "focus_column", "Phone column", id="contacts-column"),
        Binding("t", "focus_problems", "Problems", id="contacts-problems"),
        Binding("n", "app.go('audience')", "Next", id="contacts-next"),
        Binding("escape", "focus_problems", "Leave the box", show=False, id="contacts-leave"),
    ]

    _columns_shown: tuple[str, ...] = ()
    _filled_for: ContactBook | None = None
    #: The person opened a file from the path box: the problems table takes the focus once it
    #: is read, so the keys (n, 3, ...) work again.
    _opening = False

    def body(self) -> Iterable[Widget]:
        with Vertical(id="contacts-body"):
            with Horizontal(id="path-row"):
                yield Static("File (o):", classes="label")
                yield SafeInput(
                    placeholder="path to a CSV, .xlsx, .ods or .vcf file; → completes, Enter opens",
                    suggester=PathSuggester(),
                    id="path",
                    compact=True,
                )
            with Horizontal(id="column-row"):
                yield Static("Phone column (c):", classes="label")
                yield Select[str](
                    [], id="phone-column", prompt="detected automatically", compact=True
                )
            yield Static(
                "No file loaded yet. Press o, type a path and press Enter.",
                id="file-summary",
                markup=False,
            )
            table: DataTable[str] = DataTable(id="problems", cursor_type="row", zebra_stripes=True)
            table.add_columns("Row", "Column", "Value", "Problem", "Suggestion")
            yield table
            yield Static("", id="problem-detail", markup=False)

    def on_mount(self) -> None:
        # The focus starts on the problems table even without a file: the screen says "Press
        # o, type a path", and the step keys (1-7) and n work here as on every screen.
        self.query_one("#path", Input).cursor_blink = False

    def sync(self) -> None:
        book = self.draft.book
        path_input = self.query_one("#path", Input)
        if self.smscast.contacts_file and not path_input.value:
            path_input.value = self.smscast.contacts_file
        summary = self.query_one("#file-summary", Static)
        if book is None:
            return
        summary.update(self._summary(book))
        self._sync_columns(book)
        if book is not self._filled_for:  # refill only for a new file (keeps the cursor)
            self._filled_for = book
            self._fill_problems(book)
            if self._opening and self.query_one("#path", Input).has_focus:
                self.action_focus_problems()
            self._opening = False

    @staticmethod
    def _summary(book: ContactBook) -> str:
        if book.file_format == "CSV" and not book.layout:
            delimiter = DELIMITER_NAMES.get(book.delimiter, repr(book.delimiter))
            what = [
                f"{book.path.name}: encoding {book.encoding}, {delimiter}-separated, "
                f"phone column '{book.phone_column}', region {book.region}"
            ]
        else:  # a spreadsheet, a vCard or an export layout: say what it was and what was used
            from campaigns.contacts.summary import describe_columns, describe_source

            what = [
                f"{book.path.name}: {describe_source(book)}, region {book.region}",
                "; ".join(describe_columns(book)),
            ]
        lines = [
            *what,
            f"{book.rows} rows: {book.valid} valid, {book.invalid} with problems, "
            f"{_count(book.duplicates, 'duplicate')}; {_count(len(book.warnings), 'warning')}",
            *book.notes,
        ]
        return plain_lines(*lines)  # the file name and the header are untrusted

    def _sync_columns(self, book: ContactBook) -> None:
        select = self.query_one("#phone-column", Select)
        columns = tuple(book.columns)
        if columns != self._columns_shown:
            self._columns_shown = columns
            with select.prevent(Select.Changed):
                # The labels are the file's header cells: drawn made visible, never raw.
                select.set_options([(plain(c), c) for c in columns])
        if book.phone_column in columns and select.value != book.phone_column:
            with select.prevent(Select.Changed):
                select.value = book.phone_column

    def _fill_problems(self, book: ContactBook) -> None:
        """The problems, then the warnings; at most MAX_ROWS (the rest are counted)."""
        table = self.query_one("#problems", DataTable)
        table.clear()
        shown = 0
        for problem in book.problems[:MAX_ROWS]:  # cells from the file: plain Text
            table.add_row(
                str(problem.row),
                plain(problem.column),
                plain(problem.value),
                plain(f"{problem.kind}: {problem.reason}"),
                plain(problem.suggestion or ""),
            )
            shown += 1
        for warning in book.warnings[: MAX_ROWS - shown]:
            table.add_row(
                str(warning.row), "", "", plain(f"warning ({warning.kind}): {warning.message}"), ""
            )
            shown += 1
        hidden = len(book.problems) + len(book.warnings) - shown
        if hidden > 0:
            table.add_row("", "", "", f"... and {hidden} more: 'smscast check FILE' lists all", "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted problem in full (the table may be narrower than its text)."""
        row = [str(cell) for cell in event.data_table.get_row_at(event.cursor_row)]
        suggestion = f"\nSuggested: {row[4]} (not applied: fix the file)" if row[4] else ""
        where = f"Row {row[0]}" + (f", {row[1]} = '{row[2]}'" if row[1] else "")
        self.query_one("#problem-detail", Static).update(f"{where}: {row[3]}{suggestion}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path" and event.value.strip():
            self._columns_shown = ()
            self._opening = True
            self.smscast.load_contacts(event.value.strip())

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "phone-column" or event.value == Select.BLANK:
            return
        book = self.draft.book
        if book is not None and event.value != book.phone_column:
            self.smscast.load_contacts(str(book.path), phone_column=str(event.value))

    def action_focus_path(self) -> None:
        """Type a path."""
        self.query_one("#path", Input).focus()

    def action_focus_column(self) -> None:
        """Choose the phone column."""
        self.query_one("#phone-column", Select).focus()

    def action_focus_problems(self) -> None:
        """Move to the problems table."""
        self.query_one("#problems", DataTable).focus()


def _count(n: int, noun: str) -> str:
    """`1 warning`, `2 warnings`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
