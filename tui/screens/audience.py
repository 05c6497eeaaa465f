"""Step 3, Audience: the filters (verified only, suppression list, quiet hours, and the
opt-in line types from Twilio Lookup, which asks with the count and cost first) with their
counts, and the included and excluded contacts with a reason each. A toggle recounts at once
(in a worker; the screen shows the new counts when they arrive)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static, Switch, TabbedContent, TabPane

from tui.screens.base import StepScreen
from tui.screens.contacts import MAX_ROWS
from tui.widgets.plain import plain, plain_lines

if TYPE_CHECKING:
    from campaigns.audience.filters import Audience
    from tui.state import Draft


def contact_name(fields: Mapping[str, str]) -> str:
    """A display name from a contact's fields (first + last name, or name), else ""."""
    lowered = {str(k).strip().lower().replace("_", " "): v for k, v in dict(fields).items()}
    for key in ("name", "full name"):
        if lowered.get(key):
            return str(lowered[key])
    parts = [lowered.get(k, "") for k in ("first name", "last name")]
    return " ".join(str(p) for p in parts if p)


def counting_sentence(draft: Draft) -> str:
    """What the Audience summary says while there is no audience: true to the work under way."""
    if draft.book is None:
        if draft.loading is not None:
            return f"Reading the contacts: {draft.loading}…"
        return "Load a contacts file first (2)."
    return f"Counting {draft.book.valid:,} contacts…"


def _deferred_of(deferred: Mapping[int, datetime], rows: list[int]) -> Mapping[int, datetime]:
    """The deferrals of `rows` only (a million-row audience is looked up in one pass)."""
    from campaigns.audience.filters import DeferredRows

    if isinstance(deferred, DeferredRows):
        return deferred.of_rows(rows)
    return deferred


