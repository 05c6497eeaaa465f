"""Transient patience on its own: hold back with backoff, one probe at a time, pause after the
patience, any answer ends it. Synthetic clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.send.patience import TransientPatience

WALL = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)


def test_reachable_twilio_holds_nothing_back() -> None:
    patience = TransientPatience(30.0)
    assert patience.room(40, 0.0, active_sends=3) == 40
    assert patience.wait(0.0) is None and not patience.exhausted(1e9)


def test_a_failure_holds_sending_back_then_lets_one_probe_through() -> None:
    patience = TransientPatience(30.0, wall_clock=lambda: WALL)
    delay = patience.failed(100.0)
    assert 0 < delay <= 5.0 and patience.hold_until == 100.0 + delay
    assert patience.room(40, 100.0, active_sends=0) == 0
    assert patience.wait(100.0) == pytest.approx(max(0.001, delay))
    after = 100.0 + delay
    assert patience.room(40, after, active_sends=0) == 1
    assert patience.room(40, after, active_sends=1) == 0  # the probe is out


def test_it_is_exhausted_after_the_patience_and_says_since_when() -> None:
    patience = TransientPatience(30.0, wall_clock=lambda: WALL)
    for t in (0.0, 10.0, 20.0):
        patience.failed(t)
        assert not patience.exhausted(t)
    patience.failed(30.0)
    assert patience.exhausted(30.0) and patience.streak == 4
    reason, hint = patience.message("connection refused", 30.0, "c-9")
    assert reason.startswith("Twilio could not be reached for 30 s (4 attempts since 12:30:05")
    assert reason.endswith("the last error: connection refused")
    assert "still pending" in hint and "'smscast resume c-9'" in hint


def test_an_answer_ends_the_streak() -> None:
    patience = TransientPatience(30.0)
    patience.failed(0.0)
    patience.reachable()
    assert patience.streak == 0 and patience.since is None and patience.hold_until == 0.0
    assert patience.room(40, 0.0, active_sends=0) == 40
