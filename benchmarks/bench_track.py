"""Benchmark: tracking delivery receipts by sweeps of the listing against per-message polling.

Two scenarios, each campaign run twice in the same process (each on a fresh sandbox, same
seed), receipts spread log-uniformly between 2 s and 3 min after `sent` (Twilio's pace),
everything sped up; the engine tracks until every receipt is recorded.
- Burst (the issue's): N messages (20,000) from the short code at full speed, sped up
  `--speedup` (20) times, tracked 1. by per-message polling, the way before sweeps
  (`EngineOptions(receipts="poll")`: one fetch per live message, backing off 1 s .. 15 s),
  and 2. by sweeps (`receipts="sweep"`: pages of 1,000, `From` + `DateSent>`).
- Steady: 15,000 messages at 10/s (25 minutes), sped up 30 times, tracked by sweeps that
  list from the campaign's start every time (`receipts="sweep-from-start"`, the way before
  the listing followed the oldest message waiting) and by this code's sweeps.
All intervals are divided by the speedup too. Printed for each: tracking requests per tracked
message (target <= 0.05 for sweeps), the time from the run's start until every receipt is
recorded, the latest any receipt was recorded after the sandbox had it (target: within one
sweep interval, i.e. `sweep_cap`: 15 s, here 15 s / speedup), and the client's CPU (this
process's CPU less the sandbox thread's own, read from its thread CPU clock).

Usage: python benchmarks/bench_track.py [--scenario both|burst|steady] [--messages 20000]
       [--speedup 20] [--steady-messages 15000] [--steady-rate 10] [--steady-speedup 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.events import Event, RecipientChanged
from campaigns.store.journal import Journal, NewRecipient
from campaigns.store.statuses import FINAL
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway

SENDER = "55501"  # the sandbox's short code: 100 segments/s before the speedup


@dataclass
class Result:
    mode: str
    tracked: int
    requests: int
    all_recorded_after: float
    worst_lag: float
    cpu: float
    unrecorded: int
    sweep_period: float  # the longest time between two sweeps' starts (sweeps only)
    longest_read: float  # the longest time one sweep took to read its pages (sweeps only)
    sweeps: int
    full_sweeps: int


def thread_cpu(thread_id: int | None) -> float:
    """CPU seconds of one thread of this process (0 when unknown)."""
    if thread_id is None:
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(thread_id))


def run_once(
    mode: str,
    messages: int,
    speedup: float,
    folder: Path,
    *,
    rate: float | None = None,
    window: bool = True,
) -> Result:
    """One campaign tracked by `mode`, sent at `rate` messages/s before the speedup (None:
    as fast as the sender allows); `window` False lists every sweep from the campaign's
    start (the way before the window, for comparison)."""
    config = SandboxConfig(
        trial=False,
        speedup=speedup,
        delivery_delay=2.0,
        delivery_delay_max=180.0,
        concurrency_limit=100,
        seed=7,
    )
    with Sandbox(config) as sandbox:
        journal = Journal.open(folder / f"{mode}-{rate}-{window}.db")
        rows = [
            NewRecipient(i, f"+1415{5550000 + i:07d}", f"Hello {i}", 1, 0.0079)
            for i in range(messages)
        ]
        cid = journal.create_campaign(
            template="Hello {n}",
            source_name="bench.csv",
            source_sha256="0" * 64,
            sender=SENDER,
            messaging_service_sid=None,
            settings={},
            recipients=rows,
        )
        gateway = TwilioGateway(
            Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
            base_url=sandbox.base_url,
        )
        options = EngineOptions(
            rate=rate * speedup if rate else None,
            concurrency=100,
            track_seconds=600.0,
            receipts=mode if window else "sweep-from-start",
            sweep_first=1.0 / speedup,
            sweep_cap=15.0 / speedup,
        )
        engine = Engine(gateway, journal, cid, options)
        recorded: dict[int, float] = {}

        def emit(event: Event) -> None:
            if isinstance(event, RecipientChanged) and event.status in FINAL:
                recorded.setdefault(event.row, time.time())

        sandbox_thread = sandbox._thread.ident if sandbox._thread is not None else None
        cpu0, sb0 = time.process_time(), thread_cpu(sandbox_thread)
        start = time.time()
        asyncio.run(engine.run(emit))
        cpu = (time.process_time() - cpu0) - (thread_cpu(sandbox_thread) - sb0)
        # When the sandbox had each receipt (its own record of the message's life).
        store = sandbox._app.store
        by_sid = {r.sid: r.row for r in journal.recipients(cid)}
        lags, unrecorded = [], 0
        for message in store.messages:
            row = by_sid.get(message.sid)
            if row is None:
                continue
            had = message.sent_at if message.outcome == "failed" else message.final_at
            if row in recorded:
                lags.append(recorded[row] - had)
            else:
                unrecorded += 1
        gateway.close()
        journal.close()
        starts = getattr(engine._polls, "started", [])
        period = max((b - a for a, b in itertools.pairwise(starts)), default=0.0)
        reads = getattr(engine._polls, "reads", [])
    return Result(
        mode,
        tracked=len(by_sid),
        requests=engine.stats["tracking_requests"],
        all_recorded_after=(max(recorded.values()) - start) if recorded else float("nan"),
        worst_lag=max(lags) if lags else float("nan"),
        cpu=cpu,
        unrecorded=unrecorded,
        sweep_period=period,
        longest_read=max(reads, default=0.0),
        sweeps=len(starts),
        full_sweeps=getattr(engine._polls, "full_sweeps", 0),
    )


def _table(rows: list[tuple[str, Result]]) -> None:
    print(
        f"{'':30}{'requests/msg':>14}{'all recorded':>14}{'worst lag':>11}"
        f"{'client CPU':>12}{'missed':>8}"
    )
    for name, r in rows:
        print(
            f"{name:30}{r.requests / max(1, r.tracked):>14.4f}{r.all_recorded_after:>13.1f}s"
            f"{r.worst_lag:>10.2f}s{r.cpu:>11.1f}s{r.unrecorded:>8}"
        )


def _verdict(sweep: Result, speedup: float) -> None:
    interval = 15.0 / speedup
    per = sweep.requests / max(1, sweep.tracked)
    print(
        f"  sweeps: {sweep.sweeps}, longest period (start to start) {sweep.sweep_period:.2f} s,"
        f" longest read {sweep.longest_read:.2f} s; {sweep.requests:,} tracking requests for "
        f"{sweep.tracked:,} messages"
    )
    print(
        f"  target <= 0.05 requests per message: {'met' if per <= 0.05 else 'NOT met'}; "
        f"worst lag {sweep.worst_lag:.2f} s against one sweep interval ({interval:.2f} s): "
        f"{'met' if sweep.worst_lag <= interval else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--speedup", type=float, default=20.0)
    parser.add_argument(
        "--steady-messages", type=int, default=15_000, help="the steady campaign's size"
    )
    parser.add_argument(
        "--steady-rate", type=float, default=10.0, help="its messages/s (before the speedup)"
    )
    parser.add_argument("--steady-speedup", type=float, default=30.0)
    parser.add_argument("--scenario", choices=("both", "burst", "steady"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.scenario in ("both", "burst"):
            print(
                f"Burst: {args.messages:,} messages as fast as the short code sends, receipts "
                f"2 s .. 3 min after sent, sped up {args.speedup:g}x (one sweep interval, "
                f"15 s, is {15.0 / args.speedup:.2f} s here)"
            )
            poll, sweep = (
                run_once(m, args.messages, args.speedup, Path(folder)) for m in ("poll", "sweep")
            )
            _table([("per-message polling (before)", poll), ("sweeps (this code)", sweep)])
            _verdict(sweep, args.speedup)
        if args.scenario in ("both", "steady"):
            n, rate, speedup = args.steady_messages, args.steady_rate, args.steady_speedup
            print(
                f"Steady: {n:,} messages at {rate:g}/s ({n / rate / 60:.0f} min of sending), "
                f"receipts 2 s .. 3 min after sent, sped up {speedup:g}x (one sweep interval "
                f"is {15.0 / speedup:.2f} s here)"
            )
            full, windowed = (
                run_once("sweep", n, speedup, Path(folder), rate=rate, window=w)
                for w in (False, True)
            )
            _table(
                [
                    ("sweeps from campaign start", full),
                    ("sweeps from oldest live (this)", windowed),
                ]
            )
            _verdict(windowed, speedup)


if __name__ == "__main__":
    main()
