"""The rate meter: messages per second measured over the last few seconds, and the ETA.

One job: the `rate` and `eta_seconds` of `Progress` events, from the count of messages Twilio
accepted so far, sampled at each progress tick. A sliding window (5 s) follows changes in pace
(AIMD, a pause, a slow network) without jumping at every tick; under 0.2 s of samples there is no
rate yet. Pure: the caller passes the (monotonic) time.
"""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Samples (time, messages sent so far); `rate` over the last `window` seconds."""

    __slots__ = ("_samples", "min_span", "window")

    def __init__(self, window: float = 5.0, min_span: float = 0.2) -> None:
        self.window = window
        self.min_span = min_span
        self._samples: deque[tuple[float, int]] = deque()

    def rate(self, now: float, sent: int) -> float:
        """Record `sent` at `now`; messages per second since the oldest sample in the window."""
        samples = self._samples
        samples.append((now, sent))
        while len(samples) > 2 and now - samples[0][0] > self.window:
            samples.popleft()
        t0, n0 = samples[0]
        return (sent - n0) / (now - t0) if now - t0 > self.min_span else 0.0

    @staticmethod
    def eta(left: int, rate: float) -> float | None:
        """Seconds until `left` more messages are sent at `rate` (None when not known)."""
        return round(left / rate, 1) if rate > 0 and left else None
