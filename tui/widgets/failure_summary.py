"""Failures of a campaign grouped by Twilio error code, with the plain meaning and the fix.

Public API (stable)::

    summary = FailureSummary(id="failures")
    summary.update(counts_by_code: Mapping[int | None, int])   # error code -> recipients

Each group is one entry, most frequent first::

    ✗ 30003 × 12  The handset is unreachable (off or out of coverage).
                  → Try again later; the number itself is fine.

Meanings and fixes come from ``campaigns.twilio.errors.describe``; a code it does not know
points to Twilio's error page, and ``None`` (no code: a network failure or an unresolved
"unknown") gets its own sentence. With no failures it says so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from campaigns.twilio.errors import describe

__all__ = ["FailureSummary", "explain"]

_NO_CODE_MEANING = "No error code from Twilio (a network failure, or the outcome is unknown)."
_NO_CODE_ADVICE = (
    "Check these recipients in the status table; unknown ones are never resent automatically."
)


def explain(code: int | None) -> tuple[str, str]:
    """The meaning and the advice for an error code (None: no code)."""
    if code is None:
        return _NO_CODE_MEANING, _NO_CODE_ADVICE
    info = describe(code)
    if info is None:
        return (
            f"Twilio error {code}.",
            f"See https://www.twilio.com/docs/api/errors/{code} for what it means.",
        )
    return info.meaning, info.advice


class FailureSummary(Widget):
    """Failure counts by error code with meaning and fix (height: auto, wraps)."""

    DEFAULT_CSS = """
    FailureSummary {
        height: auto;
        padding: 0 1;
        & > .failure-summary--code { color: $error; text-style: bold; }
        & > .failure-summary--advice { color: $text-muted; }
        & > .failure-summary--none { color: $success; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "failure-summary--code",
        "failure-summary--advice",
        "failure-summary--none",
    }

    def __init__(
        self,
        counts_by_code: Mapping[int | None, int] | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.counts: dict[int | None, int] = dict(counts_by_code or {})

    def update(self, counts_by_code: Mapping[int | None, int]) -> None:
        """Show these failure counts (error code -> recipients); zero counts are dropped."""
        counts = {code: n for code, n in counts_by_code.items() if n}
        if counts != self.counts:
            self.counts = counts
            self.refresh(layout=True)

    @property
    def groups(self) -> list[tuple[int | None, int]]:
        """(code, count) pairs, most frequent first, then by code (None last)."""
        return sorted(
            self.counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or 0)
        )

    def render(self) -> Text:
        if not self.counts:
            return Text("✓ No failures.", self.get_component_rich_style("failure-summary--none"))
        code_style = self.get_component_rich_style("failure-summary--code")
        advice_style = self.get_component_rich_style("failure-summary--advice")
        groups = self.groups
        labels = [f"✗ {'no code' if code is None else code} × {n:,}" for code, n in groups]
        indent = max(len(label) for label in labels) + 2
        room = max(20, self.size.width - indent)
        pad = " " * indent
        text = Text(end="")
        for i, ((code, _n), label) in enumerate(zip(groups, labels, strict=True)):
            meaning, advice = explain(code)
            if i:
                text.append("\n")
            text.append(label.ljust(indent), code_style)
            text.append(f"\n{pad}".join(textwrap.wrap(meaning, room)))
            for line in textwrap.wrap(f"→ {advice}", room, subsequent_indent="  "):
                text.append(f"\n{pad}")
                text.append(line, advice_style)
        return text
