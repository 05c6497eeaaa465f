"""Rendering + segment analysis of 1,000,000 messages (target: at most 5 s, one core).

    python benchmarks/bench_render.py [--messages 1000000] [--baseline 100000] [--plan]

Contacts are drawn from a seeded mix of realistic names and cities (about 90% plain ASCII,
7% GSM-7 accents such as "José", 3% needing UCS-2 such as "Zoë" or "Łukasz"), with a template
that gives one or two segments. The timed loop is exactly what `build_plan` does per contact:
`Template.render` then `segments.analyze`. The baseline, timed in the same run on the first
`--baseline` contacts and scaled to the same count, is the straightforward way: `re.sub` with
a lookup function to render, a per-character loop over a dict of GSM-7 septet sizes and a
per-character segment walk to analyze. `--plan` also times `build_plan` on the same contacts
(pricing included). Prints the numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.compose.segments import GSM_BASIC_CHARS, GSM_EXTENSION_CHARS, analyze
from campaigns.compose.template import Template

TEMPLATE = (
    "Hi {first_name|there}, your appointment in {city} is on {date} at {time}. "
    "Reply C to confirm or R to reschedule.{extra|}"
)
COLUMNS = ["Phone", "First Name", "City", "Date", "Time", "Extra"]
ASCII_NAMES = ["Maria", "James", "Aisha", "Wei", "Olivia", "Liam", "Noah", "Emma", "Ava", ""]
GSM_NAMES = ["José", "Søren", "Åsa", "Müller", "Ñandú", "Björn", "Renée"]
UCS2_NAMES = ["Zoë", "Łukasz", "Ørjan 🎉", "Dvořák", "İlknur", "Nguyễn"]
CITIES = ["San Francisco", "New York", "London", "Berlin", "Paris", "Chicago", "Madrid"]
EXTRAS = ["", "", "", " See you soon!", " Bring your ID card and insurance details, please."]


def make_contacts(count: int, seed: int = 1) -> list[dict[str, str]]:
    """`count` distinct field mappings, seeded."""
    rng = random.Random(seed)
    contacts = []
    for index in range(count):
        roll = rng.random()
        names = ASCII_NAMES if roll < 0.90 else GSM_NAMES if roll < 0.97 else UCS2_NAMES
        contacts.append(
            {
                "Phone": f"+1415{index % 10_000_000:07d}",
                "First Name": rng.choice(names),
                "City": rng.choice(CITIES),
                "Date": f"2026-12-{rng.randint(1, 28):02d}",
                "Time": f"{rng.randint(8, 18)}:{rng.choice(('00', '15', '30', '45'))}",
                "Extra": rng.choice(EXTRAS),
            }
        )
    return contacts


# --- the naive baseline -----------------------------------------------------------------------

SEPTETS = {char: 1 for char in GSM_BASIC_CHARS} | {char: 2 for char in GSM_EXTENSION_CHARS}
PLACEHOLDER = re.compile(r"\{(\w+)(?:\|([^}]*))?\}")


def naive_render(text: str, fields: Mapping[str, str]) -> str:
    columns = {c.lower().replace(" ", "_"): c for c in fields}

    def substitute(match: re.Match[str]) -> str:
        value = fields.get(columns.get(match.group(1), match.group(1)), "")
        return value or (match.group(2) or "")

    return PLACEHOLDER.sub(substitute, text)


def naive_analyze(text: str) -> tuple[str, int, int]:
    septets = 0
    for char in text:
        size = SEPTETS.get(char)
        if size is None:
            units = [2 if ord(c) > 0xFFFF else 1 for c in text]
            return "UCS-2", _walk(units, 70, 67), len(text)
        septets += size
    return "GSM-7", _walk([SEPTETS[c] for c in text], 160, 153), septets


def _walk(sizes: list[int], single: int, part: int) -> int:
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


# --- timing -------------------------------------------------------------------------------------


def timed(label: str, work: Callable[[], int], count: int) -> float:
    """Run `work`; print wall and CPU time. Returns CPU seconds (steadier on a shared box)."""
    gc.collect()
    gc.disable()
    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        checksum = work()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        gc.enable()
    print(f"{label:<40} {count:>9,} msgs  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
          f"{cpu / count * 1e6:5.2f} us/msg cpu  (checksum {checksum})")  # fmt: skip
    return cpu


def fast_loop(template: Template, contacts: Sequence[dict[str, str]], count: int) -> int:
    render = template.render
    total = 0
    size = len(contacts)
    for index in range(count):
        total += analyze(render(contacts[index % size])).segments
    return total


def naive_loop(contacts: Sequence[dict[str, str]], count: int) -> int:
    total = 0
    size = len(contacts)
    for index in range(count):
        total += naive_analyze(naive_render(TEMPLATE, contacts[index % size]))[1]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=200_000, help="distinct contacts")
    parser.add_argument("--plan", action="store_true", help="also time build_plan")
    args = parser.parse_args()

    contacts = make_contacts(min(args.distinct, args.messages))
    template = Template.parse(TEMPLATE, COLUMNS)
    sample = [template.render(c) for c in contacts[:1000]]
    for body in sample:  # both ways agree on what they count
        info = analyze(body)
        assert naive_analyze(body)[:2] == (info.encoding, info.segments), body
    print(f"python {sys.version.split()[0]}; template {len(TEMPLATE)} characters; "
          f"{len(contacts):,} distinct contacts; one core")  # fmt: skip

    fast = timed("render + analyze (campaigns)", lambda: fast_loop(template, contacts,
                 args.messages), args.messages)  # fmt: skip
    base_n = min(args.baseline, args.messages)
    naive = timed("naive re.sub + per-char loop (baseline)", lambda: naive_loop(contacts,
                  base_n), base_n)  # fmt: skip
    naive_scaled = naive / base_n * args.messages
    print(
        f"baseline scaled to {args.messages:,}: {naive_scaled:.2f} s; "
        f"speed-up x{naive_scaled / fast:.1f}; target <= 5 s: {'met' if fast <= 5 else 'MISSED'}"
    )

    if args.plan:
        from campaigns.compose.plan import build_plan
        from campaigns.compose.pricing import PriceTable
        from campaigns.contacts.rows import Contact

        people = [
            Contact(row=i + 2, phone=c["Phone"], fields=c, timezones=())
            for i, c in enumerate(contacts)
        ]
        repeat = max(1, args.messages // len(people))
        timed("build_plan (render, analyze, price)",
              lambda: sum(build_plan(people, template, PriceTable()).summary.segments
                          for _ in range(repeat)), len(people) * repeat)  # fmt: skip


if __name__ == "__main__":
    main()
