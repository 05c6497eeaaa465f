"""Benchmark: smscast's engine against the sandbox in its own process, with the journal's
durability (WAL, synchronous=FULL, intent committed before every request).

Runs, in one go:
1. the seed's approach as the baseline: a sequential `client.messages.create` loop (the sync
   twilio SDK), ~200 messages, extrapolated;
2. the engine: 20,000 recipients, `--rate max --concurrency 100`: messages/s end to end (from
   `Engine.run` start to the campaign finished and committed) and client CPU per message
   (`time.process_time` of this process: the sandbox runs in another one); on the loop the CLI
   uses (uvloop where installed, `campaigns.send.aio`) and, for comparison, on asyncio's own;
3. the engine at `--rate 50`: the achieved rate, and the most messages started in any
   one-second window, computed from our own send timestamps (the moment each request was
   launched, i.e. its `inflight` event) and, as a cross-check, from the sandbox's own message
   list (`date_created`, whole seconds).

Two references, no engine and no journal: the bare SDK (`messages.create_async` on the SDK's own
`AsyncTwilioHttpClient`, 100 in flight, as twilio-python's own async docs use it) and our
gateway's async sends, so the
gateway's own cost shows against the SDK's in the same run.

Usage: python benchmarks/bench_send.py [--messages 20000] [--rate-messages 1000] [--profile]
`--profile` runs the engine under cProfile and prints where the time went (slower numbers).
Numbers on a shared 2-core machine are noisy; run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from campaigns.send import aio
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.events import Event, RecipientChanged
from campaigns.store.journal import Journal, NewRecipient
from campaigns.store.statuses import CampaignState, RecipientStatus
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway


def start_sandbox(latency_ms: float, limit: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`smscast sandbox` in its own process; returns it and the base URL / SID / token."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campaigns",
            "sandbox",
            "--full",
            "--latency-ms",
            str(latency_ms),
            "--concurrency-limit",
            str(limit),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    info: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        if line.startswith("account SID:"):
            info["sid"] = line.split(":", 1)[1].strip()
        elif line.startswith("auth token:"):
            info["token"] = line.split(":", 1)[1].strip()
        elif line.startswith("export TWILIO_PHONE_NUMBER="):
            info["from"] = line.split("=", 1)[1]
        elif line.startswith("READY "):
            info["base_url"] = line.split(" ", 1)[1]
            break
    return proc, info


def numbers(count: int, start: int) -> list[str]:
    """Distinct valid US mobile-looking numbers."""
    return [f"+1415{2_000_000 + start + i:07d}" for i in range(count)]


def baseline(info: dict[str, str], count: int) -> float:
    """The seed's way: one synchronous create after another. Returns messages/s."""
    from twilio.rest import Client

    client = Client(info["sid"], info["token"])
    client.api.base_url = info["base_url"]
    client.edge = None
    client.region = None
    t0 = time.perf_counter()
    for i, to in enumerate(numbers(count, 7_000_000)):
        client.messages.create(to=to, from_=info["from"], body=f"baseline {i}")
    return count / (time.perf_counter() - t0)


def engine_run(
    info: dict[str, str],
    db: Path,
    count: int,
    start: int,
    options: EngineOptions,
    profile: cProfile.Profile | None = None,
    sender: str | None = None,
) -> tuple[float, float, list[float], str]:
    """One campaign through the engine. Returns (seconds, CPU seconds, send times, id)."""
    journal = Journal.open(db)
    recipients = [
        NewRecipient(i + 2, to, f"Hello {i}, this is smscast.", 1, 0.0079)
        for i, to in enumerate(numbers(count, start))
    ]
    cid = journal.create_campaign(
        template="Hello {n}, this is smscast.",
        source_name="bench.csv",
        source_sha256="0" * 64,
        sender=sender or info["from"],
        messaging_service_sid=None,
        settings={},
        recipients=recipients,
    )
    gateway = TwilioGateway(
        Credentials(info["sid"], info["sid"], info["token"]), base_url=info["base_url"]
    )
    starts: list[float] = []
    statuses: Counter[str] = Counter()

    def emit(event: Event) -> None:
        if isinstance(event, RecipientChanged):
            statuses[event.status] += 1
            if event.status == RecipientStatus.INFLIGHT:
                starts.append(time.monotonic())

    engine = Engine(gateway, journal, cid, options)
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    result = aio.run(engine.run(emit))
    if profile is not None:
        profile.disable()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    counts = journal.counts(cid)
    journal.close()
    if result.state != CampaignState.FINISHED or counts.get(RecipientStatus.QUEUED, 0) != count:
        raise SystemExit(f"run did not finish cleanly: {result} {counts}")
    return elapsed, cpu, starts, cid


