"""`CallbackLine`: one line on the Send screen saying that the run's receipts arrive by status
callbacks, where, and how many came (`tui.engine_runner.CallbackCount`); once the run ended,
that they stopped with it. Hidden when the app does not receive callbacks for the run, and for
a campaign that is not the run's (the app decides: `SmscastApp._show_callbacks`). The URL
comes from the settings (a person's file): shown through `plain_lines`, its controls made
visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from campaigns.secrets import scrub
from tui.widgets.plain import plain_lines

if TYPE_CHECKING:
    from tui.engine_runner import CallbackCount


def callback_text(count: CallbackCount) -> str:
    """The line for `count` (a user name and password in the URL masked: Twilio accepts
    them for HTTP basic auth on callbacks)."""
    url = scrub(count.url)
    if count.error:
        return f"Status callbacks off for this run (sweeps track it): {count.error}"
    if count.elsewhere:
        ending = "the run has ended." if count.stopped else "sweeps read them too, slowly."
        return (
            f"Receipts are posted to {url} (received elsewhere, e.g. by 'smscast listen'); {ending}"
        )
    parts = [f"{count.received} received", f"{count.recorded} recorded"]
    if count.held:
        parts.append(f"{count.held} waiting for their send to be recorded")
    if count.refused:
        parts.append(f"{count.refused} refused")
    if count.stopped:  # nothing listens any more: never "arrive"
        return (
            "Status callbacks stopped with the run (the app receives none now): "
            + ", ".join(parts)
            + "."
        )
    if not count.listening:
        return f"Status callbacks: starting to receive them for {url}..."
    return (
        f"Receipts arrive by status callbacks at {url} (on {count.listening}): "
        + ", ".join(parts)
        + "."
    )


class CallbackLine(Static):
    """The run's status callbacks in one line (wrapped when the URL is long)."""

    DEFAULT_CSS = """
    CallbackLine {
        height: auto;
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    CallbackLine.-error {
        color: $warning;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: CallbackCount | None = None

    def show(self, count: CallbackCount | None) -> None:
        """Show `count` (None: hide the line); nothing is redrawn when it did not change."""
        if count == self._shown:
            return
        self._shown = count
        self.display = count is not None
        if count is not None:
            self.set_class(bool(count.error), "-error")
            self.update(plain_lines(callback_text(count)))
