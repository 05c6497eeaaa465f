"""Benchmark: what a schedule costs at planning, for a bulk campaign.

`send_times` (each recipient's due moment for `--at-local 09:00` inside the 08:00-21:00
window, and for `--at`) on N distinct numbers spread over US area codes, UK and others, against
its baseline in the same run: finding the same numbers' time zones alone (`zone_names`, which
the sending window's check already pays for every campaign).

Usage: python benchmarks/bench_schedule.py [--numbers 100000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from campaigns.audience.quiet_hours import QuietHours, zone_names
from campaigns.send.schedule import ScheduleRequest, send_times, twilio_holds

AREA_CODES = ("212", "415", "312", "208", "907", "808", "305", "617", "713", "206")


def numbers(count: int) -> list[str]:
    out = []
    for i in range(count):
        if i % 10 == 9:
            out.append(f"+4479{i % 100_000_000:08d}")
        else:
            out.append(f"+1{AREA_CODES[i % len(AREA_CODES)]}{2_000_000 + i % 8_000_000:07d}")
    return out


def clock(label: str, work: object) -> float:
    start = time.perf_counter()
    assert callable(work)
    work()
    took = time.perf_counter() - start
    print(f"{label}: {took:.2f} s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=100_000)
    args = parser.parse_args()
    phones = numbers(args.numbers)
    now = datetime.now(UTC)
    window = QuietHours.parse("08:00-21:00")
    local = ScheduleRequest(local_time=datetime(2026, 1, 1, 9).time(), tz="UTC")
    at = ScheduleRequest(at=now + timedelta(hours=5), tz="UTC")
    n = len(phones)
    base = clock(f"baseline: zone_names of {n} numbers", lambda: zone_names(phones))
    took = clock(
        f"send_times --at-local 09:00, window 08:00-21:00, {n} numbers",
        lambda: send_times(phones, local, window, now),
    )
    clock(
        f"send_times --at, window 08:00-21:00, {n} numbers",
        lambda: send_times(phones, at, window, now),
    )
    when = now + timedelta(hours=5)
    clock(
        f"twilio_holds x {n} (the per-request check)",
        lambda: [twilio_holds(when, now) for _ in phones],
    )
    print(f"--at-local over the baseline: {took / base:.2f}x")


if __name__ == "__main__":
    main()
