"""The valid contacts of a book as columns: one array per fact, a `Contact` only when asked.

A million `Contact` objects (each with its dict of fields) cost hundreds of megabytes and a
second or more to build, and every stage that made its own list of them (the audience, the
plan) paid again. `ContactColumns` is the one columnar store the book, the audience and the
plan share: the file's table (`frame`, strings), and per contact its frame position, its
spreadsheet row, its E.164 number and an index into the interned time-zone tuples. An
audience or a plan is a `take(indices)` of it: new index arrays over the same table, never a
copy of the cells.

Every `take` remembers its `root` (the book's own columns) and where its contacts sit there
(`root_index`), so what depends only on the contacts, not on the template or the filters (a
column's distinct values, each number's price), is worked out once per book (`cached`) and
gathered by index at every re-plan.

It is a `Sequence[Contact]`, so every caller that reads contacts one by one (the journal rows,
the CLI's listings) works unchanged; `Contact`s are made on access, in blocks when iterated.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np
import pandas as pd

from campaigns.contacts.rows import Contact

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ContactColumns"]

#: Contacts made per block when iterating (one `iloc` per block, not per contact).
_BLOCK = 10_000

_T = TypeVar("_T")


class ContactColumns(Sequence[Contact]):
    """Contacts in order, stored as arrays over one shared table of strings."""

    __slots__ = (
        "_cache",
        "_columns",
        "first_row",
        "frame",
        "phones",
        "positions",
        "root",
        "root_index",
        "rows",
        "zone_codes",
        "zone_table",
    )

    def __init__(
        self,
        frame: pd.DataFrame,
        positions: NDArray[np.int64],
        phones: NDArray[np.object_],
        zone_codes: NDArray[np.int32],
        zone_table: Sequence[tuple[str, ...]],
        rows: NDArray[np.int64] | None = None,
        root: tuple[ContactColumns, NDArray[np.int64]] | None = None,
        first_row: int = 2,
    ) -> None:
        """`positions` index `frame`; `rows` are the spreadsheet rows (default: position +
        `first_row`, the row of the frame's first line: 2 under a header, 1 for a vCard's
        first card); `root`: the columns these were taken from and the indices there (None:
        these are the root)."""
        self.frame = frame
        self.positions = np.asarray(positions, dtype=np.int64)
        self.phones = phones
        self.zone_codes = zone_codes
        self.zone_table = zone_table
        self.first_row = first_row
        self.rows = self.positions + first_row if rows is None else np.asarray(rows, dtype=np.int64)
        self._columns = [str(column) for column in frame.columns]
        self._cache: dict[Hashable, Any] = {}
        if root is None:
            self.root, self.root_index = self, np.arange(len(self.positions), dtype=np.int64)
        else:
            self.root, self.root_index = root

    @classmethod
    def from_contacts(cls, contacts: Iterable[Contact]) -> ContactColumns:
        """Columns for contacts given one by one (a book built in code, a test's list)."""
        listed = list(contacts)
        columns = list(dict.fromkeys(key for c in listed for key in c.fields))
        records = [[c.fields.get(key, "") for key in columns] for c in listed]
        frame = pd.DataFrame(records, columns=columns, dtype=object)
        zone_codes, zone_table = pd.factorize(
            pd.Series([c.timezones for c in listed], dtype=object), sort=False
        )
        return cls(
            frame,
            np.arange(len(listed), dtype=np.int64),
            np.array([c.phone for c in listed], dtype=object),
            zone_codes.astype(np.int32),
            list(zone_table),
            rows=np.array([c.row for c in listed], dtype=np.int64),
        )

    @classmethod
    def of(cls, contacts: Iterable[Contact]) -> ContactColumns:
        """`contacts` as columns: itself when it already is, else `from_contacts`."""
        return contacts if isinstance(contacts, ContactColumns) else cls.from_contacts(contacts)

    def __len__(self) -> int:
        return len(self.positions)

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same contacts (a list, other columns)."""
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # (a sequence, compared by its contacts)

    @overload
    def __getitem__(self, index: int) -> Contact: ...
    @overload
    def __getitem__(self, index: slice) -> ContactColumns: ...
    def __getitem__(self, index: int | slice) -> Contact | ContactColumns:
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("contact index out of range")
        values = self.frame.iloc[int(self.positions[index])].tolist()
        return self._make(index, values)

    def __iter__(self) -> Iterator[Contact]:
        for start in range(0, len(self), _BLOCK):
            positions = self.positions[start : start + _BLOCK]
            block = self.frame.iloc[positions].itertuples(index=False, name=None)
            for offset, values in enumerate(block):
                yield self._make(start + offset, list(values))

    def take(self, indices: NDArray[np.int64]) -> ContactColumns:
        """The contacts at `indices` (in that order), sharing this table."""
        return ContactColumns(
            self.frame,
            self.positions[indices],
            self.phones[indices],
            self.zone_codes[indices],
            self.zone_table,
            rows=self.rows[indices],
            root=(self.root, self.root_index[indices]),
            first_row=self.first_row,
        )

    def cached(self, key: Hashable, compute: Callable[[ContactColumns], _T]) -> _T:
        """`compute(root)` once per root and `key` (later calls, from any take, get the same
        value): per-contact facts of the whole book, to be gathered by `root_index`."""
        cache = self.root._cache
        if key not in cache:
            cache[key] = compute(self.root)  # (two threads may both compute: same value)
        value: _T = cache[key]
        return value

    def without_rows(self, rows: Iterable[int]) -> ContactColumns:
        """These contacts less the ones on spreadsheet `rows`."""
        dropped = np.isin(self.rows, np.fromiter(rows, dtype=np.int64))
        return self if not dropped.any() else self.take(np.flatnonzero(~dropped))

    def column(self, name: str) -> NDArray[np.object_]:
        """One column's cells for these contacts, in order."""
        values: NDArray[np.object_] = self.frame[name].to_numpy(dtype=object)[self.positions]
        return values

    def fields_at(self, rows: Iterable[int]) -> dict[int, dict[str, str]]:
        """The cells of any rows of the file (valid, invalid or duplicate), by spreadsheet
        row; rows outside the file are left out (positions are rows - `first_row`)."""
        first = self.first_row
        positions = sorted({row - first for row in rows if 0 <= row - first < len(self.frame)})
        block = self.frame.iloc[positions].itertuples(index=False, name=None)
        return {
            position + first: dict(zip(self._columns, values, strict=True))
            for position, values in zip(positions, block, strict=True)
        }

    def _make(self, index: int, values: list[str]) -> Contact:
        return Contact(
            row=int(self.rows[index]),
            phone=str(self.phones[index]),
            fields=dict(zip(self._columns, values, strict=True)),
            timezones=self.zone_table[int(self.zone_codes[index])],
        )


def phones_of(contacts: Sequence[Contact]) -> Sequence[str]:
    """The contacts' E.164 numbers in order, without building a `Contact` per row when they
    are columns (a million-row audience's numbers, for its prices and line types)."""
    if isinstance(contacts, ContactColumns):
        return contacts.phones.tolist()  # type: ignore[no-any-return]
    return [contact.phone for contact in contacts]
