"""The campaign journal: one SQLite file that records every campaign and every recipient's fate.

Exactly-once sending rests on it. Before a request leaves, the recipient's *intent* is committed
(status `inflight`, attempts + 1, attempt time); after the answer, the *outcome* (Twilio's
status and SID, or the error). Both go in small group commits (`Journal.apply`) so that
durability (WAL, `synchronous=FULL`: a commit survives power loss) does not cap throughput. A
crash leaves at most the rows of one batch `inflight`; `smscast resume` reconciles those against
Twilio before anything is resent.

The file is created with mode 0600 (it holds phone numbers and message bodies), as are its
`-wal` and `-shm` companions. The schema is versioned with `PRAGMA user_version`.

A failing disk never shows as a traceback: every `sqlite3` and `OSError` exception of the
journal (and of the suppression list, which shares the file) is translated, in one place
(`storage_error`), into a `JournalError` subclass whose sentence names the file and the cause
(disk full, read-only filesystem, permission denied, locked by another program, not a
database, deleted or replaced). Before each write the journal checks that the file at its path
is still the one it opened (`Journal.check_file`): a journal deleted or replaced under a
running campaign must stop the sending, not swallow its intents into an unlinked inode.

Only one run may drive a campaign at a time: two engines on the same pending rows would each
commit an intent and send, texting everyone twice. `Journal.run_lock` takes an exclusive,
per-campaign OS lock that belongs to the database file itself (its inode), not to the name it
was opened by: a symlink, `./j.db` against an absolute path, a hard link or a bind mount all
reach the same lock. The kernel drops it when the process dies, so a `kill -9` never leaves a
stale lock behind. See `_DatabaseLocks` for how it stays clear of SQLite's own locks.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import stat
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from campaigns.errors import (
    ConfigError,
    InputError,
    JournalCorruptError,
    JournalError,
    JournalFullError,
    JournalGoneError,
    JournalLockedError,
    JournalPermissionError,
    JournalReadOnlyError,
)

try:  # POSIX; elsewhere the run lock is a no-op (smscast targets Linux and macOS terminals)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 1

#: Campaign states.
PLANNED, RUNNING, PAUSED = "planned", "running", "paused"
CANCELED, FINISHED = "canceled", "finished"
CAMPAIGN_STATES = (PLANNED, RUNNING, PAUSED, CANCELED, FINISHED)
#: Not stored: how a campaign stored as `running` is shown when nobody holds its run lock (the
#: process that ran it died: kill -9, a crash, a power cut). `smscast resume` goes on with it.
INTERRUPTED = "interrupted"

#: Recipient statuses (Twilio's words where Twilio has one).
PENDING, INFLIGHT, UNKNOWN, SKIPPED = "pending", "inflight", "unknown", "skipped"
#: Twilio statuses after which a message never changes again.
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled"})
#: Twilio statuses of a message that exists and may still change.
LIVE_STATUSES = frozenset({"queued", "accepted", "scheduled", "sending", "sent"})
#: Statuses that count as "the person was (or is being) texted".
SENT_STATUSES = LIVE_STATUSES | {"delivered"}
#: Statuses of a recipient that did not get the message.
FAILED_STATUSES = frozenset({"failed", "undelivered"})
#: Campaign states that are not over (`smscast resume` goes on with them).
UNFINISHED_STATES = frozenset({PLANNED, RUNNING, PAUSED})
#: Statuses of a recipient who got the message, or may have (a request left, no answer yet).
TEXTED_STATUSES = SENT_STATUSES | {INFLIGHT, UNKNOWN}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    template TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    sender TEXT,
    messaging_service_sid TEXT,
    settings TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    state_hint TEXT,
    started_at TEXT,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS recipients (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    row INTEGER NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    segments INTEGER NOT NULL,
    cost REAL NOT NULL,
    status TEXT NOT NULL,
    sid TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code INTEGER,
    error_message TEXT,
    price TEXT,
    not_before TEXT,
    attempted_at TEXT,
    updated_at TEXT,
    fields TEXT NOT NULL,
    PRIMARY KEY (campaign_id, row)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_status ON recipients(campaign_id, status);
"""


