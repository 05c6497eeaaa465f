"""The plan: one rendered, analyzed, priced message per contact, with totals and problems."""

from __future__ import annotations

import pytest

from campaigns.compose.plan import PlannedMessage, build_plan
from campaigns.compose.pricing import PriceTable
from campaigns.compose.template import Template
from campaigns.contacts.rows import Contact

COLUMNS = ["Phone", "First Name", "Note"]
PRICES = PriceTable({"US": 0.01, "GB": 0.05, "default": 0.1})


def contact(row: int, phone: str, name: str = "Ana", note: str = "") -> Contact:
    fields = {"Phone": phone, "First Name": name, "Note": note}
    return Contact(row=row, phone=phone, fields=fields, timezones=())


def template(text: str) -> Template:
    return Template.parse(text, COLUMNS)


def test_one_message_per_contact_in_order() -> None:
    contacts = [
        contact(2, "+14155552671", "Ana"),
        contact(4, "+442079460958", "Bea", "x" * 200),
    ]
    plan = build_plan(contacts, template("Hi {first_name}! {note|}"), PRICES)
    assert plan.messages == [
        PlannedMessage(2, "+14155552671", "Hi Ana! ", "GSM-7", 1, 0.01),
        PlannedMessage(4, "+442079460958", "Hi Bea! " + "x" * 200, "GSM-7", 2, 0.1),
    ]
    summary = plan.summary
    assert (summary.messages, summary.segments, summary.currency) == (2, 3, "USD")
    assert summary.cost == pytest.approx(0.11)
    assert summary.histogram == {1: 1, 2: 1}
    assert plan.problems == [] and plan.warnings == []


def test_histogram_is_sorted_by_segments() -> None:
    notes = ["x" * 400, "", "x" * 200, "", "x" * 400]
    contacts = [contact(i + 2, "+14155552671", note=n) for i, n in enumerate(notes)]
    plan = build_plan(contacts, template("{note}."), PRICES)
    assert list(plan.summary.histogram.items()) == [(1, 2), (2, 1), (3, 2)]
    assert plan.summary.segments == 2 + 2 + 6


def test_unicode_messages_and_smart_encoding_savings() -> None:
    contacts = [
        contact(2, "+14155552671", note="“quoted” " + "x" * 60),
        contact(3, "+14155552671", note="plain"),
    ]
    plan = build_plan(contacts, template("{note}"), PRICES)
    first, second = plan.messages
    assert (first.encoding, first.segments) == ("UCS-2", 1)
    assert (second.encoding, second.segments, second.body) == ("GSM-7", 1, "plain")
    assert plan.summary.ucs2_messages == 1
    assert plan.summary.smart_segments == 2

    long_quoted = [contact(2, "+14155552671", note="’" + "x" * 100)]
    plan = build_plan(long_quoted, template("{note}"), PRICES)
    assert plan.summary.segments == 2
    assert plan.summary.smart_segments == 1


def test_body_over_1600_characters_is_a_problem_and_left_out() -> None:
    contacts = [
        contact(2, "+14155552671", note="x" * 1597),  # "Hi " + 1597 = 1600: fine
        contact(3, "+14155552671", note="x" * 1598),
        contact(4, "+14155552671", note="😀" * 799),  # 3 + 1598 UTF-16 units
    ]
    plan = build_plan(contacts, template("Hi {note}"), PRICES)
    assert [m.row for m in plan.messages] == [2]
    assert [(p.row, p.kind, p.column) for p in plan.problems] == [
        (3, "body-too-long", "body"),
        (4, "body-too-long", "body"),
    ]
    assert "1,601" in plan.problems[0].reason and "1,600" in plan.problems[0].reason
    assert plan.summary.messages == 1


def test_empty_placeholder_is_a_warning_not_an_exclusion() -> None:
    contacts = [contact(2, "+14155552671", name=""), contact(3, "+14155552671", name="Bo")]
    plan = build_plan(contacts, template("Hi {first_name}, {note|no news}"), PRICES)
    assert [m.body for m in plan.messages] == ["Hi , no news", "Hi Bo, no news"]
    assert [(w.row, w.kind) for w in plan.warnings] == [(2, "empty-field")]
    assert "'First Name' is empty" in plan.warnings[0].message
    assert "{first_name|" in plan.warnings[0].message


def test_default_covers_empty_cells_without_warning() -> None:
    plan = build_plan(
        [contact(2, "+14155552671", name=" ")], template("Hi {first_name|there}"), PRICES
    )
    assert plan.messages[0].body == "Hi there"
    assert plan.warnings == []


def test_empty_contacts() -> None:
    plan = build_plan([], template("Hi"), PRICES)
    assert plan.messages == []
    assert (plan.summary.messages, plan.summary.segments, plan.summary.cost) == (0, 0, 0.0)
    assert plan.summary.histogram == {}


def test_json_shapes() -> None:
    plan = build_plan([contact(2, "+14155552671")], template("Hi {first_name}"), PRICES)
    assert plan.messages[0].to_json() == {
        "row": 2,
        "to": "+14155552671",
        "body": "Hi Ana",
        "encoding": "GSM-7",
        "segments": 1,
        "cost": 0.01,
    }
    summary = plan.summary.to_json()
    assert summary["histogram"] == {"1": 1}
    assert summary["estimate"] is True
