"""Bytes -> table: read a contacts file into a DataFrame of strings, the way it was meant.

A workbook (.xlsx .xlsm .xlsb .xls .ods) is read by `spreadsheets`, a vCard by `vcards`;
everything else is a CSV, read here. Every column is read as text (leading zeros and `+`
survive). Only a regular file is read (`campaigns.files`), and an archive, a document or
other binary file is named, not read (`refuse_binary`). The encoding (UTF-8 with or without
BOM, UTF-16 with BOM, cp1252 as the fallback) is decided by the majority: a file that is
UTF-8 but for a few bytes stays UTF-8 and those rows are problems (`decode_file`,
`Table.damaged`); a file mixing two encodings is refused. The delimiter (`,` `;` tab `|`) is
sniffed from the first rows. Rows are numbered as a spreadsheet shows them (the header is row
1; a blank line is a row; lines end at LF, CRLF or a lone CR; a quoted field spanning lines
stays one row). What the rows hold is `book`'s job.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from campaigns.contacts.layouts import Candidate
from campaigns.contacts.rows import Problem
from campaigns.contacts.spreadsheets import read_sheet, spreadsheet_kind
from campaigns.contacts.vcards import looks_like_vcard, read_cards
from campaigns.errors import InputError
from campaigns.files import read_regular_file
from campaigns.untrusted import excerpt, visible

__all__ = [
    "COLUMN_CHARS",
    "DELIMITERS",
    "DELIMITER_NAMES",
    "MAX_CONTACTS_BYTES",
    "Decoded",
    "Table",
    "decode",
    "decode_file",
    "marked_byte",
    "read_table",
    "refuse_binary",
    "sniff_delimiter",
]

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

#: Characters of a header an error message shows at most (a header may be anything).
COLUMN_CHARS = 40

# --- decoding by majority ------------------------------------------------------------------


#: The largest contacts file read (a million rows with a few columns is ~100 MB).
MAX_CONTACTS_BYTES = 1 << 30

#: Bytes that are not valid UTF-8 in a file that otherwise is are kept in the text as these
#: private-use characters (byte 0x80 + i -> U+F780 + i), so that the rows holding them can be
#: found after parsing and excluded with the byte named. A file holding these characters
#: itself (private use, never in real contact data) would have those rows excluded too.
_MARKER_BASE = 0xF700
_MARKERS = re.compile(r"[\uf780-\uf7ff]")
_ESCAPED = re.compile(r"[\udc80-\udcff]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Decoded:
    """A file's text and the encoding read; `bad_bytes` not valid in it (marked, see above)."""

    text: str
    encoding: str
    bad_bytes: int = 0
    #: The file is mostly single-byte (cp1252) text but some rows hold UTF-8: refused.
    mixed: bool = False


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding used: BOMs first, then UTF-8, then cp1252.

    Bytes that are not valid UTF-8 in a mostly UTF-8 file come back as U+FFFD (`load_contacts`
    excludes their rows instead: `decode_file`).
    """
    decoded = decode_file(data, encoding)
    return _MARKERS.sub(_REPLACEMENT, decoded.text), decoded.encoding


def decode_file(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode per the majority: BOMs first, then UTF-8, then cp1252.

    A file that is UTF-8 but for a few bytes (one cell pasted from a Windows program) is read
    as UTF-8, its bad bytes marked; it is never read whole as cp1252, which would turn every
    "é" of the rest into "Ã©". A file with no valid UTF-8 character is cp1252. Valid UTF-8
    being only the minority of the non-ASCII text is `mixed` (refused by the caller).
    Checking costs one failed strict decode only when the file is not valid UTF-8.
    """
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(
                f"Cannot read the file as {encoding}: {exc}",
                "Leave out the encoding to let smscast detect it.",
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return _utf8_majority(data[3:], "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(data.decode("utf-16", errors="replace"), "utf-16")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _utf8_majority(data, "utf-8")


def _utf8_majority(data: bytes, name: str) -> Decoded:
    """`data`, not (all) valid UTF-8: UTF-8 with marked bad bytes, cp1252, or mixed."""
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED.findall(escaped))
    if not bad:
        return Decoded(escaped, name)
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    utf8_chars = len(escaped) - (len(data) - high) - bad  # non-ASCII characters decoded
    if utf8_chars == 0 and name == "utf-8":  # a single-byte file: Excel's "CSV" on Windows
        try:
            return Decoded(data.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            return Decoded(data.decode("latin-1"), "latin-1")
    marked = _ESCAPED.sub(lambda m: chr(ord(m.group()) - 0xDC00 + _MARKER_BASE), escaped)
    return Decoded(marked, name, bad, mixed=utf8_chars < bad and name == "utf-8")


def marked_byte(char: str) -> int:
    """The file's byte that the marker `char` stands for."""
    return ord(char) - _MARKER_BASE


# --- what a file is, when it is not text ---------------------------------------------------

#: Leading bytes of files people give by mistake, and what each is (the ZIP family apart).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls) or another Office file",
    ),
    (b"%PDF-", "a PDF document"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"(\xb5/\xfd", "a zstd-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database (perhaps smscast's journal)"),
    (b"\x7fELF", "a program (an ELF executable)"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
#: Names inside a ZIP that say which document it is (the ZIP's directory lists them).
_ZIP_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"xl/workbook", "an Excel workbook (.xlsx)"),
    (b"application/vnd.oasis.opendocument.spreadsheet", "an OpenDocument spreadsheet (.ods)"),
    (b"Index/Document.iwa", "an Apple Numbers document"),
    (b"word/document", "a Word document (.docx)"),
    (b"application/vnd.oasis.opendocument.text", "an OpenDocument text document (.odt)"),
    (b"ppt/presentation", "a PowerPoint presentation (.pptx)"),
)
_SPREADSHEET_HINT = (
    "Open it in its program and save it as CSV (Excel: File > Save As > 'CSV UTF-8 (Comma "
    "delimited)'; LibreOffice: File > Save As > 'Text CSV'; Numbers: File > Export To > CSV), "
    "then give that file."
)
#: Control bytes that never appear in a text file (tab, line breaks, form feed, ESC apart).
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_SAMPLE = 8192