def now_utc() -> datetime:
    """The current time, timezone-aware UTC (the journal stores ISO 8601 UTC strings)."""
    return datetime.now(UTC)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def default_db_path() -> Path:
    """`SMSCAST_DB`, else `smscast.db` in the user data directory."""
    env = os.environ.get("SMSCAST_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("smscast", appauthor=False)) / "smscast.db"


@dataclass(frozen=True, slots=True)
class NewRecipient:
    """One recipient to store with a new campaign (from the plan, or an exclusion)."""

    row: int
    to: str
    body: str
    segments: int
    cost: float
    fields: Mapping[str, str] = field(default_factory=dict)
    not_before: datetime | None = None
    status: str = PENDING
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient as the journal holds it."""

    campaign_id: str
    row: int
    to: str
    body: str
    segments: int
    cost: float
    status: str
    sid: str | None
    attempts: int
    error_code: int | None
    error_message: str | None
    price: str | None
    not_before: datetime | None
    attempted_at: datetime | None
    updated_at: datetime | None
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SendRow:
    """The part of a recipient the engine needs to (re)start a campaign (`Journal.send_rows`)."""

    row: int
    to: str
    body: str
    segments: int
    status: str
    sid: str | None
    not_before: datetime | None


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign's header: what was sent, from what, how, and where it stands."""

    id: str
    created_at: datetime
    template: str
    source_name: str
    source_sha256: str
    sender: str | None
    messaging_service_sid: str | None
    settings: Mapping[str, Any]
    state: str
    state_reason: str | None
    state_hint: str | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Intent:
    """A request about to leave for this row (committed before it does)."""

    row: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a row: a Twilio status with its SID, or an error, or back to pending.

    `None` fields leave the stored value unchanged (a status poll does not erase the SID).
    """

    row: int
    status: str
    sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    segments: int | None = None
    #: A pending row's new "not before" (the sending window closed before it left).
    not_before: datetime | None = None


_RECIPIENT_COLUMNS = (
    "campaign_id, row, to_number, body, segments, cost, status, sid, attempts, error_code, "
    "error_message, price, not_before, attempted_at, updated_at, fields"
)


def _recipient(values: Sequence[Any]) -> Recipient:
    return Recipient(
        campaign_id=values[0],
        row=values[1],
        to=values[2],
        body=values[3],
        segments=values[4],
        cost=values[5],
        status=values[6],
        sid=values[7],
        attempts=values[8],
        error_code=values[9],
        error_message=values[10],
        price=values[11],
        not_before=_parse(values[12]),
        attempted_at=_parse(values[13]),
        updated_at=_parse(values[14]),
        fields=json.loads(values[15]),
    )


def _campaign(values: Sequence[Any]) -> Campaign:
    return Campaign(
        id=values[0],
        created_at=_parse(values[1]),  # type: ignore[arg-type]
        template=values[2],
        source_name=values[3],
        source_sha256=values[4],
        sender=values[5],
        messaging_service_sid=values[6],
        settings=json.loads(values[7]),
        state=values[8],
        state_reason=values[9],
        state_hint=values[10],
        started_at=_parse(values[11]),
        finished_at=_parse(values[12]),
    )


class CampaignBusyError(InputError):
    """Another process (or thread) is sending this campaign right now."""


class _DatabaseLocks:
    """This process's run locks on database files, each campaign's a one-byte lock on the
    database file itself, so that every name of the file (symlink, relative path, hard link,
    bind mount) reaches the same lock.

    How, and why this way:
    - Open file description locks (Linux `F_OFD_SETLK`): the kernel drops them when the last
      descriptor of their open file closes, so when the process dies. They live at offsets far
      past anything SQLite locks (its lock bytes start at 0x40000000) and past any real file
      size, so they never meet SQLite's POSIX locks on the same file. `flock` on the database
      would be one lock for the whole journal and, on BSD and macOS, would collide with
      SQLite's locks; POSIX `F_SETLK` locks belong to the process, so SQLite closing one of its
      descriptors would silently drop ours.
    - One descriptor per database file (by `st_dev, st_ino`), opened once and NEVER closed:
      closing any descriptor of a file drops every POSIX lock the process holds on it, which
      would take away the SHARED lock SQLite's connections in this process hold on the
      database in WAL mode. Unlocking is `F_UNLCK`. (One descriptor per journal a process ever
      locks: one for the command line and the app.)
    - The kernel does not tell the threads of one process apart (the app's engine thread and
      its screens share the descriptor), so this table does: a lock is re-entrant on the
      thread holding it and refused to any other.

    Where `F_OFD_SETLK` is missing (macOS), a `flock` on `<real path>.locks/<campaign id>`:
    the same for symlinks and relative paths, not for a hard link in another folder.
    """

    #: Where the campaigns' lock bytes start on the database file: 2**62, far past SQLite's
    #: (0x40000000..+510) and past any file; each campaign's byte is 56 bits of its id's hash.
    BASE = 1 << 62
    _FLOCK = struct.Struct("hhqqi4x")  # struct flock on 64-bit Linux (l_type .. l_pid, pad)

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.files: dict[tuple[int, int], int] = {}  # (st_dev, st_ino) -> descriptor
        #: (st_dev, st_ino, campaign id) -> [owning thread, depth, fallback descriptor or -1]
        self.held: dict[tuple[int, int, str], list[int]] = {}

    def acquire(self, path: Path, campaign_id: str) -> tuple[int, int, str]:
        """Take the campaign's lock on the database at `path` (or deepen this thread's hold);
        its key for `release`. CampaignBusyError at once if another holds it."""
        me = threading.get_ident()
        with self.guard:
            fd, identity = self._descriptor(path)
            key = (*identity, campaign_id)
            held = self.held.get(key)
            if held is not None and held[0] != me:
                raise _busy(campaign_id)
            if held is not None:
                held[1] += 1
                return key
            fallback = -1
            if _OFD_SETLK is not None:
                self._ofd(fd, fcntl.F_WRLCK, campaign_id, path)
            else:  # pragma: no cover - macOS and other systems without OFD locks
                fallback = _flock_file(path, campaign_id)
            self.held[key] = [me, 1, fallback]
            return key

    def release(self, key: tuple[int, int, str]) -> None:
        """Undo one `acquire`; the last one unlocks."""
        with self.guard:
            held = self.held[key]
            held[1] -= 1
            if held[1]:
                return
            del self.held[key]
            if held[2] >= 0:  # pragma: no cover - the flock fallback
                os.close(held[2])
            else:
                self._ofd(self.files[key[:2]], fcntl.F_UNLCK, key[2], None)

    def _descriptor(self, path: Path) -> tuple[int, tuple[int, int]]:
        """The descriptor on the database file at `path` and the file's identity."""
        try:
            info = os.stat(path)
            identity = (info.st_dev, info.st_ino)
            fd = self.files.get(identity)
            if fd is None:
                fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
                info = os.fstat(fd)
                identity = (info.st_dev, info.st_ino)
                fd = self.files.setdefault(identity, fd)  # never closed: see the class doc
        except OSError as exc:
            raise _lock_error(path, exc) from exc
        return fd, identity

    def _ofd(self, fd: int, kind: int, campaign_id: str, path: Path | None) -> None:
        """Set (`F_WRLCK`) or clear (`F_UNLCK`) the campaign's byte without waiting."""
        digest = hashlib.sha256(campaign_id.encode()).digest()
        offset = self.BASE + int.from_bytes(digest[:7], "big")
        request = self._FLOCK.pack(kind, os.SEEK_SET, offset, 1, 0)
        assert _OFD_SETLK is not None  # called only where the system has OFD locks
        try:
            fcntl.fcntl(fd, _OFD_SETLK, request)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise _busy(campaign_id) from None
            raise _lock_error(path, exc) from exc


