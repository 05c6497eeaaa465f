"""smscast's widgets, each with its own DEFAULT_CSS and a stable public API in its docstring.

- `StatusTable` (+ `RecipientRow`): every recipient with live status; Line API, 100k rows.
- `ProgressPanel`: bar, counts by status, rate, ETA, run state.
- `SegmentHistogram`: segments per message, for the compose screen.
- `FailureSummary`: failures by error code with meaning and fix.
- `plain`, `plain_lines` (`tui.widgets.plain`): untrusted text made safe to draw.
"""

from tui.widgets.failure_summary import FailureSummary
from tui.widgets.plain import plain, plain_lines
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.segment_histogram import SegmentHistogram
from tui.widgets.status_table import RecipientRow, StatusTable

__all__ = [
    "FailureSummary",
    "ProgressPanel",
    "RecipientRow",
    "SegmentHistogram",
    "StatusTable",
    "plain",
    "plain_lines",
]
