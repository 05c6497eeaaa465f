"""CSV -> ContactBook: read a contacts file the way the spreadsheet user meant it.

Every column is read as text (leading zeros and `+` survive). The encoding (UTF-8 with or
without BOM, UTF-16 with BOM, cp1252 as the fallback) and the delimiter (`,` `;` tab `|`) are
detected and reported; a file that is UTF-8 but for a few bytes stays UTF-8 and those rows are
problems (`decode_file`). Rows are numbered as a spreadsheet shows them (the header is row 1;
a blank line is a row; lines end at LF, CRLF or a lone CR; a quoted field spanning lines stays
one row). Entirely blank rows are skipped. Only a regular file is read (`campaigns.files`),
and a spreadsheet, archive or other binary file is named, not read (`refuse_binary`). Each
phone number is checked once per distinct string, in worker processes for large files, and
the book keeps the valid contacts, the problems (missing, invalid, duplicate, scientific
notation, bad bytes, NUL) and warnings (landlines, one number under different names).
"""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType

from campaigns.contacts.phones import Normalized, PhoneCheck, normalize_unique, region_of
from campaigns.errors import InputError
from campaigns.files import read_regular_file
from campaigns.untrusted import excerpt, visible

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "PHONE_ALIASES",
    "Contact",
    "ContactBook",
    "ContactWarning",
    "Problem",
    "load_contacts",
]

#: Header names taken as the phone column, in order of preference. Headers are compared
#: case-insensitively with runs of spaces, "_", "-" and "." read as one space (`_header_key`).
PHONE_ALIASES: tuple[str, ...] = (
    "phone",
    "phone number",
    "phonenumber",
    "mobile",
    "mobile number",
    "mobile phone",
    "mobile phone number",
    "cell",
    "cell phone",
    "cellphone",
    "cell number",
    "cell phone number",
    "phone no",
    "mobile no",
    "phone #",
    "sms",
    "sms number",
    "number",
    "tel",
    "telephone",
    "telephone number",
    "contact number",
    "to",
    "recipient",
    "msisdn",
    "whatsapp",
    # common in files from other locales
    "telefono",
    "teléfono",
    "téléphone",
    "telefon",
    "handy",
    "handynummer",
    "portable",
    "celular",
    "móvil",
    "movil",
    "numero",
    "número",
    "numéro",
)

#: Header names (as `_header_key` reads them) holding a person's name, for "shared-number".
NAME_ALIASES: frozenset[str] = frozenset(
    {
        "name",
        "full name",
        "first name",
        "firstname",
        "given name",
        "last name",
        "lastname",
        "surname",
        "family name",
        "contact",
        "contact name",
        "prénom",
        "prenom",
        "nom",
        "nombre",
        "apellido",
        "apellidos",
        "vorname",
        "nachname",
        "nome",
        "cognome",
    }
)

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

#: Distinct numbers from which checking is spread over worker processes (below it a single
#: process is faster than starting workers).
PARALLEL_THRESHOLD = 20_000
_CHUNK = 25_000


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that will not get a message, and why. `row` is the spreadsheet row (header = 1)."""

    row: int
    column: str
    value: str
    #: "missing" | "invalid" | "duplicate" | "scientific-notation" | "encoding" (a byte not
    #: valid in the file's encoding) | "nul" (a NUL byte in a cell)
    kind: str
    reason: str
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class ContactWarning:
    """Something worth a look on a row that is still included."""

    row: int
    kind: str  # "landline" | "shared-number"
    message: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A valid, first-seen recipient: its row, E.164 number, all fields as text, time zones."""

    row: int
    phone: str
    fields: Mapping[str, str]
    timezones: tuple[str, ...]