#: Linux's OFD lock command, where `_DatabaseLocks._FLOCK` is its struct (64-bit); else None.
_OFD_SETLK: int | None = (
    getattr(fcntl, "F_OFD_SETLK", None) if fcntl is not None and struct.calcsize("P") == 8 else None
)
_LOCKS = _DatabaseLocks()


def _flock_file(path: Path, campaign_id: str) -> int:  # pragma: no cover - no OFD locks here
    """Systems without OFD locks: flock `<real path>.locks/<campaign id>`; its descriptor."""
    folder = Path(f"{os.path.realpath(path)}.locks")
    target = folder / campaign_id
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _lock_error(target, exc) from exc
    if fcntl is None:
        # mypy checks for POSIX, where the import above succeeds
        return fd  # type: ignore[unreachable]
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise _busy(campaign_id) from None
    return fd


def _lock_error(path: Path | None, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot take the run lock on the campaign journal {path}: {exc.strerror or exc}.",
        "Point --db (or SMSCAST_DB) at a journal file you can write.",
    )


# -- storage errors --------------------------------------------------------------------------

#: SQLite's primary result codes (`sqlite3.Error.sqlite_errorcode & 0xFF`) that we explain.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
#: SQLITE_READONLY_DBMOVED: SQLite noticed the file was unlinked or renamed under it.
_SQLITE_READONLY_DBMOVED = _SQLITE_READONLY | (4 << 8)
#: Below this much free space an I/O error is taken for a full disk: SQLite reports a write
#: that hit ENOSPC on the WAL's shared memory as "disk I/O error", not SQLITE_FULL.
_FULL_BELOW = 1 << 20

