"""The journal's record of the conversation: replies people sent, where each poll got to, and
the one-off messages smscast sent back (`smscast reply`).

Schema 2 (`MIGRATION`, appended to `campaigns.store.journal.MIGRATIONS`):
- `replies`: each inbound message once, by its SID, with its kind (`campaigns.conversation`
  classifies), the campaign recipient it answers (NULL when no campaign texted that number
  from that sender: kept, unmatched), and what smscast did about it (`action`);
- `reply_cursors`: per sender, the newest `date_sent` stored and how far back it was listed
  (`origin`), so an idle poll is one request per sender;
- `outbound_replies`: one-off replies, journaled intent-then-outcome as campaign messages are
  (`inflight` before the request leaves; a row left `inflight` is reconciled, never resent);
- an index on recipients by number, for matching a reply to the latest campaign that texted it.

`JournalReplies` is a mixin of `Journal` (this module keeps the queries beside their schema;
`journal.py` keeps the campaigns and recipients).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaigns.store import statuses
from campaigns.store.storage_errors import translated

MIGRATION = """
CREATE TABLE IF NOT EXISTS replies (
    sid TEXT PRIMARY KEY,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    messaging_service_sid TEXT,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    campaign_id TEXT REFERENCES campaigns(id),
    row INTEGER,
    action TEXT,
    stored_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX IF NOT EXISTS replies_campaign ON replies(campaign_id, received_at);
CREATE INDEX IF NOT EXISTS replies_person ON replies(from_number, received_at);
CREATE INDEX IF NOT EXISTS replies_action ON replies(action, kind);
CREATE TABLE IF NOT EXISTS reply_cursors (
    sender TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    newest_at TEXT,
    polled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbound_replies (
    id INTEGER PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    row INTEGER NOT NULL,
    to_number TEXT NOT NULL,
    sender TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    sid TEXT,
    error_code INTEGER,
    error_message TEXT,
    attempted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recipients_to ON recipients(to_number, attempted_at);
"""

#: What smscast did about a reply (`replies.action`).
ACTION_SUPPRESSED = "suppressed"  # an opt-out keyword: the number went on the list
ACTION_LIFTED = "lifted"  # an opt-in keyword removed the entry a keyword had made
ACTION_KEPT = "kept"  # an opt-in keyword, but the entry was made by hand (left alone)
ACTION_REVIEW = "review"  # a possible opt-out, waiting for a person
ACTION_CONFIRMED = "confirmed"  # a possible opt-out a person confirmed: suppressed
ACTION_DISMISSED = "dismissed"  # a possible opt-out a person said was not one
ACTION_NONE = "none"  # an opt-in keyword from a number that was not on the list


@dataclass(frozen=True, slots=True)
class NewReply:
    """An inbound message to store (the collector builds these)."""

    sid: str
    from_number: str
    to_number: str
    messaging_service_sid: str | None
    body: str
    received_at: datetime
    kind: str


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A reply as the journal holds it."""

    sid: str
    from_number: str
    to_number: str
    messaging_service_sid: str | None
    body: str
    received_at: datetime
    kind: str
    campaign_id: str | None
    row: int | None
    action: str | None
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplySummary:
    """One recipient's replies in brief (the export's reply columns)."""

    count: int
    last_body: str
    last_kind: str
    last_at: datetime
    opted_out: bool


@dataclass(frozen=True, slots=True)
class ReplyTally:
    """One campaign's replies in four numbers (the app's counts on Send and History)."""

    total: int
    unread: int  # nobody has read them yet (`mark_replies_read`)
    to_review: int  # possible opt-outs waiting for a person (`ACTION_REVIEW`)
    opt_outs: int  # opt-out keywords (as `smscast status` counts them)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the polling of one sender got to."""

    sender: str
    origin: datetime
    newest_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutboundReply:
    """A one-off reply smscast sent (or is sending) to one campaign recipient."""

    id: int
    campaign_id: str
    row: int
    to_number: str
    sender: str
    body: str
    status: str
    sid: str | None
    error_code: int | None
    error_message: str | None
    attempted_at: datetime


_REPLY_COLUMNS = (
    "sid, from_number, to_number, messaging_service_sid, body, received_at, kind, campaign_id,"
    " row, action, read_at"
)
_OUT_COLUMNS = (
    "id, campaign_id, row, to_number, sender, body, status, sid, error_code, error_message,"
    " attempted_at"
)
_TEXTED = tuple(sorted(statuses.TEXTED))
#: The kinds' words (`campaigns.conversation.keywords.ReplyKind`, a layer above, owns them).
_OPT_OUT, _OPT_IN = "opt-out", "opt-in"
#: A reply is matched to texts attempted up to this long after Twilio says it came.
MATCH_SLACK = timedelta(minutes=2)


def _iso(when: datetime) -> str:
    from campaigns.store.journal import _iso as iso

    text = iso(when)
    assert text is not None
    return text


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _reply(values: Sequence[Any]) -> StoredReply:
    received = _when(values[5])
    assert received is not None
    return StoredReply(
        sid=values[0],
        from_number=values[1],
        to_number=values[2],
        messaging_service_sid=values[3],
        body=values[4],
        received_at=received,
        kind=values[6],
        campaign_id=values[7],
        row=values[8],
        action=values[9],
        read_at=_when(values[10]),
    )


def _outbound(values: Sequence[Any]) -> OutboundReply:
    attempted = _when(values[10])
    assert attempted is not None
    return OutboundReply(
        id=values[0],
        campaign_id=values[1],
        row=values[2],
        to_number=values[3],
        sender=values[4],
        body=values[5],
        status=values[6],
        sid=values[7],
        error_code=values[8],
        error_message=values[9],
        attempted_at=attempted,
    )


class JournalReplies:
    """The reply queries of `Journal` (a mixin: `Journal` supplies the connection)."""

    if TYPE_CHECKING:
        _db: sqlite3.Connection
        path: Path

        def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]: ...

    # -- storing what a poll found -----------------------------------------------------------

    @translated("write")
    def store_replies(self, replies: Iterable[NewReply]) -> list[StoredReply]:
        """Store each reply not already stored (by SID), matched to the recipient it answers;
        returns the newly stored ones, oldest first. `replies` must be oldest first within a
        second (the collector reverses Twilio's newest-first listing): sorted by time, stably,
        they are inserted in that order, and the rowid keeps it for every later query (Twilio's
        dates have whole seconds; the order tells a STOP from the START right after it).
        One transaction; the look-ups go by chunks, so 100,000 replies are a few hundred
        queries."""
        ordered = sorted(replies, key=lambda r: r.received_at)
        if not ordered:
            return []
        now = _iso(datetime.now().astimezone())
        with self._transaction() as db:
            known: set[str] = set()
            for chunk in _chunks([r.sid for r in ordered]):
                marks = ",".join("?" * len(chunk))
                known.update(
                    sid
                    for (sid,) in db.execute(
                        f"SELECT sid FROM replies WHERE sid IN ({marks})", chunk
                    )
                )
            new: list[NewReply] = []
            for reply in ordered:
                if reply.sid not in known:
                    known.add(reply.sid)
                    new.append(reply)
            matches = _matches(db, new)
            fresh = []
            for r in new:
                match = matches.get(r.sid)
                fresh.append(
                    StoredReply(
                        r.sid,
                        r.from_number,
                        r.to_number,
                        r.messaging_service_sid,
                        r.body,
                        r.received_at,
                        r.kind,
                        match[0] if match else None,
                        match[1] if match else None,
                        None,
                        None,
                    )
                )
            db.executemany(
                "INSERT INTO replies (sid, from_number, to_number, messaging_service_sid,"
                " body, received_at, kind, campaign_id, row, stored_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.sid,
                        r.from_number,
                        r.to_number,
                        r.messaging_service_sid,
                        r.body,
                        _iso(r.received_at),
                        r.kind,
                        r.campaign_id,
                        r.row,
                        now,
                    )
                    for r in fresh
                ],
            )
        return fresh

    @translated("read")
    def unacted_replies(self, kinds: Iterable[str]) -> list[StoredReply]:
        """Replies of these kinds nothing was done about yet, oldest first (a collector that
        stopped between storing and acting picks them up on its next poll)."""
        wanted = list(kinds)
        rows = self._db.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies WHERE action IS NULL"
            f" AND kind IN ({','.join('?' * len(wanted))}) ORDER BY received_at, rowid",
            wanted,
        ).fetchall()
        return [_reply(r) for r in rows]

    @translated("write")
    def set_reply_action(self, sid: str, action: str) -> None:
        """Record what smscast (or a person) did about the reply `sid`."""
        self.set_reply_actions([(sid, action)])

    @translated("write")
    def set_reply_actions(self, actions: Sequence[tuple[str, str]]) -> None:
        """Record (reply SID, action) pairs in one transaction."""
        if not actions:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE replies SET action = ? WHERE sid = ?", [(a, sid) for sid, a in actions]
            )

    @translated("write")
    def mark_replies_read(self, sids: Iterable[str], at: datetime) -> None:
        """Mark replies as read (the app's unread marks)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE replies SET read_at = COALESCE(read_at, ?) WHERE sid = ?",
                [(_iso(at), sid) for sid in sids],
            )

    # -- cursors -----------------------------------------------------------------------------

    @translated("read")
    def reply_cursor(self, sender: str) -> Cursor | None:
        """Where polling `sender` got to, or None before its first poll."""
        found = self._db.execute(
            "SELECT sender, origin, newest_at FROM reply_cursors WHERE sender = ?", (sender,)
        ).fetchone()
        if found is None:
            return None
        origin = _when(found[1])
        assert origin is not None
        return Cursor(found[0], origin, _when(found[2]))

    @translated("read")
    def reply_polls(self) -> list[tuple[str, datetime, datetime]]:
        """Every sender polled for replies: (sender, listed from, last polled), so a face can
        tell whether the replies to a campaign were ever collected."""
        rows = self._db.execute("SELECT sender, origin, polled_at FROM reply_cursors").fetchall()
        polls = []
        for sender, origin, polled_at in rows:
            since, last = _when(origin), _when(polled_at)
            assert since is not None and last is not None  # both NOT NULL
            polls.append((str(sender), since, last))
        return polls

    @translated("write")
    def save_reply_cursor(self, cursor: Cursor, polled_at: datetime) -> None:
        """Remember where polling `cursor.sender` got to."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reply_cursors (sender, origin, newest_at, polled_at)"
                " VALUES (?,?,?,?) ON CONFLICT(sender) DO UPDATE SET origin = excluded.origin,"
                " newest_at = excluded.newest_at, polled_at = excluded.polled_at",
                (
                    cursor.sender,
                    _iso(cursor.origin),
                    None if cursor.newest_at is None else _iso(cursor.newest_at),
                    _iso(polled_at),
                ),
            )

    # -- reading -----------------------------------------------------------------------------

    @translated("read")
    def replies(
        self, campaign_id: str | None = None, *, unmatched: bool = False
    ) -> list[StoredReply]:
        """Replies to one campaign (or every reply; or those no campaign matched), newest
        first."""
        sql = f"SELECT {_REPLY_COLUMNS} FROM replies"
        params: tuple[object, ...] = ()
        if unmatched:
            sql += " WHERE campaign_id IS NULL"
        elif campaign_id is not None:
            sql += " WHERE campaign_id = ?"
            params = (campaign_id,)
        rows = self._db.execute(sql + " ORDER BY received_at DESC, rowid DESC", params).fetchall()
        return [_reply(r) for r in rows]

    @translated("read")
    def has_reply(self, sid: str) -> bool:
        """True when the reply `sid` is stored."""
        return (
            self._db.execute("SELECT 1 FROM replies WHERE sid = ?", (sid,)).fetchone() is not None
        )

    @translated("read")
    def reply(self, sid: str) -> StoredReply | None:
        """The stored reply `sid`, or None."""
        found = self._db.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies WHERE sid = ?", (sid,)
        ).fetchone()
        return None if found is None else _reply(found)

    @translated("read")
    def reply_counts(self, campaign_id: str) -> dict[str, int]:
        """Kind -> how many replies the campaign got."""
        return dict(
            self._db.execute(
                "SELECT kind, COUNT(*) FROM replies WHERE campaign_id = ? GROUP BY kind",
                (campaign_id,),
            ).fetchall()
        )

    @translated("read")
    def reply_tallies(self) -> dict[str, ReplyTally]:
        """Campaign id -> its `ReplyTally`, for every campaign that has replies (one query)."""
        rows = self._db.execute(
            "SELECT campaign_id, COUNT(*), SUM(read_at IS NULL), SUM(COALESCE(action = ?, 0)),"
            " SUM(kind = ?) FROM replies WHERE campaign_id IS NOT NULL GROUP BY campaign_id",
            (ACTION_REVIEW, _OPT_OUT),
        ).fetchall()
        return {
            cid: ReplyTally(total, unread, review, opt_outs)
            for cid, total, unread, review, opt_outs in rows
        }

    @translated("read")
    def reply_summary(self, campaign_id: str) -> dict[int, ReplySummary]:
        """Row -> its replies in brief (for exports): count, the last one, and whether the
        person's last keyword was an opt-out (they stand opted out by reply)."""
        rows = self._db.execute(
            "SELECT row, body, kind, received_at FROM replies WHERE campaign_id = ?"
            " AND row IS NOT NULL ORDER BY received_at, rowid",
            (campaign_id,),
        ).fetchall()
        out: dict[int, ReplySummary] = {}
        for row, body, kind, at in rows:
            before = out.get(row)
            opted_out = before.opted_out if before is not None else False
            if kind in (_OPT_OUT, _OPT_IN):
                opted_out = kind == _OPT_OUT
            when = _when(at)
            assert when is not None
            count = before.count + 1 if before is not None else 1
            out[row] = ReplySummary(count, body, kind, when, opted_out)
        return out

    # -- one-off replies (exactly once, as campaign messages) --------------------------------

    @translated("write")
    def begin_outbound_reply(
        self, campaign_id: str, row: int, to: str, sender: str, body: str, at: datetime
    ) -> int:
        """Journal the intent to send one reply (`inflight`) BEFORE the request; its id."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbound_replies (campaign_id, row, to_number, sender, body, status,"
                " attempted_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    campaign_id,
                    row,
                    to,
                    sender,
                    body,
                    statuses.RecipientStatus.INFLIGHT,
                    _iso(at),
                    _iso(at),
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @translated("write")
    def finish_outbound_reply(
        self,
        reply_id: int,
        status: str,
        *,
        sid: str | None = None,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> None:
        """Record what became of a one-off reply."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbound_replies SET status = ?, sid = COALESCE(?, sid), error_code = ?,"
                " error_message = ?, updated_at = ? WHERE id = ?",
                (
                    status,
                    sid,
                    error_code,
                    error_message,
                    _iso(datetime.now().astimezone()),
                    reply_id,
                ),
            )

    @translated("read")
    def outbound_replies(self, campaign_id: str, row: int | None = None) -> list[OutboundReply]:
        """The one-off replies sent in a campaign (to one row), oldest first."""
        sql = f"SELECT {_OUT_COLUMNS} FROM outbound_replies WHERE campaign_id = ?"
        params: tuple[object, ...] = (campaign_id,)
        if row is not None:
            sql += " AND row = ?"
            params += (row,)
        return [_outbound(r) for r in self._db.execute(sql + " ORDER BY id", params)]


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """`items` in slices of `size` (SQLite bounds the `?` of one statement)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _matches(db: sqlite3.Connection, replies: Sequence[NewReply]) -> dict[str, tuple[str, int]]:
    """Reply SID -> the campaign recipient it answers: the latest one texted at the reply's
    number from its sender (that number, or the Messaging Service whose pool it arrived on),
    attempted before the reply came (`MATCH_SLACK`: Twilio's dates have whole seconds, and its
    clock is not ours). Replies no campaign texted are left out."""
    texted: dict[str, list[tuple[str, str, int, str | None, str | None]]] = {}
    phones = list(dict.fromkeys(r.from_number for r in replies))
    statuses_marks = ",".join("?" * len(_TEXTED))
    for chunk in _chunks(phones):
        marks = ",".join("?" * len(chunk))
        for to, at, campaign_id, row, sender, service in db.execute(
            "SELECT r.to_number, r.attempted_at, r.campaign_id, r.row, c.sender,"
            " c.messaging_service_sid FROM recipients r JOIN campaigns c ON c.id = r.campaign_id"
            f" WHERE r.to_number IN ({marks}) AND r.status IN ({statuses_marks})"
            " AND r.attempted_at IS NOT NULL",
            (*chunk, *_TEXTED),
        ):
            texted.setdefault(to, []).append((at, campaign_id, row, sender, service))
    found: dict[str, tuple[str, int]] = {}
    for reply in replies:
        limit = _iso(reply.received_at + MATCH_SLACK)
        best: tuple[str, str, int] | None = None
        for at, campaign_id, row, sender, service in texted.get(reply.from_number, ()):
            same_sender = sender == reply.to_number or (
                service is not None and service == reply.messaging_service_sid
            )
            # ISO 8601 UTC strings of one format: their order is the times' order.
            if same_sender and at <= limit and (best is None or at > best[0]):
                best = (at, campaign_id, row)
        if best is not None:
            found[reply.sid] = (best[1], best[2])
    return found
