"""The choice of who gets a follow-up (History's f): the five kinds of `smscast follow-up
--who`, each with how many of the campaign's people it names, and those that cannot be
chosen shown disabled with why (nobody; the reply kinds where no reply was ever collected).

Dismissed with the `Who` chosen (the app then opens Compose on those people) or None."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.plain import visible

if TYPE_CHECKING:
    from campaigns.pipeline.followups import FollowUpChoice

#: Each choice's name in the list (`--who`'s words, as a person reads them).
TITLES: dict[str, str] = {
    "delivered": "Delivered",
    "failed": "Failed",
    "replied": "Replied",
    "no-reply": "No reply",
    "opted-in": "Opted in",
}


def choice_prompt(choice: FollowUpChoice) -> Text:
    """One line of the list: the name, the count of people, what it means or why not."""
    from campaigns.pipeline.followups import WHO_MEANING

    if choice.unavailable:
        count = ""
    else:
        count = f"{choice.people:>7,} " + ("person" if choice.people == 1 else "people")
    why = choice.unavailable or WHO_MEANING[choice.who]
    return Text(visible(f"{TITLES[choice.who]:<9} {count:<14}  {why}"), end="")


class FollowUpDialog(ModalScreen[str | None]):
    """Who gets the follow-up: Enter chooses, Esc goes back. Opened at once, saying the
    people are being counted (replies are collected from Twilio first); the app hands it
    the choices when its worker has them (`show_choices`)."""

    DEFAULT_CSS = """
    FollowUpDialog { align: center middle; }
    FollowUpDialog > Vertical {
        width: 84; max-width: 95%; height: auto; border: thick $accent; padding: 1 2;
        background: $surface;
    }
    FollowUpDialog OptionList { height: auto; max-height: 9; margin: 1 0; }
    FollowUpDialog #follow-up-help { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="follow-up-back"),
    ]

    def __init__(self, campaign_id: str) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.choices: tuple[FollowUpChoice, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"Follow up campaign {self.campaign_id}: who gets the new message?",
                id="follow-up-question",
                markup=False,
            )
            options = OptionList(id="follow-up-choices")
            options.display = False
            yield options
            yield Static(
                "Counting its people (replies are collected first)… Esc goes back.",
                id="follow-up-help",
                markup=False,
            )

    def show_choices(self, choices: Sequence[FollowUpChoice]) -> None:
        """The five kinds, each with its count or why it cannot be chosen."""
        self.choices = tuple(choices)
        options = self.query_one("#follow-up-choices", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(choice_prompt(c), id=c.who, disabled=c.unavailable is not None)
                for c in self.choices
            ]
        )
        options.display = True
        options.focus()
        first = next((i for i, c in enumerate(self.choices) if c.unavailable is None), None)
        options.highlighted = first
        self.query_one("#follow-up-help", Static).update(
            "Enter chooses, Esc goes back. Next: write the message on Compose (the file's "
            "columns are there), then Review."
            if first is not None
            else "Nobody to follow up: every kind is empty. Esc goes back."
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_back(self) -> None:
        """Back to History: nothing chosen."""
        self.dismiss(None)