_ELSEWHERE = "or point --db (or SMSCAST_DB) at another place"


def _free_bytes(folder: Path) -> int | None:
    with contextlib.suppress(OSError):
        return shutil.disk_usage(folder).free
    return None


def _read_only_fs(folder: Path) -> bool:
    with contextlib.suppress(OSError, AttributeError):
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    return False


def _may_write(path: Path) -> bool:
    target = path if path.exists() else path.parent
    return os.access(target, os.W_OK)


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n < (10 << 20) else f"{n >> 20} MB"


def storage_error(exc: BaseException, path: Path, doing: str = "write") -> JournalError:
    """The one translation of a storage failure of the smscast database at `path` (an
    `sqlite3.Error` or `OSError` raised while `doing` "open", "read" or "write" it) into a
    `JournalError` subclass: a sentence naming the file and the cause, and what to do."""
    if isinstance(exc, JournalError):
        return exc
    folder = path.parent
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    number = exc.errno if isinstance(exc, OSError) else None
    what = f"Cannot {doing} the campaign journal {path}"
    detail = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    free = _free_bytes(folder) if folder.exists() else None
    if code == _SQLITE_READONLY_DBMOVED:
        return gone_error(path, "deleted or moved")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return JournalLockedError(
            f"{what}: it is locked by another program (an open transaction held it for "
            "more than 5 s).",
            "Close the other program using that file (an sqlite3 shell, a backup tool), then "
            "try again.",
            path=path,
        )
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        why = "file is not a database" if primary == _SQLITE_NOTADB else "the database is damaged"
        return JournalCorruptError(
            f"{what}: {why}.",
            f"Point --db (or SMSCAST_DB) at your campaign journal; smscast never overwrites "
            f"{path.name}. A damaged journal can be salvaged with sqlite3's '.recover'.",
            path=path,
        )
    full = primary == _SQLITE_FULL or number == errno.ENOSPC
    if full or (primary == _SQLITE_IOERR and free is not None and free < _FULL_BELOW):
        room = f" ({_megabytes(free)} free)" if free is not None else ""
        return JournalFullError(
            f"{what}: the disk holding it is full{room}.",
            f"Free some space on that disk, {_ELSEWHERE}.",
            path=path,
        )
    read_only = number == errno.EROFS or (
        primary in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN) and _read_only_fs(folder)
    )
    if read_only or (isinstance(exc, OSError) and _read_only_fs(folder)):
        return JournalReadOnlyError(
            f"{what}: {folder} is on a read-only filesystem.",
            f"Remount it read-write, {_ELSEWHERE}.",
            path=path,
        )
    denied = number in (errno.EACCES, errno.EPERM) or (
        primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN) and not _may_write(path)
    )
    if denied:
        return JournalPermissionError(
            f"{what}: permission denied (this user may not write {path.name} or its folder).",
            f"Fix the owner or mode of {path} and its folder, {_ELSEWHERE}.",
            path=path,
        )
    if primary == _SQLITE_CANTOPEN or number in (errno.ENOTDIR, errno.EISDIR):
        return JournalError(
            f"{what}: it cannot be opened as a file ({detail}).",
            f"Check that {folder} is a folder you can write to, {_ELSEWHERE}.",
            path=path,
        )
    return JournalError(
        f"{what}: {detail}.",
        "Check the disk (a full, failing or disconnected drive), then try again.",
        path=path,
    )


def gone_error(path: Path, how: str) -> JournalGoneError:
    """The sentence for a journal deleted or replaced while smscast had it open."""
    return JournalGoneError(
        f"The campaign journal {path} was {how} while smscast was using it: sending stopped.",
        "The messages already sent are in Twilio (its console's message log lists them). "
        "'smscast resume' needs the journal back: restore that file (from a backup, or the "
        "copy that was moved) before resuming, or recipients could be texted twice.",
        path=path,
    )


