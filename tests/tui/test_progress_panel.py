"""ProgressPanel, SegmentHistogram and FailureSummary through Pilot, at 80 columns."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget

from tui.widgets import FailureSummary, ProgressPanel, SegmentHistogram
from tui.widgets.progress_panel import format_duration
from tui.widgets.segment_histogram import bar


class PanelsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ProgressPanel()
        yield SegmentHistogram()
        yield FailureSummary()


def screen_lines(widget: Widget) -> list[str]:
    """The widget's lines as drawn (padding included), as plain text."""
    width, height = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


COUNTS = {"pending": 500, "inflight": 5, "sent": 300, "delivered": 180, "failed": 12}


async def test_progress_panel_shows_bar_counts_rate_eta_and_state_in_words() -> None:
    app = PanelsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ProgressPanel)
        panel.update_progress({**COUNTS, "undelivered": 3}, 1000, 9.74, 130, "running")
        await pilot.pause()
        lines = screen_lines(panel)
        assert all(cell_len(line) == 80 for line in lines)
        bar_line = lines[0]
        assert bar_line.rstrip().endswith("49%  495/1,000")  # floor: never 100% too early
        # handled 495: outcome known for 195 (█), Twilio still has 300 (▒); readable without
        # colour
        assert bar_line.count("█") + bar_line.count("▒") == 30 and "░" in bar_line
        assert bar_line.count("█") == 12
        text = "\n".join(lines)
        for item in ("· pending 500", "↑ inflight 5", "→ sent 300", "✓ delivered 180"):
            assert item in text
        assert "✗ failed 12" in text and "✗ undelivered 3" in text  # wrapped, never split
        assert "▶ sending" in lines[-1] and "9.7 msg/s" in lines[-1] and "ETA 2m 10s" in lines[-1]
        assert lines[-1].rstrip().endswith("▒ 300 awaiting delivery")
        assert len(lines) == 4

        panel.update_progress({"delivered": 1000}, 1000, None, None, "paused")
        await pilot.pause()
        lines = screen_lines(panel)
        assert len(lines) == 3
        assert "100%" in lines[0] and "░" not in lines[0]
        assert "‖ PAUSED" in lines[-1] and "rate – msg/s" in lines[-1] and "ETA –" in lines[-1]
        assert panel.has_class("-paused")


async def test_progress_panel_shows_scheduled_in_order_and_awaiting_delivery() -> None:
    app = PanelsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ProgressPanel)
        counts = {"delivered": 1, "scheduled": 2, "accepted": 1, "pending": 1}
        panel.update_progress(counts, 5, None, None, "running")
        await pilot.pause()
        lines = screen_lines(panel)
        # the statuses in the order a message goes through them, scheduled among Twilio's own
        assert lines[1].strip() == "· pending 1  … accepted 1  … scheduled 2  ✓ delivered 1"
        assert lines[-1].rstrip().endswith("▒ 3 awaiting delivery")
        assert lines[0].rstrip().endswith("80%  4/5")


async def test_progress_panel_before_anything_is_sent() -> None:
    app = PanelsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ProgressPanel)
        panel.update_progress({}, 0, None, None, "idle")
        await pilot.pause()
        text = "\n".join(screen_lines(panel))
        assert "0/0" in text and "nothing sent yet" in text and "○ ready" in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (-1, "–"), (0, "0s"), (45.4, "45s"), (125, "2m 05s"), (3780, "1h 03m")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_bar_uses_eighths() -> None:
    assert bar(1.0, 4) == "████"
    assert bar(0.5, 4) == "██  "
    assert bar(1 / 16, 4) == "▎   "
    assert bar(1 / 8, 4) == "▌   "
    assert bar(0.0, 3) == "   "


async def test_segment_histogram_one_line_per_segment_count() -> None:
    app = PanelsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        histogram = app.query_one(SegmentHistogram)
        assert "No messages yet." in screen_lines(histogram)[0]
        histogram.update_histogram({1: 1200, 2: 300, 3: 12, 4: 0})
        await pilot.pause()
        lines = screen_lines(histogram)
        assert len(lines) == 3 and all(cell_len(line) == 80 for line in lines)
        one, two, three = lines
        assert one.strip().startswith("1 seg ") and "1,200" in one and "79%" in one
        assert two.count("█") < one.count("█")
        assert "3 seg!" in three  # costly messages are marked by a glyph, not colour alone
        assert "2 seg!" not in two


async def test_failure_summary_groups_by_code_with_meaning_and_fix() -> None:
    app = PanelsApp()
    async with app.run_test(size=(80, 30)) as pilot:
        summary = app.query_one(FailureSummary)
        assert "✓ No failures." in screen_lines(summary)[0]
        summary.update({30003: 12, 21610: 40, None: 2, 12345: 1, 30007: 0})
        await pilot.pause()
        assert summary.groups == [(21610, 40), (30003, 12), (None, 2), (12345, 1)]
        lines = screen_lines(summary)
        assert all(cell_len(line) == 80 for line in lines)
        text = "\n".join(lines)
        assert lines[0].lstrip().startswith("✗ 21610 × 40")
        assert "opted out" in lines[0]
        assert "→ Nothing: the number is now on the suppression list" in text
        assert "✗ 30003 × 12" in text and "→ Try again later" in text
        assert "✗ no code × 2" in text
        assert "twilio.com/docs/api/errors/12345" in text
        assert "30007" not in text
        # wrapped lines keep the indent under the meaning
        indent = lines[0].index("The recipient")
        assert all(line[:indent].strip() == "" for line in lines[1:2])
