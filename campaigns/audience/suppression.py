"""The suppression list: numbers that must never be texted (opted out, or removed by hand).

It lives in the same SQLite file as the campaign journal (`Settings.db_path`), in its own table
`suppressions`, created with `CREATE TABLE IF NOT EXISTS` so that either module may open the
file first. The journal owns `PRAGMA user_version`; this module never touches it. The file is
created with mode 0600 (it holds phone numbers) and runs in WAL mode, as the journal does.

Numbers are stored in E.164. A Twilio 21610 answer ("the recipient replied STOP") is recorded
with `record_opt_out`, noting the campaign, so that the audience can later say "replied STOP on
2026-11-20 (campaign 20261120-1a2b3c)".

For filtering a large audience, load the list once (`entries()` or `numbers()`) and pass that
to `build_audience`: `in` on the list itself asks SQLite every time.
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import io
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from campaigns.errors import InputError

if TYPE_CHECKING:
    from campaigns.contacts.rows import Problem

__all__ = [
    "SOURCE_IMPORT",
    "SOURCE_MANUAL",
    "SOURCE_OPT_OUT",
    "HistoryEntry",
    "Suppression",
    "SuppressionList",
]

#: Where an entry came from.
SOURCE_MANUAL = "manual"  # `smscast suppress add`, or the TUI
SOURCE_IMPORT = "import"  # `smscast suppress import FILE`
SOURCE_OPT_OUT = "opt-out"  # Twilio answered 21610: the recipient replied STOP

_SCHEMA = """
CREATE TABLE IF NOT EXISTS suppressions (
    phone TEXT PRIMARY KEY,
    added_at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    campaign_id TEXT NULL,
    source TEXT NOT NULL DEFAULT 'manual'
)
"""

#: What happened to a number's entry, one row per change a reply (or a person) made: the
#: history an opt-in after an opt-out leaves ("removed: replied START").
_HISTORY = """
CREATE TABLE IF NOT EXISTS suppression_history (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    campaign_id TEXT NULL
)
"""
#: `suppression_history.change` words.
CHANGE_ADDED, CHANGE_REMOVED, CHANGE_KEPT = "added", "removed", "kept"

#: The columns of `export` (and what `import_file` understands besides the number).
EXPORT_COLUMNS = ("phone", "added_at", "reason", "campaign_id", "source")

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: A cell neutralised against formula injection by `report.safe_cell` ("'+1415...").
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r\d])")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to a number's entry: added, removed, or kept (an opt-in that found an entry
    a person made, and left it)."""

    phone: str
    at: datetime
    change: str
    source: str
    reason: str
    campaign_id: str | None


