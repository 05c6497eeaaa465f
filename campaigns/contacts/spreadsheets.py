"""Workbook bytes -> a table of strings: .xlsx, .xlsm, .xlsb, .xls and .ods read directly.

Read with python-calamine (Rust's calamine), chosen over openpyxl/odfpy/xlrd for being one
well-kept reader of all these formats and many times faster (README, "Spreadsheets": the
comparison and its numbers, `benchmarks/compare_spreadsheet_readers.py`). A cell is turned
into the text the spreadsheet shows for it:
- a number cell holding a whole number is its digits (`4155552671`, never `4155552671.0` or
  `4.16E+09`): a workbook keeps the number whole even when its column shows it in scientific
  notation; a lost leading `+` or `0` is then a suggestion, exactly as in a CSV (`phones`);
- other numbers as Excel's General format shows them (15 significant digits);
- dates and times in ISO form (`2026-12-01 09:30`, `2026-12-01`, `09:30`);
- TRUE / FALSE; a formula is its cached value (what the program that saved the file
  computed; formulas a program wrote but never computed read as empty, and a note says how
  many);
  an error cell (`#N/A`) is empty.
Assumed, since calamine does not expose number formats: a custom format that pads digits with
zeros (`00000000000`) is not applied, so such a phone loses its shown leading 0 and gets a
suggestion rather than being read as shown.

The sheet: `--sheet NAME|N` (N counts from 1), else the first sheet with data. The header is
the first row with data; a title above it (a row with one cell, usually merged across the
table, then blank rows) is skipped and said so; a header cell merged across several columns
with sub-headers in the row below (`Phone` over `Mobile` | `Home`) becomes one header row
(`Phone Mobile`, `Phone Home`). Blank header cells are named by their column letter.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from campaigns.errors import InputError
from campaigns.untrusted import excerpt, visible

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

__all__ = [
    "SPREADSHEET_KINDS",
    "Sheet",
    "cell_text",
    "column_letter",
    "read_sheet",
    "spreadsheet_kind",
]

#: File suffix -> the format's name in reports.
SPREADSHEET_KINDS: dict[str, str] = {
    ".xlsx": "Excel workbook (.xlsx)",
    ".xlsm": "Excel macro-enabled workbook (.xlsm)",
    ".xlsb": "Excel binary workbook (.xlsb)",
    ".xls": "Excel 97-2003 workbook (.xls)",
    ".ods": "OpenDocument spreadsheet (.ods)",
}

#: Rows above the header looked at for a title (a title block is never longer).
_TITLE_ROWS = 10


@dataclass(frozen=True)
class Sheet:
    """One sheet read as text: the frame, which sheet, and where its header row was.

    `first_row` is the spreadsheet row of the frame's first data row (the header's row + 1);
    `notes` say what was done to the layout (a title skipped, headers joined or named).
    """

    frame: pd.DataFrame
    name: str
    index: int
    first_row: int
    notes: list[str] = field(default_factory=list)


def spreadsheet_kind(data: bytes, path: Path) -> str | None:
    """The report name of the spreadsheet format `data` is, or None when it is not one."""
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        if b"application/vnd.oasis.opendocument.spreadsheet" in head:
            return SPREADSHEET_KINDS[".ods"]
        if b"xl/" in data or b"[Content_Types].xml" in head:
            if b"xl/workbook.bin" in data:
                return SPREADSHEET_KINDS[".xlsb"]
            if b"xl/workbook.xml" in data:
                suffix = path.suffix.lower()
                return SPREADSHEET_KINDS[".xlsm" if suffix == ".xlsm" else ".xlsx"]
        return None
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and path.suffix.lower() in (
        ".xls",
        ".xlt",
        ".csv",
        ".txt",
        "",
    ):
        return SPREADSHEET_KINDS[".xls"]
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and b"W\x00o\x00r\x00k\x00b" in data:
        return SPREADSHEET_KINDS[".xls"]  # an OLE file holding a "Workbook" stream
    return None


def read_sheet(
    data: bytes, path: Path, sheet: str | int | None = None, kind: str = "a spreadsheet"
) -> Sheet:
    """The chosen sheet of the workbook `data` (`kind`, as `spreadsheet_kind` named it) as a
    table of strings (see the module)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise InputError(
            f"The spreadsheet {visible(path)} is protected with a password.",
            "Open it in its program, remove the password (or save a copy as CSV UTF-8), and "
            "give that file.",
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise _damaged(path, kind, exc) from exc
    names = list(workbook.sheet_names)
    index = _sheet_index(names, sheet, path)
    try:
        if index is None:
            index, rows = _first_with_data(workbook, names, path)
        else:
            rows = _rows_of(workbook, names[index])
        name = names[index]
        if not any(any(_filled(c) for c in row) for row in rows.head):
            raise InputError(
                f"The sheet '{excerpt(name, 40)}' of {visible(path)} is empty.",
                "Name the sheet that holds the contacts with --sheet (sheets: "
                f"{_sheet_list(names)}).",
            )
        table = _table(rows, name, index)
    except CalamineError as exc:
        raise _damaged(path, kind, exc) from exc
    uncomputed = _uncomputed_formulas(data) if kind.startswith("Excel") else 0
    if uncomputed:
        table.notes.append(
            f"{uncomputed} formula cell(s) of the workbook have no saved value (the program "
            "that wrote it never calculated them) and read as empty: open the file in Excel "
            "or LibreOffice and save it again to keep their values."
        )
    return table


#: A formula cell of SpreadsheetML with no value after it: `<f>A2&B2</f></c>`, `<v></v>`.
_UNCOMPUTED = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>")


def _uncomputed_formulas(data: bytes) -> int:
    """How many formula cells of an .xlsx/.xlsm's sheets have no cached value (0 when the
    file cannot be looked into: calamine read it, and this is only a note)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            count = 0
            for name in archive.namelist():
                sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
                if sheet and _has_formulas(archive, name):  # most contacts sheets have none
                    count += len(_UNCOMPUTED.findall(archive.read(name)))
            return count
    except (zipfile.BadZipFile, OSError, KeyError):
        return 0


def _has_formulas(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether a sheet's XML holds a formula element, read in chunks (a million rows of XML
    are hundreds of megabytes: never held whole just to find none)."""
    tail = b""
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            if re.search(rb"<f[ >/]", tail + chunk):
                return True
            tail = chunk[-8:]
    return False


def _damaged(path: Path, kind: str, exc: Exception) -> InputError:
    return InputError(
        f"Cannot read {visible(path)}: it is {_article(kind)}, but damaged or not complete "
        f"({excerpt(exc, 120)}).",
        "Open it in its program and save it again (or save it as CSV UTF-8), then give that file.",
    )


def _article(kind: str) -> str:
    return ("an " if kind[:1] in "AEIOUaeiou" else "a ") + kind


def _sheet_index(names: Sequence[str], sheet: str | int | None, path: Path) -> int | None:
    """The index of the requested sheet: by name (case-insensitive) or number from 1."""
    if sheet is None:
        return None
    text = str(sheet).strip()
    for i, name in enumerate(names):
        if name == text:
            return i
    folded = {name.casefold(): i for i, name in reversed(list(enumerate(names)))}
    if text.casefold() in folded:
        return folded[text.casefold()]
    if text.isdigit() and 1 <= int(text) <= len(names):
        return int(text) - 1
    raise InputError(
        f"{visible(path)} has no sheet '{excerpt(text, 40)}'. Sheets: {_sheet_list(names)}.",
        "Name one of them with --sheet (its name, or its number counting from 1).",
    )


def _sheet_list(names: Sequence[str]) -> str:
    shown = ", ".join(f"{i}: '{excerpt(n, 30)}'" for i, n in enumerate(names[:12], 1))
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


_Cell = object
_Rows = list[list[_Cell]]
_Merged = list[tuple[tuple[int, int], tuple[int, int]]]
#: Rows read ahead to find the header (a title, blank rows, a two-row header fit in it).
_HEAD_ROWS = _TITLE_ROWS + 3


@dataclass
class _SheetRows:
    """A sheet's rows from its first row with data: the first few as a list (the header is
    among them), the rest still to come (streamed: never a list of a million row lists)."""

    head: _Rows
    rest: Iterator[list[_Cell]]
    width: int
    start: tuple[int, int]
    merged: _Merged


def _rows_of(workbook: CalamineWorkbook, name: str) -> _SheetRows:
    """The rows of one sheet (its data parsed once, here)."""
    sheet = workbook.get_sheet_by_name(name)
    merged = sheet.merged_cell_ranges or []
    if sheet.start is None:
        return _SheetRows([], iter(()), 0, (0, 0), merged)
    rows: Iterator[list[_Cell]] = iter(sheet.iter_rows())  # type: ignore[arg-type]  # cells
    # iter_rows starts at the sheet's first row (the empty rows above the data included) and
    # at the data's first column: those empty rows are skipped, so head[0] is row start[0].
    head: _Rows = []
    above = sheet.start[0]
    for row in rows:
        if above and not head and not any(_filled(c) for c in row):
            above -= 1
            continue
        head.append(row)
        if len(head) >= _HEAD_ROWS:
            break
    width = max((len(row) for row in head), default=0)
    return _SheetRows(head, rows, max(width, sheet.width), sheet.start, merged)


def _first_with_data(
    workbook: CalamineWorkbook, names: Sequence[str], path: Path
) -> tuple[int, _SheetRows]:
    for index, name in enumerate(names):
        rows = _rows_of(workbook, name)
        if any(any(_filled(cell) for cell in row) for row in rows.head):
            return index, rows
    raise InputError(
        f"The spreadsheet {visible(path)} has no data in any sheet"
        + (f" ({_sheet_list(names)})." if names else "."),
        "Give the workbook that holds the contacts, with a header row.",
    )


def _filled(cell: object) -> bool:
    return not (cell is None or (isinstance(cell, str) and not cell.strip()))


# --- header ------------------------------------------------------------------------------


def _table(sheet_rows: _SheetRows, name: str, index: int) -> Sheet:
    """Find the header (skipping a title, joining a merged two-row header) and build the frame."""
    rows, merged, width = sheet_rows.head, sheet_rows.merged, sheet_rows.width
    top, left = sheet_rows.start

    def filled(i: int) -> int:
        return sum(_filled(c) for c in rows[i])

    header_at = next(i for i in range(len(rows)) if filled(i))
    notes: list[str] = []
    if filled(header_at) == 1 and width > 1:
        later = next(
            (i for i in range(header_at + 1, min(len(rows), header_at + _TITLE_ROWS)) if filled(i)),
            None,
        )
        if later is not None and filled(later) >= 2:
            title = next(cell_text(c) for c in rows[header_at] if _filled(c))
            notes.append(
                f"Rows {top + 1}-{top + later} of sheet '{excerpt(name, 40)}' hold a title "
                f"('{excerpt(title, 40)}'), not contacts: the header is row {top + later + 1}."
            )
            header_at = later
    header = [cell_text(c).strip() for c in rows[header_at]] + [""] * (width - len(rows[header_at]))
    data_at = header_at + 1
    sub = _sub_header(rows, header_at, header, merged, top, left)
    if sub is not None:
        for (r0, c0), (_r1, c1) in merged:  # a merged cell's name stands over its whole span
            if r0 == top + header_at:
                for column in range(c0 - left + 1, min(c1 - left + 1, width)):
                    header[column] = header[c0 - left]
        joined = [f"{h} {s}".strip() if s else h for h, s in zip(header, sub, strict=True)]
        header, data_at = joined, header_at + 2
    named = [h if h else f"Column {column_letter(left + i)}" for i, h in enumerate(header)]
    if sub is not None:
        notes.append(
            f"Rows {top + header_at + 1} and {top + header_at + 2} form the header (merged "
            f"cells over sub-headers): columns read as {', '.join(repr(n) for n in named[:6])}"
            + ("..." if len(named) > 6 else "")
            + "."
        )
    if not all(header):
        blank = [named[i] for i, h in enumerate(header) if not h][:6]
        notes.append(f"Header cells left blank are named by their column: {', '.join(blank)}.")
    columns = _unique(named)
    cells = _columns(chain(rows[data_at:], sheet_rows.rest), width)
    frame = pd.DataFrame(
        {column: _column_text(cells[i]) for i, column in enumerate(columns)},
        columns=columns,
    )
    return Sheet(frame, name, index, top + data_at + 1, notes)


def _columns(rows: Iterable[list[_Cell]], width: int) -> list[list[_Cell]]:
    """The rows' cells by column, streamed (a short row is blank where it ends)."""
    columns: list[list[_Cell]] = [[] for _ in range(width)]
    appends = [column.append for column in columns]
    for row in rows:
        if len(row) == width:
            for append, cell in zip(appends, row, strict=True):
                append(cell)
        else:  # not from calamine's rectangular ranges; kept aligned all the same
            for i, append in enumerate(appends):
                append(row[i] if i < len(row) else "")
    return columns


def _sub_header(
    rows: _Rows,
    header_at: int,
    header: list[str],
    merged: list[tuple[tuple[int, int], tuple[int, int]]],
    top: int,
    left: int,
) -> list[str] | None:
    """The row below the header when a header cell is merged across columns over it."""
    sheet_row = top + header_at
    spans = [
        (c0 - left, c1 - left)
        for (r0, c0), (r1, c1) in merged
        if r0 <= sheet_row <= r1 and c1 > c0 and r1 == sheet_row
    ]
    if not spans or header_at + 1 >= len(rows):
        return None
    below = [cell_text(c).strip() for c in rows[header_at + 1]] + [""] * len(header)
    for c0, c1 in spans:
        cells = below[c0 : c1 + 1]
        if not all(cells) or any(_looks_numeric(rows[header_at + 1], i) for i in range(c0, c1 + 1)):
            return None
    return below[: len(header)]


def _looks_numeric(row: list[_Cell], i: int) -> bool:
    return i < len(row) and isinstance(row[i], int | float) and not isinstance(row[i], bool)


def _unique(names: list[str]) -> list[str]:
    """Repeated header names get `.1`, `.2` (as the CSV reader, pandas, names them)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out


def column_letter(index: int) -> str:
    """`0` -> `A`, `26` -> `AA` (as a spreadsheet names its columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- cells --------------------------------------------------------------------------------


def _column_text(values: list[_Cell]) -> list[str]:
    """One column's cells as text."""
    if all(type(v) is str for v in values):
        return values  # type: ignore[return-value]  # all str, checked
    return [v if type(v) is str else cell_text(v) for v in values]


def cell_text(value: object) -> str:
    """The text a spreadsheet shows for one cell's value (see the module docstring)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        if value != value:  # NaN
            return ""
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.second or value.microsecond:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if value.hour or value.minute:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
