"""The price and line-type caches (journal migration 5): journals of every older schema are
brought forward with nothing lost; answers come back as they were kept, fresh for a week (prices) or
90 days (line types) and stale after."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.store import caches
from campaigns.store import journal as J
from campaigns.twilio.models import CarrierPrice, CountryPrices, LineType

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_an_older_journal_gains_the_caches_and_keeps_its_campaigns(
    tmp_path: Path, version: int
) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    for migration in J.MIGRATIONS[:version]:
        con.executescript(migration)
    con.execute(
        "INSERT INTO campaigns (id, created_at, template, source_name, source_sha256, settings,"
        " state) VALUES ('c1', '2026-11-01T00:00:00+00:00', 'Hi', 'a.csv', 'x', '{}', 'finished')"
    )
    con.execute(f"PRAGMA user_version={version}")
    con.commit()
    con.close()
    with J.Journal.open(db) as journal:
        assert [c.id for c in journal.campaigns()] == ["c1"]
        assert journal.cached_prices(["US"], NOW) == {}
        journal.keep_line_types([LineType("+14155550100", True, "mobile")], NOW)
        assert journal.cached_line_types(["+14155550100"], NOW)["+14155550100"].fresh
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone() == (J.SCHEMA_VERSION,)
    assert J.MIGRATIONS[-1] is caches.MIGRATION  # appended after the others


def test_prices_round_trip_fresh_for_a_week(tmp_path: Path) -> None:
    us = CountryPrices(
        "US",
        "United States",
        "USD",
        (CarrierPrice("AT&T", "local", 0.0079), CarrierPrice("Verizon", "local", 0.0083)),
    )
    with J.Journal.open(tmp_path / "j.db") as journal:
        journal.keep_prices([us], NOW)
        kept = journal.cached_prices(["US", "GB"], NOW + timedelta(days=6))
        assert set(kept) == {"US"}
        assert kept["US"].prices == us and kept["US"].fresh
        assert kept["US"].fetched_at == NOW
        assert not journal.cached_prices(["US"], NOW + timedelta(days=7))["US"].fresh


def test_line_types_round_trip_fresh_for_90_days(tmp_path: Path) -> None:
    answers = [
        LineType("+14155550100", True, "mobile", "AT&T Wireless"),
        LineType("+16135550123", True, None, None, 60601),
        LineType("+1415555", False, None),
    ]
    numbers = [a.phone for a in answers] + ["+14155550199"]
    with J.Journal.open(tmp_path / "j.db") as journal:
        journal.keep_line_types(answers, NOW)
        kept = journal.cached_line_types(numbers, NOW + timedelta(days=89))
        assert [kept[a.phone].line_type for a in answers] == answers
        assert all(entry.fresh for entry in kept.values()) and len(kept) == 3
        later = journal.cached_line_types(numbers, NOW + timedelta(days=90))
        assert not any(entry.fresh for entry in later.values())