@dataclass(frozen=True, slots=True)
class Suppression:
    """One number on the list, with when, why and where from."""

    phone: str
    added_at: datetime
    reason: str
    campaign_id: str | None
    source: str

    def sentence(self) -> str:
        """Why this number is excluded, for a person ("opted out: replied STOP on ...")."""
        day = f"{self.added_at:%Y-%m-%d}"
        campaign = f" (campaign {self.campaign_id})" if self.campaign_id else ""
        if self.source == SOURCE_OPT_OUT:
            return f"opted out: replied STOP on {day}{campaign}"
        how = "imported" if self.source == SOURCE_IMPORT else "added by hand"
        why = f": {self.reason}" if self.reason else ""
        return f"on the suppression list since {day} ({how}{why}){campaign}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SuppressionList:
    """The `suppressions` table of the smscast database at `path` (created 0600 if missing).

    `region` is the country assumed for numbers written without a `+` country code. Safe to
    share between threads (one connection, one lock).
    """

    def __init__(self, path: str | os.PathLike[str], region: str = "US") -> None:
        self.path = Path(path).expanduser()
        self.region = region
        self._lock = threading.RLock()  # re-entrant: `batch` holds it around the writes
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")
            db.execute(_SCHEMA)
            db.execute(_HISTORY)
            _secure(self.path)
        except (OSError, sqlite3.Error) as exc:
            from campaigns.store.storage_errors import storage_error

            raise storage_error(exc, self.path, "open") from exc
        return db

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; a storage failure becomes the journal's sentence
        (`campaigns.store.storage_errors.storage_error`: the two share the file)."""
        with self._lock:
            try:
                yield self._db
            except (OSError, sqlite3.Error) as exc:
                from campaigns.store.storage_errors import storage_error

                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise storage_error(exc, self.path) from exc

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Every write in the block as one transaction (a poll's many opt-outs: one commit)."""
        with self._locked() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SuppressionList:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------------

    def __contains__(self, phone: object) -> bool:
        if not isinstance(phone, str):
            return False
        number = self._lenient(phone)
        with self._locked():
            row = self._db.execute(
                "SELECT 1 FROM suppressions WHERE phone = ?", (number,)
            ).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._locked():
            (count,) = self._db.execute("SELECT COUNT(*) FROM suppressions").fetchone()
        return int(count)

    def numbers(self) -> frozenset[str]:
        """Every suppressed number (E.164), for fast membership tests."""
        with self._locked():
            rows = self._db.execute("SELECT phone FROM suppressions").fetchall()
        return frozenset(phone for (phone,) in rows)

    def entries(self) -> dict[str, Suppression]:
        """Number -> entry; pass it to `build_audience` so exclusions can say when and why."""
        return {entry.phone: entry for entry in self.list()}

    def get(self, phone: str) -> Suppression | None:
        """The entry for this number (any written form), or None."""
        with self._locked():
            row = self._db.execute(
                "SELECT phone, added_at, reason, campaign_id, source FROM suppressions"
                " WHERE phone = ?",
                (self._lenient(phone),),
            ).fetchone()
        return None if row is None else _entry(row)

    def list(self) -> builtins.list[Suppression]:
        """Every entry, oldest first. (Named as the CLI's verb; `builtins.list` below.)"""
        with self._locked():
            rows = self._db.execute(
                "SELECT phone, added_at, reason, campaign_id, source FROM suppressions"
                " ORDER BY added_at, phone"
            ).fetchall()
        return [_entry(row) for row in rows]

    # -- writing -----------------------------------------------------------------------------

    def add(
        self,
        phone: str,
        reason: str = "",
        campaign_id: str | None = None,
        source: str = SOURCE_MANUAL,
    ) -> bool:
        """Put a number on the list; False if it was already there (the first entry stays).

        Raises `InputError` when `phone` is not a valid number.
        """
        number = self._strict(phone)
        return self._insert([(number, reason, campaign_id, source)]) == 1

    def record_opt_out(self, phone: str, campaign_id: str | None, code: int = 21610) -> bool:
        """Record that Twilio refused `phone` as opted out (21610) during `campaign_id`.

        `phone` is the E.164 number the engine sent to; it is stored as given when the phone
        library does not know it (Twilio's word wins). False if it was already listed.
        """
        number = self._lenient(phone)
        reason = f"Twilio answered {code}: the recipient replied STOP"
        return self._insert([(number, reason, campaign_id, SOURCE_OPT_OUT)]) == 1

    def record_reply_opt_out(
        self, phone: str, campaign_id: str | None, at: datetime, word: str
    ) -> bool:
        """`phone` texted the opt-out keyword `word` at `at` (the reply's time), answering
        `campaign_id`: list it at once (source opt-out), and say so in the history. False if
        it was already listed (the first entry stays; the history still records the reply)."""
        number = self._lenient(phone)
        reason = f"replied {word} at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        added = self._insert([(number, reason, campaign_id, SOURCE_OPT_OUT)], at=at) == 1
        self._remember(number, at, CHANGE_ADDED if added else CHANGE_KEPT, reason, campaign_id)
        return added

    def lift_reply_opt_out(self, phone: str, at: datetime, word: str) -> str:
        """`phone` texted the opt-in keyword `word`: remove its entry only if a keyword made it
        (source opt-out: a STOP reply or Twilio's 21610 for one), never one a person added or
        imported. Returns the history's change: removed, kept, or "" (it was not listed)."""
        number = self._lenient(phone)
        entry = self.get(number)
        if entry is None:
            return ""
        reason = f"replied {word} at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if entry.source != SOURCE_OPT_OUT:
            self._remember(number, at, CHANGE_KEPT, reason + f" (entry {entry.source})", None)
            return CHANGE_KEPT
        with self._locked() as db:
            db.execute(
                "DELETE FROM suppressions WHERE phone = ? AND source = ?",
                (number, SOURCE_OPT_OUT),
            )
        self._remember(number, at, CHANGE_REMOVED, reason, entry.campaign_id)
        return CHANGE_REMOVED

    def history(self, phone: str | None = None) -> builtins.list[HistoryEntry]:
        """The changes replies made (to one number), oldest first."""
        sql = "SELECT phone, at, change, source, reason, campaign_id FROM suppression_history"
        params: tuple[str, ...] = ()
        if phone is not None:
            sql += " WHERE phone = ?"
            params = (self._lenient(phone),)
        with self._locked() as db:
            rows = db.execute(sql + " ORDER BY id", params).fetchall()
        return [
            HistoryEntry(p, datetime.fromisoformat(a), c, s, r, cid) for p, a, c, s, r, cid in rows
        ]

    def _remember(
        self, phone: str, at: datetime, change: str, reason: str, campaign_id: str | None
    ) -> None:
        with self._locked() as db:
            db.execute(
                "INSERT INTO suppression_history (phone, at, change, source, reason, campaign_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    phone,
                    at.astimezone(UTC).isoformat(timespec="seconds"),
                    change,
                    SOURCE_OPT_OUT,
                    reason,
                    campaign_id,
                ),
            )

    def remove(self, phone: str) -> bool:
        """Take a number off the list; False if it was not on it."""
        with self._locked():
            cursor = self._db.execute(
                "DELETE FROM suppressions WHERE phone = ?", (self._lenient(phone),)
            )
        return cursor.rowcount > 0

    def _insert(
        self, rows: builtins.list[tuple[str, str, str | None, str]], at: datetime | None = None
    ) -> int:
        added_at = (at or _utc_now()).astimezone(UTC).isoformat(timespec="seconds")
        with self._locked() as db:
            own = not db.in_transaction  # inside `batch`, the batch commits
            if own:
                db.execute("BEGIN IMMEDIATE")
            try:
                before = db.total_changes
                db.executemany(
                    "INSERT INTO suppressions (phone, added_at, reason, campaign_id, source)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(phone) DO NOTHING",
                    [
                        (phone, added_at, reason, campaign, source)
                        for phone, reason, campaign, source in rows
                    ],
                )
                added = db.total_changes - before
                if own:
                    db.execute("COMMIT")
            except BaseException:
                if own and db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise
        return added

    # -- files -------------------------------------------------------------------------------

    def import_file(
        self, path: str | os.PathLike[str], region: str | None = None
    ) -> tuple[int, builtins.list[Problem]]:
        """Add every number of a CSV or a one-number-per-line text file.

        Returns (how many were newly added, the rows that are not valid numbers). A CSV's phone
        column is found by its header (as for contacts); without a recognised header the first
        column is used. A `reason` column, as `export` writes, is kept. Blank lines and lines
        starting with `#` are skipped. Numbers already listed are left as they are.
        """
        from campaigns.contacts.book import find_phone_column
        from campaigns.contacts.phones import check_number
        from campaigns.contacts.rows import Problem
        from campaigns.errors import InputError

        region = region or self.region
        text = _read_text(Path(path))
        lines = text.splitlines()
        delimiter = _delimiter(lines)
        rows = _csv_rows(text, delimiter, Path(path)) if delimiter else [[line] for line in lines]
        phone_index, reason_index, first = 0, None, 0
        header_name = "number"
        if rows:
            header = [cell.strip().lower() for cell in rows[0]]
            try:
                # The same header rules as contacts files ("Phone Number", "phone_number", ...).
                found = find_phone_column([cell.strip() for cell in rows[0]])
            except InputError:
                if rows[0] and _looks_like_header(rows[0][0], region):
                    first, header_name = 1, rows[0][0].strip()
            else:
                phone_index, first = [c.strip() for c in rows[0]].index(found), 1
                header_name = found
            if first and "reason" in header:
                reason_index = header.index("reason")
        default_reason = f"imported from {Path(path).name}"
        body = [
            (number, row)
            for number, row in enumerate(rows[first:], start=first + 1)
            if row and "".join(row).strip() and not row[0].lstrip().startswith("#")
        ]
        raws = [
            _unneutralise(row[phone_index]) if phone_index < len(row) else "" for _, row in body
        ]
        checked = {raw: check_number(raw, region) for raw in dict.fromkeys(raws)}
        problems: builtins.list[Problem] = []
        good: builtins.list[tuple[str, str, str | None, str]] = []
        for (number, row), raw in zip(body, raws, strict=True):
            check = checked[raw]
            if check.e164 is None:
                problems.append(
                    Problem(number, header_name, raw, check.kind, check.reason, check.suggestion)
                )
                continue
            reason = default_reason
            if reason_index is not None and reason_index < len(row) and row[reason_index]:
                reason = _unneutralise(row[reason_index].strip())
            good.append((check.e164, reason, None, SOURCE_IMPORT))
        return self._insert(good), problems

    def export(self, path: str | os.PathLike[str] | None) -> int:
        """Write the list as a CSV (Excel-safe, mode 0600; None or "-" = stdout).

        Returns how many numbers were written. `import_file` reads the file back.
        """
        from campaigns.store.report import write_csv

        entries = self.list()
        rows = (
            [e.phone, e.added_at.isoformat(), e.reason, e.campaign_id or "", e.source]
            for e in entries
        )
        write_csv(path, EXPORT_COLUMNS, rows)
        return len(entries)

    # -- numbers -----------------------------------------------------------------------------

    def _strict(self, phone: str) -> str:
        from campaigns.contacts.phones import check_number

        check = check_number(_unneutralise(phone), self.region)
        if check.e164 is None:
            raise InputError(
                f"{phone!r} is not a valid phone number ({check.reason}).",
                "Write it in international form, e.g. +14155550100"
                + (f" (did you mean {check.suggestion}?)" if check.suggestion else "."),
            )
        return check.e164

    def _lenient(self, phone: str) -> str:
        """E.164 as-is (fast, no parsing); other forms normalised when they are valid."""
        text = phone.strip()
        if _E164.match(text):
            return text
        from campaigns.contacts.phones import check_number

        check = check_number(_unneutralise(text), self.region)
        return check.e164 or text


