"""Table -> ContactBook: find the phone column, check every number, sort the rows.

`reading` turns the file into a table of strings; here the phone column is found by its
header (`PHONE_ALIASES`), each distinct phone cell is checked once (`checking`, in worker
processes for large files), and the book keeps the valid contacts (first seen, in file order,
built lazily), the problems (missing, invalid, duplicate, scientific notation, bad bytes, NUL)
and the warnings (landlines, one number under different names). Entirely blank rows are
skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType

from campaigns.contacts.checking import Merged, check_numbers
from campaigns.contacts.layouts import (
    CHOSEN_COLUMN,
    VCARD_PHONE,
    PhoneSource,
    known_layout,
    recognize,
    resolve_cards,
    resolve_layout,
)
from campaigns.contacts.phones import region_of
from campaigns.contacts.reading import COLUMN_CHARS, DELIMITER_NAMES, Table, read_table
from campaigns.contacts.rows import Contact, ContactWarning, Problem
from campaigns.errors import InputError
from campaigns.untrusted import excerpt

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "NAME_ALIASES",
    "PHONE_ALIASES",
    "ContactBook",
    "find_phone_column",
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
        first_row: int = 2,
    ) -> None:
        self._first_row = first_row
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
        first = self._first_row
        positions = sorted({row - first for row in rows if 0 <= row - first < len(self._frame)})
        block = self._frame.iloc[positions].itertuples(index=False, name=None)
        return {
            position + first: dict(zip(self._columns, values, strict=True))
            for position, values in zip(positions, block, strict=True)
        }

    def _make(self, index: int, position: int, values: list[str]) -> Contact:
        return Contact(
            row=position + self._first_row,
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
    #: What the file was: "CSV", "Excel workbook (.xlsx)", "vCard 3.0", ...
    file_format: str = "CSV"
    #: The sheet read, for a spreadsheet.
    sheet: str | None = None
    #: The export layout recognised ("Google Contacts", "Outlook", ...), or None.
    layout: str | None = None
    #: Where each row's number came from, when chosen per row (a layout or a vCard).
    phone_sources: list[PhoneSource] = field(default_factory=list)
    #: The row number of the table's first row (2 under a header; a vCard's card 1 is 1).
    first_row: int = 2

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


def find_phone_column(columns: Sequence[str], requested: str | None = None) -> str:
    """The phone column: `requested` if given, else the first header matching an alias."""
    if requested is not None:
        for match in (_exact_key, _header_key):
            found = {match(c): c for c in reversed(columns)}.get(match(requested))
            if found is not None:
                return found
        raise InputError(
            f"There is no column named '{excerpt(requested, COLUMN_CHARS)}'. "
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


#: Columns an error names at most, each cut to `COLUMN_CHARS`.
_COLUMNS_NAMED = 12


def _listing(columns: Sequence[str]) -> str:
    """The columns for an error message: a few, each a short visible excerpt."""
    if not columns:
        return "(none)"
    named = ", ".join(f"'{excerpt(c, COLUMN_CHARS)}'" for c in columns[:_COLUMNS_NAMED])
    more = len(columns) - _COLUMNS_NAMED
    return named + (f" and {more} more" if more > 0 else "")


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
) -> tuple[_Rows, Merged]:
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
    merged = check_numbers([u.strip() for u in unique_list], region)

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


def _problems(
    frame: pd.DataFrame, phone: str, rows: _Rows, merged: Merged, first_row: int = 2
) -> list[Problem]:
    values = frame[phone].to_numpy(dtype=object)
    problems = [
        Problem(int(p) + first_row, phone, "", "missing", "no phone number") for p in rows.missing
    ]
    for position, unique in zip(rows.failed, rows.failed_unique, strict=True):
        check = merged.failures[int(unique)]
        problems.append(
            Problem(
                int(position) + first_row,
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
                int(position) + first_row,
                phone,
                str(values[position]),
                "duplicate",
                f"duplicate of row {int(first) + first_row} (same number {merged.e164[unique]})",
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
    sheet: str | int | None = None,
) -> ContactBook:
    """Read and check a contacts file (a CSV, a spreadsheet's `sheet`, a vCard). Raises
    `InputError` when it cannot be used at all."""
    path = Path(path)
    region = _check_region(region)
    table = read_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    first = table.first_row
    frame, phone, layout, sources = _choose_phone(table, phone_column, region)
    columns = list(frame.columns)
    excluded = np.zeros(len(frame), dtype=bool)
    excluded[[p.row - first for p in table.damaged]] = True
    rows, merged = _sort_rows(frame, phone, region, excluded)

    name_columns = [c for c in columns if _header_key(c) in NAME_ALIASES and c != phone]
    found_warnings = _landline_warnings(
        rows.valid, merged.types[rows.valid_unique], merged.e164[rows.valid_unique], first
    )
    if name_columns and len(rows.duplicate):
        found_warnings += _shared_number_warnings(
            frame[name_columns],
            rows.duplicate,
            rows.duplicate_of,
            merged.e164[rows.duplicate_unique],
            first,
        )
    found_warnings.sort(key=lambda w: w.row)

    contacts = _LazyContacts(
        frame,
        rows.valid,
        merged.e164[rows.valid_unique],
        merged.zone_codes[rows.valid_unique],
        merged.zone_table,
        first,
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
        problems=sorted(_problems(frame, phone, rows, merged, first) + table.damaged, key=_by_row),
        warnings=found_warnings,
        rows=n_valid + n_invalid + n_duplicates,
        valid=n_valid,
        invalid=n_invalid,
        duplicates=n_duplicates,
        blank_rows=rows.blank,
        name_columns=name_columns,
        notes=[*table.notes, *([merged.note] if merged.note else [])],
        file_format=table.file_format,
        sheet=table.sheet,
        layout=layout,
        phone_sources=sources,
        first_row=first,
    )


def _choose_phone(
    table: Table, requested: str | None, region: str
) -> tuple[pd.DataFrame, str, str | None, list[PhoneSource]]:
    """The frame to check, its phone column, the layout recognised and where numbers came
    from: `requested` (--phone-column) wins; a vCard's TELs and an export layout's several
    phone places are chosen per row (`layouts`); else the one column `find_phone_column`
    names."""
    frame = table.frame
    sources: list[PhoneSource] = []
    if table.cards is not None:
        frame, sources = resolve_cards(frame, table.cards, region)
        if requested is None:
            return frame, VCARD_PHONE, None, sources
    columns = [str(c) for c in frame.columns]
    if requested is not None:
        return frame, find_phone_column(columns, requested), None, []
    try:
        single: str | None = find_phone_column(columns)
    except InputError:
        single = None
    layout = recognize(frame, single)
    if layout is None:  # one phone column (find_phone_column says so when there is none)
        return frame, find_phone_column(columns), known_layout(columns), []
    frame, sources = resolve_layout(frame, layout, region)
    return frame, CHOSEN_COLUMN, layout.name, sources


def _check_region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(
            f"Unknown region {region!r}.",
            "Use a two-letter country code such as US, GB or DE (--region).",
        )
    return code


def _landline_warnings(
    positions: NDArray[np.int64],
    types: NDArray[np.int8],
    phones: NDArray[np.object_],
    first_row: int = 2,
) -> list[ContactWarning]:
    landline = types == PhoneNumberType.FIXED_LINE
    return [
        ContactWarning(
            int(position) + first_row,
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
    first_row: int = 2,
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
                    int(first) + first_row,
                    "shared-number",
                    f"{phone} is listed for {first_name or '(no name)'} "
                    f"(row {int(first) + first_row}) and for {other_name or '(no name)'} "
                    f"(row {int(position) + first_row}): only one message will be sent to this "
                    "number",
                )
            )
    return found