class _LazyContacts(Sequence[Contact]):
    """The valid contacts in file order, built from the DataFrame only when asked for.

    A million `Contact` objects cost hundreds of megabytes; callers that only count or page
    through them never pay for that.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        positions: NDArray[np.int64],
        phones: NDArray[np.object_],
        zone_codes: NDArray[np.int32],
        zone_table: list[tuple[str, ...]],
    ) -> None:
        self._frame = frame
        self._positions = positions
        self._phones = phones
        self._zone_codes = zone_codes
        self._zone_table = zone_table
        self._columns = [str(column) for column in frame.columns]

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> Contact: ...
    @overload
    def __getitem__(self, index: slice) -> list[Contact]: ...
    def __getitem__(self, index: int | slice) -> Contact | list[Contact]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("contact index out of range")
        position = int(self._positions[index])
        values = self._frame.iloc[position].tolist()
        return self._make(index, position, values)

    def __iter__(self) -> Iterator[Contact]:
        step = 10_000
        for start in range(0, len(self), step):
            positions = self._positions[start : start + step]
            block = self._frame.iloc[positions].itertuples(index=False, name=None)
            for offset, (position, values) in enumerate(zip(positions, block, strict=True)):
                yield self._make(start + offset, int(position), list(values))

    def fields_at(self, rows: Iterable[int]) -> dict[int, dict[str, str]]:
        """The cells of any rows of the file (valid, invalid or duplicate), by spreadsheet
        row; rows outside the file are left out."""
        positions = sorted({row - 2 for row in rows if 0 <= row - 2 < len(self._frame)})
        block = self._frame.iloc[positions].itertuples(index=False, name=None)
        return {
            position + 2: dict(zip(self._columns, values, strict=True))
            for position, values in zip(positions, block, strict=True)
        }

    def _make(self, index: int, position: int, values: list[str]) -> Contact:
        return Contact(
            row=position + 2,
            phone=str(self._phones[index]),
            fields=dict(zip(self._columns, values, strict=True)),
            timezones=self._zone_table[int(self._zone_codes[index])],
        )


@dataclass(frozen=True)
class ContactBook:
    """A contacts file read and checked: valid contacts, problems and warnings by row."""

    path: Path
    sha256: str
    encoding: str
    delimiter: str
    region: str
    columns: list[str]
    phone_column: str
    contacts: Sequence[Contact]
    problems: list[Problem]
    warnings: list[ContactWarning]
    rows: int
    valid: int
    invalid: int
    duplicates: int
    blank_rows: int = 0
    name_columns: list[str] = field(default_factory=list)
    #: How the file was read, when it matters to the person (not about any row).
    notes: list[str] = field(default_factory=list)

    def row_fields(self, rows: Iterable[int]) -> dict[int, dict[str, str]]:
        """The original cells of `rows`, any row of the file (the export of a campaign keeps
        the columns of the rows that got no message, too)."""
        if isinstance(self.contacts, _LazyContacts):  # read from a file: it has every row
            return self.contacts.fields_at(rows)
        wanted = set(rows)  # a book built from a plain list of contacts: only those rows
        return {c.row: dict(c.fields) for c in self.contacts if c.row in wanted}

    @property
    def delimiter_name(self) -> str:
        """The delimiter in words: comma, semicolon, tab or pipe."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


# --- reading the file ----------------------------------------------------------------------


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


def find_phone_column(columns: Sequence[str], requested: str | None = None) -> str:
    """The phone column: `requested` if given, else the first header matching an alias."""
    if requested is not None:
        for match in (_exact_key, _header_key):
            found = {match(c): c for c in reversed(columns)}.get(match(requested))
            if found is not None:
                return found
        raise InputError(
            f"There is no column named '{excerpt(requested, _COLUMN_CHARS)}'. "
            f"Columns: {_listing(columns)}.",
            "Name one of these with --phone-column.",
        )
    by_key = {_header_key(column): column for column in reversed(columns)}
    for alias in PHONE_ALIASES:
        if alias in by_key:
            return by_key[alias]
    raise InputError(
        f"Cannot find the phone number column. Columns: {_listing(columns)}.",
        'Name it with --phone-column, e.g. --phone-column "Mobile".',
    )


def _exact_key(header: str) -> str:
    return header.strip().casefold()


def _header_key(header: str) -> str:
    """The header as aliases are written: `Phone_Number`, ` phone-number ` -> `phone number`."""
    return " ".join(_SEPARATORS.split(header.strip().casefold())).strip()


_SEPARATORS = re.compile(r"[\s_.\-]+")
_SEP_LINE = re.compile(r"sep=([,;\t|])(?:\r\n|\r|\n)")


#: Columns an error names at most, each cut to `_COLUMN_CHARS` (a header may be anything).
_COLUMNS_NAMED = 12
_COLUMN_CHARS = 40


def _listing(columns: Sequence[str]) -> str:
    """The columns for an error message: a few, each a short visible excerpt."""
    if not columns:
        return "(none)"
    named = ", ".join(f"'{excerpt(c, _COLUMN_CHARS)}'" for c in columns[:_COLUMNS_NAMED])
    more = len(columns) - _COLUMNS_NAMED
    return named + (f" and {more} more" if more > 0 else "")


