"""Step 5, Review: the summary of what will happen, an optional canary (your own number first,
or the first N recipients, then a pause to look), and a deliberate confirmation: type SEND.
A retry or follow-up (made on History) is reviewed the same way, its first line saying whom
it chose from which campaign.

When the journal already holds the same campaign (this file and template, not over or ended
within a day: `campaigns.pipeline.repeats`, the check `smscast send` makes), the summary says so and
the confirmation opens `RepeatDialog`: resume (or open) that campaign, go back, or start a new
one anyway with a key of its own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from tui.screens.base import StepScreen
from tui.widgets.plain import plain_lines
from tui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from campaigns.audience.filters import Audience
    from campaigns.compose.plan import Plan
    from campaigns.pipeline.repeats import Repeat
    from tui.state import Draft

CONFIRM_WORD = "SEND"


class ReviewScreen(StepScreen):
    """Check everything once more, then send."""

    STEP = "review"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "focus('canary-number')", "Canary", id="review-canary"),
        Binding("f", "focus('canary-first')", "First N", id="review-first"),
        Binding("t", "focus('schedule')", "Send at", id="review-schedule"),
        Binding("s", "focus('confirm')", "Confirm", id="review-confirm"),
        Binding("escape", "leave", "Leave the field", show=False, id="review-leave"),
    ]

    def body(self) -> Iterable[Widget]:
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-summary", markup=False)
            with Horizontal(classes="field-row"):
                yield Static("Canary number (c):", classes="label")
                yield SafeInput(
                    placeholder="optional: your own number, texted first",
                    id="canary-number",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Static("Send first N (f):", classes="label")
                yield SafeInput(
                    placeholder="optional: send N, then pause to look",
                    id="canary-first",
                    compact=True,
                    type="integer",
                )
            with Horizontal(classes="field-row"):
                yield Static("Send at (t):", classes="label")
                yield SafeInput(
                    placeholder="optional: YYYY-MM-DD HH:MM (your time) or HH:MM local (theirs)",
                    id="schedule",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Static("Confirm (s):", classes="label")
                yield SafeInput(
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
        if draft.derived is not None:  # a retry or follow-up: whom it chose, and why not the rest
            lines.append(draft.derived.source.summary())
        elif book is not None:
            lines.append(f"Contacts: {book.path.name}, {book.rows} rows, {book.valid} valid")
        audience = draft.audience
        if audience is not None:
            if draft.plan is not None:  # a row the plan leaves out is not deferred: never sent
                audience = self._sent_audience(audience, draft.plan)
            # A schedule puts each time inside the window then: nobody is deferred by now.
            deferred = 0 if draft.schedule_text.strip() else len(audience.deferred)
            lines.append(
                f"Audience: {len(audience.included)} included, {len(audience.excluded)} "
                f"excluded" + (f", {deferred} deferred by quiet hours" if deferred else "")
            )
            lines += registration_lines(audience)
        plan = draft.plan
        ready = plan is not None and bool(plan.messages) and draft.sender is not None
        if plan is not None:
            summary = plan.summary
            left_out = plan.left_out()
            lines.append(
                f"Messages: {summary.messages}, {summary.segments} segments, estimated cost "
                f"{summary.cost:.2f} {summary.currency}" + (f"; {left_out}" if left_out else "")
            )
            if draft.pricing is not None:  # each country's price, and where it comes from
                lines.append(draft.pricing.summary_line())
            lines.append(f"Template: {draft.template_text}")
            if draft.is_trial and account is not None:
                lines.append(
                    "Trial account: Twilio starts each message with 'Sent from your Twilio "
                    "trial account - ', which may add segments."
                )
        if plan is not None and draft.schedule_text.strip():
            lines.extend(
                (self.smscast.schedule_info or "Schedule: reading the time...").split("\n")
            )
        repeat = self.smscast.repeat_of(plan) if plan is not None else None
        if repeat is not None and repeat.campaign is not None:
            lines.append(f"Already in the journal: {repeat.describe()}")
        if repeat is not None and repeat.recent:
            lines.append(f"Note: {repeat.recent_note()}")
        if draft.sending:
            lines.append("A campaign is sending now: see Send (6).")
        elif plan is None and (work := _work_under_way(draft)) is not None:
            lines.append(work)  # not "not ready": the plan is being made, say which part
        elif plan is None or not ready:
            lines.append("Not ready: choose a sender (1), load contacts (2) and compose (4).")
        else:
            lines.append(
                f"To send {plan.summary.messages} messages, type {CONFIRM_WORD} below and "
                "press Enter."
            )
        # The account name, file name and template are untrusted: each line made visible.
        self.query_one("#review-summary", Static).update(plain_lines(*lines))
        self._update_button()

    _sent_for: tuple[Plan, Audience] | None = None

    def _sent_audience(self, audience: Audience, plan: Plan) -> Audience:
        """The audience less the rows the plan leaves out, worked out once per plan."""
        if self._sent_for is None or self._sent_for[0] is not plan:
            self._sent_for = (plan, audience.without({p.row for p in plan.problems}))
        return self._sent_for[1]

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
        elif event.input.id == "schedule" and event.value != self.draft.schedule_text:
            self.smscast.schedule_changed(event.value)

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
        if self.draft.schedule_text.strip() and (
            self.query_one("#canary-number", Input).value.strip()
            or self.query_one("#canary-first", Input).value.strip()
        ):
            self.notify(
                "A canary waits for the first messages' outcome, which a scheduled campaign "
                "cannot do: clear the canary or the time.",
                severity="warning",
                markup=False,
            )
            return
        canary = self.query_one("#canary-number", Input).value.strip() or None
        first = self.query_one("#canary-first", Input).value.strip()
        confirm.value = ""
        # Out of the box: back on this screen later, 6 or 7 must switch screens, not type.
        self.set_focus(None)
        self.smscast.start_campaign(canary=canary, first_n=int(first) if first else None)

    async def action_focus(self, field_id: str) -> None:
        """Move to one of the fields."""
        self.query_one(f"#{field_id}", Input).focus()

    def action_leave(self) -> None:
        """Leave the field (Esc): the keys (c, f, s, 1-7) work again."""
        self.set_focus(None)


def _work_under_way(draft: Draft) -> str | None:
    """What is being worked out for the plan now, in words (None: nothing is)."""
    if draft.loading is not None:
        return f"Reading the contacts ({draft.loading})… Send waits for the plan."
    if draft.counting and draft.book is not None:
        return f"Counting {draft.book.valid:,} contacts… Send waits for the plan."
    if draft.planning and draft.audience is not None:
        return (
            f"Planning {len(draft.audience.included):,} messages: totals for the new "
            "template… Send waits for the plan."
        )
    return None


class RepeatDialog(ModalScreen[str | None]):
    """The plan repeats a journal campaign: say which, and choose. Dismissed with "resume"
    (the campaign is not over), "open" (it is: see who got it), "new" (start another
    campaign anyway: its own key, a, never the default) or None (back, nothing sent)."""

    DEFAULT_CSS = """
    RepeatDialog { align: center middle; }
    RepeatDialog > Vertical {
        width: 80; max-width: 95%; height: auto; border: thick $warning; padding: 1 2;
        background: $surface;
    }
    RepeatDialog Horizontal { height: auto; margin-top: 1; }
    RepeatDialog Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('resume')", "Resume it", id="repeat-resume"),
        Binding("o", "choose('open')", "Open it", id="repeat-open"),
        Binding("a", "choose('new')", "New campaign anyway", id="repeat-new"),
        Binding("escape", "choose('')", "Back", id="repeat-back"),
    ]

    def __init__(self, repeat: Repeat) -> None:
        super().__init__()
        self.repeat = repeat

    @property
    def way_on(self) -> str:
        """ "resume" for a campaign that is not over, else "open"."""
        return "resume" if self.repeat.resumable else "open"

    def compose(self) -> ComposeResult:
        repeat = self.repeat
        text = [repeat.describe()]
        if repeat.recent_note():
            text.append(repeat.recent_note())
        text.append(
            "Resume it to text only those not texted yet."
            if self.way_on == "resume"
            else "Open it to see who got it."
        )
        text.append("A new campaign texts everyone in this plan again.")
        with Vertical():
            yield Static("\n\n".join(text), id="repeat-text", markup=False)
            with Horizontal():
                if self.way_on == "resume":
                    yield Button("Resume it (r)", id="resume", variant="primary")
                else:
                    yield Button("Open it (o)", id="open", variant="primary")
                yield Button("Back (esc)", id="back")
                yield Button("New campaign anyway (a)", id="new", variant="error")

    def on_mount(self) -> None:
        self.query_one(f"#{self.way_on}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose("" if event.button.id == "back" else str(event.button.id))

    def action_choose(self, choice: str) -> None:
        """Answer by key; "resume" and "open" only where they apply."""
        if choice in ("resume", "open") and choice != self.way_on:
            return
        self.dismiss(choice or None)


def registration_lines(audience: Audience) -> list[str]:
    """The registration preflight's part of the review: how many are left out because the
    sender cannot reach them today (US registration) and what to do, and its warnings."""
    from campaigns.audience.registration import KIND_REGISTRATION  # loaded with the audience

    check = audience.registration
    if check is None:
        return []
    lines = list(check.warnings)
    blocked = audience.counts.get(KIND_REGISTRATION, 0)
    if blocked:
        advice = sorted({block.advice for block in check.blocks.values()})
        lines.append(
            f"Left out for US registration: {blocked} (the sender {check.sender} cannot "
            f"reach them today). To reach them: {'; or '.join(advice)}."
        )
    return lines