def sdk_alone(info: dict[str, str], count: int, start: int) -> tuple[float, float]:
    """The bare SDK: `create_async` on its own aiohttp client, 100 in
    flight, no engine, no journal: (msg/s, CPU s/msg)."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    async def main() -> float:
        http = AsyncTwilioHttpClient()
        client = Client(info["sid"], info["token"], http_client=http)
        client.api.base_url = info["base_url"]
        client.edge = None
        client.region = None
        gate = asyncio.Semaphore(100)

        async def one(to: str) -> None:
            async with gate:
                await client.api.v2010.account.messages.create_async(
                    to=to, body="sdk alone", from_=info["from"]
                )

        try:
            t0 = time.perf_counter()
            await asyncio.gather(*(one(to) for to in numbers(count, start)))
            return time.perf_counter() - t0
        finally:
            await http.close()

    cpu0 = time.process_time()
    elapsed = asyncio.run(main())
    return count / elapsed, (time.process_time() - cpu0) / count


def gateway_alone(info: dict[str, str], count: int, start: int) -> tuple[float, float]:
    """The gateway's async sends, 100 in flight, no journal, no engine: (msg/s, CPU s/msg)."""
    gateway = TwilioGateway(
        Credentials(info["sid"], info["sid"], info["token"]), base_url=info["base_url"]
    )

    async def main() -> float:
        gate = asyncio.Semaphore(100)
        async with gateway.async_session() as session:

            async def one(to: str) -> None:
                async with gate:
                    await session.send(to=to, body="gateway alone", from_=info["from"])

            t0 = time.perf_counter()
            await asyncio.gather(*(one(to) for to in numbers(count, start)))
            return time.perf_counter() - t0

    cpu0 = time.process_time()
    elapsed = aio.run(main())
    return count / elapsed, (time.process_time() - cpu0) / count


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any closed window [t, t + window] starting at an event."""
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_right(times, t + window)
        best = max(best, j - i)
    return best


def sandbox_seconds(info: dict[str, str], prefix_start: int, count: int) -> int:
    """The most messages the sandbox stored in one calendar second (date_created)."""
    from twilio.rest import Client

    client = Client(info["sid"], info["token"])
    client.api.base_url = info["base_url"]
    client.edge = None
    client.region = None
    wanted = set(numbers(count, prefix_start))
    buckets: Counter[str] = Counter()
    for m in client.messages.list(page_size=1000):
        if m.to in wanted:
            buckets[m.date_created.isoformat()] += 1
    return max(buckets.values()) if buckets else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate-messages", type=int, default=1_000)
    parser.add_argument("--baseline-messages", type=int, default=200)
    parser.add_argument(
        "--profile", action="store_true", help="profile the engine run (cProfile, top 30)"
    )
    args = parser.parse_args()

    proc, info = start_sandbox(latency_ms=50, limit=200)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            print("sandbox: own process, 50 ms latency, concurrency limit 200", flush=True)

            base = baseline(info, args.baseline_messages)
            print(
                f"baseline (seed: sequential client.messages.create, {args.baseline_messages} "
                f"messages): {base:.1f} msg/s -> {args.messages} messages in "
                f"{args.messages / base / 60:.1f} min",
                flush=True,
            )

            rate, cpu = sdk_alone(info, 5_000, 4_000_000)
            print(
                f"reference (no engine, no journal): the bare SDK's create_async, 100 in flight, "
                f"5000 messages: {rate:.0f} msg/s, client CPU {cpu * 1e6:.0f} us/message",
                flush=True,
            )

            rate, cpu = gateway_alone(info, 5_000, 6_000_000)
            print(
                f"reference (no engine, no journal): the gateway's async sends, 100 in flight, "
                f"5000 messages: {rate:.0f} msg/s, client CPU {cpu * 1e6:.0f} us/message",
                flush=True,
            )

            opts = EngineOptions(rate=None, concurrency=100, track_seconds=0)
            loops = ["asyncio"] if aio.loop_name() == "asyncio" else ["uvloop", "asyncio"]
            start = 0
            for loop in loops:
                profile = cProfile.Profile() if args.profile and loop == loops[0] else None
                if loop == "asyncio":
                    os.environ[aio.ENV_VAR] = "asyncio"
                # Each run from its own long code: one sender's queue holds 36,000 messages.
                sender = "+15017122662" if loop == "asyncio" else None
                elapsed, cpu, _, _ = engine_run(
                    info, db, args.messages, start, opts, profile, sender
                )
                os.environ.pop(aio.ENV_VAR, None)
                start += 1_000_000
                print(
                    f"engine on {loop}, --rate max --concurrency 100, {args.messages} recipients, "
                    f"journal WAL+synchronous=FULL: {args.messages / elapsed:.0f} msg/s end to end "
                    f"({elapsed:.1f} s), client CPU {cpu / args.messages * 1e6:.0f} us/message, "
                    f"{args.messages / elapsed / base:.0f}x the baseline"
                    + (" (under cProfile: slower)" if profile is not None else ""),
                    flush=True,
                )
                if profile is not None:
                    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(30)

            n = args.rate_messages
            opts = EngineOptions(rate=50, concurrency=100, track_seconds=0)
            elapsed, cpu, starts, _ = engine_run(info, db, n, 5_000_000, opts)
            span = starts[-1] - starts[0]
            achieved = (len(starts) - 1) / span if span > 0 else 0.0
            print(
                f"engine --rate 50, {n} recipients: achieved {achieved:.2f} msg/s between the "
                f"first and last send ({(achieved - 50) / 50 * 100:+.2f}%), {n / elapsed:.2f} "
                f"msg/s overall; most sends in any 1 s window (own send timestamps): "
                f"{max_in_window(starts)}; most in one calendar second at the sandbox "
                f"(date_created): {sandbox_seconds(info, 5_000_000, n)}",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
