"""The columnar audience and plan (issue 15) give exactly what the per-contact ones gave.

The exactly-once path must not change behaviour: for the same file, filters and template, the
journal rows a campaign is created from (every message's number, body, segments and cost, and
every skipped row's reason) must be byte-identical to those the planner of commit 9414c3e
built (`tests/legacy_planning`, a frozen copy). The file mixes what changes a message: names
with accents, emoji, curly quotes, controls and invisible characters, empty cells, bodies
too long or blank, numbers in one or many time zones, duplicates and invalid numbers.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from legacy_planning import filters as legacy_filters
from legacy_planning import plan as legacy_plan

from campaigns.audience.filters import AudienceBuilder
from campaigns.audience.quiet_hours import QuietHours
from campaigns.audience.suppression import SOURCE_OPT_OUT, Suppression
from campaigns.compose.plan import build_plan
from campaigns.compose.pricing import PriceTable
from campaigns.compose.template import Template
from campaigns.contacts.book import ContactBook, load_contacts
from campaigns.pipeline.recipients import journal_recipients

NOW = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # night in the Americas, day in Asia
PRICES = PriceTable({"GB": 0.05, "default": 0.11})
NAMES = ["Ana", "Zoë", "José", "", "  ", "Ann 😀", "“Bo”", "Li\u200b", "Al\x07", "Ωmega", "Ed"]
NOTES = [
    "",
    "see you soon",
    "x" * 170,
    "z" * 400,
    "y" * 1700,
    "   ",
    "\u200b",
    "café {ok}",
    "€5 — off",
]
# area codes in one zone (NY, LA, Honolulu), several (toll-free: every US zone), and abroad
PREFIXES = ["+1212555", "+1415555", "+1808555", "+1800555", "+44207946", "+91981000", "+6141255"]
TEMPLATES = [
    "Hi {first_name|there}, {note} Reply STOP to opt out.",
    "{Note}",
    "Hi {First Name} {last_name} of {City}! Reply STOP",
    "No placeholders at all, just text: Reply STOP",
    "{Phone} {first_name|}",  # one group per row
]


def mixed_file(folder: Path, rows: int = 3000) -> Path:
    chance = random.Random(15)
    lines = ["First Name,Last Name,Phone,Note,City"]
    for i in range(rows):
        phone = f"{chance.choice(PREFIXES)}{i % 997:04d}"
        if i % 97 == 0:
            phone = "12345"  # invalid
        elif i % 89 == 0:
            phone = ""  # missing
        elif i % 83 == 0:
            phone = "1.5E+10"  # scientific notation
        name, note = chance.choice(NAMES), chance.choice(NOTES)
        cells = [name, chance.choice(["Silva", "", "Nguyễn"]), phone, note, "Köln"]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    lines.insert(40, ",,,,")  # a blank row
    path = folder / "mixed.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> ContactBook:
    loaded = load_contacts(mixed_file(tmp_path_factory.mktemp("mixed")))
    assert loaded.duplicates and loaded.invalid and loaded.valid > 1000  # the mix is there
    return loaded


def filter_choices(book: ContactBook) -> list[dict[str, object]]:
    numbers = [c.phone for c in book.contacts]
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    entries = {n: Suppression(n, when, "STOP", "C1", SOURCE_OPT_OUT) for n in numbers[::13]}
    return [
        {"suppressed": {}, "verified": None, "quiet_hours": None},
        {"suppressed": entries, "verified": None, "quiet_hours": QuietHours.default()},
        {
            "suppressed": frozenset(numbers[::7]),
            "verified": frozenset(numbers[::2]) | {"+15550000000"},
            "quiet_hours": QuietHours.parse("09:00-12:00"),  # toll-free zones never meet
        },
        # a small audience (a tenth of the book: its numbers priced alone, not the book's)
        {"suppressed": {}, "verified": frozenset(numbers[::10]), "quiet_hours": None},
    ]


def plain(items: object) -> list[tuple[object, ...]]:
    return [dataclasses.astuple(item) for item in items]  # type: ignore[attr-defined]


def test_the_audience_is_the_one_the_per_contact_filters_gave(book: ContactBook) -> None:
    new, old = AudienceBuilder(book), legacy_filters.AudienceBuilder(book)
    for choice in filter_choices(book):
        for now in (NOW, NOW + timedelta(hours=12)):
            got = new.build(**choice, now=now)  # type: ignore[arg-type]
            want = old.build(**choice, now=now)  # type: ignore[arg-type]
            assert list(got.included) == want.included
            assert plain(got.excluded) == plain(want.excluded)
            assert list(got.deferred.items()) == list(want.deferred.items())
            assert list(got.counts.items()) == list(want.counts.items())  # (order too)
            assert (got.hints, got.unknown_zone) == (want.hints, want.unknown_zone)
            assert set(got.counts) > {"included"}  # filters really excluded someone


def test_the_plan_and_the_journal_rows_are_byte_identical(book: ContactBook) -> None:
    new, old = AudienceBuilder(book), legacy_filters.AudienceBuilder(book)
    for choice in filter_choices(book):
        audience = new.build(**choice, now=NOW)  # type: ignore[arg-type]
        old_audience = old.build(**choice, now=NOW)  # type: ignore[arg-type]
        for text in TEMPLATES:
            template = Template.parse(text, book.columns)
            got = build_plan(audience.included, template, PRICES)
            want = legacy_plan.build_plan(old_audience.included, template, PRICES)
            assert plain(got.messages) == plain(want.messages)
            assert dataclasses.astuple(got.summary) == dataclasses.astuple(want.summary)
            assert list(got.summary.histogram.items()) == list(want.summary.histogram.items())
            assert (got.problems, got.warnings) == (want.problems, want.warnings)
            sent = journal_recipients(book, audience, got, canary="+14155550100")
            before = journal_recipients(book, old_audience, want, canary="+14155550100")  # type: ignore[arg-type]
            assert sent == before


def test_the_mix_reaches_every_kind_of_message(book: ContactBook) -> None:
    """The file exercises what the comparison is about (else the test above proves little)."""
    audience = AudienceBuilder(book).build(suppressed={}, verified=None, quiet_hours=None, now=NOW)
    kinds: set[str] = set()
    for text in TEMPLATES[:2]:
        plan = build_plan(audience.included, Template.parse(text, book.columns), PRICES)
        kinds |= {p.kind for p in plan.problems} | {w.kind for w in plan.warnings}
        assert {m.encoding for m in plan.messages} == {"GSM-7", "UCS-2"}
        assert len(plan.summary.histogram) >= 3
    assert {
        "body-too-long",
        "body-blank",
        "body-empty",
        "empty-field",
        "control-character",
    } <= kinds
    deferred = AudienceBuilder(book).build(
        suppressed={}, verified=None, quiet_hours=QuietHours.default(), now=NOW
    )
    assert deferred.deferred and deferred.unknown_zone == 0


def test_a_cancelled_plan_stops(book: ContactBook) -> None:
    from campaigns.compose.plan import PlanCancelled

    template = Template.parse(TEMPLATES[4], book.columns)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # after the first groups

    with pytest.raises(PlanCancelled):
        build_plan(book.contacts, template, PRICES, should_stop=stop)
