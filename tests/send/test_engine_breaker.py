"""The circuit breaker beyond the send path (see `test_engine` for 21408 at send time): the
same delivery error (30007, carrier filtering) for many recipients in a row pauses the
campaign with what to fix, and STOP replies (21610) never trip it: they are about one person.
The engine runs against the sandbox through the real twilio SDK."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from engine_support import assert_exactly_once, campaign, numbers, open_journal, run

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.sandbox.rules import MAGIC_TO
from campaigns.store import journal as J

FAST = {"trial": False, "speedup": 1000.0, "delivery_delay": 0.05, "accept_delay": 0.01}


async def test_the_same_delivery_error_in_a_row_pauses_the_campaign(tmp_path: Path) -> None:
    config = SandboxConfig(**FAST, undelivered_share=1.0, seed=5)
    # Numbers whose messages this sandbox reports undelivered with 30007 (carrier filtering).
    filtered = [n for n in numbers(400, 2000) if config.outcome(n) == ("undelivered", 30007)]
    assert len(filtered) >= 25
    with Sandbox(config) as sb:
        journal = open_journal(tmp_path)
        cid = campaign(journal, filtered[:25])
        result, rec = await run(
            sb, journal, cid, concurrency=2, rate=10.0, track_seconds=30, breaker_threshold=20
        )
        assert (result.state, result.kind) == ("paused", "breaker"), result
        assert "30007" in result.reason
        assert result.hint and f"smscast resume {cid}" in result.hint
        assert rec.of("campaign_paused")[-1].kind == "breaker"
        assert journal.campaign(cid).state == J.PAUSED
        counts = assert_exactly_once(sb, journal, cid)
        assert counts.get("undelivered", 0) >= 20


async def test_stop_replies_never_trip_the_breaker(tmp_path: Path) -> None:
    (stop,) = [number for number, code in MAGIC_TO.items() if code == 21610]
    with Sandbox(SandboxConfig(**FAST)) as sb:
        journal = open_journal(tmp_path)
        # The journal holds rows, not people: 25 rows to the opted-out magic number.
        cid = campaign(journal, [stop] * 25 + numbers(3, 2500))
        opted: list[str] = []
        result, _ = await run(
            sb,
            journal,
            cid,
            concurrency=1,
            breaker_threshold=20,
            opted_out=lambda phone, c: opted.append(phone),
        )
        assert result.state == "finished", result
        counts = Counter(r.status for r in journal.recipients(cid))
        assert (
            counts["failed"] == 25
            and counts["failed"] + sum(counts[s] for s in J.SENT_STATUSES) == 28
        )
        assert opted == [stop] * 25
