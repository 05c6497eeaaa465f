"""Step 5, Review: the summary of what will happen, an optional canary (your own number first,
or the first N recipients, then a pause to look), and a deliberate confirmation: type SEND."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from tui.screens.base import StepScreen
from tui.widgets.plain import plain_lines

CONFIRM_WORD = "SEND"


class ReviewScreen(StepScreen):
    """Check everything once more, then send."""

    STEP = "review"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "focus('canary-number')", "Canary", id="review-canary"),
        Binding("f", "focus('canary-first')", "First N", id="review-first"),
        Binding("s", "focus('confirm')", "Confirm", id="review-confirm"),
        Binding("escape", "leave", "Leave the field", show=False, id="review-leave"),
    ]

    def body(self) -> Iterable[Widget]:
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-summary", markup=False)
            with Horizontal(classes="field-row"):
                yield Static("Canary number (c):", classes="label")
                yield Input(
                    placeholder="optional: your own number, texted first",
                    id="canary-number",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Static("Send first N (f):", classes="label")
                yield Input(
                    placeholder="optional: send N, then pause to look",
                    id="canary-first",
                    compact=True,
                    type="integer",
                )
            with Horizontal(classes="field-row"):
                yield Static("Confirm (s):", classes="label")
                yield Input(
                    placeholder=f"type {CONFIRM_WORD} and press Enter", id="confirm", compact=True
                )
            yield Button("Send", id="send-button", variant="error", disabled=True)

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False

    def sync(self) -> None:
        draft = self.draft
        lines: list[str] = []
        account = draft.account
        if account is not None:
            lines.append(f"Account: {account.friendly_name} ({account.type})")
        lines.append(f"Sender: {draft.sender or 'none chosen (1)'}")
        book = draft.book
        if book is not None:
            lines.append(f"Contacts: {book.path.name}, {book.rows} rows, {book.valid} valid")
        audience = draft.audience
        if audience is not None:
            deferred = len(getattr(audience, "deferred", {}) or {})
            lines.append(
                f"Audience: {len(audience.included)} included, {len(audience.excluded)} "
                f"excluded" + (f", {deferred} deferred by quiet hours" if deferred else "")
            )
        plan = draft.plan
        ready = plan is not None and bool(plan.messages) and draft.sender is not None
        if plan is not None:
            summary = plan.summary
            left_out = plan.left_out()
            lines.append(
                f"Messages: {summary.messages}, {summary.segments} segments, estimated cost "
                f"{summary.cost:.2f} {summary.currency}" + (f"; {left_out}" if left_out else "")
            )
            lines.append(f"Template: {draft.template_text}")
            if draft.is_trial and account is not None:
                lines.append(
                    "Trial account: Twilio starts each message with 'Sent from your Twilio "
                    "trial account - ', which may add segments."
                )
        if draft.sending:
            lines.append("A campaign is sending now: see Send (6).")
        elif not ready:
            lines.append("Not ready: choose a sender (1), load contacts (2) and compose (4).")
        else:
            lines.append(
                f"To send {plan.summary.messages} messages, type {CONFIRM_WORD} below and "
                "press Enter."
            )
        # The account name, file name and template are untrusted: each line made visible.
        self.query_one("#review-summary", Static).update(plain_lines(*lines))
        self._update_button()

    def _ready(self) -> bool:
        draft = self.draft
        return (
            not draft.sending
            and draft.plan is not None
            and bool(draft.plan.messages)
            and draft.sender is not None
        )

    def _update_button(self) -> None:
        confirmed = self.query_one("#confirm", Input).value.strip() == CONFIRM_WORD
        self.query_one("#send-button", Button).disabled = not (confirmed and self._ready())

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "confirm":
            self._update_button()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm":
            self._send()
        else:  # Enter in a canary field: on to the confirmation
            self.query_one("#confirm", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send-button":
            self._send()

    def _send(self) -> None:
        confirm = self.query_one("#confirm", Input)
        if confirm.value.strip() != CONFIRM_WORD:
            self.notify(f"Type {CONFIRM_WORD} (in capitals) to confirm.", severity="warning")
            return
        if not self._ready():
            self.notify("Not ready to send yet: see the summary.", severity="warning")
            return
        canary = self.query_one("#canary-number", Input).value.strip() or None
        first = self.query_one("#canary-first", Input).value.strip()
        confirm.value = ""
        # Out of the box: back on this screen later, 6 or 7 must switch screens, not type.
        self.set_focus(None)
        self.smscast.start_campaign(canary=canary, first_n=int(first) if first else None)

    def action_focus(self, field_id: str) -> None:
        """Move to one of the fields."""
        self.query_one(f"#{field_id}", Input).focus()

    def action_leave(self) -> None:
        """Leave the field (Esc): the keys (c, f, s, 1-7) work again."""
        self.set_focus(None)