_F = TypeVar("_F", bound=Callable[..., Any])


def _translated(doing: str) -> Callable[[_F], _F]:
    """Decorate a `Journal` method: storage failures become `storage_error(...)`."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: Journal, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                raise storage_error(exc, self.path, doing) from exc

        return wrapper  # type: ignore[return-value]

    return decorate


def _identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of the file at `path`, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _secure(path: Path) -> None:
    """chmod 0600 the database and its WAL companions (those that exist)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        target = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(target.stat().st_mode) != 0o600:
                target.chmod(0o600)


class Journal:
    """The SQLite campaign store. Not thread-safe: use it from one thread at a time."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        #: The file this connection opened: a write checks the path still leads to it.
        self._file = _identity(path)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Journal:
        """Open (creating if needed, mode 0600) the journal at `path` or the default place."""
        target = Path(path).expanduser() if path is not None else default_db_path()
        db: sqlite3.Connection | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            old_umask = os.umask(0o077)  # the -wal/-shm files are born 0600 too
            try:
                db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA busy_timeout=5000")
                db.execute("PRAGMA foreign_keys=ON")
                cls._migrate(db)
            finally:
                os.umask(old_umask)
            _secure(target)
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                db.close()
            raise storage_error(exc, target, "open") from exc
        except BaseException:
            if db is not None:
                db.close()
            raise
        return cls(db, target)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"The campaign journal was written by a newer smscast (schema {version}).",
                "Upgrade smscast, or use another --db.",
            )
        if version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            for statement in _statements():
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    @contextlib.contextmanager
    def run_lock(self, campaign_id: str) -> Iterator[str]:
        """Hold the campaign's exclusive run lock for the block; yields the full campaign id.

        Raises `CampaignBusyError` at once (never waits) when another process or thread holds
        it, through whatever name it opened the journal by (`_DatabaseLocks`). Re-entrant on
        the same thread, so a caller that holds it may start an engine that takes it too.
        """
        campaign_id = self.campaign(campaign_id).id
        key = _LOCKS.acquire(self.path, campaign_id)
        try:
            yield campaign_id
        finally:
            _LOCKS.release(key)

    def shown_state(self, campaign: Campaign) -> str:
        """The campaign's state as a person should read it: `INTERRUPTED` for a campaign
        stored as running that no process is sending (its run lock is free), else its state."""
        if campaign.state != RUNNING:
            return campaign.state
        try:
            with self.run_lock(campaign.id):
                return INTERRUPTED
        except CampaignBusyError:
            return RUNNING

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_file(self) -> None:
        """Raise `JournalGoneError` when the file at `path` is no longer the one this journal
        opened (deleted, or replaced by a copy or a restore). A stat: cheap enough for every
        group commit."""
        if self._file is None:
            return
        now = _identity(self.path)
        if now != self._file:
            raise gone_error(self.path, "deleted" if now is None else "replaced by another file")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.check_file()  # never commit into a file nobody will read again
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back by itself after
        some failures, SQLITE_FULL among them); never hides the error that led here."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    # -- campaigns ---------------------------------------------------------------------------

    @_translated("write")
    def create_campaign(
        self,
        *,
        template: str,
        source_name: str,
        source_sha256: str,
        sender: str | None,
        messaging_service_sid: str | None,
        settings: Mapping[str, Any],
        recipients: Iterable[NewRecipient],
    ) -> str:
        """Store a planned campaign and its recipients in one transaction; returns its id."""
        created = now_utc()
        campaign_id = f"{created:%Y%m%d}-{secrets.token_hex(3)}"
        with self._transaction() as db:
            db.execute(
                "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256,"
                " sender, messaging_service_sid, settings, state) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    campaign_id,
                    _iso(created),
                    template,
                    source_name,
                    source_sha256,
                    sender,
                    messaging_service_sid,
                    json.dumps(dict(settings), sort_keys=True),
                    PLANNED,
                ),
            )
            db.executemany(
                f"INSERT INTO recipients ({_RECIPIENT_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,NULL,0,NULL,?,NULL,?,NULL,?,?)",
                (
                    (
                        campaign_id,
                        r.row,
                        r.to,
                        r.body,
                        r.segments,
                        r.cost,
                        r.status,
                        r.error_message,
                        _iso(r.not_before),
                        _iso(created),
                        json.dumps(dict(r.fields), ensure_ascii=False),
                    )
                    for r in recipients
                ),
            )
        return campaign_id

    @_translated("read")
    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign with this id (or unique id prefix); InputError when there is none."""
        rows = self._db.execute(
            "SELECT * FROM campaigns WHERE id = ? OR id LIKE ? ORDER BY id = ? DESC",
            (campaign_id, f"{campaign_id}%", campaign_id),
        ).fetchall()
        if not rows:
            raise InputError(
                f"No campaign '{campaign_id}' in {self.path}.",
                "List them with 'smscast campaigns'.",
            )
        if len(rows) > 1 and rows[0][0] != campaign_id:
            raise InputError(
                f"'{campaign_id}' matches {len(rows)} campaigns.", "Give more of the id."
            )
        return _campaign(rows[0])

    @_translated("read")
    def campaigns(self) -> list[Campaign]:
        """Every campaign, newest first."""
        rows = self._db.execute("SELECT * FROM campaigns ORDER BY created_at DESC").fetchall()
        return [_campaign(r) for r in rows]

    @_translated("read")
    def latest(self) -> Campaign:
        """The newest campaign; InputError when the journal holds none."""
        row = self._db.execute(
            "SELECT * FROM campaigns ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise InputError(
                f"No campaigns yet in {self.path}.", "Start one with 'smscast send CONTACTS'."
            )
        return _campaign(row)

    @_translated("read")
    def same_campaigns(
        self, *, source_sha256: str, template: str, ended_since: datetime
    ) -> list[Campaign]:
        """Campaigns of the contacts file with this hash and this template that are not over
        (`UNFINISHED_STATES`), or ended (finished, canceled) at or after `ended_since`; newest
        first. Starting one of these again would text its people a second time."""
        rows = self._db.execute(
            "SELECT * FROM campaigns WHERE source_sha256 = ? AND template = ? AND"
            f" (state IN ({','.join('?' * len(UNFINISHED_STATES))}) OR finished_at >= ?)"
            " ORDER BY created_at DESC",
            (source_sha256, template, *sorted(UNFINISHED_STATES), _iso(ended_since)),
        ).fetchall()
        return [_campaign(r) for r in rows]

    @_translated("read")
    def texted_numbers(self, campaign_id: str) -> set[str]:
        """The numbers the campaign texted or may have (`TEXTED_STATUSES`)."""
        rows = self._db.execute(
            "SELECT DISTINCT to_number FROM recipients WHERE campaign_id = ? AND status IN"
            f" ({','.join('?' * len(TEXTED_STATUSES))})",
            (campaign_id, *sorted(TEXTED_STATUSES)),
        ).fetchall()
        return {number for (number,) in rows}

    @_translated("read")
    def texted_since(self, since: datetime, *, besides: str | None = None) -> dict[str, str]:
        """Numbers any campaign but `besides` texted (or may have) with a request that left at
        or after `since`: number -> the id of the campaign that texted it last."""
        rows = self._db.execute(
            "SELECT to_number, campaign_id, MAX(attempted_at) FROM recipients"
            " WHERE attempted_at >= ? AND campaign_id IS NOT ? AND status IN"
            f" ({','.join('?' * len(TEXTED_STATUSES))}) GROUP BY to_number",
            (_iso(since), besides, *sorted(TEXTED_STATUSES)),
        ).fetchall()
        return {number: campaign_id for number, campaign_id, _ in rows}

    @_translated("write")
    def set_state(
        self,
        campaign_id: str,
        state: str,
        *,
        reason: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Move the campaign to `state` (remembering why), stamping start/finish times."""
        if state not in CAMPAIGN_STATES:
            raise ValueError(f"unknown campaign state {state!r}")
        now = _iso(now_utc())
        with self._transaction() as db:
            db.execute(
                "UPDATE campaigns SET state = ?, state_reason = ?, state_hint = ?,"
                " started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?)"
                " ELSE started_at END,"
                " finished_at = CASE WHEN ? IN ('finished', 'canceled') THEN ? ELSE NULL END"
                " WHERE id = ?",
                (state, reason, hint, state, now, state, now, campaign_id),
            )

    @_translated("write")
    def update_settings(self, campaign_id: str, changes: Mapping[str, Any]) -> None:
        """Merge `changes` into the campaign's stored settings."""
        settings = dict(self.campaign(campaign_id).settings)
        settings.update(changes)
        with self._transaction() as db:
            db.execute(
                "UPDATE campaigns SET settings = ? WHERE id = ?",
                (json.dumps(settings, sort_keys=True), campaign_id),
            )

    # -- recipients --------------------------------------------------------------------------

    @_translated("read")
    def counts(self, campaign_id: str) -> dict[str, int]:
        """How many recipients are in each status."""
        return dict(
            self._db.execute(
                "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? GROUP BY status",
                (campaign_id,),
            ).fetchall()
        )

    @_translated("read")
    def recipients(
        self, campaign_id: str, statuses: Iterable[str] | None = None
    ) -> list[Recipient]:
        """The campaign's recipients in row order, optionally only those in `statuses`."""
        sql = f"SELECT {_RECIPIENT_COLUMNS} FROM recipients WHERE campaign_id = ?"
        params: list[Any] = [campaign_id]
        if statuses is not None:
            wanted = list(statuses)
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            params += wanted
        rows = self._db.execute(sql + " ORDER BY row", params).fetchall()
        return [_recipient(r) for r in rows]

    @_translated("read")
    def send_rows(self, campaign_id: str) -> list[SendRow]:
        """Every recipient of the campaign in row order, only the columns the engine needs
        (a cheaper read than `recipients` for large campaigns)."""
        rows = self._db.execute(
            "SELECT row, to_number, body, segments, status, sid, not_before FROM recipients"
            " WHERE campaign_id = ? ORDER BY row",
            (campaign_id,),
        ).fetchall()
        return [
            SendRow(row, to, body, segments, status, sid, None if nb is None else _parse(nb))
            for row, to, body, segments, status, sid, nb in rows
        ]

    @_translated("write")
    def apply(
        self,
        campaign_id: str,
        outcomes: Sequence[Outcome] = (),
        intents: Sequence[Intent] = (),
    ) -> None:
        """One durable group commit: outcomes first, then new intents (`inflight`, attempts+1).

        Intents must be committed before their requests leave; that is the whole point.
        """
        if not outcomes and not intents:
            return
        now = _iso(now_utc())
        with self._transaction() as db:
            if outcomes:
                db.executemany(
                    "UPDATE recipients SET status = ?, sid = COALESCE(?, sid),"
                    " error_code = ?, error_message = ?, price = COALESCE(?, price),"
                    " segments = COALESCE(?, segments), not_before = COALESCE(?, not_before),"
                    " updated_at = ? WHERE campaign_id = ? AND row = ?",
                    [
                        (
                            o.status,
                            o.sid,
                            o.error_code,
                            o.error_message,
                            o.price,
                            o.segments,
                            _iso(o.not_before),
                            now,
                            campaign_id,
                            o.row,
                        )
                        for o in outcomes
                    ],
                )
            if intents:
                at = intents[0].at  # a batch of intents usually shares one time: format it once
                at_text = _iso(at)
                db.executemany(
                    "UPDATE recipients SET status = 'inflight', attempts = attempts + 1,"
                    " attempted_at = ?, updated_at = ? WHERE campaign_id = ? AND row = ?",
                    [
                        (at_text if i.at is at else _iso(i.at), now, campaign_id, i.row)
                        for i in intents
                    ],
                )

    @_translated("write")
    def set_status(
        self, campaign_id: str, from_statuses: Iterable[str], to_status: str, note: str | None
    ) -> int:
        """Move every recipient in `from_statuses` to `to_status`; returns how many moved."""
        wanted = list(from_statuses)
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE recipients SET status = ?, error_message = COALESCE(?, error_message),"
                f" updated_at = ? WHERE campaign_id = ? AND status IN "
                f"({','.join('?' * len(wanted))})",
                [to_status, note, _iso(now_utc()), campaign_id, *wanted],
            )
        return cursor.rowcount


def _busy(campaign_id: str) -> CampaignBusyError:
    # The kernel does not say who holds an OFD lock (l_pid is -1), so the sentence cannot.
    return CampaignBusyError(
        f"Campaign {campaign_id} is being sent by another smscast right now (another "
        "command, or the app).",
        "Two runs of one campaign would text people twice. Let that one finish, or pause it "
        "there (Ctrl-C, or Pause in the app), then try again.",
    )


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]
