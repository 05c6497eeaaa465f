"""The app's replies state: which campaign's threads the Replies screen shows, its kind
filter, what was read, and every campaign's reply counts (for Send and History).

A plain mutable object owned by `SmscastApp` beside its `Draft` and, like it, changed only on
the event loop by the app's handlers; screens read it. This module loads none of the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.store.replies import ReplyTally
    from tui.replies_core import RepliesPage, ThreadView

#: The kind filter `k` cycles through (None: every thread), in the core's words
#: (`campaigns.conversation.keywords.ReplyKind`; this module loads none of the core, and
#: `tests/tui/test_replies_screen.py` checks the two agree).
KINDS: tuple[str | None, ...] = (None, "possible-opt-out", "opt-out", "opt-in", "help", "reply")


@dataclass
class Inbox:
    """What the Replies screen and the reply counts show."""

    #: The campaign the person chose (c, or 8 on History); None: the one on Send, else the
    #: newest in the journal.
    chosen: str | None = None
    kind: str | None = None
    #: The last page read from the journal (None: not read yet).
    page: RepliesPage | None = None
    generation: int = 0  # drops a page read for an older choice
    #: Replies shown to the person since the page was read (marked read in the journal by a
    #: worker; the page is not re-read for that).
    seen: set[str] = field(default_factory=set)
    #: Campaign id -> its reply counts (`campaigns.pipeline.replies.reply_tallies`).
    tallies: dict[str, ReplyTally] = field(default_factory=dict)
    tallies_generation: int = 0  # drops counts read before a later change
    collecting: bool = False  # a poll of Twilio is under way (one at a time)
    polled_at: float = float("-inf")  # `time.monotonic()` when the last poll started
    collect_error: str | None = None  # why the last poll failed (the summary line says)
    replying: bool = False  # a one-off reply is being sent (one at a time)
    #: The campaign last sent here, whose replies are polled until `watch_until` (monotonic).
    watched: str | None = None
    watch_until: float = float("-inf")

    @property
    def campaign_id(self) -> str | None:
        """The campaign whose threads are shown."""
        return self.page.campaign_id if self.page is not None else self.chosen

    def unread(self, view: ThreadView) -> int:
        """How many of the thread's replies nobody has seen."""
        return sum(1 for r in view.thread.replies if r.read_at is None and r.sid not in self.seen)

    def next_kind(self) -> str | None:
        """The kind filter after the current one."""
        index = KINDS.index(self.kind) if self.kind in KINDS else 0
        return KINDS[(index + 1) % len(KINDS)]