# --- checking the numbers ------------------------------------------------------------------


def _check_all(uniques: list[str], region: str) -> tuple[list[Normalized], str | None]:
    """`normalize_unique` over all distinct strings, in two worker processes when it pays.

    Returns the results and, when the workers could not be used, a note saying so (the
    numbers are then checked in this process: the same results, only slower).
    """
    if len(uniques) < PARALLEL_THRESHOLD:
        return [normalize_unique(uniques, region)], None
    chunks = [uniques[i : i + _CHUNK] for i in range(0, len(uniques), _CHUNK)]
    try:
        with _executor() as pool:
            return list(pool.map(normalize_unique, chunks, [region] * len(chunks))), None
    except Exception as exc:
        # Whatever starting or talking to workers raised (no /dev/shm: OSError; a dead
        # worker: BrokenProcessPool; no usable stderr for the resource tracker: ValueError;
        # pickling, spawn or fork-server failures): one process gives the same answer. A
        # genuine error of the check itself is raised again by that run.
        note = (
            "The numbers were checked in one process (slower): worker processes could not "
            f"start here ({type(exc).__name__}: {excerpt(exc, 120)})."
        )
        return [normalize_unique(uniques, region)], note


def prepare_worker_processes() -> None:
    """Start multiprocessing's resource tracker now, while `sys.stderr` is a real file.

    Workers started from a thread come from a fork server (see `_executor`), whose semaphores
    the resource tracker watches. The tracker starts on first use and is handed
    `sys.stderr.fileno()`; an app that has replaced `sys.stderr` with an object whose fileno()
    is -1 (Textual does) makes that start fail ("bad value(s) in fds_to_keep"). A program that
    will take over stderr calls this first; the tracker then keeps running for the process.
    Nothing here is required: when it fails, `_check_all` falls back to one process.
    """
    if sys.platform == "win32":  # no resource tracker there
        return
    try:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    except Exception:  # same as above: the load falls back and says so
        return


@dataclass(frozen=True)
class _Merged:
    """The per-distinct-string results of all chunks as arrays."""

    e164: NDArray[np.object_]
    types: NDArray[np.int8]
    zone_codes: NDArray[np.int32]
    zone_table: list[tuple[str, ...]]
    failures: dict[int, PhoneCheck]
    note: str | None = None  # how the check ran, when it matters (see `_check_all`)


def _merge(parts: list[Normalized], note: str | None = None) -> _Merged:
    zone_index: dict[tuple[str, ...], int] = {}
    e164: list[str | None] = []
    types, zones = [], []
    failures: dict[int, PhoneCheck] = {}
    for part in parts:
        offset = len(e164)
        e164.extend(part.e164)
        types.append(np.frombuffer(part.types, dtype=np.int8))
        remap = np.array(
            [zone_index.setdefault(z, len(zone_index)) for z in part.zone_table] or [0],
            dtype=np.int32,
        )
        zones.append(remap[np.frombuffer(part.zone_codes, dtype=np.uint16)])
        failures.update((offset + i, check) for i, check in part.failures.items())
    e164_array = np.empty(len(e164), dtype=object)
    e164_array[:] = e164
    return _Merged(
        e164_array,
        np.concatenate(types) if types else np.empty(0, dtype=np.int8),
        np.concatenate(zones) if zones else np.empty(0, dtype=np.int32),
        list(zone_index),
        failures,
        note,
    )


def _executor() -> Executor:
    """Two worker processes; forked (fast) only when no other thread could hold a lock.

    In the TUI contacts load on a worker thread, and forking a threaded process can deadlock
    the child, so there the workers come from a fork server (slower to start, still safe).
    """
    workers = max(1, min(2, os.cpu_count() or 1))
    context = multiprocessing.get_context(_start_method())
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _start_method() -> str | None:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return None  # the platform default (spawn on Windows and macOS)


@dataclass(frozen=True)
class Table:
    """A contacts file read as text: the DataFrame and how it was read.

    `damaged`: rows excluded for their bytes (not valid in the file's encoding, or a NUL), one
    problem each, in row order.
    """

    frame: pd.DataFrame
    sha256: str
    encoding: str
    delimiter: str
    damaged: list[Problem] = field(default_factory=list)


