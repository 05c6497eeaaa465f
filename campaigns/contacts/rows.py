"""What the rows of a contacts file become: a `Contact`, a `Problem` or a `ContactWarning`.

The value types every layer above passes around (the plan, the audience filters, the
suppression list, the faces); `reading` makes the problems of damaged rows, `book` the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Contact", "ContactWarning", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that will not get a message, and why. `row` is the spreadsheet row (header = 1)."""

    row: int
    column: str
    value: str
    #: "missing" | "invalid" | "duplicate" | "scientific-notation" | "encoding" (a byte not
    #: valid in the file's encoding) | "nul" (a NUL byte in a cell)
    kind: str
    reason: str
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class ContactWarning:
    """Something worth a look on a row that is still included."""

    row: int
    kind: str  # "landline" | "shared-number"
    message: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A valid, first-seen recipient: its row, E.164 number, all fields as text, time zones."""

    row: int
    phone: str
    fields: Mapping[str, str]
    timezones: tuple[str, ...]
