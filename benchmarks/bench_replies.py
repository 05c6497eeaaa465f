"""Benchmark: collecting and classifying 100,000 replies, and the requests it costs.

Usage: python benchmarks/bench_replies.py [--replies 100000] [--baseline-sample 2000]

A sandbox (in this process, on its own thread) holds a finished campaign of N recipients, each
of whom has texted back once (a realistic mix: STOP, HELP, questions, thanks, "stop texting
me", START). Then, in the same run:
1. smscast's collector (`campaigns.conversation.collector.collect`): one listing of the
   sender's inbound messages, PageSize 1000, every reply classified, matched to its recipient,
   stored once, opt-outs put on the suppression list; then an idle poll (nothing new);
2. the baseline: one request per recipient (`GET Messages?From=<person>&To=<sender>`, the way
   a tool that asks about each person would), timed on `--baseline-sample` recipients and
   scaled to N (the whole baseline at 100,000 takes minutes; the sample says the rate). The
   sandbox answers a From filter by scanning the sender's messages, so its time per request
   grows with N; Twilio's would not, which is why the requests are the number to compare.
Prints the time and requests of each. The sandbox runs in this process, so its CPU is in the
times too. Numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation.collector import collect
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store import journal as J
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway

SENDER = "+15017122661"
BODIES = (
    "STOP",
    "HELP",
    "Who is this?",
    "Thanks, see you there!",
    "stop texting me",
    "START",
    "yes I'll come",
    "What time does it start?",
)


def _numbers(count: int) -> list[str]:
    return [f"+1415{2_000_000 + i:07d}" for i in range(count)]


def _campaign(journal: J.Journal, people: list[str]) -> J.Campaign:
    recipients = [J.NewRecipient(i + 2, p, "Hello", 1, 0.0079) for i, p in enumerate(people)]
    cid = journal.create_campaign(
        template="Hello",
        source_name="bench.csv",
        source_sha256="0" * 64,
        sender=SENDER,
        messaging_service_sid=None,
        settings={},
        recipients=recipients,
    )
    at = datetime.now(UTC) - timedelta(minutes=1)
    rows = [r.row for r in recipients]
    journal.apply(cid, intents=[J.Intent(row, at) for row in rows])
    journal.apply(cid, outcomes=[J.Outcome(row, "delivered", sid=f"SM{row:032x}") for row in rows])
    journal.set_state(cid, J.FINISHED)
    return journal.campaign(cid)


def _baseline(gateway: TwilioGateway, people: list[str]) -> float:
    """Seconds for one listing request per person (each its own GET)."""
    client = gateway.client
    start = time.perf_counter()
    for person in people:
        client.messages.list(from_=person, to=SENDER, page_size=20)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    args = parser.parse_args()
    people = _numbers(args.replies)
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxConfig(trial=False)) as sb:
        journal = J.Journal.open(Path(tmp) / "bench.db")
        campaign = _campaign(journal, people)
        sb.receive_many([(p, SENDER, BODIES[i % len(BODIES)]) for i, p in enumerate(people)])
        gateway = TwilioGateway(
            Credentials(sb.account_sid, sb.account_sid, sb.auth_token), base_url=sb.base_url
        )
        with SuppressionList(journal.path) as suppressions:
            start = time.perf_counter()
            found = collect(journal, gateway, suppressions, [campaign])
            took = time.perf_counter() - start
            idle_start = time.perf_counter()
            idle = collect(journal, gateway, suppressions, [campaign])
            idle_took = time.perf_counter() - idle_start
            listed = len(suppressions)
        sample = people[: args.baseline_sample]
        base = _baseline(gateway, sample)
        scaled = base / len(sample) * len(people)
        kinds: dict[str, int] = {}
        for reply in found.stored:
            kinds[reply.kind] = kinds.get(reply.kind, 0) + 1
        matched = sum(1 for r in found.stored if r.row is not None)
        print(f"replies in the sandbox:        {len(people):,}")
        print(
            f"smscast collect + classify:    {took:.2f} s, {found.requests} requests"
            f" ({len(found.stored) / took:,.0f} replies/s); {matched:,} matched to a row,"
            f" {listed:,} numbers on the suppression list"
        )
        print(f"  kinds: {', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))}")
        print(
            f"idle poll (nothing new):       {idle_took * 1000:.1f} ms, {idle.requests} request(s)"
        )
        print(
            f"baseline, 1 request/recipient: {base:.2f} s for {len(sample):,}"
            f" ({base / len(sample) * 1000:.1f} ms a request) -> {scaled:.1f} s"
            f" and {len(people):,} requests for {len(people):,} (scaled)"
        )
        print(
            f"collector vs baseline:         {scaled / took:.1f}x faster,"
            f" {len(people) / max(found.requests, 1):,.0f}x fewer requests"
        )
        gateway.close()
        journal.close()


if __name__ == "__main__":
    main()
