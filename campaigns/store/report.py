"""Results export: one CSV row per recipient that opens cleanly, and safely, in Excel.

What "cleanly" takes:
- UTF-8 with a byte-order mark: without it Excel on Windows reads the file as cp1252 and
  mangles every accented name. Lines end in CRLF.
- Formula injection neutralised: a cell whose first non-blank character is `=`, `+`, `-`, `@`,
  tab or carriage return would be run as a formula by Excel, LibreOffice or Google Sheets
  (`=HYPERLINK(...)` in a name column is an attack). Such cells get a leading apostrophe, the
  spreadsheet's own "this is text" mark (OWASP's advice). A plain negative number (`-0.0079`,
  the price Twilio reports) is left alone: it cannot run anything and should stay a number.
- Numbers kept as text: `+14155550100` starts with `+`, so the same rule writes it as
  `'+14155550100`, which Excel keeps as text with every digit (never 1.41556E+10); some
  versions hide the apostrophe, others show it, both are readable. Digit strings Excel would
  damage (a leading zero, or 12 digits and more, shown in scientific notation and rounded
  past 15) get the apostrophe too.

Why not the other tricks: `="+14155550100"` displays well in Excel but IS a formula (exactly
what the rule above forbids, and what a security review of the file would flag), and every
other program (pandas, Google Sheets import, a text editor) shows the literal `="..."`. A leading
tab keeps the digits but is itself one of the formula triggers (some programs strip it and then
evaluate the rest) and leaves invisible whitespace in copied numbers. The apostrophe is one
rule for every cell, formula-safe by construction, and trivially undone by a program (drop a
leading `'` that precedes one of `=+-@`, tab, CR, or a digit).

Files are written with mode 0600 (they hold phone numbers and message outcomes) through a
temporary file in the same folder renamed into place, so a reader never sees half a file.
Only a regular file (or a new one) is written; through a symlink, the file it points to. A
device, FIFO, socket or folder is refused with a sentence: renaming over /dev/full or a FIFO
would replace the node with a plain file (as root, for everyone).

Standard output (`-o -`): on a terminal each cell is shown through
`campaigns.untrusted.visible` (an escape sequence in a name must not retitle or clear the
operator's terminal); into a pipe or a file the cells are written as they are, because they
are the person's data and a program reading the CSV must get them back exactly. No secrets are ever
written: the columns are the contact's own fields and the recipient's outcome, nothing from
the settings or credentials.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from campaigns.errors import InputError
from campaigns.store.replies import ReplySummary
from campaigns.twilio.errors import describe
from campaigns.untrusted import visible

__all__ = ["RESULT_COLUMNS", "ResultRow", "export", "result_columns", "safe_cell", "write_csv"]

#: The columns smscast adds after the contact's own (renamed with " (smscast)" on a clash).
RESULT_COLUMNS: tuple[str, ...] = (
    "Row",
    "E.164",
    "Status",
    "Message SID",
    "Error code",
    "Error meaning",
    "Detail",
    "Segments",
    "Price",
    "Sent at (UTC)",
    "Updated at (UTC)",
    "Replies",
    "Last reply",
    "Last reply kind",
    "Opted out",
)

_TRIGGERS = frozenset("=+-@\t\r")
_NEGATIVE_NUMBER = re.compile(r"^-\d+(?:\.\d+)?$")
#: Digit strings Excel would turn into a number and damage: leading zero, or 12+ digits.
_FRAGILE_DIGITS = re.compile(r"^(?:0\d+|\d{12,})$")
_BOM = "\ufeff"


class ResultRow(Protocol):
    """What `export` reads from each recipient (`campaigns.store.journal.Recipient` fits)."""

    @property
    def row(self) -> int: ...
    @property
    def to(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sid(self) -> str | None: ...
    @property
    def error_code(self) -> int | None: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def segments(self) -> int: ...
    @property
    def price(self) -> str | None: ...
    @property
    def attempted_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def fields(self) -> Mapping[str, str]: ...


def safe_cell(value: object) -> str:
    """The text of one cell, neutralised against formula injection and number mangling."""
    if value is None:
        return ""
    text = str(value)
    stripped = text.lstrip(" ")
    if not stripped:
        return text
    if stripped[0] in _TRIGGERS and not _NEGATIVE_NUMBER.match(text):
        return "'" + text
    if _FRAGILE_DIGITS.match(text):
        return "'" + text
    return text


def write_csv(
    path: str | os.PathLike[str] | None,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> int:
    """Write `header` and `rows`, every cell through `safe_cell`; returns the number of rows.

    `path` None or "-" writes to standard output (plain UTF-8, no BOM, for pipes). On a
    terminal the cells are shown through `campaigns.untrusted.visible` (an escape sequence in
    a name must not act on the screen); into a pipe or a file they are the person's data and
    are written as they are. A file gets the BOM, mode 0600, and appears atomically: written
    to a temporary file in the same folder, then renamed over the target. Only a regular file
    (or a path that does not exist yet) is written: a device, FIFO, socket or folder is
    refused with `InputError`, never replaced.
    """
    if path is None or str(path) == "-":
        return _write(sys.stdout, header, rows, shown=_on_terminal(sys.stdout))
    target = _regular_target(Path(path).expanduser())
    try:
        fd, temporary = tempfile.mkstemp(  # created 0600
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
        )
    except OSError as exc:
        raise InputError(
            f"Cannot write {visible(target)}: {exc.strerror or exc}.",
            "Choose another file with -o.",
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(_BOM)
            count = _write(stream, header, rows)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise InputError(
                f"Cannot write {visible(target)}: {exc.strerror or exc}.",
                "Choose another file with -o.",
            ) from exc
        raise
    return count


def _regular_target(target: Path) -> Path:
    """The file to replace: `target` itself, or the regular file a symlink points to (so the
    link stays a link). Refuses anything that exists and is not a regular file: renaming over
    /dev/null or a FIFO would replace the node with a plain file (as root, for everyone)."""
    try:
        info = target.stat()  # follows symlinks: a link to /dev/full is a device too
    except FileNotFoundError:
        return target  # a new file (a dangling link is replaced by the file, like cp does)
    except OSError as exc:
        raise InputError(
            f"Cannot write {visible(target)}: {exc.strerror or exc}.",
            "Choose another file with -o.",
        ) from exc
    if stat.S_ISREG(info.st_mode):
        return Path(os.path.realpath(target))
    kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
    raise InputError(
        f"Cannot write {visible(target)}: it is {kind}, and smscast writes only regular files.",
        "Give a file name with -o, or '-o -' to write to standard output.",
    )


_FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def _on_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write(
    stream: IO[str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    shown: bool = False,
) -> int:
    """The CSV rows; with `shown`, each cell made visible (for a terminal, after `safe_cell`)."""
    writer = csv.writer(stream, lineterminator="\r\n")

    def cells(row: Iterable[object]) -> list[str]:
        if shown:
            return [visible(safe_cell(cell)) for cell in row]
        return [safe_cell(cell) for cell in row]

    writer.writerow(cells(header))
    count = 0
    for row in rows:
        writer.writerow(cells(row))
        count += 1
    return count


def result_columns(contact_columns: Sequence[str]) -> list[str]:
    """The contact's columns followed by ours, ours renamed where a name is already taken."""
    taken = set(contact_columns)
    ours = [f"{name} (smscast)" if name in taken else name for name in RESULT_COLUMNS]
    return [*contact_columns, *ours]


