"""Scheduling's schema (5) is an appended migration: a journal written at the previous version
(schema 4: replies, senders, lineage) opens with everything it recorded, and its campaigns
read as not scheduled."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from campaigns.store import journal as J


def test_a_schema_4_journal_is_brought_forward_losing_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for migration in J.MIGRATIONS[:4]:
        db.executescript(migration)
    db.execute(
        "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256, sender,"
        " settings, state) VALUES ('20261130-abcdef', '2026-11-30T10:00:00+00:00', 'Hi',"
        " 'c.csv', '00', '+15017122661', '{\"quiet_hours\": \"off\"}', 'paused')"
    )
    db.execute(
        "INSERT INTO recipients (campaign_id, row, to_number, body, segments, cost, status, sid,"
        " not_before, fields) VALUES ('20261130-abcdef', 2, '+14155550100', 'Hi', 1, 0.0079,"
        " 'delivered', 'SM1', NULL, '{}')"
    )
    db.execute("PRAGMA user_version=4")
    db.commit()
    db.close()

    with J.Journal.open(path) as journal:
        campaign = journal.campaign("20261130-abcdef")
        assert (campaign.state, campaign.schedule, campaign.settings["quiet_hours"]) == (
            "paused",
            None,
            "off",
        )
        (row,) = journal.recipients(campaign.id)
        assert (row.status, row.sid, row.send_at, row.cancel_requested_at) == (
            "delivered",
            "SM1",
            None,
            None,
        )
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (J.SCHEMA_VERSION,)
        assert J.MIGRATIONS[4] is J._SCHEDULE_5  # scheduling is migration 5 (later ones follow)
