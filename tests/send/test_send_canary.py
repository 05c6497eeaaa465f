"""The canary on its own: the first N committed rows, nothing else while it is out, and what
became of them."""

from __future__ import annotations

from campaigns.send.canary import Canary


def test_no_canary_caps_nothing() -> None:
    canary = Canary(0)
    assert not canary.active and canary.room(50) == 50
    canary.take(1)
    assert not canary.rows and not canary.holding


def test_the_first_rows_form_the_canary_and_then_hold_the_rest() -> None:
    canary = Canary(3)
    assert canary.room(10) == 3
    for row in (7, 8):
        canary.take(row)
    assert canary.room(10) == 1 and not canary.holding
    canary.take(9)
    canary.take(10)  # beyond the canary: not part of it
    assert canary.rows == {7, 8, 9} and canary.room(10) == 0 and canary.holding


def test_it_waits_while_a_sent_message_is_open_and_summarises_the_outcome() -> None:
    canary = Canary(3)
    for row in (1, 2, 3):
        canary.take(row)
    status = {1: "delivered", 2: "sent", 3: "pending"}  # 3 was turned back: nothing to wait for
    assert canary.waiting_for(status)
    status[2] = "undelivered"
    assert not canary.waiting_for(status)
    assert canary.summary(status) == "1 delivered, 1 pending, 1 undelivered"
    canary.finish()
    assert not canary.active and not canary.holding and canary.room(5) == 5
