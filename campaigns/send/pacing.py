"""Pacing for the engine: a segments-per-second limiter and an adaptive concurrency bound.

`SegmentPacer` never lets more than `rate` segments start in any one-second window (a sliding
window over actual start times, not a token bucket that bursts) and spaces starts evenly, so a
rate of 50 gives a steady 50 per second rather than 50 at once then a pause. `AdaptiveLimit`
is AIMD: every 429 halves the number of requests allowed in flight, and each run of successes
adds one back, up to the configured ceiling. Both are pure logic over a clock the caller passes,
so they are tested without sleeping.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Sender throughput in segments per second (Twilio's defaults for US/CA senders; FACTS.md,
#: "Throughput"). The one table: the gateway labels senders with it, both faces pace by it.
SENDER_RATES: dict[str, float] = {
    "long_code": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
}
#: A long code outside US/CA.
INTERNATIONAL_LONG_CODE_RATE = 10.0


def segments_per_second(address: str, kind: str) -> float:
    """Twilio's send rate for a sender: long code 1 (10 outside US/CA), toll-free 3, short 100."""
    if kind == "long_code" and not address.startswith("+1"):
        return INTERNATIONAL_LONG_CODE_RATE
    return SENDER_RATES.get(kind, 1.0)


@dataclass(frozen=True, slots=True)
class RateChoice:
    """A parsed `--rate`: `segments_per_second` None means no pacing (`max`)."""

    mode: str  # "auto" | "fixed" | "max"
    segments_per_second: float | None = None

    @classmethod
    def parse(cls, text: str) -> RateChoice:
        """`auto`, `max` or a positive number of segments per second."""
        value = text.strip().lower()
        if value in ("auto", "max"):
            return cls(value)
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--rate must be auto, max or a number, not {text!r}") from None
        if not math.isfinite(number) or number <= 0:
            raise ValueError(f"--rate must be a positive number of segments per second: {text}")
        return cls("fixed", number)


class SegmentPacer:
    """At most `rate` segments start in any window of one second, evenly spaced.

    `delay(segments, now)` says how long to wait before a message of that many segments may
    start; `take(segments, now)` records that it started. A message with more segments than
    `rate` is allowed alone in its window (otherwise it could never go).
    """

    def __init__(self, rate: float, window: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.window = window
        self._starts: deque[tuple[float, int]] = deque()
        self._in_window = 0
        self._next_even = -math.inf

    def _expire(self, now: float) -> None:
        # A start exactly one window ago still counts: windows are closed at both ends.
        limit = now - self.window
        while self._starts and self._starts[0][0] < limit:
            self._in_window -= self._starts.popleft()[1]

    def delay(self, segments: int, now: float) -> float:
        """Seconds to wait before `segments` may start (0 = now)."""
        self._expire(now)
        wait = max(0.0, self._next_even - now)
        budget = max(self.rate, segments)
        if self._in_window + segments > budget:
            # Wait until enough of the oldest starts leave the window.
            need = self._in_window + segments - budget
            freed = 0
            for start, count in self._starts:
                freed += count
                if freed >= need:
                    wait = max(wait, start + self.window - now + 1e-6)
                    break
        return wait

    def take(self, segments: int, now: float) -> None:
        """Record that `segments` started at `now`."""
        self._expire(now)
        self._starts.append((now, segments))
        self._in_window += segments
        # One start every 1/rate seconds. A late wake-up (timer slack, a busy loop) may catch
        # up on at most a quarter second of lost time; the window check above still caps any
        # one second at `rate`, so catching up never exceeds it.
        floor = now if self._next_even == -math.inf else now - 0.25
        self._next_even = max(self._next_even, floor) + segments / self.rate


class AdaptiveLimit:
    """AIMD bound on requests in flight: halve on 429, +1 after `recovery` successes."""

    def __init__(self, ceiling: int, recovery: int = 20, floor: int = 1) -> None:
        self.ceiling = max(1, ceiling)
        self.floor = max(1, min(floor, self.ceiling))
        self.recovery = recovery
        self.value = self.ceiling
        self._successes = 0
        self.decreases = 0

    def on_throttled(self) -> None:
        """A 429: halve the bound (not below the floor)."""
        self.value = max(self.floor, self.value // 2)
        self._successes = 0
        self.decreases += 1

    def on_success(self) -> None:
        """A request that was not throttled: creep back up towards the ceiling."""
        if self.value >= self.ceiling:
            return
        self._successes += 1
        if self._successes >= self.recovery:
            self._successes = 0
            self.value += 1


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.5) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random (no thundering herd)."""
    import random

    delay: float = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * (1 - jitter) + random.uniform(0, delay * jitter)


def sender_rate(senders: Iterable[Any], address: str | None) -> float | None:
    """The `--rate auto` pace, in segments per second, of the sender at `address`.

    A number paces at its own throughput (US/CA long code 1, toll-free 3, short code 100). A
    Messaging Service (kind "messaging_service") paces at its own figure when Twilio gives one,
    else at the sum of the account's SMS-capable numbers, which it spreads the load over. None
    when `address` is not among `senders`. The command line and the app both ask this.
    """
    senders = list(senders)
    chosen = next((s for s in senders if s.address == address), None)
    if chosen is None:
        return None
    own = float(chosen.segments_per_second or 0)
    if chosen.kind != "messaging_service":
        return own or SENDER_RATES.get(chosen.kind, 1.0)
    if own > 0:
        return own
    numbers = [s for s in senders if s.kind != "messaging_service" and getattr(s, "sms", True)]
    total = sum(float(s.segments_per_second or 0) or SENDER_RATES.get(s.kind, 1.0) for s in numbers)
    return total or 1.0
