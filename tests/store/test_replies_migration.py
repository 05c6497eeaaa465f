"""Schema 2 (the reply tables) is an appended migration: a journal written by the smscast before
it (schema 1) opens with every campaign and recipient kept, and takes replies at once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from campaigns.store import journal as J
from campaigns.store.replies import NewReply


def test_a_schema_1_journal_is_brought_forward_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(J.MIGRATIONS[0])
    old.execute("PRAGMA user_version=1")
    old.execute(
        "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256, sender,"
        " settings, state) VALUES ('20261101-abcdef', '2026-11-01T10:00:00+00:00', 'Hi',"
        " 'c.csv', '00', '+15017122661', '{}', 'finished')"
    )
    old.execute(
        "INSERT INTO recipients (campaign_id, row, to_number, body, segments, cost, status, sid,"
        " attempted_at, fields) VALUES ('20261101-abcdef', 2, '+14155550100', 'Hi', 1, 0.0079,"
        " 'delivered', 'SM1', '2026-11-01T10:00:01+00:00', '{}')"
    )
    old.close()
    assert len(J.MIGRATIONS) >= 2
    with J.Journal.open(path) as journal:
        assert journal.recipients("20261101-abcdef")[0].sid == "SM1"
        stored = journal.store_replies(
            [
                NewReply(
                    "SMreply",
                    "+14155550100",
                    "+15017122661",
                    None,
                    "STOP",
                    datetime(2026, 11, 1, 10, 5, tzinfo=UTC),
                    "opt-out",
                )
            ]
        )
        assert [(r.campaign_id, r.row) for r in stored] == [("20261101-abcdef", 2)]
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == J.SCHEMA_VERSION
