"""The rate meter on its own, on a synthetic clock."""

from __future__ import annotations

import pytest

from campaigns.send.rate_meter import RateMeter


def test_no_rate_before_a_fifth_of_a_second_of_samples() -> None:
    meter = RateMeter()
    assert meter.rate(10.0, 0) == 0.0
    assert meter.rate(10.1, 50) == 0.0
    assert meter.rate(11.0, 100) == pytest.approx(100.0)


def test_the_rate_follows_the_last_five_seconds() -> None:
    meter = RateMeter()
    sent = 0
    for tick in range(100):  # 10 s at 100 msg/s ...
        meter.rate(tick * 0.1, sent)
        sent += 10
    for tick in range(100, 160):  # ... then 6 s at 10 msg/s
        meter.rate(tick * 0.1, sent)
        sent += 1
    assert meter.rate(16.0, sent) == pytest.approx(10.0, rel=0.05)


def test_eta() -> None:
    assert RateMeter.eta(100, 50.0) == 2.0
    assert RateMeter.eta(0, 50.0) is None
    assert RateMeter.eta(100, 0.0) is None
