"""The audience filters: order, one reason per excluded row, deferral, toggles, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.audience.filters import (
    KIND_QUIET_HOURS,
    KIND_SUPPRESSED,
    KIND_UNVERIFIED,
    UNVERIFIED_REASON,
    AudienceBuilder,
    build_audience,
    resolve_verified_only,
)
from campaigns.audience.quiet_hours import QuietHours
from campaigns.audience.suppression import SOURCE_OPT_OUT, Suppression, SuppressionList
from campaigns.contacts.book import load_contacts
from campaigns.contacts.rows import Contact, Problem
from campaigns.errors import InputError

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 13:00 New York, 10:00 Los Angeles
NY, LA = ("America/New_York",), ("America/Los_Angeles",)
WINDOW = QuietHours.default()


@dataclass
class Book:
    """A hand-made stand-in for `ContactBook` (what the audience reads of it)."""

    contacts: list[Contact]
    problems: list[Problem] = field(default_factory=list)


def contact(row: int, phone: str, zones: tuple[str, ...] = NY) -> Contact:
    return Contact(
        row=row, phone=phone, fields={"name": f"n{row}", "phone": phone}, timezones=zones
    )


def book_of_five() -> Book:
    return Book(
        contacts=[
            contact(2, "+12125550100"),
            contact(3, "+12125550101"),
            contact(5, "+12125550103"),
            contact(6, "+14155550104", LA),
        ],
        problems=[
            Problem(4, "phone", "12345", "invalid", "too short for a US number"),
            Problem(7, "phone", "+12125550100", "duplicate", "same number as row 2"),
        ],
    )


def build(book: Book, **overrides: object):
    options: dict[str, object] = {
        "suppressed": frozenset(),
        "verified": None,
        "quiet_hours": None,
        "now": NOW,
    }
    options.update(overrides)
    return build_audience(book, **options)  # type: ignore[arg-type]


def test_no_filters_keeps_every_valid_contact_and_lists_every_problem_row() -> None:
    audience = build(book_of_five())
    assert [c.row for c in audience.included] == [2, 3, 5, 6]
    assert [(e.row, e.kind, e.reason) for e in audience.excluded] == [
        (4, "invalid", "too short for a US number"),
        (7, "duplicate", "same number as row 2"),
    ]
    assert audience.excluded[0].phone == "12345"
    assert audience.deferred == {}
    assert audience.counts == {"invalid": 1, "duplicate": 1, "included": 4, "deferred": 0}
    assert audience.hints == []


def test_a_row_with_two_problems_keeps_one_reason() -> None:
    book = Book(
        contacts=[],
        problems=[
            Problem(3, "phone", "x", "invalid", "not a phone number"),
            Problem(3, "phone", "x", "duplicate", "same as row 2"),
        ],
    )
    assert [(e.row, e.kind) for e in build(book).excluded] == [(3, "invalid")]


def test_filters_apply_in_order_and_each_row_keeps_the_first_reason() -> None:
    book = book_of_five()
    audience = build(
        book,
        suppressed={"+12125550100"},  # also unverified: suppression comes first
        verified=frozenset({"+12125550103", "+14155550104"}),  # row 3 unverified
        quiet_hours=WINDOW,
    )
    kinds = {e.row: e.kind for e in audience.excluded}
    assert kinds == {2: KIND_SUPPRESSED, 3: KIND_UNVERIFIED, 4: "invalid", 7: "duplicate"}
    assert [e.row for e in audience.excluded] == [2, 3, 4, 7]  # in row order
    assert [c.row for c in audience.included] == [5, 6]
    reasons = audience.reasons()
    assert reasons[3].reason == UNVERIFIED_REASON
    assert "21608" in reasons[3].reason
    assert reasons[2].reason == "on the suppression list (opted out or removed by hand)"


def test_unverified_exclusion_comes_with_a_hint_where_to_verify() -> None:
    audience = build(book_of_five(), verified=frozenset({"+12125550100"}))
    assert audience.counts[KIND_UNVERIFIED] == 3
    assert any("Verified Caller IDs" in hint and "Phone Numbers" in hint for hint in audience.hints)


def test_verified_none_is_the_filter_off_and_an_empty_set_excludes_all() -> None:
    assert KIND_UNVERIFIED not in build(book_of_five(), verified=None).counts
    assert build(book_of_five(), verified=frozenset()).counts[KIND_UNVERIFIED] == 4


def test_opt_out_reason_says_when_and_which_campaign() -> None:
    entry = Suppression(
        phone="+12125550101",
        added_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        reason="Twilio answered 21610",
        campaign_id="20261120-1a2b3c",
        source=SOURCE_OPT_OUT,
    )
    audience = build(book_of_five(), suppressed={"+12125550101": entry})
    (excluded,) = [e for e in audience.excluded if e.kind == KIND_SUPPRESSED]
    assert excluded.row == 3
    assert excluded.reason == "opted out: replied STOP on 2026-11-20 (campaign 20261120-1a2b3c)"


def test_a_suppression_list_can_be_passed_directly(tmp_path: Path) -> None:
    with SuppressionList(tmp_path / "smscast.db") as suppressions:
        suppressions.record_opt_out("+14155550104", "20261124-abcdef")
        suppressions.add("+12125550103", reason="asked by phone")
        audience = build(book_of_five(), suppressed=suppressions)
    reasons = {e.row: e.reason for e in audience.excluded if e.kind == KIND_SUPPRESSED}
    assert reasons[6].startswith("opted out: replied STOP on ")
    assert reasons[6].endswith("(campaign 20261124-abcdef)")
    assert "asked by phone" in reasons[5]


def test_outside_the_window_is_deferred_not_dropped() -> None:
    early = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 New York, 06:00 Los Angeles
    audience = build(book_of_five(), quiet_hours=WINDOW, now=early)
    assert [c.row for c in audience.included] == [2, 3, 5, 6]
    assert audience.deferred == {6: datetime(2026, 11, 25, 16, 0, tzinfo=UTC)}
    assert audience.deferred[6].tzinfo is not None
    assert audience.counts["deferred"] == 1
    assert any("outside their sending window" in hint for hint in audience.hints)


def test_rows_the_plan_leaves_out_are_neither_included_nor_deferred() -> None:
    early = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    audience = build(book_of_five(), quiet_hours=WINDOW, now=early).without({6, 3})
    assert [c.row for c in audience.included] == [2, 5]
    assert audience.deferred == {}
    assert audience.counts["deferred"] == 0 and audience.counts["included"] == 2
    assert not any("outside their sending window" in hint for hint in audience.hints)


def test_quiet_hours_off_defers_nobody() -> None:
    night = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 03:00 New York
    assert build(book_of_five(), quiet_hours=None, now=night).deferred == {}
    assert len(build(book_of_five(), quiet_hours=WINDOW, now=night).deferred) == 4


def test_multi_zone_number_waits_for_its_most_restrictive_zone() -> None:
    nd = ("America/Denver", "America/North_Dakota/Center")
    book = Book(
        contacts=[contact(2, "+17015550123", nd), contact(3, "+13125550123", ("America/Chicago",))]
    )
    at = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 08:30 Central, 07:30 Mountain
    audience = build(book, quiet_hours=WINDOW, now=at)
    assert audience.deferred == {2: datetime(2026, 11, 25, 15, 0, tzinfo=UTC)}


def test_zones_that_never_meet_are_excluded_with_a_reason() -> None:
    book = Book(contacts=[contact(2, "+18085550100", ("Pacific/Honolulu", "Asia/Kolkata"))])
    audience = build(book, quiet_hours=QuietHours.parse("09:00-12:00"))
    (excluded,) = audience.excluded
    assert excluded.kind == KIND_QUIET_HOURS
    assert "Pacific/Honolulu, Asia/Kolkata" in excluded.reason
    assert "never share" in excluded.reason and "09:00-12:00" in excluded.reason
    assert audience.included == []


def test_a_number_without_a_known_zone_is_included_with_a_note() -> None:
    book = Book(contacts=[contact(2, "+882345678901", ())])
    night = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    audience = build(book, quiet_hours=WINDOW, now=night)
    assert [c.row for c in audience.included] == [2] and audience.deferred == {}
    assert any("no known time zone" in hint for hint in audience.hints)


def test_toggling_filters_on_one_builder_recounts_consistently() -> None:
    book = book_of_five()
    builder = AudienceBuilder(book)
    early = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    plain = builder.build(suppressed=set(), verified=None, quiet_hours=None, now=early)
    strict = builder.build(
        suppressed={"+12125550101"},
        verified=frozenset({"+12125550100", "+12125550101", "+14155550104"}),
        quiet_hours=WINDOW,
        now=early,
    )
    again = builder.build(suppressed=set(), verified=None, quiet_hours=None, now=early)
    assert plain == again
    assert strict.counts == {
        "invalid": 1,
        "duplicate": 1,
        KIND_SUPPRESSED: 1,
        KIND_UNVERIFIED: 1,
        "included": 2,
        "deferred": 1,
    }
    for audience in (plain, strict):
        excluded_rows = {e.row for e in audience.excluded}
        included_rows = {c.row for c in audience.included}
        assert excluded_rows.isdisjoint(included_rows)
        assert len(excluded_rows | included_rows) == 6  # every row has exactly one fate


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build(book_of_five(), now=datetime(2026, 11, 25, 18, 0))


def test_with_a_real_contacts_file(tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "name,phone\n"
        "Ann,+1 212 555 0100\n"
        "Bob,12345\n"
        "Cy,(212) 555-0100\n"
        "Di,+1 701 555 0123\n"
        "Ed,+1 415 555 0199\n",
        encoding="utf-8",
    )
    book = load_contacts(csv_file)
    at = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    audience = build_audience(
        book, suppressed={"+14155550199"}, verified=None, quiet_hours=WINDOW, now=at
    )
    by_row = {e.row: e for e in audience.excluded}
    assert by_row[3].kind == "invalid" and by_row[3].phone == "12345"
    assert by_row[4].kind == "duplicate"
    assert by_row[6].kind == KIND_SUPPRESSED
    for problem in book.problems:
        assert by_row[problem.row].reason == problem.reason
    assert [c.row for c in audience.included] == [2, 5]
    assert audience.deferred == {5: datetime(2026, 11, 25, 15, 0, tzinfo=UTC)}  # 701: Mountain


@pytest.mark.parametrize(
    ("mode", "account", "expected"),
    [
        ("auto", "Trial", True),
        ("auto", "Full", False),
        ("auto", None, False),
        ("on", "Full", True),
        ("off", "Trial", False),
        (" AUTO ", "trial", True),
    ],
)
def test_resolve_verified_only(mode: str, account: str | None, expected: bool) -> None:
    assert resolve_verified_only(mode, account) is expected


def test_resolve_verified_only_refuses_other_words() -> None:
    with pytest.raises(InputError, match="--verified-only"):
        resolve_verified_only("yes", "Trial")
