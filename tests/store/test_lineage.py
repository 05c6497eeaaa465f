"""Campaigns made from campaigns: the journal's link (an appended migration, tested from a
journal of the previous version) and each person's outcome combined across a chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from campaigns.store import journal as J
from campaigns.store import lineage


def _campaign(journal: J.Journal, rows: dict[int, str], **link: str) -> str:
    cid = journal.create_campaign(
        template="Hi",
        source_name="people.csv",
        source_sha256="b" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={},
        recipients=[J.NewRecipient(row, f"+1415555{row:04d}", "Hi", 1, 0.0) for row in rows],
        **link,
    )
    journal.apply(cid, outcomes=[J.Outcome(row, status) for row, status in rows.items()])
    return cid


def test_a_journal_of_the_previous_version_keeps_everything_and_gains_the_link(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(J.MIGRATIONS[0])  # the schema as the previous smscast wrote it
    con.execute(
        "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256, sender,"
        " settings, state) VALUES ('20261130-aaaaaa', '2026-11-30T10:00:00+00:00', 'Hi',"
        " 'a.csv', ?, '+15017122661', '{}', 'finished')",
        ("c" * 64,),
    )
    con.execute(
        "INSERT INTO recipients (campaign_id, row, to_number, body, segments, cost, status,"
        " error_code, fields) VALUES ('20261130-aaaaaa', 2, '+14155550100', 'Hi', 1, 0.0079,"
        " 'undelivered', 30003, '{\"name\": \"Ann\"}')"
    )
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    with J.Journal.open(db) as journal:
        old = journal.campaign("20261130-aaaaaa")
        assert (old.parent_id, old.kind, old.state) == (None, None, "finished")
        (person,) = journal.recipients(old.id)
        assert (person.status, person.error_code, person.fields) == (
            "undelivered",
            30003,
            {"name": "Ann"},
        )
        retry = _campaign(journal, {2: "delivered"}, parent_id=old.id, kind="retry")
        assert [c.id for c in journal.children(old.id)] == [retry]
        assert journal.campaign(retry).parent_id == old.id
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == J.SCHEMA_VERSION


def test_each_person_counts_once_by_their_best_outcome_across_the_chain(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "s.db") as journal:
        root = _campaign(journal, {2: "delivered", 3: "undelivered", 4: "failed", 5: "failed"})
        first = _campaign(
            journal, {3: "undelivered", 4: "delivered", 5: "failed"}, parent_id=root, kind="retry"
        )
        second = _campaign(journal, {3: "delivered", 5: "canceled"}, parent_id=first, kind="retry")
        follow = _campaign(journal, {2: "failed", 4: "failed"}, parent_id=root, kind="follow-up")
        again = _campaign(journal, {2: "delivered"}, parent_id=follow, kind="retry")

        outcome = lineage.chain_outcome(journal, second)  # any member names the whole chain
        assert outcome.chain.ids == (root, first, second)
        assert outcome.counts() == {"delivered": 3, "failed": 1}  # 4 people, each once
        assert outcome.people[5].campaign_id == first  # a failure outranks a later cancel
        assert lineage.chain_sentence(2, outcome.counts()) == (
            "with its 2 retries: 4 people, 3 delivered, 1 failed"
        )
        # a follow-up is another message: a chain of its own, never summed into its parent's
        theirs = lineage.chain_outcome(journal, follow)
        assert theirs.chain.ids == (follow, again)
        assert theirs.counts() == {"delivered": 1, "failed": 1}
        known = lineage.by_id(journal.campaigns())
        assert lineage.ancestors(known, again) == [follow, root]
