"""Errors a person can meet, as typed exceptions that carry a sentence and a next step.

Every error raised by the core for bad input, configuration or Twilio trouble derives from
`SmscastError`. The command line prints `str(error)` and `error.hint` and exits 1; the TUI shows
them in a notification. Neither ever shows a traceback for these.
"""

from __future__ import annotations


class SmscastError(Exception):
    """Base class: `str(e)` says what went wrong, `hint` says what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def full(self) -> str:
        """The message and, on its own line, the hint (if any)."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class InputError(SmscastError):
    """A contacts file, template or other input that cannot be used at all."""


class ConfigError(SmscastError):
    """Missing or unusable credentials and settings."""
