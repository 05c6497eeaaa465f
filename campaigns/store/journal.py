"""The campaign journal: one SQLite file that records every campaign and every recipient's fate.

Exactly-once sending rests on it. Before a request leaves, the recipient's *intent* is committed
(status `inflight`, attempts + 1, attempt time); after the answer, the *outcome* (Twilio's
status and SID, or the error). Both go in small group commits (`Journal.apply`) so that
durability (WAL, `synchronous=FULL`: a commit survives power loss) does not cap throughput. A
crash leaves at most the rows of one batch `inflight`; `smscast resume` reconciles those against
Twilio before anything is resent.

The file is created with mode 0600 (it holds phone numbers and message bodies), as are its
`-wal` and `-shm` companions. The schema is versioned with `PRAGMA user_version`.

A failing disk never shows as a traceback: every storage exception of the journal is
translated, in one place (`campaigns.store.storage_errors`), into a `JournalError` subclass
whose sentence names the file and the cause. Before each write the journal checks that the
file at its path is still the one it opened (`Journal.check_file`): a journal deleted or
replaced under a running campaign must stop the sending, not swallow its intents into an
unlinked inode.

Only one run may drive a campaign at a time (`Journal.run_lock`, an OS lock on the database
file itself: `campaigns.store.run_lock`).

Over 500 lines as one module on purpose: the schema and the one class that reads and writes
it, each method a query over that schema kept beside it (the run lock and the translation of
storage errors are their own modules).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campaigns.errors import ConfigError, InputError, JournalFullError, JournalReadOnlyError
from campaigns.store import caches as _caches
from campaigns.store import replies as _replies
from campaigns.store import statuses
from campaigns.store.run_lock import held, held_elsewhere
from campaigns.store.statuses import CampaignState, RecipientStatus
from campaigns.store.storage_errors import gone_error, storage_error, translated

# The status vocabulary lives in `campaigns.store.statuses`; these names stay for the code
# that reads them from here (the engine, tests).
#: Campaign states.
PLANNED, RUNNING, PAUSED = CampaignState.PLANNED, CampaignState.RUNNING, CampaignState.PAUSED
CANCELED, FINISHED = CampaignState.CANCELED, CampaignState.FINISHED
CAMPAIGN_STATES = statuses.STORED_STATES
#: Not stored: how a campaign stored as `running` is shown when nobody holds its run lock.
INTERRUPTED = CampaignState.INTERRUPTED

#: Recipient statuses of smscast's own (the others are Twilio's words: `RecipientStatus`).
PENDING, INFLIGHT = RecipientStatus.PENDING, RecipientStatus.INFLIGHT
UNKNOWN, SKIPPED = RecipientStatus.UNKNOWN, RecipientStatus.SKIPPED
FINAL_STATUSES = statuses.FINAL
LIVE_STATUSES = statuses.LIVE
SENT_STATUSES = statuses.SENT
FAILED_STATUSES = statuses.FAILED
UNFINISHED_STATES = statuses.UNFINISHED_STATES
TEXTED_STATUSES = statuses.TEXTED

_SCHEMA_1 = """
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

#: Retries and follow-ups (`campaigns.store.lineage`): the campaign a campaign was made from,
#: and how ("retry" or "follow-up"); NULL for one made from a contacts file.
_LINEAGE = """
ALTER TABLE campaigns ADD COLUMN parent_id TEXT REFERENCES campaigns(id);
ALTER TABLE campaigns ADD COLUMN kind TEXT;
CREATE INDEX IF NOT EXISTS campaigns_parent ON campaigns(parent_id);
"""