class AudienceScreen(StepScreen):
    """Who will get the message, who will not, and why."""

    STEP = "audience"
    AUTO_FOCUS = "#included-table"
    # i and x are named on their tabs, so the footer has room for Next and Quit at 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle('verified_only')", "Verified only", id="audience-verified"),
        Binding("s", "toggle('suppression')", "Suppression", id="audience-suppression"),
        Binding("h", "toggle('quiet_hours')", "Quiet hours", id="audience-quiet"),
        # named on its switch (billed: asks first), so the footer keeps Next and Quit at 80
        Binding("l", "toggle('line_types')", "Line types", id="audience-lookup", show=False),
        Binding("i", "tab('included')", "Included", id="audience-included", show=False),
        Binding("x", "tab('excluded')", "Excluded", id="audience-excluded", show=False),
        Binding("n", "app.go('compose')", "Next", id="audience-next"),
    ]

    _filled_for: Audience | None = None

    SWITCHES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("verified_only", "Verified numbers only (v)"),
        ("suppression", "Suppression list (s)"),
        ("quiet_hours", "Quiet hours (h)"),
        ("line_types", "Line types by Twilio Lookup (l)"),
    )

    def body(self) -> Iterable[Widget]:
        with Vertical(id="filters"):
            for key, label in self.SWITCHES:
                with Horizontal(classes="filter-row"):
                    yield Switch(id=f"switch-{key}", animate=False)
                    yield Static(label, id=f"label-{key}", classes="filter-label", markup=False)
        yield Static("Load a contacts file first (2).", id="audience-summary", markup=False)
        with TabbedContent(id="audience-tabs", initial="included"):
            with TabPane("Included (i)", id="included"):
                table: DataTable[str] = DataTable(id="included-table", cursor_type="row")
                table.add_columns("Row", "Number", "Name", "Sends")
                yield table
            with TabPane("Excluded (x)", id="excluded"):
                excluded: DataTable[str] = DataTable(id="excluded-table", cursor_type="row")
                excluded.add_columns("Row", "Number", "Reason")
                yield excluded

    def sync(self) -> None:
        draft = self.draft
        filters = draft.filters
        for key, _label in self.SWITCHES:
            switch = self.query_one(f"#switch-{key}", Switch)
            if switch.value != getattr(filters, key):
                with switch.prevent(Switch.Changed):
                    switch.value = getattr(filters, key)
        audience = draft.audience
        if audience is None:
            self.query_one("#audience-summary", Static).update(counting_sentence(draft))
            return
        counts = audience.counts
        deferred = audience.deferred
        verified_out = counts.get("unverified", 0)
        suppressed_out = counts.get("suppressed", 0)
        quiet_out = counts.get("quiet-hours", 0)
        line_type_out = counts.get("line-type", 0)
        registration_out = counts.get("registration", 0)  # the sender's US registration
        filtered = (
            "included",
            "deferred",
            "unverified",
            "suppressed",
            "quiet-hours",
            "registration",
            "line-type",
        )
        problems = sum(n for k, n in counts.items() if k not in filtered)
        trial = " (on by default: trial account)" if draft.is_trial else ""
        labels = {
            "verified_only": f"Verified numbers only{trial} (v): {verified_out} excluded",
            "suppression": f"Suppression list (s): {suppressed_out} excluded",
            "quiet_hours": f"Quiet hours: send {filters.quiet_window} local time (h): "
            f"{len(deferred)} deferred" + (f", {quiet_out} excluded" if quiet_out else ""),
            "line_types": "Line types by Twilio Lookup (l): "
            + (
                f"{line_type_out} excluded (landline, toll-free, pager...)"
                if draft.line_types is not None and filters.line_types
                else "billed per number, asks first"
            ),
        }
        for key, text in labels.items():
            word = "ON " if getattr(filters, key) else "OFF"
            self.query_one(f"#label-{key}", Static).update(f"{word} {text}")
        summary = (
            f"{len(audience.included)} included ({len(deferred)} deferred to their window), "
            f"{len(audience.excluded)} excluded ({problems} for problems in the file"
            + (
                f", {registration_out} the sender cannot reach: US registration"
                if registration_out
                else ""
            )
            + ")."
        )
        self.query_one("#audience-summary", Static).update(plain_lines(summary, *audience.hints))
        if audience is not self._filled_for:  # refill only for a new count (keeps the cursor)
            self._filled_for = audience
            self._fill(audience, deferred)

    def _fill(self, audience: Audience, deferred: Mapping[int, datetime]) -> None:
        """Both tables, at most MAX_ROWS rows each (the counts above cover everyone). Cells
        from the file are `plain` Text: controls visible, and never read as markup."""
        included = self.query_one("#included-table", DataTable)
        included.clear()
        shown = audience.included[:MAX_ROWS]
        deferred = _deferred_of(deferred, [contact.row for contact in shown])
        for contact in shown:
            when = deferred.get(contact.row)
            sends = f"after {when:%a %H:%M} UTC" if when is not None else "now"
            included.add_row(
                str(contact.row), contact.phone, plain(contact_name(contact.fields)), sends
            )
        if len(audience.included) > MAX_ROWS:
            included.add_row("", f"... {len(audience.included) - MAX_ROWS} more", "", "")
        excluded = self.query_one("#excluded-table", DataTable)
        excluded.clear()
        for exclusion in audience.excluded[:MAX_ROWS]:
            excluded.add_row(
                str(exclusion.row), plain(exclusion.phone or ""), plain(exclusion.reason)
            )
        if len(audience.excluded) > MAX_ROWS:
            excluded.add_row("", f"... {len(audience.excluded) - MAX_ROWS} more", "")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        key = (event.switch.id or "").removeprefix("switch-")
        if key:
            self.smscast.set_filters(**{key: event.value})

    async def action_toggle(self, key: str) -> None:
        """Flip a filter."""
        switch = self.query_one(f"#switch-{key}", Switch)
        switch.value = not switch.value

    def action_tab(self, tab: str) -> None:
        """Show the included or excluded contacts."""
        self.query_one("#audience-tabs", TabbedContent).active = tab
        self.query_one(f"#{tab}-table", DataTable).focus()
