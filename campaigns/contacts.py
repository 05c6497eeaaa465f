"""CSV -> ContactBook: read a contacts file the way the spreadsheet user meant it.

Every column is read as text (leading zeros and `+` survive). The encoding (UTF-8 with or
without BOM, UTF-16 with BOM, cp1252 as the fallback) and the delimiter (`,` `;` tab `|`) are
detected and reported. Rows are numbered as a spreadsheet shows them (the header is row 1;
a blank line is a row; a quoted field spanning lines stays one row). Entirely blank rows are
skipped. Each phone number is checked once per distinct string, in worker processes for large
files, and the book keeps the valid contacts, the problems (missing, invalid, duplicate,
scientific notation) and warnings (landlines, one number under different names).
"""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType

from campaigns.errors import InputError
from campaigns.phones import Normalized, PhoneCheck, normalize_unique, region_of

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
    kind: str  # "missing" | "invalid" | "duplicate" | "scientific-notation"
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

    def row_fields(self, rows: Iterable[int]) -> dict[int, dict[str, str]]:
        """The original cells of `rows`, any row of the file (the export of a campaign keeps
        the columns of the rows that got no message, too)."""
        fields_at = getattr(self.contacts, "fields_at", None)
        if fields_at is not None:
            return fields_at(rows)
        wanted = set(rows)  # a book built from a plain list of contacts: only those rows
        return {c.row: dict(c.fields) for c in self.contacts if c.row in wanted}

    @property
    def delimiter_name(self) -> str:
        """The delimiter in words: comma, semicolon, tab or pipe."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


# --- reading the file ----------------------------------------------------------------------


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding used: BOMs first, then UTF-8, then cp1252."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(
                f"Cannot read the file as {encoding}: {exc}",
                "Leave out the encoding to let smscast detect it.",
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter among `,` `;` tab `|` that splits the first rows most consistently."""
    sample_lines: list[str] = []
    for line in io.StringIO(text):
        sample_lines.append(line)
        if len(sample_lines) >= 200:
            break
    sample = "".join(sample_lines)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        records = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r)]
        if len(records) > 1 and len(sample_lines) >= 200:
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
            f"The contacts file is not a readable table: {exc}",
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
            f"There is no column named {requested!r}. Columns: {_listing(columns)}.",
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
_SEP_LINE = re.compile(r"sep=([,;\t|])\r?\n")


def _listing(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns) if columns else "(none)"


# --- checking the numbers ------------------------------------------------------------------


def _check_all(uniques: list[str], region: str) -> list[Normalized]:
    """`normalize_unique` over all distinct strings, in two worker processes when it pays."""
    if len(uniques) < PARALLEL_THRESHOLD:
        return [normalize_unique(uniques, region)]
    chunks = [uniques[i : i + _CHUNK] for i in range(0, len(uniques), _CHUNK)]
    try:
        with _executor() as pool:
            return list(pool.map(normalize_unique, chunks, [region] * len(chunks)))
    except (OSError, BrokenProcessPool):  # no worker processes here (sandbox, no /dev/shm)
        return [normalize_unique(uniques, region)]


@dataclass(frozen=True)
class _Merged:
    """The per-distinct-string results of all chunks as arrays."""

    e164: NDArray[np.object_]
    types: NDArray[np.int8]
    zone_codes: NDArray[np.int32]
    zone_table: list[tuple[str, ...]]
    failures: dict[int, PhoneCheck]


def _merge(parts: list[Normalized]) -> _Merged:
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
    """A contacts file read as text: the DataFrame and how it was read."""

    frame: pd.DataFrame
    sha256: str
    encoding: str
    delimiter: str


def read_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Read a file into a DataFrame of strings, detecting encoding and delimiter."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(
            f"Cannot read {path}: {reason}.", "Check the path to the contacts file."
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    text, used_encoding = decode(data, encoding)
    del data
    text = text.lstrip("\r\n")  # blank lines before the header: the header is still row 1
    hint = _SEP_LINE.match(text)
    if hint:  # Excel's "sep=;" first line: Excel hides it, so the header stays row 1
        delimiter = delimiter or hint.group(1)
        text = text[hint.end() :]
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif delimiter in ("tab", "\\t"):
        delimiter = "\t"
    return Table(_read_frame(text, delimiter), digest, used_encoding, delimiter)


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


def _sort_rows(frame: pd.DataFrame, phone: str, region: str) -> tuple[_Rows, _Merged]:
    """Check each distinct phone cell once and sort the rows: blank, missing, failed, valid,
    duplicate (same E.164 as an earlier valid row)."""
    all_codes, uniques = pd.factorize(frame[phone], sort=False)
    unique_list = np.asarray(uniques, dtype=object).tolist()
    unique_empty = np.array([not u.strip() for u in unique_list] or [False], dtype=bool)
    empty_phone = unique_empty[all_codes]
    blank = _blank_rows(frame, empty_phone)
    merged = _merge(_check_all([u.strip() for u in unique_list], region))

    # Distinct strings may be one number ("+1 415..." and "(415)..."): dedupe on E.164.
    unique_ok = merged.types >= 0
    number_of_unique = np.full(len(unique_ok), -1, dtype=np.int64)
    number_of_unique[unique_ok], numbers = pd.factorize(merged.e164[unique_ok], sort=False)

    present = np.flatnonzero(~empty_phone)
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
    problems.sort(key=lambda p: p.row)
    return problems


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
    rows, merged = _sort_rows(frame, phone, region)

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
    n_invalid = len(rows.missing) + len(rows.failed)
    return ContactBook(
        path=path,
        sha256=table.sha256,
        encoding=table.encoding,
        delimiter=table.delimiter,
        region=region,
        columns=columns,
        phone_column=phone,
        contacts=contacts,
        problems=_problems(frame, phone, rows, merged),
        warnings=found_warnings,
        rows=n_valid + n_invalid + n_duplicates,
        valid=n_valid,
        invalid=n_invalid,
        duplicates=n_duplicates,
        blank_rows=rows.blank,
        name_columns=name_columns,
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