#: The schema's history, oldest first: migration N (its position, from 1) takes a journal at
#: `user_version` N-1 to N. Append, never edit one that has shipped: a journal written by an
#: older smscast is brought forward in one transaction, and nothing recorded is lost.
#: 3 (issue 12): the pool sender Twilio picked for each message (`recipients.from_number`,
#: known once Twilio picked it) and the US registration seen at planning
#: (`campaigns.registration`, JSON: `campaigns.audience.registration.Preflight.record`).
_SENDERS_3 = """
ALTER TABLE recipients ADD COLUMN from_number TEXT;
ALTER TABLE campaigns ADD COLUMN registration TEXT;
"""
#: 5 (issue 12, scheduling): a campaign's schedule (JSON: mode "twilio" or "local", why,
#: what the person asked), each recipient's due moment (`send_at`, UTC; NULL: at once) and
#: the moment a cancel of its scheduled message was requested (`cancel_requested_at`: the
#: cancel's intent, committed before the request leaves, so a cancel is never lost nor sent
#: twice).
_SCHEDULE_5 = """
ALTER TABLE campaigns ADD COLUMN schedule TEXT;
ALTER TABLE recipients ADD COLUMN send_at TEXT;
ALTER TABLE recipients ADD COLUMN cancel_requested_at TEXT;
"""
MIGRATIONS: tuple[str, ...] = (
    _SCHEMA_1,
    _replies.MIGRATION,
    _SENDERS_3,
    _LINEAGE,
    _SCHEDULE_5,
    _caches.MIGRATION,
)
SCHEMA_VERSION = len(MIGRATIONS)


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
    #: When this recipient is due (a scheduled campaign); None: at once.
    send_at: datetime | None = None


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
    #: The sender Twilio sent it from (a Messaging Service's pick), once known.
    from_number: str | None = None
    send_at: datetime | None = None
    cancel_requested_at: datetime | None = None


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
    send_at: datetime | None = None
    #: When its last request was made (read for live rows only: their sweeps list from then).
    attempted_at: datetime | None = None


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
    #: The campaign this one was made from (a retry or a follow-up of it), or None.
    parent_id: str | None = None
    #: How it was made from `parent_id`: "retry" or "follow-up" (`campaigns.store.lineage`).
    kind: str | None = None
    #: The schedule it was planned with (`campaigns.send.schedule.Schedule.to_json`); None:
    #: sent at once (every campaign before schema 5).
    schedule: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """Where one recipient row of a campaign ended up (`Journal.outcomes`): what a chain of
    retries combines per person."""

    campaign_id: str
    row: int
    to: str
    status: str
    error_code: int | None


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
    #: The sender Twilio sent it from (`from` of the Message), once Twilio picked it.
    from_number: str | None = None
    #: When Twilio sends the message it holds (moved into the sending window at send time).
    send_at: datetime | None = None


_FINAL_SQL = ",".join(f"'{s}'" for s in sorted(statuses.FINAL))
_LIVE_SQL = ",".join(f"'{s}'" for s in sorted(statuses.LIVE))

_RECIPIENT_COLUMNS = (
    "campaign_id, row, to_number, body, segments, cost, status, sid, attempts, error_code, "
    "error_message, price, not_before, attempted_at, updated_at, fields, from_number, send_at, "
    "cancel_requested_at"
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
        from_number=values[16],
        send_at=_parse(values[17]),
        cancel_requested_at=_parse(values[18]),
    )


#: The columns `_campaign` reads, by name: migrations append columns, so never `SELECT *`.
_CAMPAIGN_COLUMNS = (
    "id, created_at, template, source_name, source_sha256, sender, messaging_service_sid,"
    " settings, state, state_reason, state_hint, started_at, finished_at, parent_id, kind,"
    " schedule"
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
        parent_id=values[13],
        kind=values[14],
        schedule=json.loads(values[15]) if values[15] else None,
    )


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


