"""Real prices and real line types as a person meets them on the command line, against a
sandbox over loopback through the real SDK: Twilio's per-carrier ranges with their date (and
the built-in table, labelled, where Twilio has none), kept a week and refetched when stale or
asked; `--lookup` asks first (refused without a terminal or --yes), excludes the untextable
line types with a reason, and is not billed again within 90 days."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from send_support import SMSCAST, run_cli, smscast_env, write_contacts

from campaigns.sandbox import Sandbox

MOBILES = ("+14155550100", "+14155550101", "+14155550102")
LANDLINE, PAGER = "+14155550103", "+14155550104"
GB, JP = "+447400123456", "+81312345678"


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[0])


def _age(db: Path, table: str, days: int) -> None:
    """Make every cached answer of `table` look `days` old."""
    when = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE {table} SET fetched_at = ?", (when,))


@pytest.mark.slow  # five smscast processes
def test_prices_from_twilio_cached_a_week(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False)
    contacts = write_contacts(tmp_path / "c.csv", [*MOBILES, GB, JP])
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    dry = [*SMSCAST, "send", str(contacts), "-t", "Hi", "--quiet-hours", "off", "--json"]

    plan = _json(run_cli(dry, env, tmp_path))
    prices = plan["prices"]
    us, gb, jp = (prices["countries"][c] for c in ("US", "GB", "JP"))
    assert (us["source"], us["low"], us["high"]) == ("twilio", 0.0079, 0.0083)
    assert gb["source"] == "twilio" and gb["low"] < gb["high"]
    assert jp["source"] == "built-in"  # the sandbox, like Twilio for an unpriced code: 404
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert f"prices from Twilio, fetched {today}" in prices["label"]
    assert "built-in price estimates for JP" in prices["label"]
    # each message is costed at the top of its country's range
    assert abs(plan["cost"] - (3 * 0.0083 + gb["high"] + jp["high"])) < 1e-9
    assert sb.price_fetches == 2

    _json(run_cli(dry, env, tmp_path))
    assert sb.price_fetches == 2  # kept in the journal database: not asked again
    _age(db, "price_cache", 8)
    _json(run_cli(dry, env, tmp_path))
    assert sb.price_fetches == 4  # older than a week: fetched again
    text = run_cli([*dry[:-1], "--refresh-prices"], env, tmp_path)
    assert text.returncode == 0, text.stderr
    assert sb.price_fetches == 6
    assert "US 0.0079\u20130.0083 USD" in text.stdout and "prices from Twilio" in text.stdout

    offline = {**env, "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}
    built_in = _json(run_cli(dry, offline, tmp_path))["prices"]
    assert built_in["label"] == "built-in price estimates (no Twilio account configured)"
    assert built_in["fetched_at"] is None


@pytest.mark.slow  # six smscast processes
def test_lookup_asks_excludes_and_is_not_billed_twice(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    types = {**dict.fromkeys(MOBILES, "mobile"), LANDLINE: "landline", PAGER: "pager"}
    sb = sandbox_factory(trial=False, line_types=types)
    contacts = write_contacts(tmp_path / "c.csv", [*MOBILES, LANDLINE, PAGER])
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    dry = [*SMSCAST, "send", str(contacts), "-t", "Hi", "--quiet-hours", "off", "--json"]

    refused = run_cli([*dry, "--lookup"], env, tmp_path)  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert sb.lookups_billed == 0

    without = _json(run_cli(dry, env, tmp_path))  # no lookup: the landline is texted
    assert without["messages"] == 5 and sb.lookups_billed == 0

    checked = _json(
        run_cli([*SMSCAST, "check", str(contacts), "--lookup", "--yes", "--json"], env, tmp_path)
    )
    found = checked["line_types"]
    assert found["counts"] == {"landline": 1, "mobile": 3, "pager": 1}
    assert [(e["row"], e["type"]) for e in found["excluded"]] == [(5, "landline"), (6, "pager")]
    assert sb.lookups_billed == 5

    plan = _json(run_cli([*dry, "--lookup", "--yes"], env, tmp_path))
    excluded = {e["row"]: e for e in plan["excluded"]}
    assert plan["messages"] == 3
    assert excluded[5]["kind"] == "line-type" and "a landline" in excluded[5]["reason"]
    assert excluded[6]["kind"] == "line-type" and "a pager" in excluded[6]["reason"]
    assert sb.lookups_billed == 5  # known from the check: nothing billed again

    _age(db, "line_type_cache", 91)
    _json(run_cli([*dry, "--lookup", "--yes"], env, tmp_path))
    assert sb.lookups_billed == 10  # older than 90 days: asked again
    assert sb.messages() == []


def test_lookup_on_a_terminal_asks_with_count_and_cost(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """On a real terminal `check --lookup` asks first: "no" bills nothing; "yes" looks up."""
    from test_canary_tty import Terminal

    sb = sandbox_factory(trial=False, line_types={LANDLINE: "landline"})
    contacts = write_contacts(tmp_path / "c.csv", [*MOBILES, LANDLINE])
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    args = [*SMSCAST, "check", str(contacts), "--lookup"]
    for answer, billed in (("n", 0), ("y", 4)):
        term = Terminal(args, env, tmp_path)
        try:
            term.expect(r"line type of 4 numbers at Twilio \(about 0\.03 USD.*\[y/N\]")
            assert sb.lookups_billed == 0  # nothing before the answer
            term.answer(answer)
            assert term.finish() == 0
        finally:
            term.kill()
        assert sb.lookups_billed == billed
    assert "row 5: +14155550103 a landline" in term.transcript
