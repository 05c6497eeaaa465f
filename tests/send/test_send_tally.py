"""The tally on its own: counts follow every change, each change is one event, outcomes go to
the group commit; and what Twilio's answer means for a row."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.send.events import Event, RecipientChanged
from campaigns.send.tally import Tally, outcome_of
from campaigns.store import journal as J


def test_changes_move_counts_emit_events_and_gather_outcomes() -> None:
    events: list[Event] = []
    gathered: list[J.Outcome] = []
    tally = Tally("c-1", events.append, gathered.append)
    tally.status.update({1: J.PENDING, 2: J.PENDING, 3: J.SKIPPED})
    tally.counts.update(tally.status.values())
    tally.change(1, "+15550001", J.INFLIGHT)
    outcome = J.Outcome(1, "sent", sid="SM1")
    tally.change(1, "+15550001", "sent", outcome)
    assert tally.nonzero() == {"pending": 1, "sent": 1, "skipped": 1}
    assert tally.total() == 2 and tally.left() == 1
    assert gathered == [outcome]
    assert [(e.row, e.status, e.sid) for e in events if isinstance(e, RecipientChanged)] == [
        (1, J.INFLIGHT, None),
        (1, "sent", "SM1"),
    ]
    tally.recount({"canceled": 2, "skipped": 1})
    assert tally.nonzero() == {"canceled": 2, "skipped": 1}


@dataclass
class _Record:
    sid: str = "SM1"
    status: str = "undelivered"
    error_code: int | None = 30007
    error_message: str | None = "Twilio's words"
    price: str | None = "-0.0079"
    num_segments: int | None = 1


def test_an_answer_becomes_an_outcome_with_the_plain_meaning_of_its_code() -> None:
    outcome = outcome_of(4, _Record())
    assert (outcome.row, outcome.status, outcome.sid, outcome.error_code) == (
        4,
        "undelivered",
        "SM1",
        30007,
    )
    assert outcome.error_message and outcome.error_message != "Twilio's words"
    assert outcome_of(4, _Record(error_code=None, status="sent")).error_message is None
    assert outcome_of(4, _Record(error_code=12345)).error_message == "Twilio's words"