def _entry(row: tuple[str, str, str, str | None, str]) -> Suppression:
    phone, added_at, reason, campaign_id, source = row
    return Suppression(phone, datetime.fromisoformat(added_at), reason, campaign_id, source)


def _secure(path: Path) -> None:
    """chmod 0600 the database and its WAL companions that exist (the journal does the same)."""
    for suffix in ("", "-wal", "-shm"):
        target = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if stat.S_IMODE(target.stat().st_mode) != 0o600:
                target.chmod(0o600)


def _read_text(path: Path) -> str:
    """The text of a file to import: a regular file, not binary, decoded as contacts files
    are (BOMs, UTF-16, UTF-8 by majority, cp1252)."""
    from campaigns.contacts.reading import MAX_CONTACTS_BYTES, decode, refuse_binary
    from campaigns.files import read_regular_file

    data = read_regular_file(
        path,
        what="file to import",
        limit=MAX_CONTACTS_BYTES,
        hint="Give a CSV or a text file with one phone number per line.",
    )
    refuse_binary(data, path, what="file to import")
    return decode(data)[0]


def _csv_rows(text: str, delimiter: str, path: Path) -> builtins.list[builtins.list[str]]:
    """The rows of a CSV to import (line breaks LF, CRLF or CR, as in contacts files)."""
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # a field over 128 KiB, a stray quote at the end
        from campaigns.untrusted import visible

        raise InputError(
            f"Cannot read {visible(path)} as CSV: {exc}.",
            "Give a CSV or a text file with one phone number per line.",
        ) from None


def _delimiter(lines: list[str]) -> str | None:
    """The CSV delimiter of the first non-blank lines, or None for one value per line."""
    sample = [line for line in lines[:20] if line.strip() and not line.startswith("#")]
    counts = {d: sum(line.count(d) for line in sample) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _looks_like_header(cell: str, region: str) -> bool:
    from campaigns.contacts.phones import check_number

    text = cell.strip()
    return bool(text) and any(c.isalpha() for c in text) and check_number(text, region).e164 is None


def _unneutralise(cell: str) -> str:
    """Undo `report.safe_cell`'s leading apostrophe, so exported files import back."""
    return _NEUTRALISED.sub("", cell.strip(), count=1) if cell else cell
