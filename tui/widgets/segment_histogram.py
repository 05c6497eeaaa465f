"""A small text histogram of segments per message, for the compose screen.

Public API (stable)::

    histogram = SegmentHistogram(id="segments")
    histogram.update_histogram(counts: Mapping[int, int])   # segments per message -> messages

One line per segment count, e.g. ``2 seg ███████▌      1,204  12%``; bars scale to the width.
Messages of 3 segments or more are marked ``!`` (they cost three times a single SMS or more),
so the warning reads without colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

__all__ = ["SegmentHistogram", "bar"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
_COSTLY = 3


def bar(value: float, width: int) -> str:
    """A bar of ``value`` (0..1) in ``width`` cells, with eighth-cell precision."""
    value = min(max(value, 0.0), 1.0)
    eighths = round(value * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


class SegmentHistogram(Widget):
    """Messages per segment count, as bars (height: one line per segment count)."""

    DEFAULT_CSS = """
    SegmentHistogram {
        height: auto;
        padding: 0 1;
        & > .segment-histogram--bar { color: $accent; }
        & > .segment-histogram--costly { color: $warning; text-style: bold; }
        & > .segment-histogram--empty { color: $text-muted; text-style: italic; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "segment-histogram--bar",
        "segment-histogram--costly",
        "segment-histogram--empty",
    }

    def __init__(
        self,
        counts: Mapping[int, int] | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.counts: dict[int, int] = dict(counts or {})
        #: Said instead of the bars while they are being worked out (never "No messages").
        self.pending: str | None = None

    def update_histogram(self, counts: Mapping[int, int]) -> None:
        """Show these counts (segments per message -> number of messages)."""
        self.counts = {segments: n for segments, n in counts.items() if n}
        self.pending = None
        self.refresh(layout=True)

    def show_pending(self, sentence: str) -> None:
        """The counts are being worked out: say so (`sentence`) instead of any bars."""
        self.counts, self.pending = {}, sentence
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.counts))

    def render(self) -> Text:
        if not self.counts:
            return Text(
                self.pending or "No messages yet.",
                self.get_component_rich_style("segment-histogram--empty"),
            )
        width = max(20, self.content_region.width or self.size.width)
        total = sum(self.counts.values())
        peak = max(self.counts.values())
        label_width = max(len(str(s)) for s in self.counts) + 5  # "12 seg"
        count_width = max(len(f"{n:,}") for n in self.counts.values())
        bar_width = max(3, width - label_width - count_width - 9)
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, segments in enumerate(sorted(self.counts)):
            n = self.counts[segments]
            costly = segments >= _COSTLY
            if i:
                text.append("\n")
            label = f"{segments} seg".rjust(label_width - 1)
            text.append(f"{label}{'!' if costly else ' '} ")
            style = "segment-histogram--costly" if costly else "segment-histogram--bar"
            text.append(bar(n / peak, bar_width), self.get_component_rich_style(style))
            text.append(f" {n:>{count_width},} {n / total:4.0%}")
        return text
