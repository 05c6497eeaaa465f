"""Pure pacing logic on a synthetic clock: the segment pacer never exceeds its rate in any
one-second window and spaces starts evenly; AIMD halves on 429 and creeps back; backoff grows
with jitter; the poll schedule backs off; `--rate` parsing."""

from __future__ import annotations

import bisect
import itertools
import random

import pytest

from campaigns.send.pacing import AdaptiveLimit, RateChoice, SegmentPacer, sender_rate
from campaigns.send.tracking import PollSchedule
from campaigns.twilio.limits import backoff


def _drive(pacer: SegmentPacer, segments: list[int], jitter: float = 0.0) -> list[float]:
    """Start every message as soon as the pacer allows, waking up late by up to `jitter`."""
    rng = random.Random(1)
    now, starts = 0.0, []
    for seg in segments:
        while (wait := pacer.delay(seg, now)) > 0:
            now += wait + rng.uniform(0, jitter)
        pacer.take(seg, now)
        starts.extend([now] * seg)
    return starts


def _max_in_window(times: list[float]) -> int:
    return max(bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times))


@pytest.mark.parametrize("jitter", [0.0, 0.004, 0.05])
def test_never_more_than_rate_in_any_closed_one_second_window(jitter: float) -> None:
    pacer = SegmentPacer(50)
    starts = _drive(pacer, [1] * 1000, jitter)
    assert _max_in_window(starts) <= 50
    rate = (len(starts) - 1) / (starts[-1] - starts[0])
    assert rate == pytest.approx(50, rel=0.03 if jitter < 0.01 else 0.5)


def test_starts_are_evenly_spaced_not_bursts() -> None:
    starts = _drive(SegmentPacer(10), [1] * 30)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(0.1, abs=1e-6)


def test_multi_segment_messages_count_every_segment() -> None:
    pacer = SegmentPacer(6)
    starts = _drive(pacer, [3, 2, 1, 3, 3, 1, 2] * 10)
    assert _max_in_window(starts) <= 6


def test_a_message_larger_than_the_rate_still_goes() -> None:
    pacer = SegmentPacer(1)
    assert pacer.delay(4, 0.0) == 0
    pacer.take(4, 0.0)
    assert pacer.delay(1, 0.5) > 0


def test_aimd_halves_and_recovers() -> None:
    limit = AdaptiveLimit(100, recovery=5)
    limit.on_throttled()
    limit.on_throttled()
    assert limit.value == 25
    for _ in range(5 * 10):
        limit.on_success()
    assert limit.value == 35
    for _ in range(20):
        limit.on_throttled()
    assert limit.value == 1 and limit.decreases == 22
    for _ in range(5 * 1000):
        limit.on_success()
    assert limit.value == 100


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    draws = [backoff(n, base=0.5, cap=8.0) for n in range(1, 10) for _ in range(20)]
    assert all(0 < d <= 8.0 for d in draws)
    assert len({round(d, 6) for d in draws}) > 50  # jittered, not lockstep
    assert max(backoff(1) for _ in range(50)) <= 0.5
    assert min(backoff(6) for _ in range(50)) >= 8.0


def test_rate_choice_parsing() -> None:
    assert RateChoice.parse("auto") == RateChoice("auto")
    assert RateChoice.parse("MAX") == RateChoice("max")
    assert RateChoice.parse("2.5") == RateChoice("fixed", 2.5)
    for bad in ("0", "-3", "fast", "nan"):
        with pytest.raises(ValueError, match="--rate must be"):
            RateChoice.parse(bad)


def test_sender_rate_is_the_numbers_own_or_a_services_sum() -> None:
    from campaigns.twilio.models import Sender

    senders = [
        Sender("+15017122661", "long_code", True, 1.0),
        Sender("+18445550100", "toll_free", True, 3.0),
        Sender("55501", "short_code", True, 100.0),
        Sender("MG0123", "messaging_service", True, 0.0),
    ]
    assert sender_rate(senders, "+15017122661") == 1.0
    assert sender_rate(senders, "+18445550100") == 3.0
    assert sender_rate(senders, "MG0123") == 104.0
    assert sender_rate(senders, "+19999999999") is None


def test_poll_schedule_backs_off_and_finishes() -> None:
    polls = PollSchedule(track_seconds=60, first=1.0, cap=4.0)
    polls.add(2, "SM1", "+1", now=0.0)
    polls.add(3, "SM2", "+2", now=0.0)
    assert polls.due(0.5, 10) == []
    assert [p[0] for p in polls.due(1.0, 1)] == [2]
    assert [p[0] for p in polls.due(1.0, 10)] == [3]
    polls.retry(2, 1.0)  # next after 2 s
    polls.done(3)
    assert polls.due(2.9, 10) == []
    assert [p[0] for p in polls.due(3.0, 10)] == [2]
    for _ in range(5):
        polls.retry(2, 0.0)
    assert polls.next_due() == 4.0  # capped
    polls.due(10.0, 10)
    polls.requeue(11.0)
    assert polls.next_due() == 11.0
    polls.done(2)
    assert len(polls) == 0 and polls.next_due() is None


def test_stored_settings_give_back_the_same_options() -> None:
    """Both faces store `engine_settings` with a campaign and resume through
    `options_from_settings`: the pace, concurrency and tracking survive, flags win."""
    from campaigns.send.engine import EngineOptions, engine_settings, options_from_settings

    original = EngineOptions(rate=3.0, concurrency=25, track_seconds=0.0)
    again = options_from_settings(engine_settings(original))
    assert (again.rate, again.concurrency, again.track_seconds) == (3.0, 25, 0.0)
    assert options_from_settings({}) == EngineOptions(rate=None, concurrency=10)
    changed = options_from_settings(
        engine_settings(original), rate=None, concurrency=5, track_seconds=None, canary=2
    )
    assert (changed.rate, changed.concurrency, changed.track_seconds, changed.canary) == (
        None,
        5,
        0.0,
        2,
    )
    # what `smscast send` stored before these helpers: flags that were not given are None
    old = {"rate_segments_per_second": 1.0, "concurrency": None, "track": None}
    assert options_from_settings(old) == EngineOptions(rate=1.0, concurrency=10)