def read_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Read a file into a DataFrame of strings, detecting encoding and delimiter.

    Only a regular file of at most `MAX_CONTACTS_BYTES` is read; a spreadsheet, an archive or
    other binary data is refused by name (`refuse_binary`).
    """
    data = read_regular_file(
        path,
        what="contacts file",
        limit=MAX_CONTACTS_BYTES,
        hint="Check the path to the contacts file.",
    )
    refuse_binary(data, path)
    digest = hashlib.sha256(data).hexdigest()
    decoded = decode_file(data, encoding)
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
                f"the column '{excerpt(_shown_cell(column), _COLUMN_CHARS)}'.",
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


@dataclass(frozen=True)
class _Rows:
    """Every row sorted into one bucket, as frame positions (spreadsheet row = position + 2).

    `*_unique` give each row's index into the distinct-string results; `duplicate_of` the
    position of the row that first had the number.
    """

    blank: int
    missing: NDArray[np.int64]
    failed: NDArray[np.int64]
    failed_unique: NDArray[np.int64]
    valid: NDArray[np.int64]
    valid_unique: NDArray[np.int64]
    duplicate: NDArray[np.int64]
    duplicate_unique: NDArray[np.int64]
    duplicate_of: NDArray[np.int64]


def _sort_rows(
    frame: pd.DataFrame, phone: str, region: str, excluded: NDArray[np.bool_]
) -> tuple[_Rows, _Merged]:
    """Check each distinct phone cell once and sort the rows: blank, missing, failed, valid,
    duplicate (same E.164 as an earlier valid row). `excluded` rows (damaged: their problem
    is already known) are in none of these, so a later row with their number is the valid one.
    """
    all_codes, uniques = pd.factorize(frame[phone], sort=False)
    unique_list = np.asarray(uniques, dtype=object).tolist()
    unique_empty = np.array([not u.strip() for u in unique_list] or [False], dtype=bool)
    empty_phone = unique_empty[all_codes]
    blank = _blank_rows(frame, empty_phone) & ~excluded
    empty_phone &= ~excluded  # from here on "empty" means "missing or blank"
    parts, note = _check_all([u.strip() for u in unique_list], region)
    merged = _merge(parts, note)

    # Distinct strings may be one number ("+1 415..." and "(415)..."): dedupe on E.164.
    unique_ok = merged.types >= 0
    number_of_unique = np.full(len(unique_ok), -1, dtype=np.int64)
    number_of_unique[unique_ok], numbers = pd.factorize(merged.e164[unique_ok], sort=False)

    present = np.flatnonzero(~empty_phone & ~excluded)
    present_unique = all_codes[present]
    row_number = number_of_unique[present_unique]
    ok = row_number >= 0
    ok_positions, ok_unique, ok_number = present[ok], present_unique[ok], row_number[ok]
    _, first_index = np.unique(ok_number, return_index=True)
    is_first = np.zeros(len(ok_number), dtype=bool)
    is_first[first_index] = True
    first_position = np.zeros(len(numbers), dtype=np.int64)
    first_position[ok_number[first_index]] = ok_positions[first_index]
    rows = _Rows(
        blank=int(blank.sum()),
        missing=np.flatnonzero(empty_phone & ~blank),
        failed=present[~ok],
        failed_unique=present_unique[~ok],
        valid=ok_positions[is_first],
        valid_unique=ok_unique[is_first],
        duplicate=ok_positions[~is_first],
        duplicate_unique=ok_unique[~is_first],
        duplicate_of=first_position[ok_number[~is_first]],
    )
    return rows, merged


def _blank_rows(frame: pd.DataFrame, empty_phone: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Rows whose every cell is empty or whitespace (only rows without a phone can be)."""
    blank = empty_phone.copy()
    if blank.any():
        candidates = frame[blank]
        all_empty = np.ones(len(candidates), dtype=bool)
        for column in frame.columns:
            all_empty &= (candidates[column].str.strip() == "").to_numpy(dtype=bool)
        blank[np.flatnonzero(blank)[~all_empty]] = False
    return blank


