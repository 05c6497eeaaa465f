"""The later queue on its own: rows come due by time, in order, first in first out."""

from __future__ import annotations

from campaigns.send.later import LaterQueue


def test_items_come_due_in_time_order_and_fifo_among_equals() -> None:
    later: LaterQueue[str] = LaterQueue()
    for when, item in [(3.0, "c"), (1.0, "a"), (2.0, "b1"), (2.0, "b2")]:
        later.push(when, item)
    assert len(later) == 4 and later.first() == (1.0, "a")
    assert list(later.pop_due(2.0)) == ["a", "b1", "b2"]
    assert list(later) == ["c"] and list(later.pop_due(2.9)) == []
    later.clear()
    assert not later