def refuse_binary(data: bytes, path: Path, what: str = "contacts file") -> None:
    """`InputError` naming what `data` is when it is a known binary format or not text at all
    (a spreadsheet saved with a .csv name, an archive, random bytes), before it is decoded:
    binary read as text would show as kilobytes of nonsense "column names"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: text with NUL bytes
        return
    kind, hint = _binary_kind(data)
    if kind is None:
        return
    suffix = path.suffix.lower()
    named = f" saved with a {suffix} name" if suffix in (".csv", ".tsv", ".txt") else ""
    raise InputError(f"The {what} {visible(path)} is not a CSV file: it is {kind}{named}.", hint)


def _binary_kind(data: bytes) -> tuple[str | None, str]:
    other = "Give the CSV file holding the contacts (export them from their program as CSV)."
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        for name, kind in _ZIP_KINDS:
            if name in data:
                spreadsheet = "spreadsheet" in kind or "workbook" in kind or "Numbers" in kind
                return kind, _SPREADSHEET_HINT if spreadsheet else other
        return "a ZIP archive", "Unpack it and give the CSV file inside."
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind.startswith("an Excel"):
                return kind, _SPREADSHEET_HINT
            if "compressed" in kind or "archive" in kind:
                return kind, "Unpack it and give the CSV file inside."
            return kind, other
    if _BZIP2.match(data):
        return "a bzip2-compressed file", "Unpack it and give the CSV file inside."
    sample = data[:_BINARY_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    if controls >= 8 and controls * 50 > len(sample):  # over 2%: text has next to none
        return "binary data, not text", other
    return None, other


# --- the delimiter -------------------------------------------------------------------------

#: Characters of the file the delimiter is sniffed from (at most 200 lines of it): a field
#: larger than the csv module's limit (128 KiB) or a file without line breaks is then cut,
#: never an error.
_SNIFF_CHARS = 64 * 1024


def sniff_delimiter(text: str) -> str:
    """The delimiter among `,` `;` tab `|` that splits the first rows most consistently.

    Lines end at LF, CRLF or a lone CR (old Mac files), as in the parser; a line break inside
    a quoted field stays in it. A sample the csv module cannot split with a delimiter (a NUL
    byte, say) just does not vote for that delimiter.
    """
    head = text[:_SNIFF_CHARS]
    cut = len(head) < len(text)
    sample_lines: list[str] = []
    for line in io.StringIO(head, newline=""):
        sample_lines.append(line)
        if len(sample_lines) >= 200:
            cut = True
            break
    sample = "".join(sample_lines)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            records = [r for r in reader if any(r)]
        except csv.Error:
            continue
        if len(records) > 1 and cut:
            records = records[:-1]  # the last sampled record may be cut short
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        agreement = sum(len(r) == width for r in records) / len(records)
        score = (agreement, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- the table -----------------------------------------------------------------------------

_SEP_LINE = re.compile(r"sep=([,;\t|])(?:\r\n|\r|\n)")


def _read_frame(text: str, delimiter: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # A first row longer than the header would be silently cut: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            "The contacts file is empty.", "Export it again with a header row."
        ) from exc
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise InputError(
            f"The contacts file is not a readable table: {excerpt(exc, 200)}",
            "Check that every row has the same number of columns (quote fields that contain "
            f"the delimiter {DELIMITER_NAMES[delimiter]!s}).",
        ) from exc
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame.fillna("")


@dataclass(frozen=True)
class Table:
    """A contacts file read as text: the DataFrame and how it was read.

    `damaged`: rows excluded for their bytes (not valid in the file's encoding, or a NUL), one
    problem each, in row order. `first_row`: the row number of the frame's first row as the
    person sees it (2 under a CSV header; a spreadsheet's header may sit lower; a vCard's
    rows are its cards, counted from 1). `cards`: a vCard's numbers per card, to choose from.
    """

    frame: pd.DataFrame
    sha256: str
    encoding: str
    delimiter: str
    damaged: list[Problem] = field(default_factory=list)
    file_format: str = "CSV"
    sheet: str | None = None
    first_row: int = 2
    notes: list[str] = field(default_factory=list)
    cards: list[list[Candidate]] | None = None


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
) -> Table:
    """Read a file into a DataFrame of strings: a CSV (encoding and delimiter detected), a
    spreadsheet (`spreadsheets`: .xlsx .xlsm .xlsb .xls .ods, `sheet` by name or number) or
    a vCard (`vcards`).

    Only a regular file of at most `MAX_CONTACTS_BYTES` is read; an archive, a document or
    other binary data is refused by name (`refuse_binary`).
    """
    data = read_regular_file(
        path,
        what="contacts file",
        limit=MAX_CONTACTS_BYTES,
        hint="Check the path to the contacts file.",
    )
    digest = hashlib.sha256(data).hexdigest()
    kind = spreadsheet_kind(data, path)
    if kind is not None:
        read = read_sheet(data, path, sheet, kind)
        return Table(
            read.frame, digest, "", "", [], kind, read.name, read.first_row, list(read.notes)
        )
    refuse_binary(data, path)
    decoded = decode_file(data, encoding)
    if path.suffix.lower() in (".vcf", ".vcard") or looks_like_vcard(decoded.text):
        _no_sheet(sheet, "a vCard file")
        cards = read_cards(_MARKERS.sub(_REPLACEMENT, decoded.text))
        return Table(
            cards.frame,
            digest,
            decoded.encoding,
            "",
            [],
            cards.versions,
            None,
            1,
            list(cards.notes),
            cards.candidates,
        )
    _no_sheet(sheet, "a CSV file")
    utf16 = decoded.encoding == "utf-16"  # its NUL bytes are text; search the text then
    suspect = decoded.bad_bytes > 0 or (b"\x00" in data if not utf16 else "\x00" in decoded.text)
    del data
    text = decoded.text.lstrip("\r\n")  # blank lines before the header: still row 1
    hint = _SEP_LINE.match(text)
    if hint:  # Excel's "sep=;" first line: Excel hides it, so the header stays row 1
        delimiter = delimiter or hint.group(1)
        text = text[hint.end() :]
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif delimiter in ("tab", "\\t"):
        delimiter = "\t"
    used_encoding, mixed = decoded.encoding, decoded.mixed
    del decoded
    frame = _read_frame(text, delimiter)
    if mixed:
        _refuse_mixed(frame, path)
    damaged = _damaged_rows(frame, path) if suspect else []
    return Table(frame, digest, used_encoding, delimiter, damaged)


def _no_sheet(sheet: str | int | None, what: str) -> None:
    if sheet is not None:
        raise InputError(
            f"--sheet names a sheet of a spreadsheet, but the contacts file is {what}.",
            "Leave out --sheet for this file.",
        )


# --- damaged rows --------------------------------------------------------------------------

#: A character that cannot be part of a message: a marked bad byte or NUL.
_DAMAGED = r"[\x00\uf780-\uf7ff]"
_DAMAGED_CHAR = re.compile(_DAMAGED)
#: A character of valid UTF-8 beyond ASCII (in a file whose bad bytes are marked).
_UTF8_CHAR = r"[^\x00-\x7f\uf780-\uf7ff]"
_ROWS_NAMED = 10


def _damaged_rows(frame: pd.DataFrame, path: Path) -> list[Problem]:
    """One problem per row holding a marked bad byte or a NUL (in its first such cell).

    A damaged header cannot be left out: the file is refused. Runs only when the file has
    such bytes at all.
    """
    for column in frame.columns:
        if _DAMAGED_CHAR.search(column):
            raise InputError(
                f"The header row (row 1) of {visible(path)} has a byte that is not text in "
                f"the column '{excerpt(_shown_cell(column), COLUMN_CHARS)}'.",
                "Retype the header and save the file as 'CSV UTF-8'.",
            )
    first = np.full(len(frame), -1, dtype=np.int64)
    for index, column in enumerate(frame.columns):
        found = frame[column].str.contains(_DAMAGED, regex=True).to_numpy(dtype=bool)
        first[found & (first < 0)] = index
    columns = list(frame.columns)
    problems = []
    for position in np.flatnonzero(first >= 0):
        column = columns[int(first[position])]
        cell = str(frame.iat[int(position), int(first[position])])
        problems.append(_damaged_problem(int(position) + 2, column, cell))
    return problems


def _damaged_problem(row: int, column: str, cell: str) -> Problem:
    """The problem of a cell holding marked bad bytes or a NUL: which byte, and the fix."""
    bad = [char for char in _DAMAGED_CHAR.findall(cell) if char != "\x00"]
    shown = _shown_cell(cell)
    if not bad:
        return Problem(
            row,
            column,
            shown,
            "nul",
            "the cell holds a NUL byte (\\x00), which is not text and cannot be sent; "
            "delete it from the cell (it usually comes from a damaged export)",
        )
    byte = marked_byte(bad[0])
    more = f" (and {len(bad) - 1} more such bytes)" if len(bad) > 1 else ""
    legacy = bytes([byte]).decode("cp1252", errors="replace")
    meant = f"; in Windows-1252 it is {legacy!r}" if legacy != _REPLACEMENT else ""
    return Problem(
        row,
        column,
        shown,
        "encoding",
        f"byte 0x{byte:02X}{more} is not UTF-8 like the rest of the file{meant}; retype the "
        "cell and save the file as 'CSV UTF-8'",
    )


def _rows_text(named: list[str], more: str) -> str:
    """`row 5 holds`, `rows 5, 9 and more hold`, `the header holds`."""
    if not named:
        return "the header holds"
    if len(named) == 1 and not more:
        return f"row {named[0]} holds"
    return f"rows {', '.join(named)}{more} hold"


def _shown_cell(cell: str) -> str:
    """A cell with its marked bad bytes as U+FFFD (what an editor shows for them)."""
    return _MARKERS.sub(_REPLACEMENT, cell)


def _refuse_mixed(frame: pd.DataFrame, path: Path) -> None:
    """A mostly single-byte file with some UTF-8 rows: read either way, some names would be
    garbled, so it is refused, naming the UTF-8 rows."""
    rows = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        rows |= frame[column].str.contains(_UTF8_CHAR, regex=True).to_numpy(dtype=bool)
    named = [str(int(p) + 2) for p in np.flatnonzero(rows)[:_ROWS_NAMED]]
    more = " and more" if int(rows.sum()) > len(named) else ""
    raise InputError(
        f"{visible(path)} mixes two encodings: it is mostly Windows-1252, but "
        f"{_rows_text(named, more)} UTF-8 characters. Read either way, "
        "some names would come out garbled (such as 'JosÃ©').",
        "Save the file once with one encoding: in Excel, File > Save As > "
        "'CSV UTF-8 (Comma delimited)'.",
    )