def export(
    rows: Iterable[ResultRow],
    path: str | os.PathLike[str] | None,
    *,
    columns: Sequence[str] | None = None,
    replies: Mapping[int, ReplySummary] | None = None,
) -> int:
    """Write one CSV row per recipient: its original fields, then number, status and outcome,
    then its replies in brief (`replies`: row -> `Journal.reply_summary`).

    `columns` are the contact file's columns in order (default: the first row's field names,
    extended by any new names later rows bring). Returns the number of rows written. A reply's
    body is untrusted: `write_csv` neutralises formula triggers, and control characters are
    written as escapes (`visible`).
    """
    materialised = rows if isinstance(rows, Sequence) else list(rows)
    contact_columns = list(columns) if columns is not None else _columns_of(materialised)
    summaries = replies or {}
    return write_csv(
        path,
        result_columns(contact_columns),
        (
            _cells(row, contact_columns) + _reply_cells(summaries.get(row.row))
            for row in materialised
        ),
    )


def _reply_cells(summary: ReplySummary | None) -> list[object]:
    if summary is None:
        return [0, "", "", "no"]
    return [
        summary.count,
        visible(summary.last_body),
        summary.last_kind,
        "yes" if summary.opted_out else "no",
    ]


def _columns_of(rows: Sequence[ResultRow]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for name in row.fields:
            seen.setdefault(name, None)
    return list(seen)


def _cells(row: ResultRow, contact_columns: Sequence[str]) -> list[object]:
    info = describe(row.error_code)
    meaning = info.meaning if info is not None else ""
    detail = row.error_message or ""
    if detail == meaning:
        detail = ""
    return [
        *(row.fields.get(name, "") for name in contact_columns),
        row.row,
        row.to,
        row.status,
        row.sid or "",
        "" if row.error_code is None else row.error_code,
        meaning,
        detail,
        row.segments,
        row.price or "",
        _when(row.attempted_at),
        _when(row.updated_at),
    ]


def _when(moment: datetime | None) -> str:
    """`2026-11-25 16:04:05`: a form Excel reads as a date and time (UTC)."""
    return "" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
