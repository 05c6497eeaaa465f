"""The status vocabulary: every status named once, the sets consistent with each other, and a
member written to text, JSON and SQLite exactly as the plain word it stands for."""

from __future__ import annotations

import json
import sqlite3

import pytest

from campaigns.store import journal as J
from campaigns.store import statuses
from campaigns.store.statuses import CampaignState, RecipientStatus

OURS = {
    RecipientStatus.PENDING,
    RecipientStatus.INFLIGHT,
    RecipientStatus.UNKNOWN,
    RecipientStatus.SKIPPED,
}


def test_the_display_order_lists_every_status_once() -> None:
    assert len(statuses.DISPLAY_ORDER) == len(set(statuses.DISPLAY_ORDER))
    assert set(statuses.DISPLAY_ORDER) == set(RecipientStatus)


def test_every_status_is_live_final_or_one_of_ours() -> None:
    assert not statuses.LIVE & statuses.FINAL
    assert not (statuses.LIVE | statuses.FINAL) & OURS
    assert set(RecipientStatus) == statuses.LIVE | statuses.FINAL | OURS


def test_scheduled_is_live_and_counts_as_texted() -> None:
    scheduled = RecipientStatus.SCHEDULED
    assert scheduled in statuses.LIVE and scheduled in statuses.SENT
    assert scheduled in statuses.TEXTED and scheduled in statuses.FILTER_GROUPS["in-progress"]


def test_the_sets_say_what_they_did_before() -> None:
    # The hand-written sets the code had before, word for word (`read` joins the final and
    # delivered ones: a read receipt comes after delivery, and the person was texted).
    assert {"delivered", "undelivered", "failed", "canceled"} < statuses.FINAL
    assert statuses.FINAL - {"delivered", "undelivered", "failed", "canceled"} == {"read"}
    assert {"queued", "accepted", "scheduled", "sending", "sent"} == statuses.LIVE
    assert {"failed", "undelivered"} == statuses.FAILED
    assert {"delivered", "read"} == statuses.DELIVERED
    assert statuses.LIVE | {"delivered", "read", "inflight", "unknown"} == statuses.TEXTED
    assert {"failed", "undelivered", "unknown"} == statuses.FAILED_OR_UNKNOWN
    assert {
        "problems": {"failed", "undelivered", "unknown", "canceled"},
        "in-progress": {"pending", "inflight", "queued", "accepted", "scheduled", "sending"},
        "done": {"sent", "delivered", "read", "undelivered", "failed", "canceled"},
    } == statuses.FILTER_GROUPS
    assert {"planned", "running", "paused"} == statuses.UNFINISHED_STATES
    assert {"finished", "canceled"} == statuses.ENDED_STATES
    assert statuses.STORED_STATES == ("planned", "running", "paused", "canceled", "finished")


def test_the_journal_names_are_the_vocabulary() -> None:
    assert J.FINAL_STATUSES is statuses.FINAL and J.LIVE_STATUSES is statuses.LIVE
    assert J.SENT_STATUSES is statuses.SENT and J.FAILED_STATUSES is statuses.FAILED
    assert J.TEXTED_STATUSES is statuses.TEXTED
    assert J.UNFINISHED_STATES is statuses.UNFINISHED_STATES
    assert J.CAMPAIGN_STATES is statuses.STORED_STATES
    assert (J.PENDING, J.INFLIGHT, J.UNKNOWN, J.SKIPPED) == (
        RecipientStatus.PENDING,
        RecipientStatus.INFLIGHT,
        RecipientStatus.UNKNOWN,
        RecipientStatus.SKIPPED,
    )
    assert J.INTERRUPTED is CampaignState.INTERRUPTED
    assert CampaignState.INTERRUPTED not in J.CAMPAIGN_STATES


@pytest.mark.parametrize("member", [*RecipientStatus, *CampaignState], ids=str)
def test_a_member_is_written_as_its_word(member: RecipientStatus | CampaignState) -> None:
    word = member.value
    assert (str(member), f"{member}", "%s" % member) == (word, word, word)  # noqa: UP031
    assert json.dumps({member: [member]}) == json.dumps({word: [word]})
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (s TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (member,))
    db.execute("INSERT INTO t VALUES (?)", (word,))
    (a, kind_a, hex_a), (b, kind_b, hex_b) = db.execute("SELECT s, typeof(s), hex(s) FROM t")
    assert (a, kind_a, hex_a) == (b, kind_b, hex_b) == (word, "text", word.encode().hex().upper())
    assert db.execute("SELECT count(*) FROM t WHERE s = ?", (member,)).fetchone() == (2,)
    # A word read back from a row finds the member's entry, and the other way round.
    assert {member: 1}[word] == 1 and {word: 1}[member] == 1 and type(a) is str


def test_counting_helpers() -> None:
    counts = {"delivered": 3, "scheduled": 2, "skipped": 4, "pending": 1}
    assert statuses.count_of(counts, statuses.SENT) == 5
    assert statuses.count_of(counts, statuses.FAILED) == 0
    assert statuses.to_text(counts) == 6


def test_a_receipt_behind_what_is_known_is_older_news() -> None:
    # A fetch that left before a status callback said `delivered` answers `sent`: behind.
    assert statuses.behind("delivered", "sent") and statuses.behind("sent", "queued")
    assert statuses.behind("delivered", "undelivered")  # a final status does not change
    assert not statuses.behind("sent", "delivered") and not statuses.behind("sent", "sent")
    assert not statuses.behind("sent", "partially_delivered")  # off the known life: news
