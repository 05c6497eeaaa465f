"""The send progress: a bar, counts by status, rate, ETA and the run state.

Separate from the status table on purpose: the engine's ``Progress`` event updates this small
widget on every drain without touching the table.

Public API (stable)::

    panel = ProgressPanel(id="progress")
    panel.update_progress(counts: Mapping[str, int], total: int, rate: float | None,
                          eta_seconds: float | None, state: str)

``counts`` maps journal statuses (``pending``, ``sent``, ``delivered``, ``failed``, ...) to how
many recipients are in each; ``total`` is the number of recipients; ``rate`` messages per
second (None: not known yet); ``eta_seconds`` the time left (None: not known); ``state`` one of
``idle``, ``running``, ``paused``, ``canceling``, ``canceled``, ``finished``, ``failed``.

The widget has the class ``-paused`` while paused (for the screen's CSS). Height is automatic:
the counts wrap onto more lines at narrow widths, an item is never split.

The bar and its percentage count a recipient as handled once it has left ``pending`` and
``inflight`` (Twilio has it, or it failed, or it was canceled). Handled is not delivered: the
handled part of the bar is solid (``█``) for recipients whose outcome is known and shaded
(``▒``) for those Twilio still has (``AWAITING_DELIVERY``: queued, accepted, scheduled,
sending, sent), and the state line says "N awaiting delivery" while there are any. What is
left to send is ``░``. Glyphs and words carry it all, so it reads without colour (16-colour
terminals, NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from campaigns.store.statuses import DISPLAY_ORDER, LIVE, UNSENT
from campaigns.store.statuses import CampaignState as C
from tui.widgets.status_table import status_label, status_tone

__all__ = ["AWAITING_DELIVERY", "STATE_LABELS", "ProgressPanel", "format_duration"]

#: Glyph and word per run state.
STATE_LABELS: dict[str, str] = {
    "idle": "○ ready",
    C.RUNNING: "▶ sending",
    C.PAUSED: "‖ PAUSED",
    "canceling": "■ canceling…",
    C.CANCELED: "■ canceled",
    C.FINISHED: "✓ finished",
    "failed": "✗ stopped by an error",
}

#: Counts shown first, in this order; other statuses follow in their given order.
_COUNT_ORDER = DISPLAY_ORDER
_NOT_DONE = UNSENT
#: Statuses of a message Twilio has and whose outcome is not known yet.
AWAITING_DELIVERY = LIVE


def format_duration(seconds: float | None) -> str:
    """``"2m 05s"``, ``"1h 03m"``, ``"45s"``; ``"–"`` when unknown."""
    if seconds is None or seconds < 0:
        return "–"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


class ProgressPanel(Widget):
    """Bar, counts by status, rate, ETA and state of the running campaign (3 lines)."""

    DEFAULT_CSS = """
    ProgressPanel {
        height: auto;
        min-height: 3;
        padding: 0 1;
        background: $panel;
        & > .progress-panel--bar { color: $accent; }
        & > .progress-panel--good { color: $success; }
        & > .progress-panel--bad { color: $error; text-style: bold; }
        & > .progress-panel--warn { color: $warning; }
        & > .progress-panel--wait { color: $text-muted; }
        & > .progress-panel--muted { color: $text-disabled; }
        & > .progress-panel--paused { color: $warning; text-style: bold; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "progress-panel--bar",
        "progress-panel--good",
        "progress-panel--bad",
        "progress-panel--warn",
        "progress-panel--wait",
        "progress-panel--muted",
        "progress-panel--paused",
    }

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.counts: dict[str, int] = {}
        self.total = 0
        self.rate: float | None = None
        self.eta_seconds: float | None = None
        self.state = "idle"
        self._lines = 1

    def update_progress(
        self,
        counts: Mapping[str, int],
        total: int,
        rate: float | None,
        eta_seconds: float | None,
        state: str,
    ) -> None:
        """Show new figures (cheap; call on every drain)."""
        self.counts = dict(counts)
        self.total = total
        self.rate = rate
        self.eta_seconds = eta_seconds
        self.state = state
        self.set_class(state == C.PAUSED, "-paused")
        lines = len(self._count_lines(max(20, self.size.width)))
        self.refresh(layout=lines != self._lines)
        self._lines = lines

    @property
    def done(self) -> int:
        """Recipients that have left pending/inflight."""
        waiting = sum(self.counts.get(status, 0) for status in _NOT_DONE)
        return max(0, self.total - waiting)

    @property
    def awaiting(self) -> int:
        """Handled recipients whose message Twilio still has: not delivered (nor failed) yet."""
        return min(self.done, sum(self.counts.get(status, 0) for status in AWAITING_DELIVERY))

    def _count_lines(self, width: int) -> list[list[str]]:
        """Statuses with a count, in display order, packed into lines of at most width."""
        ordered: list[str] = [s for s in _COUNT_ORDER if self.counts.get(s)]
        ordered += [s for s in self.counts if s not in _COUNT_ORDER and self.counts[s]]
        lines: list[list[str]] = [[]]
        used = 0
        for status in ordered:
            size = len(f"{status_label(status)} {self.counts[status]:,}")
            if lines[-1] and used + 2 + size > width:
                lines.append([])
                used = 0
            used += size + (2 if lines[-1] else 0)
            lines[-1].append(status)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 2 + len(self._count_lines(max(20, width)))

    def render(self) -> Text:
        width = max(20, self.size.width)
        done, total = self.done, self.total
        fraction = done / total if total else 0.0
        percent = done * 100 // total if total else 0  # floor: 100% only when all are done
        figure = f" {percent:3d}%  {done:,}/{total:,}"
        bar_width = max(4, width - len(figure))
        filled = int(bar_width * fraction)
        awaiting = self.awaiting
        settled = int(bar_width * (done - awaiting) / total) if total else 0
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        bar_style = self.get_component_rich_style("progress-panel--bar")
        text.append("█" * settled, bar_style)
        text.append("▒" * (filled - settled), bar_style)  # the bar's colour, a lighter glyph
        text.append(
            "░" * (bar_width - filled), self.get_component_rich_style("progress-panel--muted")
        )
        text.append(figure)
        # Counts: "glyph word n" items, packed into lines that fit (an item is never split).
        for line in self._count_lines(width):
            text.append("\n")
            if not line:
                text.append(
                    "nothing sent yet", self.get_component_rich_style("progress-panel--wait")
                )
            for position, status in enumerate(line):
                if position:
                    text.append("  ")
                style = self.get_component_rich_style(f"progress-panel--{status_tone(status)}")
                text.append(f"{status_label(status)} {self.counts[status]:,}", style)
        text.append("\n")
        state = STATE_LABELS.get(self.state, self.state)
        if self.state == C.PAUSED:
            text.append(state, self.get_component_rich_style("progress-panel--paused"))
        else:
            text.append(state)
        rate = "–" if self.rate is None else f"{self.rate:.1f}"
        text.append(f"   rate {rate} msg/s   ETA {format_duration(self.eta_seconds)}")
        if awaiting:
            text.append("   ")
            text.append("▒", bar_style)
            text.append(
                f" {awaiting:,} awaiting delivery",
                self.get_component_rich_style("progress-panel--wait"),
            )
        return text
