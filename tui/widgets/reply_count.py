"""`ReplyCount`: one line with a campaign's reply counts, for the Send and History screens.

`show(tally)` takes a `campaigns.store.replies.ReplyTally` (None: no replies yet) and says
how many replies came, how many nobody has read (marked `●`, a glyph as well as a word, so
it reads without colour), how many possible opt-outs wait for a decision, the opt-out
keywords, and the key that opens the Replies screen. Only numbers: no untrusted text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:
    from campaigns.store.replies import ReplyTally

#: The key that opens the Replies screen (`SmscastApp.BINDINGS`, id `go-replies`).
REPLIES_KEY = "8"


def reply_cell(tally: ReplyTally | None) -> str:
    """History's Replies cell: how many, and how many are new (`5 ●2`)."""
    if tally is None or tally.total == 0:
        return "0"
    return f"{tally.total} ●{tally.unread}" if tally.unread else str(tally.total)


def reply_count_text(tally: ReplyTally | None) -> str:
    """The line for `tally`."""
    if tally is None or tally.total == 0:
        return f"Replies: none yet ({REPLIES_KEY} opens Replies)"
    parts = [f"Replies: {tally.total}"]
    if tally.unread:
        parts.append(f"● {tally.unread} new")
    if tally.to_review:
        parts.append(f"{tally.to_review} to review")
    if tally.opt_outs:
        parts.append(f"{tally.opt_outs} opt-out{'s' if tally.opt_outs != 1 else ''}")
    return " · ".join(parts) + f" ({REPLIES_KEY} shows them)"


class ReplyCount(Static):
    """A campaign's replies in one line."""

    DEFAULT_CSS = """
    ReplyCount {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ReplyCount.-news {
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        self._shown = reply_count_text(None)
        super().__init__(self._shown, id=id, markup=False)

    def show(self, tally: ReplyTally | None) -> None:
        """Show `tally` (None: none yet); unread replies or reviews make the line stand out."""
        text = reply_count_text(tally)
        if text != self._shown:  # called with every engine batch: redraw only on a change
            self._shown = text
            self.update(text)
        self.set_class(tally is not None and bool(tally.unread or tally.to_review), "-news")
