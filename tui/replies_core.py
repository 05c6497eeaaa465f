"""The Replies screen's calls into the core (`campaigns.pipeline.replies`), each a plain
blocking function run in a worker, and the frozen values they return.

No textual here (as `tui.core`): each function opens the journal (and, where it acts, the
suppression list and a gateway) and closes it, so a worker never shares a SQLite connection
with another thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # each function imports what it runs: the app opens before the core loads
    from campaigns.config.settings import Settings
    from campaigns.conversation.actions import ReplyAction
    from campaigns.conversation.collector import Collected
    from campaigns.pipeline.replies import SentReply, Thread
    from campaigns.store.journal import Journal
    from campaigns.store.replies import ReplyTally

#: The Replies screen lists at most this many threads (the newest): a DataTable of 100,000
#: rows would take seconds to build, and nobody reads that many in a list. The summary says
#: how many there are, and the kind filter (k) narrows them.
MAX_THREADS = 1000


@dataclass(frozen=True, slots=True)
class ThreadView:
    """One thread as the screen shows it: the pipeline's `Thread` and the recipient's row
    from the contacts file (its cells: {} for a reply no campaign matched)."""

    thread: Thread
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A stable id for the table row: the person's number and their row."""
        return f"{self.thread.row}:{self.thread.phone}"


@dataclass(frozen=True, slots=True)
class RepliesPage:
    """What the Replies screen shows: one campaign's threads (newest reply first), those
    with a reply of `kind` when it is set. `campaign_id` None: the journal has no campaign."""

    campaign_id: str | None
    kind: str | None
    threads: tuple[ThreadView, ...]
    total_threads: int  # before MAX_THREADS cut the list


def _journal(db_path: Path | None) -> Journal:
    from campaigns.store.journal import Journal

    return Journal.open(db_path)


def load_threads(
    db_path: Path | None, campaign_id: str | None, kind: str | None, region: str = "US"
) -> RepliesPage:
    """The threads of `campaign_id` (None: the newest campaign) from the journal, with each
    recipient's row; asks Twilio nothing."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.pipeline.replies import threads

    with _journal(db_path) as journal:
        if campaign_id is None:
            newest = journal.campaigns()
            if not newest:
                return RepliesPage(None, kind, (), 0)
            campaign_id = newest[0].id
        else:
            campaign_id = journal.campaign(campaign_id).id  # InputError for an unknown one
        with SuppressionList(journal.path, region) as suppressions:
            suppressed = suppressions.numbers()
        found = threads(journal, campaign_id, kind=kind, suppressed=suppressed)
        shown = found[:MAX_THREADS]
        rows = {t.row for t in shown if t.row is not None}
        fields = {r.row: r.fields for r in journal.recipients(campaign_id) if r.row in rows}
    views = tuple(ThreadView(t, fields.get(t.row, {}) if t.row is not None else {}) for t in shown)
    return RepliesPage(campaign_id, kind, views, len(found))


def reply_tallies(db_path: Path | None) -> dict[str, ReplyTally]:
    """Every campaign's replies in four numbers (total, unread, to review, opt-outs)."""
    from campaigns.pipeline.replies import reply_tallies as tallies

    with _journal(db_path) as journal:
        return tallies(journal)


def collect(settings: Settings, db_path: Path | None, campaign_id: str | None) -> Collected:
    """Poll Twilio once for new replies to `campaign_id` (None: every campaign), store them
    and act on them (an opt-out keyword goes on the suppression list at once)."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.pipeline.replies import collect_replies
    from campaigns.twilio.gateway import TwilioGateway

    with (
        _journal(db_path) as journal,
        SuppressionList(journal.path, settings.region) as suppressions,
        TwilioGateway(settings) as gateway,
    ):
        ids = [campaign_id] if campaign_id is not None else None
        return collect_replies(journal, gateway, suppressions, ids)


def mark_read(db_path: Path | None, sids: Iterable[str]) -> None:
    """The person has seen these replies (the Replies screen's unread marks)."""
    with _journal(db_path) as journal:
        journal.mark_replies_read(list(sids), datetime.now(UTC))


def send_reply(
    settings: Settings,
    db_path: Path | None,
    campaign_id: str,
    row: int,
    body: str,
    *,
    again: bool = False,
) -> SentReply:
    """Text one recipient `body`, exactly once (`campaigns.pipeline.replies.send_reply`:
    journaled before the request, refused for a number on the suppression list)."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.pipeline.replies import send_reply as send
    from campaigns.twilio.gateway import TwilioGateway

    with (
        _journal(db_path) as journal,
        SuppressionList(journal.path, settings.region) as suppressions,
        TwilioGateway(settings) as gateway,
    ):
        return send(
            journal,
            gateway,
            suppressions,
            campaign_id,
            row,
            body,
            again=again,
            timeout=settings.request_timeout or 15.0,
        )


def decide_possible_opt_outs(
    db_path: Path | None, sids: Iterable[str], *, confirm: bool, region: str = "US"
) -> list[ReplyAction]:
    """A person's decision on possible opt-outs: `confirm` lists the number (a manual entry);
    otherwise each is marked as not an opt-out."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.pipeline.replies import confirm_possible_opt_out, dismiss_possible_opt_out

    with _journal(db_path) as journal:
        if not confirm:
            return [dismiss_possible_opt_out(journal, sid) for sid in sids]
        with SuppressionList(journal.path, region) as suppressions:
            return [confirm_possible_opt_out(journal, suppressions, sid) for sid in sids]
