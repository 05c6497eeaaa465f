"""Step 4, Compose: the template editor, the columns (inserted at the cursor), the live preview
for one contact at a time, its encoding, characters and segments (the characters that forced
UCS-2 marked, with a one-key smart-encoding fix), warnings, and the campaign's totals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.text_area import Selection

from tui.core import first_included
from tui.screens.audience import contact_name
from tui.screens.base import StepScreen, price_note
from tui.widgets.plain import plain, plain_lines, visible
from tui.widgets.segment_histogram import SegmentHistogram

if TYPE_CHECKING:
    from campaigns.compose.plan import Plan
    from campaigns.contacts.rows import ContactWarning
    from tui.state import Draft

#: Wording that tells recipients how to opt out (carriers expect it in bulk messages).
OPT_OUT = re.compile(r"\b(stop|unsubscribe|opt[ -]?out|end|quit)\b", re.IGNORECASE)
#: Messages longer than this are flagged (three segments or more even in GSM-7).
LONG_MESSAGE = 320


def body_text(body: str, non_gsm: Iterable[str]) -> Text:
    """The message with each character that forced UCS-2 underlined and reversed. A control
    or invisible character is drawn as its escape (`\\x1b`, `\\u202e`), reversed: it is
    sent as it is, and must not act on the terminal. Line breaks stay line breaks."""
    marked = set(non_gsm)
    text = Text()
    for char in body:
        shown = char if char == "\n" else visible(char)
        if shown != char:
            text.append(shown, style="reverse")
        else:
            text.append(char, style="reverse underline" if char in marked else "")
    return text


class ComposeScreen(StepScreen):
    """Write the message; see what each person gets and what it costs."""

    STEP = "compose"
    AUTO_FOCUS = "#columns"
    # The footer shows what fits at 80 columns with Quit; ctrl+b/ctrl+n are named on the
    # preview line instead (and every key is listed in ctrl+p > Keys).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+n", "step(1)", "Contact+", id="compose-next-contact", priority=True, show=False
        ),
        Binding(
            "ctrl+b", "step(-1)", "Contact-", id="compose-prev-contact", priority=True, show=False
        ),
        Binding("ctrl+f", "smart_fix", "GSM fix", id="compose-smart-fix", priority=True),
        Binding("ctrl+o", "columns", "Columns", id="compose-columns", priority=True),
        Binding("ctrl+e", "edit", "Edit", id="compose-edit", priority=True),
        Binding("escape", "columns", "Done", id="compose-done", show=False),
        Binding("n", "app.go('review')", "Next", id="compose-next"),
    ]

    _columns_shown: tuple[str, ...] = ()

    def body(self) -> Iterable[Widget]:
        with Horizontal(id="compose-top"):
            yield TextArea(
                self.draft.template_text,
                id="template",
                soft_wrap=True,
                tab_behavior="focus",
                show_line_numbers=False,
            )
            yield OptionList(id="columns")
        with VerticalScroll(id="compose-info"):
            yield Static("", id="preview-head", markup=False)
            yield Static("", id="preview")
            yield Static("", id="segments-line", markup=False)
            yield Static("", id="compose-warnings", markup=False)
            yield Static("", id="totals", markup=False)
            yield SegmentHistogram(id="histogram")

    def on_mount(self) -> None:
        editor = self.query_one("#template", TextArea)
        editor.cursor_blink = False
        editor.border_title = "Template (ctrl+e edits, Esc leaves)"
        columns = self.query_one("#columns", OptionList)
        columns.border_title = "Columns (⏎ inserts)"
        columns.focus()

    def sync(self) -> None:
        draft = self.draft
        editor = self.query_one("#template", TextArea)
        if editor.text != draft.template_text:  # (set elsewhere: the palette, a test)
            editor.text = draft.template_text
        self._sync_columns()
        self._sync_preview()
        self._sync_totals()

    def _sync_columns(self) -> None:
        book = self.draft.book
        columns = tuple(book.columns) if book is not None else ()
        if columns != self._columns_shown:
            self._columns_shown = columns
            options = self.query_one("#columns", OptionList)
            options.clear_options()
            # Headers come from the file: plain Text (an OptionList reads a str as markup).
            options.add_options([plain(c) for c in columns] or ["(load contacts first)"])

    def _sync_preview(self) -> None:
        from campaigns.compose.segments import analyze

        draft = self.draft
        head = self.query_one("#preview-head", Static)
        preview = self.query_one("#preview", Static)
        line = self.query_one("#segments-line", Static)
        warnings_view = self.query_one("#compose-warnings", Static)
        warnings: list[str] = []
        derived = draft.derived
        if derived is not None and not draft.template_text.strip():
            head.update(  # a follow-up starts with no message: not "a problem" yet
                plain_lines(
                    derived.source.summary(),
                    "Write its message above: ctrl+e edits, and Enter on a column inserts it.",
                )
            )
            preview.update("")
            line.update("")
            warnings_view.update("")
            return
        if draft.template_error:
            head.update("The template has a problem:")
            preview.update(Text(plain_lines(*str(draft.template_error).split("\n"))))
            line.update("")
            warnings_view.update("")
            return
        contact = first_included(draft.audience, draft.preview_index)
        template = draft.template
        if template is None or contact is None or draft.audience is None:
            head.update("Preview: load contacts (2) to see each person's message.")
            preview.update("")
            line.update("")
            warnings_view.update("")
            return
        count = len(draft.audience.included)
        index = draft.preview_index % count + 1
        name = contact_name(contact.fields)
        head.update(
            visible(
                f"Preview {index}/{count} (ctrl+b/ctrl+n): row {contact.row}, {contact.phone}"
                + (f", {name}" if name else "")
            )
        )
        body = template.render(contact.fields)
        info = analyze(body)
        preview.update(body_text(body, info.non_gsm))
        forced = "".join(dict.fromkeys(info.non_gsm))
        line.update(
            f"{info.encoding}, {info.characters} characters, {info.segments} segment"
            + ("s" if info.segments != 1 else "")
            + (
                f"; UCS-2 because of: {visible(forced)}  (ctrl+f replaces look-alikes)"
                if forced
                else ""
            )
        )
        problem = draft.plan.problem_at(contact.row) if draft.plan is not None else None
        if problem is not None:
            warnings.append(f"! Not sent to this contact: {problem.reason}.")
        empty = template.empty_fields(contact.fields)
        if empty:
            warnings.append(
                f"! Empty for this contact: {', '.join(empty)} (add a default: {{name|there}})"
            )
        if len(body) > LONG_MESSAGE:
            warnings.append(f"! Long message: {len(body)} characters (over {LONG_MESSAGE}).")
        controls = _body_warning(draft.plan, contact.row)
        if controls is not None:
            warnings.append(f"! {controls.message[0].upper()}{controls.message[1:]}.")
        if not OPT_OUT.search(draft.template_text):
            warnings.append('! No opt-out wording: add e.g. "Reply STOP to opt out".')
        warnings_view.update(plain_lines(*warnings) if warnings else "No warnings.")

    def _sync_totals(self) -> None:
        draft = self.draft
        plan = draft.plan
        totals = self.query_one("#totals", Static)
        histogram = self.query_one("#histogram", SegmentHistogram)
        if plan is None:  # say what is true now: never zeros for work under way
            pending = _pending_totals(draft)
            totals.update(pending)
            histogram.show_pending("Segments per message: " + pending[0].lower() + pending[1:])
            return
        summary = plan.summary
        left_out = plan.left_out()
        totals.update(
            f"Totals: {summary.messages} messages, {summary.segments} segments, "
            f"estimated cost {summary.cost:.2f} {summary.currency}"
            + (f"; {left_out}" if left_out else "")
            + price_note(self.draft.pricing)
            + (
                f"\n{summary.ucs2_messages} messages are UCS-2; replacing look-alike characters "
                f"(ctrl+f) would make it {summary.smart_segments} segments."
                if summary.smart_segments < summary.segments
                else ""
            )
        )
        histogram.update_histogram(dict(summary.histogram))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Each key: the preview follows at once (the app re-plans when typing pauses)."""
        self._commit()

    def _commit(self) -> None:
        text = self.query_one("#template", TextArea).text
        if text != self.draft.template_text:
            self.smscast.set_template(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if not self._columns_shown:
            return
        column = self._columns_shown[event.option_index]
        editor = self.query_one("#template", TextArea)
        editor.insert(placeholder_for(column))
        editor.focus()

    def action_step(self, delta: int) -> None:
        """Preview the next or previous contact."""
        self.smscast.step_preview(delta)

    def action_smart_fix(self) -> None:
        """Replace look-alike characters (curly quotes, dashes, ...) with GSM-7 ones.

        The cursor (and selection) stay where they were in the text, shifted by what the
        replacements before them added ("…" becomes "..."), and the change can be undone.
        """
        from campaigns.compose.segments import smart_encode

        editor = self.query_one("#template", TextArea)
        fixed = smart_encode(editor.text)
        if fixed == editor.text:
            self.notify("Nothing to replace: no look-alike characters.", markup=False)
            return
        document = editor.document

        def moved(location: tuple[int, int]) -> tuple[int, int]:
            # smart_encode maps code point by code point and never adds or removes a line
            row, column = location
            return row, len(smart_encode(document.get_line(row)[:column]))

        selection = editor.selection
        start, end = moved(selection.start), moved(selection.end)
        editor.replace(fixed, (0, 0), document.end, maintain_selection_offset=False)
        editor.selection = Selection(start, end)
        self._commit()
        self.notify("Look-alike characters replaced with GSM-7 ones.", markup=False)

    def action_columns(self) -> None:
        """Move to the columns list."""
        self.query_one("#columns", OptionList).focus()

    def action_edit(self) -> None:
        """Move to the template editor."""
        self.query_one("#template", TextArea).focus()


def _pending_totals(draft: Draft) -> str:
    """The totals line while there is no plan: why, or what is being worked out."""
    if draft.derived is not None and not draft.template_text.strip():
        return "Totals: once the message is written."
    if draft.template_error:
        return "Totals: fix the template first."
    if draft.book is None:
        return (
            "Totals: load contacts (2) first."
            if draft.loading is None
            else (f"Totals: reading the contacts ({draft.loading})…")
        )
    if draft.audience is None:
        return f"Totals: counting {draft.book.valid:,} contacts…"
    return f"Totals for the new template… (planning {len(draft.audience.included):,} messages)"


def _body_warning(plan: Plan | None, row: int) -> ContactWarning | None:
    """The plan's control-character warning for this row's message, if any."""
    warnings = plan.warnings_at(row) if plan is not None else []
    return next((w for w in warnings if w.kind == "control-character"), None)


def placeholder_for(column: str) -> str:
    """The placeholder for a column: its snake_case form (`{first_name}` for "First Name")."""
    from campaigns.compose.template import snake_case

    name = snake_case(column)
    return "{" + (name or column.replace("{", "{{").replace("}", "}}")) + "}"


__all__ = ["ComposeScreen", "body_text", "placeholder_for"]
