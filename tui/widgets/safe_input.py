"""`SafeInput`: an `Input` that never draws a control character raw.

Textual's `Input` draws its value as it is, so a file name holding ESC ] 0 ; ... BEL (put in the
path box by the app, or pasted) retitles or clears the person's terminal. `SafeInput` keeps the
value exactly (Enter opens the real file, a template keeps what was typed) and draws each
control or invisible formatting character as one visible cell (`campaigns.untrusted.one_cell`),
so the cursor and the selection stay aligned with the value.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from campaigns.untrusted import one_cell


class SafeInput(Input):
    """An `Input` whose value is drawn with its control characters made visible."""

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(one_cell(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text


__all__ = ["SafeInput"]
