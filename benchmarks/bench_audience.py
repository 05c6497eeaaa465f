"""Benchmark: recounting the audience when the TUI toggles a filter, for 100,000 contacts.

Usage: python benchmarks/bench_audience.py [--rows 100000] [--repeat 5]

Writes a CSV of distinct US, Canadian, UK, German and Australian numbers (so the quiet-hours
filter meets single-zone, two-zone and many-zone numbers), loads it with `load_contacts`, then
times, in the same run:
1. the baseline: the one-shot `build_audience(book, ...)`, which also materialises the book's
   lazily built contacts;
2. `AudienceBuilder(book)` once (that materialisation, paid when the file is opened);
3. a recount, `builder.build(...)`, with every filter on (1,000 suppressed numbers with their
   entries, 50,000 verified numbers, quiet hours 08:00-21:00), and with every filter off;
4. the same recount with the registration preflight of an unverified toll-free sender on too
   (it blocks every US and Canadian number: the most work that filter can do).
Target: a recount well under a second. Numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.audience.filters import AudienceBuilder, build_audience
from campaigns.audience.quiet_hours import QuietHours
from campaigns.audience.registration import preflight
from campaigns.audience.suppression import SOURCE_OPT_OUT, Suppression
from campaigns.contacts.book import load_contacts
from campaigns.twilio.models import AccountSenders, Sender

#: (prefix, digits to vary): US area codes in one and two zones (701-555 is Mountain and
#: Central), toll-free (every NANP zone), Canada, UK and German mobiles, Australian mobiles
#: (eight zones). Prefixes run out of numbers in turn; the others fill in.
_PREFIXES = [
    ("+1212", 7),
    ("+1415", 7),
    ("+1701555", 4),
    ("+1312", 7),
    ("+1800", 7),
    ("+1506555", 4),
    ("+447400", 6),
    ("+4917612", 6),
    ("+61412", 6),
]


def _numbers(rows: int) -> list[str]:
    """`rows` distinct valid numbers, round-robin over the prefixes."""
    numbers: list[str] = []
    counter = 0
    while len(numbers) < rows:
        for prefix, width in _PREFIXES:
            if counter < 10**width:
                national = 2 * 10 ** (width - 1) + counter if width == 7 else counter
                numbers.append(f"{prefix}{national:0{width}d}")
        counter += 1
    return numbers[:rows]


def _time(function, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    numbers = _numbers(args.rows)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contacts.csv"
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["name", "phone"])
            writer.writerows([f"person {i}", number] for i, number in enumerate(numbers))
        start = time.perf_counter()
        book = load_contacts(path)
        print(
            f"load_contacts: {book.valid:,} valid of {book.rows:,} rows in "
            f"{time.perf_counter() - start:.2f} s (not part of the recount)"
        )

    added = datetime(2026, 11, 20, tzinfo=UTC)
    suppressed = {
        n: Suppression(n, added, "", "20261120-abcdef", SOURCE_OPT_OUT) for n in numbers[::100]
    }
    verified = frozenset(numbers[::2])
    window = QuietHours.default()
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    on = {"suppressed": suppressed, "verified": verified, "quiet_hours": window, "now": now}
    off = {"suppressed": frozenset(), "verified": None, "quiet_hours": None, "now": now}

    baseline, _ = _time(lambda: build_audience(book, **on), args.repeat)
    prepare, builder = _time(lambda: AudienceBuilder(book), 1)
    recount_on, audience = _time(lambda: builder.build(**on), args.repeat)  # type: ignore[union-attr]
    recount_off, _ = _time(lambda: builder.build(**off), args.repeat)  # type: ignore[union-attr]
    toll_free = Sender(
        "+18445550103", "toll_free", True, 3.0, country="US", registration="unverified"
    )
    check = preflight(toll_free.address, service=False, senders=AccountSenders((toll_free,), ()))
    recount_reg, registered = _time(  # type: ignore[union-attr]
        lambda: builder.build(**on, registration=check),
        args.repeat,  # type: ignore[union-attr]
    )

    print(
        f"contacts: {len(builder.contacts):,}; distinct zone sets: "  # type: ignore[union-attr]
        f"{len({c.timezones for c in builder.contacts}):,}"
    )  # type: ignore[union-attr]
    print(f"counts (all filters on): {audience.counts}")  # type: ignore[union-attr]
    print(f"baseline  one-shot build_audience (materialises contacts): {baseline * 1000:8.1f} ms")
    print(f"prepare   AudienceBuilder(book), once per file:            {prepare * 1000:8.1f} ms")
    print(f"recount   all filters on:                                  {recount_on * 1000:8.1f} ms")
    print(
        f"recount   all filters off:                                 {recount_off * 1000:8.1f} ms"
    )
    print(
        f"recount   all on + registration (unverified toll-free):    {recount_reg * 1000:8.1f} ms"
        f"  ({registered.counts.get('registration', 0):,} left out)"  # type: ignore[union-attr]
    )
    print(f"(median of {args.repeat}; target: a recount well under 1,000 ms)")


if __name__ == "__main__":
    main()
