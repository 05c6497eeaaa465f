"""The circuit breaker: the same error code for many recipients in a row pauses the campaign.

One job: tell a problem with the campaign (a sender not allowed to reach a country, a message
filtered by carriers: Twilio's 21408, 30007) from problems with single recipients, so a campaign
that cannot succeed stops after `threshold` failures instead of failing everyone. One breaker
per stream of answers: the send path (permanent errors when a message is created) and the
delivery path (final `failed` / `undelivered` receipts from polling); a success on that stream
ends the streak. Codes about one person (21610: the recipient replied STOP) never trip it and
end the streak too. Pure: no clock, no I/O.
"""

from __future__ import annotations

from campaigns.twilio.errors import describe

#: Codes that never trip the circuit breaker: they are about one person, not the campaign.
EXEMPT_CODES = frozenset({21610})


class CircuitBreaker:
    """Counts one stream's failures with the same code in a row; see the module docstring."""

    __slots__ = ("_code", "_streak", "exempt", "threshold")

    def __init__(self, threshold: int, exempt: frozenset[int] = EXEMPT_CODES) -> None:
        self.threshold = threshold
        self.exempt = exempt
        self._code: int | None = None
        self._streak = 0

    @property
    def streak(self) -> int:
        """Failures with the same code in a row so far."""
        return self._streak

    def succeeded(self) -> None:
        """An answer that was not a failure: the streak is over."""
        self._code = None
        self._streak = 0

    def failed(self, code: int | None) -> int:
        """One failure with `code`; returns the streak when it reaches the threshold (the
        breaker trips and starts counting afresh), else 0."""
        if code is None or code in self.exempt:
            self.succeeded()
            return 0
        streak = self._streak + 1 if self._code == code else 1
        if streak >= self.threshold:
            self.succeeded()
            return streak
        self._code = code
        self._streak = streak
        return 0


def tripped_message(code: int, streak: int, campaign_id: str) -> tuple[str, str]:
    """The pause's reason and hint when the breaker tripped on `code`."""
    info = describe(code)
    meaning = info.meaning if info else f"Twilio error {code}."
    advice = info.advice if info else "See Twilio's page for this error code."
    return (
        f"{streak} recipients in a row failed with error {code}: {meaning}",
        f"{advice} Then run 'smscast resume {campaign_id}'.",
    )
