"""`StepBar`: the seven steps of the flow across the top, the current one marked; on a view
beside the flow (`tui.state.VIEWS`: Replies) the view follows the steps, marked.

The current step is shown with a `▶` glyph and reverse video as well as colour, so it reads in
16-colour terminals and with NO_COLOR.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.state import STEPS, VIEWS


class StepBar(Widget):
    """One line: `1 Account  2 Contacts ...` with the current step marked."""

    DEFAULT_CSS = """
    StepBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, current: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.current = current

    def render(self) -> Text:
        """The steps; narrow terminals get the digits and the current title only."""
        text = Text(no_wrap=True, overflow="ellipsis")
        wide = self.size.width >= 88 or self.size.width == 0
        for number, (name, title) in enumerate(STEPS, start=1):
            if name == self.current:
                text.append(f" ▶{number} {title} ", style="bold reverse")
            elif wide:
                text.append(f" {number} {title} ", style="")
            else:
                text.append(f" {number} ")
        for number, (name, title) in enumerate(VIEWS, start=len(STEPS) + 1):
            if name == self.current:
                text.append(f" ▶{number} {title} ", style="bold reverse")
        return text
