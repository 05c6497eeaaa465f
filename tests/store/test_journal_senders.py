"""Schema 2 (issue 12): the pool sender Twilio picked for each message and the registration
seen at planning, appended to a journal written by the previous smscast without losing
anything it recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from campaigns.store import journal as J


def _schema_1_journal(path: Path) -> None:
    """A journal exactly as smscast wrote it at schema 1, with one campaign and one sent row."""
    con = sqlite3.connect(path)
    for statement in J.MIGRATIONS[0].split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute(
        "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256, sender,"
        " messaging_service_sid, settings, state) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            "20261101-abcdef",
            "2026-11-01T09:00:00.000000+00:00",
            "Hi {name}",
            "/tmp/c.csv",
            "ab" * 32,
            None,
            "MG" + "1" * 32,
            json.dumps({"rate": "auto"}),
            "finished",
        ),
    )
    con.execute(
        "INSERT INTO recipients (campaign_id, row, to_number, body, segments, cost, status,"
        " sid, attempts, fields) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ("20261101-abcdef", 2, "+14155550100", "Hi Ada", 1, 0.0079, "delivered", "SM1", 1, "{}"),
    )
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()


def test_a_schema_1_journal_is_brought_forward_and_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _schema_1_journal(db)
    with J.Journal.open(db) as journal:
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == J.SCHEMA_VERSION
        campaign = journal.campaign("20261101")
        assert (campaign.messaging_service_sid, campaign.state) == ("MG" + "1" * 32, "finished")
        assert journal.registration(campaign.id) is None  # not checked back then
        (row,) = journal.recipients(campaign.id)
        assert (row.to, row.sid, row.status, row.from_number) == (
            "+14155550100",
            "SM1",
            "delivered",
            None,
        )


def test_the_pool_sender_and_the_registration_are_recorded(tmp_path: Path) -> None:
    seen = {"sender": "MG" + "1" * 32, "state": "registered", "blocked_regions": []}
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = journal.create_campaign(
            template="Hi",
            source_name="/tmp/c.csv",
            source_sha256="cd" * 32,
            sender=None,
            messaging_service_sid="MG" + "1" * 32,
            settings={},
            recipients=[J.NewRecipient(2, "+14155550100", "Hi", 1, 0.0079)],
            registration=seen,
        )
        assert journal.registration(cid) == seen
        journal.apply(cid, [J.Outcome(2, "accepted", sid="SM2")])
        assert journal.recipients(cid)[0].from_number is None  # Twilio has not picked yet
        journal.apply(cid, [J.Outcome(2, "sent", from_number="+15017122661")])
        journal.apply(cid, [J.Outcome(2, "delivered")])  # a later poll keeps the sender
        (row,) = journal.recipients(cid)
        assert (row.status, row.sid, row.from_number) == ("delivered", "SM2", "+15017122661")