def _problems(frame: pd.DataFrame, phone: str, rows: _Rows, merged: _Merged) -> list[Problem]:
    values = frame[phone].to_numpy(dtype=object)
    problems = [Problem(int(p) + 2, phone, "", "missing", "no phone number") for p in rows.missing]
    for position, unique in zip(rows.failed, rows.failed_unique, strict=True):
        check = merged.failures[int(unique)]
        problems.append(
            Problem(
                int(position) + 2,
                phone,
                str(values[position]),
                check.kind,
                check.reason,
                check.suggestion,
            )
        )
    for position, unique, first in zip(
        rows.duplicate, rows.duplicate_unique, rows.duplicate_of, strict=True
    ):
        problems.append(
            Problem(
                int(position) + 2,
                phone,
                str(values[position]),
                "duplicate",
                f"duplicate of row {int(first) + 2} (same number {merged.e164[unique]})",
            )
        )
    return problems


def _by_row(problem: Problem) -> int:
    return problem.row


def load_contacts(
    path: str | os.PathLike[str],
    *,
    region: str = "US",
    phone_column: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ContactBook:
    """Read and check a contacts file. Raises `InputError` when it cannot be used at all."""
    path = Path(path)
    region = _check_region(region)
    table = read_table(path, encoding=encoding, delimiter=delimiter)
    frame = table.frame
    columns = list(frame.columns)
    phone = find_phone_column(columns, phone_column)
    excluded = np.zeros(len(frame), dtype=bool)
    excluded[[p.row - 2 for p in table.damaged]] = True
    rows, merged = _sort_rows(frame, phone, region, excluded)

    name_columns = [c for c in columns if _header_key(c) in NAME_ALIASES and c != phone]
    found_warnings = _landline_warnings(
        rows.valid, merged.types[rows.valid_unique], merged.e164[rows.valid_unique]
    )
    if name_columns and len(rows.duplicate):
        found_warnings += _shared_number_warnings(
            frame[name_columns],
            rows.duplicate,
            rows.duplicate_of,
            merged.e164[rows.duplicate_unique],
        )
    found_warnings.sort(key=lambda w: w.row)

    contacts = _LazyContacts(
        frame,
        rows.valid,
        merged.e164[rows.valid_unique],
        merged.zone_codes[rows.valid_unique],
        merged.zone_table,
    )
    n_valid, n_duplicates = len(rows.valid), len(rows.duplicate)
    n_invalid = len(rows.missing) + len(rows.failed) + len(table.damaged)
    return ContactBook(
        path=path,
        sha256=table.sha256,
        encoding=table.encoding,
        delimiter=table.delimiter,
        region=region,
        columns=columns,
        phone_column=phone,
        contacts=contacts,
        problems=sorted(_problems(frame, phone, rows, merged) + table.damaged, key=_by_row),
        warnings=found_warnings,
        rows=n_valid + n_invalid + n_duplicates,
        valid=n_valid,
        invalid=n_invalid,
        duplicates=n_duplicates,
        blank_rows=rows.blank,
        name_columns=name_columns,
        notes=[merged.note] if merged.note else [],
    )


def _check_region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(
            f"Unknown region {region!r}.",
            "Use a two-letter country code such as US, GB or DE (--region).",
        )
    return code


def _landline_warnings(
    positions: NDArray[np.int64], types: NDArray[np.int8], phones: NDArray[np.object_]
) -> list[ContactWarning]:
    landline = types == PhoneNumberType.FIXED_LINE
    return [
        ContactWarning(
            int(position) + 2,
            "landline",
            f"{phone} is a landline number ({region_of(phone) or 'unknown region'}): "
            "it probably cannot receive SMS",
        )
        for position, phone in zip(positions[landline], phones[landline], strict=True)
    ]


def _shared_number_warnings(
    names: pd.DataFrame,
    duplicates: NDArray[np.int64],
    firsts: NDArray[np.int64],
    phones: NDArray[np.object_],
) -> list[ContactWarning]:
    """One warning per duplicate row whose name differs from the first row's."""

    def name_at(position: int) -> str:
        return " ".join(str(v).strip() for v in names.iloc[position] if str(v).strip())

    found = []
    for position, first, phone in zip(duplicates, firsts, phones, strict=True):
        first_name, other_name = name_at(int(first)), name_at(int(position))
        if first_name.casefold() != other_name.casefold():
            found.append(
                ContactWarning(
                    int(first) + 2,
                    "shared-number",
                    f"{phone} is listed for {first_name or '(no name)'} (row {int(first) + 2}) "
                    f"and for {other_name or '(no name)'} (row {int(position) + 2}): only "
                    "one message will be sent to this number",
                )
            )
    return found
