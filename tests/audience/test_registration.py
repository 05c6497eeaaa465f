"""The registration preflight: which recipients the campaign's sender cannot reach today (US
long codes without an approved A2P 10DLC campaign, toll-free numbers not verified), each
state of each program, a Messaging Service judged by the senders Twilio would pick, and
"cannot tell" as a warning that excludes no one.

The senders are `campaigns.twilio.models` values, as the gateway builds them (the gateway's
own reading of them from the sandbox is `tests/e2e/test_gateway_senders.py`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from audience.test_audience import Book, contact

from campaigns.audience.filters import KIND_REGISTRATION, AudienceBuilder
from campaigns.audience.registration import preflight
from campaigns.twilio.models import AccountSenders, MessagingService, Sender

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
US, PR, CA, GB = "+12125550100", "+17875550123", "+16045550100", "+447400123456"
RECIPIENTS = Book(contacts=[contact(2, US), contact(3, PR), contact(4, CA), contact(5, GB)])


def number(address: str, kind: str, state: str, country: str = "US") -> Sender:
    return Sender(address, kind, True, 1.0, country=country, registration=state)


def excluded_rows(address: str, senders: AccountSenders, *, service: bool = False) -> list[int]:
    check = preflight(address, service=service, senders=senders)
    audience = AudienceBuilder(RECIPIENTS).build(
        suppressed=set(), verified=None, quiet_hours=None, now=NOW, registration=check
    )
    kinds = {e.kind for e in audience.excluded}
    assert kinds <= {KIND_REGISTRATION}
    rows = [e.row for e in audience.excluded]
    assert audience.counts.get(KIND_REGISTRATION, 0) == len(rows)
    assert [c.row for c in audience.included] == [r for r in (2, 3, 4, 5) if r not in rows]
    if rows:  # the reason says what to do, and a hint sums it up
        assert all("Twilio would accept it" in e.reason for e in audience.excluded)
        assert any(f"{len(rows)} recipients are left out" in h for h in audience.hints)
    return rows


@pytest.mark.parametrize(
    ("kind", "state", "rows", "words"),
    [
        ("long_code", "registered", [], ""),
        ("long_code", "pending", [2, 3], "still in review"),
        ("long_code", "failed", [2, 3], "was rejected"),
        ("long_code", "unregistered", [2, 3], "not registered for A2P 10DLC"),
        ("toll_free", "approved", [], ""),
        ("toll_free", "pending", [2, 3, 4], "still in review"),
        ("toll_free", "rejected", [2, 3, 4], "was rejected"),
        ("toll_free", "unverified", [2, 3, 4], "no toll-free verification"),
        ("short_code", "not-needed", [], ""),
    ],
)
def test_each_state_of_a_single_sender(kind: str, state: str, rows: list[int], words: str) -> None:
    address = "55501" if kind == "short_code" else "+18445550100"
    senders = AccountSenders((number(address, kind, state),), ())
    assert excluded_rows(address, senders) == rows
    if rows:
        check = preflight(address, service=False, senders=senders)
        block = check.block_for(US)
        assert block is not None and words in block.reason
        assert block.code == (30034 if kind == "long_code" else 30032)


def test_a_canadian_long_code_needs_no_10dlc() -> None:
    senders = AccountSenders((number("+16045550123", "long_code", "not-needed", "CA"),), ())
    assert excluded_rows("+16045550123", senders) == []


def test_unknown_is_a_warning_not_a_block() -> None:
    senders = AccountSenders((number("+15017122673", "long_code", "unknown"),), (), "HTTP 403")
    check = preflight("+15017122673", service=False, senders=senders)
    assert check.blocks == {} and "could not read" in check.warnings[0]
    assert excluded_rows("+15017122673", senders) == []
    unlisted = preflight("+15550001111", service=False, senders=AccountSenders((), ()))
    assert unlisted.blocks == {} and "does not list" in unlisted.warnings[0]


MG = "MG" + "5" * 32


def pool(*senders: Sender, a2p: str = "registered") -> AccountSenders:
    service = MessagingService(MG, "pool", True, True, a2p, tuple(senders))
    return AccountSenders(tuple(senders), (service,))


def test_a_mixed_pool_is_judged_by_the_senders_twilio_would_pick() -> None:
    short = number("55501", "short_code", "not-needed")
    canadian = number("+16045550123", "long_code", "not-needed", "CA")
    toll_free = number("+18445550101", "toll_free", "pending")
    # US recipients go to the short code, Canadian ones to the Canadian long code, Puerto
    # Rico has no local sender (any of the pool: some blocked, so only a warning).
    assert excluded_rows(MG, pool(short, canadian, toll_free), service=True) == []
    check = preflight(MG, service=True, senders=pool(short, canadian, toll_free))
    assert any("PR" in w and "+18445550101" in w for w in check.warnings)
    # Without the short code, US numbers meet the unverified toll-free number only.
    assert excluded_rows(MG, pool(canadian, toll_free), service=True) == [2]


def test_a_pool_of_unregistered_long_codes_blocks_the_us_only() -> None:
    long_codes = [number(f"+1501712267{n}", "long_code", "pending") for n in range(2)]
    assert excluded_rows(MG, pool(*long_codes, a2p="pending"), service=True) == [2, 3]
    record = preflight(MG, service=True, senders=pool(*long_codes, a2p="pending")).record()
    assert record["state"] == "pending" and "US" in record["blocked_regions"]
    assert "CA" not in record["blocked_regions"]
