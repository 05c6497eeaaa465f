"""Benchmark: what real prices and real line types cost a plan, against the sandbox.

Usage: python benchmarks/bench_prices_lookup.py [--rows 1000000] [--lookups 5000]

Times, in the same run:
1. the destination countries of `--rows` numbers (`pipeline.prices.destination_regions`, what
   decides which countries' prices are fetched), against the baseline the plan pays anyway:
   `PriceTable.for_number` on every number;
2. `resolve_pricing` for those countries from the journal's cache (the usual case: fetched
   within the week), and the first fetch from the sandbox's Pricing API;
3. line types of `--lookups` numbers through the real SDK over loopback: Lookup's batch query
   (100 numbers a request, what smscast uses), against the baseline of one
   `GET /v2/PhoneNumbers/{n}?Fields=line_type_intelligence` per number, and the cached answer
   of the same numbers from the journal (what a second `--lookup` costs).
Numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.compose import pricing
from campaigns.compose.pricing import PriceTable
from campaigns.config.settings import Settings
from campaigns.pipeline.line_types import plan_lookup, run_lookup
from campaigns.pipeline.prices import destination_regions, resolve_pricing
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway

#: Valid numbers of nine countries (prefix + digits to vary): North America (US, CA), and
#: GB (+44, a calling code GG, IM and JE share), DE, FR, AU (+61, shared with CC and CX), IN,
#: BR.
_PREFIXES = (
    ("+12122", 6),
    ("+14152", 6),
    ("+16042", 6),
    ("+447400", 6),
    ("+49151", 8),
    ("+33612", 6),
    ("+614123", 5),
    ("+91981", 7),
    ("+55219", 8),
)


def _numbers(count: int) -> list[str]:
    return [
        f"{prefix}{i // len(_PREFIXES) % 10**digits:0{digits}d}"
        for i, (prefix, digits) in ((i, _PREFIXES[i % len(_PREFIXES)]) for i in range(count))
    ]


def _cold() -> None:
    """Forget the region caches, so each timing starts from nothing."""
    pricing._NANP_REGIONS.clear()
    pricing._REGIONS_BY_PREFIX.clear()
    pricing._region_for_number.cache_clear()


def _timed(label: str, action: object) -> tuple[float, object]:
    _cold()
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label}: {elapsed * 1000:,.1f} ms")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    args = parser.parse_args()
    now = datetime.now(UTC)

    numbers = _numbers(args.rows)
    print(f"Destination countries of {args.rows:,} numbers:")
    table = PriceTable()
    base, _ = _timed(
        "baseline, PriceTable.for_number on each", lambda: [table.for_number(n) for n in numbers]
    )
    took, regions = _timed("destination_regions", lambda: destination_regions(numbers))
    print(f"  -> {sorted(regions)} ({took / base:.2f}x the baseline)")

    with tempfile.TemporaryDirectory() as folder, Sandbox(SandboxConfig(trial=False)) as sb:
        db = Path(folder) / "smscast.db"
        settings = Settings()
        gateway = TwilioGateway(
            Credentials(sb.account_sid, sb.account_sid, sb.auth_token), sb.base_url
        )
        print("Prices for those countries:")
        _timed(
            "first fetch from the Pricing API (sandbox, loopback)",
            lambda: resolve_pricing(settings, gateway, db, regions, sender=None, now=now),
        )
        _timed(
            "from the journal's cache",
            lambda: resolve_pricing(settings, gateway, db, regions, sender=None, now=now),
        )

        wanted = [f"+1415{2_000_000 + i:07d}" for i in range(args.lookups)]
        print(f"Line types of {args.lookups:,} numbers (real SDK, loopback):")
        single, _ = _timed(
            "baseline, one GET per number",
            lambda: [
                gateway.client.lookups.v2.phone_numbers(n).fetch(fields="line_type_intelligence")
                for n in wanted
            ],
        )
        plan = plan_lookup(db, wanted, now=now)
        batched, _ = _timed(
            "batch query, 100 a request, kept in the journal",
            lambda: run_lookup(gateway, db, plan, now=now),
        )
        print(f"  -> {single / batched:.1f}x faster than one request per number")
        _timed(
            "the same numbers again, from the cache (plan_lookup)",
            lambda: plan_lookup(db, wanted, now=now),
        )
        gateway.close()


if __name__ == "__main__":
    main()
