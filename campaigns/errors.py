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


class JournalError(ConfigError):
    """The campaign journal (the SQLite file) cannot be read or written.

    `path` is the file; `cause` a short word for what is wrong ("full", "read-only",
    "permission", "locked", "corrupt", "gone", "io"), for code that acts on it. Raised by
    `campaigns.store.journal` (and the suppression list, which shares the file) in place of
    `sqlite3` and `OSError` exceptions: one sentence naming the file and the cause.
    """

    cause = "io"

    def __init__(self, message: str, hint: str | None = None, *, path: object = None) -> None:
        super().__init__(message, hint)
        self.path = path


class JournalFullError(JournalError):
    """The disk (or filesystem) holding the journal has no room left."""

    cause = "full"


class JournalReadOnlyError(JournalError):
    """The journal is on a read-only filesystem."""

    cause = "read-only"


class JournalPermissionError(JournalError):
    """This user may not write the journal (or its folder)."""

    cause = "permission"


class JournalLockedError(JournalError):
    """Another program holds the journal's database lock (past the busy timeout)."""

    cause = "locked"


class JournalCorruptError(JournalError):
    """The file is not an SQLite database, or is damaged."""

    cause = "corrupt"


class JournalGoneError(JournalError):
    """The journal file was deleted or replaced while smscast had it open."""

    cause = "gone"
