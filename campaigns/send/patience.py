"""Transient patience: Twilio unreachable for a moment costs a short wait, not a pause.

One job: after a transient failure that is not throttling (a refused connection, a DNS failure,
a 503: nothing was created), hold all sending back with backoff, then let one probe at a time
through (`room`), and say when `patience` seconds have passed with no success (`exhausted`),
so the engine pauses the campaign (kind `transient`) with what failed and since when (`message`).
Any answer from Twilio ends the streak (`reachable`). A 429 is not handled here: it is about
requests in flight, which AIMD lowers. Pure: the caller passes the monotonic time; the wall
clock (for the message only) is injected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from campaigns.twilio.limits import backoff


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TransientPatience:
    """The current streak of transient failures; see the module docstring."""

    __slots__ = ("_wall_clock", "hold_until", "patience", "since", "since_wall", "streak")

    def __init__(self, patience: float, *, wall_clock: Callable[[], datetime] = _utc_now) -> None:
        self.patience = patience
        self.streak = 0
        #: When the streak began (monotonic; None = Twilio is reachable) and on the wall clock.
        self.since: float | None = None
        self.since_wall: datetime | None = None
        #: Until when (monotonic) nothing is sent.
        self.hold_until = 0.0
        self._wall_clock = wall_clock

    def failed(self, now: float) -> float:
        """One more transient failure at `now`; returns the backoff before retrying it."""
        if self.since is None:
            self.since = now
            self.since_wall = self._wall_clock()
        self.streak += 1
        delay = backoff(self.streak, base=0.25, cap=5.0)
        self.hold_until = max(self.hold_until, now + delay)
        return delay

    def exhausted(self, now: float) -> bool:
        """A streak has lasted `patience` seconds: time to pause."""
        since = self.since
        return since is not None and now - since >= self.patience

    def room(self, free: int, now: float, active_sends: int) -> int:
        """`free` intents, held back during the backoff, then one probe at a time."""
        if self.since is None:
            return free
        return min(free, 0 if now < self.hold_until else 1 - active_sends)

    def wait(self, now: float) -> float | None:
        """How long until a probe may go, while a streak holds sending back (else None)."""
        if self.since is None:
            return None
        return max(0.001, self.hold_until - now)

    def message(self, error: object, now: float, campaign_id: str) -> tuple[str, str]:
        """The pause's reason and hint after the patience ran out."""
        since = self.since_wall or self._wall_clock()
        seconds = now - self.since if self.since is not None else 0.0
        return (
            f"Twilio could not be reached for {seconds:.0f} s ({self.streak} "
            f"attempts since {since:%H:%M:%S} UTC, each retried with backoff); the last "
            f"error: {error}",
            "Nothing was created by the failed attempts: those recipients are still "
            "pending. Check the network connection (or status.twilio.com), then run "
            f"'smscast resume {campaign_id}'.",
        )

    def reachable(self) -> None:
        """Twilio answered (or the run pauses): the streak is over."""
        if self.since is not None:  # else nothing to reset (the common case: each success)
            self.streak = 0
            self.since = None
            self.since_wall = None
            self.hold_until = 0.0