class Journal(_replies.JournalReplies, _caches.JournalCaches):
    """The SQLite campaign store. Not thread-safe: use it from one thread at a time.

    The reply tables' queries are its mixin's (`campaigns.store.replies.JournalReplies`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        #: The file this connection opened: a write checks the path still leads to it.
        self._file = _identity(path)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, *, read_only: bool = False
    ) -> Journal:
        """Open (creating if needed, mode 0600) the journal at `path` or the default place.

        `read_only`, for the commands that only read (`status` without refreshing,
        `campaigns`, `export`): where opening it as usual fails for want of a write (a full
        disk, a read-only filesystem: the WAL setup, the schema check, the chmod), an
        existing journal with the current schema is opened for reading instead.
        """
        target = Path(path).expanduser() if path is not None else default_db_path()
        if not read_only:
            return cls._open_writable(target)
        try:
            return cls._open_writable(target)
        except (JournalFullError, JournalReadOnlyError):
            journal = cls._open_read_only(target)
            if journal is None:
                raise
            return journal

    @classmethod
    def _open_writable(cls, target: Path) -> Journal:
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

    @classmethod
    def _open_read_only(cls, target: Path) -> Journal | None:
        """The existing journal at `target` opened without a write, or None when that is not
        possible (no such file, an older or newer schema, or SQLite cannot read it so).

        SQLite reads a WAL database through its `-shm` index, which it must create when it is
        missing. Where it cannot (a full disk, a read-only filesystem) and the `-wal` file is
        missing or empty, every commit is in the database file itself, which is then read
        as immutable (no index, no locks); a `-wal` holding commits cannot be read so.
        """
        if not target.is_file():
            return None
        wal = Path(f"{target}-wal")
        db: sqlite3.Connection | None = None
        try:
            try:
                db = cls._connect_read_only(target, immutable=False)
            except sqlite3.Error:
                if wal.exists() and wal.stat().st_size > 0:
                    return None
                db = cls._connect_read_only(target, immutable=True)
            (version,) = db.execute("PRAGMA user_version").fetchone()
        except (sqlite3.Error, OSError):
            if db is not None:
                db.close()
            return None
        if version != SCHEMA_VERSION:
            db.close()
            return None
        return cls(db, target)

    @staticmethod
    def _connect_read_only(target: Path, *, immutable: bool) -> sqlite3.Connection:
        """A read-only connection to `target`, checked by reading its schema version."""
        uri = f"{target.absolute().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            db.execute("PRAGMA user_version").fetchone()
        except BaseException:
            db.close()
            raise
        return db

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
            try:
                (version,) = db.execute("PRAGMA user_version").fetchone()  # now under the lock
                for migration in MIGRATIONS[version:]:
                    for statement in _statements(migration):
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
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
        it, through whatever name it opened the journal by (`campaigns.store.run_lock`).
        Re-entrant on the same thread, so a caller that holds it may start an engine that
        takes it too.
        """
        campaign_id = self.campaign(campaign_id).id
        with held(self.path, campaign_id):
            yield campaign_id

    def shown_state(self, campaign: Campaign) -> str:
        """The campaign's state as a person should read it: `INTERRUPTED` for a campaign
        stored as running that no process is sending (its run lock is free), else its state."""
        if campaign.state != RUNNING:
            return campaign.state
        return RUNNING if held_elsewhere(self.path, campaign.id) else INTERRUPTED

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

    @translated("write")
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
        registration: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        kind: str | None = None,
        schedule: Mapping[str, Any] | None = None,
    ) -> str:
        """Store a planned campaign and its recipients in one transaction; returns its id.

        `registration`: the sender's US registration seen at planning (`registration()`).
        `parent_id` and `kind`: the campaign it is a retry or follow-up of. All or nothing: a
        crash part way leaves no campaign and no recipient of it behind."""
        if (parent_id is None) != (kind is None):
            raise ValueError("a derived campaign needs both parent_id and kind")
        created = now_utc()
        campaign_id = f"{created:%Y%m%d}-{secrets.token_hex(3)}"
        with self._transaction() as db:
            db.execute(
                "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256,"
                " sender, messaging_service_sid, settings, state, registration, parent_id, kind,"
                " schedule) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    None if registration is None else json.dumps(dict(registration)),
                    parent_id,
                    kind,
                    None if schedule is None else json.dumps(dict(schedule), sort_keys=True),
                ),
            )
            db.executemany(
                f"INSERT INTO recipients ({_RECIPIENT_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,NULL,0,NULL,?,NULL,?,NULL,?,?,NULL,?,NULL)",
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
                        _iso(r.send_at),
                    )
                    for r in recipients
                ),
            )
        return campaign_id

    @translated("read")
    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign with this id (or unique id prefix); InputError when there is none."""
        rows = self._db.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE id = ? OR id LIKE ? ORDER BY id = ? DESC",
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

    @translated("read")
    def registration(self, campaign_id: str) -> dict[str, Any] | None:
        """The sender's US registration seen when the campaign was planned (None: not
        checked, or a campaign from before schema 2). Read by name, not in `Campaign`."""
        row = self._db.execute(
            "SELECT registration FROM campaigns WHERE id = ?", (self.campaign(campaign_id).id,)
        ).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))

    @translated("read")
    def campaigns(self) -> list[Campaign]:
        """Every campaign, newest first."""
        rows = self._db.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at DESC"
        ).fetchall()
        return [_campaign(r) for r in rows]

    @translated("read")
    def children(self, campaign_id: str) -> list[Campaign]:
        """The campaigns made from this one (its retries and follow-ups), oldest first."""
        rows = self._db.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE parent_id = ? ORDER BY created_at",
            (campaign_id,),
        ).fetchall()
        return [_campaign(r) for r in rows]

    @translated("read")
    def outcomes(self, campaign_ids: Sequence[str]) -> list[RowOutcome]:
        """Every recipient row of these campaigns: its number, status and error code."""
        if not campaign_ids:
            return []
        rows = self._db.execute(
            "SELECT campaign_id, row, to_number, status, error_code FROM recipients"
            f" WHERE campaign_id IN ({','.join('?' * len(campaign_ids))})",
            list(campaign_ids),
        ).fetchall()
        return [RowOutcome(*values) for values in rows]

    @translated("read")
    def latest(self) -> Campaign:
        """The newest campaign; InputError when the journal holds none."""
        row = self._db.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise InputError(
                f"No campaigns yet in {self.path}.", "Start one with 'smscast send CONTACTS'."
            )
        return _campaign(row)

    @translated("read")
    def same_campaigns(
        self, *, source_sha256: str, template: str, ended_since: datetime
    ) -> list[Campaign]:
        """Campaigns of the contacts file with this hash and this template that are not over
        (`UNFINISHED_STATES`), or ended (finished, canceled) at or after `ended_since`; newest
        first. Starting one of these again would text its people a second time."""
        rows = self._db.execute(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE source_sha256 = ? AND template = ? AND"
            f" (state IN ({','.join('?' * len(UNFINISHED_STATES))}) OR finished_at >= ?)"
            " ORDER BY created_at DESC",
            (source_sha256, template, *sorted(UNFINISHED_STATES), _iso(ended_since)),
        ).fetchall()
        return [_campaign(r) for r in rows]

    @translated("read")
    def texted_numbers(self, campaign_id: str) -> set[str]:
        """The numbers the campaign texted or may have (`TEXTED_STATUSES`)."""
        rows = self._db.execute(
            "SELECT DISTINCT to_number FROM recipients WHERE campaign_id = ? AND status IN"
            f" ({','.join('?' * len(TEXTED_STATUSES))})",
            (campaign_id, *sorted(TEXTED_STATUSES)),
        ).fetchall()
        return {number for (number,) in rows}

    @translated("read")
    def texted_since(
        self, since: datetime, *, besides: str | Iterable[str] | None = None
    ) -> dict[str, str]:
        """Numbers any campaign but `besides` (one id, or several: a follow-up's ancestors)
        texted (or may have) with a request that left at or after `since`: number -> the id
        of the campaign that texted it last."""
        left_out = [besides] if isinstance(besides, str) else list(besides or ())
        rows = self._db.execute(
            "SELECT to_number, campaign_id, MAX(attempted_at) FROM recipients"
            " WHERE attempted_at >= ? AND status IN"
            f" ({','.join('?' * len(TEXTED_STATUSES))})"
            f" AND campaign_id NOT IN ({','.join('?' * len(left_out))})"
            " GROUP BY to_number",
            (_iso(since), *sorted(TEXTED_STATUSES), *left_out),
        ).fetchall()
        return {number: campaign_id for number, campaign_id, _ in rows}

    @translated("write")
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
                f" started_at = CASE WHEN ? = '{RUNNING}' THEN COALESCE(started_at, ?)"
                " ELSE started_at END,"
                f" finished_at = CASE WHEN ? IN ('{FINISHED}', '{CANCELED}') THEN ? ELSE NULL END"
                " WHERE id = ?",
                (state, reason, hint, state, now, state, now, campaign_id),
            )

    @translated("write")
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

    @translated("read")
    def counts(self, campaign_id: str) -> dict[str, int]:
        """How many recipients are in each status."""
        return dict(
            self._db.execute(
                "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? GROUP BY status",
                (campaign_id,),
            ).fetchall()
        )

    @translated("read")
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

    @translated("read")
    def recipients_at(self, campaign_id: str, rows: Iterable[int]) -> list[Recipient]:
        """The campaign's recipients of these `rows`, in row order (a retry reads only the
        people it chose)."""
        wanted = sorted(set(rows))
        found: list[Recipient] = []
        for start in range(0, len(wanted), 500):  # well under SQLite's parameter limit
            part = wanted[start : start + 500]
            found += map(
                _recipient,
                self._db.execute(
                    f"SELECT {_RECIPIENT_COLUMNS} FROM recipients WHERE campaign_id = ?"
                    f" AND row IN ({','.join('?' * len(part))}) ORDER BY row",
                    [campaign_id, *part],
                ).fetchall(),
            )
        return found

    @translated("read")
    def send_rows(self, campaign_id: str) -> list[SendRow]:
        """Every recipient of the campaign in row order, only the columns the engine needs
        (a cheaper read than `recipients` for large campaigns)."""
        rows = self._db.execute(
            "SELECT row, to_number, body, segments, status, sid, not_before, send_at,"
            " attempted_at FROM recipients WHERE campaign_id = ? ORDER BY row",
            (campaign_id,),
        ).fetchall()
        return [
            SendRow(
                row,
                to,
                body,
                segments,
                status,
                sid,
                None if nb is None else _parse(nb),
                None if at is None else _parse(at),
                _parse(tried) if tried is not None and status in LIVE_STATUSES else None,
            )
            for row, to, body, segments, status, sid, nb, at, tried in rows
        ]

    @translated("read")
    def next_due(self, campaign_id: str) -> tuple[int, datetime | None]:
        """How many recipients of the campaign are due now (pending with no future `not_before`,
        or left `inflight`), and when the first of the others is (None: none waits)."""
        now = _iso(now_utc())
        due, first = self._db.execute(
            "SELECT SUM(CASE WHEN status = ? OR not_before IS NULL OR not_before <= ?"
            " THEN 1 ELSE 0 END), MIN(CASE WHEN status = ? AND not_before > ?"
            " THEN not_before END) FROM recipients WHERE campaign_id = ? AND status IN (?, ?)",
            (INFLIGHT, now, PENDING, now, campaign_id, PENDING, INFLIGHT),
        ).fetchone()
        return int(due or 0), _parse(first)

    @translated("write")
    def request_cancels(self, campaign_id: str, rows: Iterable[int], at: datetime) -> None:
        """The cancels' intent: these rows' scheduled messages are about to be canceled at
        Twilio (committed before any cancel request leaves)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE recipients SET cancel_requested_at = ?, updated_at = ?"
                " WHERE campaign_id = ? AND row = ?",
                [(_iso(at), _iso(now_utc()), campaign_id, row) for row in rows],
            )

    @translated("write")
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
                    " from_number = COALESCE(?, from_number), send_at = COALESCE(?, send_at),"
                    " updated_at = ? WHERE campaign_id = ? AND row = ?"
                    # A receipt recorded meanwhile (a status callback, in another process) is
                    # never undone by a late answer: a final status stays final.
                    f" AND NOT (status IN ({_FINAL_SQL}) AND ? IN ({_LIVE_SQL}))",
                    [
                        (
                            o.status,
                            o.sid,
                            o.error_code,
                            o.error_message,
                            o.price,
                            o.segments,
                            _iso(o.not_before),
                            o.from_number,
                            _iso(o.send_at),
                            now,
                            campaign_id,
                            o.row,
                            o.status,
                        )
                        for o in outcomes
                    ],
                )
            if intents:
                at = intents[0].at  # a batch of intents usually shares one time: format it once
                at_text = _iso(at)
                db.executemany(
                    f"UPDATE recipients SET status = '{INFLIGHT}', attempts = attempts + 1,"
                    " attempted_at = ?, updated_at = ? WHERE campaign_id = ? AND row = ?",
                    [
                        (at_text if i.at is at else _iso(i.at), now, campaign_id, i.row)
                        for i in intents
                    ],
                )

    @translated("read")
    def sids(self, campaign_id: str) -> dict[str, tuple[int, str]]:
        """The campaign's message SIDs -> (row, status), for status callbacks to be placed."""
        rows = self._db.execute(
            "SELECT sid, row, status FROM recipients WHERE campaign_id = ? AND sid IS NOT NULL",
            (campaign_id,),
        ).fetchall()
        return {sid: (row, status) for sid, row, status in rows}

    @translated("read")
    def write_mark(self) -> tuple[int, int]:
        """A mark that changes whenever something was committed to the journal since it was
        last taken: by another connection, the engine's or another process's (SQLite's
        `PRAGMA data_version`), or by this one (`total_changes`). A reader that keeps a copy
        of something reads it again only when the mark moved."""
        other = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        return other, self._db.total_changes

    @translated("read")
    def campaign_of_sid(self, sid: str) -> str | None:
        """The campaign a message SID belongs to (None: no row has it yet). Not indexed: for
        the rare status callback whose SID its campaign does not know."""
        found = self._db.execute(
            "SELECT campaign_id FROM recipients WHERE sid = ? LIMIT 1", (sid,)
        ).fetchone()
        return None if found is None else str(found[0])

    @translated("read")
    def status_of(self, campaign_id: str, row: int) -> str | None:
        """One recipient's status now (None: no such row)."""
        found = self._db.execute(
            "SELECT status FROM recipients WHERE campaign_id = ? AND row = ?",
            (campaign_id, row),
        ).fetchone()
        return None if found is None else str(found[0])

    @translated("write")
    def advance(self, campaign_id: str, outcome: Outcome, *, was: str) -> bool:
        """Apply a receipt's `outcome` only if the row is still `was` (compare and set: the
        engine or a sweep in another process may have moved it since it was read); returns
        whether it was applied."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE recipients SET status = ?, error_code = ?, error_message = ?,"
                " price = COALESCE(?, price), segments = COALESCE(?, segments), updated_at = ?"
                " WHERE campaign_id = ? AND row = ? AND status = ?",
                (
                    outcome.status,
                    outcome.error_code,
                    outcome.error_message,
                    outcome.price,
                    outcome.segments,
                    _iso(now_utc()),
                    campaign_id,
                    outcome.row,
                    was,
                ),
            )
        return cursor.rowcount == 1

    @translated("write")
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


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
