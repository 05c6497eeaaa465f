"""Twilio's answers kept in the journal database, each with the moment it was fetched: a
country's SMS prices per carrier (the Pricing API) and a number's line type (Lookup, billed
per number). Keeping them spares a slow call per country and a billed call per number.

How long each stays good is decided here, in one place: prices a week (`PRICE_MAX_AGE`: Twilio
changes prices with notice, rarely), line types 90 days (`LINE_TYPE_MAX_AGE`: numbers are
ported and reassigned, so an old answer is asked again).

Schema 6 (`MIGRATION`, appended to `campaigns.store.journal.MIGRATIONS`): `price_cache` (one
row per country, its carriers' prices as JSON) and `line_type_cache` (one row per number).
`JournalCaches` is a mixin of `Journal` (this module keeps the queries beside their schema).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from campaigns.store.storage_errors import translated
from campaigns.twilio.models import CarrierPrice, CountryPrices, LineType

MIGRATION = """
CREATE TABLE IF NOT EXISTS price_cache (
    iso_country TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    price_unit TEXT NOT NULL,
    prices TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS line_type_cache (
    phone TEXT PRIMARY KEY,
    valid INTEGER NOT NULL,
    line_type TEXT,
    carrier_name TEXT,
    error_code INTEGER,
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;
"""

#: How long fetched prices are used before they are fetched again.
PRICE_MAX_AGE = timedelta(days=7)
#: How long a number's line type is used before Lookup is asked again.
LINE_TYPE_MAX_AGE = timedelta(days=90)
#: Numbers per `IN (...)` query (SQLite's default limit of variables is far above it).
_CHUNK = 500


class CachedPrices(NamedTuple):
    """A country's kept prices, when Twilio gave them, and whether they are still good."""

    prices: CountryPrices
    fetched_at: datetime
    fresh: bool


class CachedLineType(NamedTuple):
    """A number's kept line type, when Twilio gave it, and whether it is still good."""

    line_type: LineType
    fetched_at: datetime
    fresh: bool


def _fresh(fetched_at: datetime, now: datetime, max_age: timedelta) -> bool:
    return now - fetched_at < max_age


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    wanted = sorted(set(values))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start : start + _CHUNK]


class JournalCaches:
    """The cache queries of `Journal` (a mixin: `Journal` supplies the connection)."""

    if TYPE_CHECKING:
        _db: sqlite3.Connection
        path: Path

        def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]: ...

    @translated("read")
    def cached_prices(self, iso_countries: Iterable[str], now: datetime) -> dict[str, CachedPrices]:
        """The kept prices of each country that has them (fresh or not, `fresh` says)."""
        found: dict[str, CachedPrices] = {}
        for chunk in _chunks(iso_countries):
            rows = self._db.execute(
                "SELECT iso_country, country, price_unit, prices, fetched_at FROM price_cache"
                f" WHERE iso_country IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for iso, country, unit, prices, fetched in rows:
                at = datetime.fromisoformat(fetched)
                outbound = tuple(CarrierPrice(*entry) for entry in json.loads(prices))
                found[iso] = CachedPrices(
                    CountryPrices(iso, country, unit, outbound),
                    at,
                    _fresh(at, now, PRICE_MAX_AGE),
                )
        return found

    @translated("write")
    def keep_prices(self, prices: Sequence[CountryPrices], fetched_at: datetime) -> None:
        """Keep each country's prices, replacing what was kept before."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO price_cache (iso_country, country, price_unit, prices,"
                " fetched_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        p.iso_country,
                        p.country,
                        p.price_unit,
                        json.dumps([[c.carrier, c.number_type, c.price] for c in p.outbound]),
                        fetched_at.isoformat(),
                    )
                    for p in prices
                ],
            )

    @translated("read")
    def cached_line_types(self, numbers: Iterable[str], now: datetime) -> dict[str, CachedLineType]:
        """The kept line type of each number that has one (fresh or not, `fresh` says)."""
        found: dict[str, CachedLineType] = {}
        for chunk in _chunks(numbers):
            rows = self._db.execute(
                "SELECT phone, valid, line_type, carrier_name, error_code, fetched_at"
                f" FROM line_type_cache WHERE phone IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for phone, valid, kind, carrier, error_code, fetched in rows:
                at = datetime.fromisoformat(fetched)
                value = LineType(phone, bool(valid), kind, carrier, error_code)
                found[phone] = CachedLineType(value, at, _fresh(at, now, LINE_TYPE_MAX_AGE))
        return found

    @translated("write")
    def keep_line_types(self, results: Iterable[LineType], fetched_at: datetime) -> None:
        """Keep each number's line type, replacing what was kept before."""
        at = fetched_at.isoformat()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO line_type_cache (phone, valid, line_type, carrier_name,"
                " error_code, fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (r.phone, int(r.valid), r.type, r.carrier_name, r.error_code, at)
                    for r in results
                ],
            )
