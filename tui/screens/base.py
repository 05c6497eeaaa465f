"""`StepScreen`: the frame every step of the flow shares (step bar, body, footer)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tui.widgets.steps import StepBar

if TYPE_CHECKING:
    from campaigns.compose.pricing import Pricing
    from tui.app import SmscastApp
    from tui.state import Draft


def price_note(pricing: Pricing | None) -> str:
    """The line under a shown cost saying each country's price and where it comes from
    (Twilio's prices and their date, or the built-in table); "" while not known yet."""
    return f"\n{pricing.summary_line()}" if pricing is not None else ""


class StepScreen(Screen[None]):
    """A step: `STEP` names its mode; subclasses give `body()` and re-read state in `sync()`."""

    STEP: ClassVar[str] = ""

    @property
    def smscast(self) -> SmscastApp:
        """The app, typed."""
        return cast("SmscastApp", self.app)

    @property
    def draft(self) -> Draft:
        """The app's working state."""
        return self.smscast.draft

    def compose(self) -> ComposeResult:
        yield StepBar(self.STEP)
        yield from self.body()
        yield Footer()

    def body(self) -> Iterable[Widget]:
        """The screen's own widgets."""
        return ()

    def on_mount(self) -> None:
        self.sync()

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self) -> None:
        """Re-read the draft into the widgets (called on show and after every change)."""
