"""The reply collector: polls Twilio's message list for texts to our senders, stores each once.

No webhooks: smscast lists Messages with `To=<our number>` and `DateSent>` (paged, PageSize
1000), so it works over SSH on any machine. Per sender it remembers (`reply_cursors`) the
newest `date_sent` it stored, and lists from there next time, newest first, stopping at the
first page that holds a reply already stored (what follows it was listed before: assumed from
Twilio's newest-first order). `DateSent>` is inclusive to the second, so the replies of that
last second come again and the SIDs dedupe them: an idle poll is one request per sender.
The first poll of a sender lists from the start of the earliest campaign asked about (less
`START_SLACK`), and a later poll for an even older campaign re-lists from its start, every
page (nothing is stored twice).

Which senders: a campaign's number; for a Messaging Service campaign, every SMS number of the
account (replies arrive on the number of the pool that texted the person; the pool itself
needs the Messaging Services API, which smscast does not read yet: assumed every owned
number may be in it, at one request each per poll).

Each stored reply is classified (`keywords.classify`), matched to the campaign recipient it
answers (`Journal.store_replies`: the latest campaign that texted the number from that
sender, or none: kept unmatched), and acted on at once (`actions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation.actions import ReplyAction, act_on_pending
from campaigns.conversation.keywords import classify
from campaigns.store.journal import Campaign, Journal
from campaigns.store.replies import Cursor, NewReply, StoredReply
from campaigns.twilio.models import MessageRecord
from campaigns.twilio.protocols import Gateway

#: Listed before a campaign's start (clocks differ; a reply cannot come before its text).
START_SLACK = timedelta(minutes=5)
#: Twilio's largest page: the fewest requests for a burst of replies.
PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Collected:
    """What one poll found: the replies newly stored (oldest first), what was done about
    them, the requests it cost and the senders it listed."""

    stored: tuple[StoredReply, ...]
    actions: tuple[ReplyAction, ...]
    requests: int
    senders: tuple[str, ...]


def campaign_start(campaign: Campaign) -> datetime:
    """When a campaign's first text could have left."""
    return campaign.started_at or campaign.created_at


def senders_of(campaigns: Iterable[Campaign], gateway: Gateway) -> tuple[str, ...]:
    """The numbers replies to these campaigns arrive on (see the module docstring)."""
    numbers: dict[str, None] = {}
    pooled = False
    for campaign in campaigns:
        if campaign.sender:
            numbers[campaign.sender] = None
        elif campaign.messaging_service_sid:
            pooled = True
    if pooled:
        for sender in gateway.senders():
            numbers[sender.address] = None
    return tuple(numbers)


def _received_at(record: MessageRecord) -> datetime | None:
    moment = record.date_sent or record.date_created
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def new_replies(records: Iterable[MessageRecord]) -> list[NewReply]:
    """The inbound messages of a listing (Twilio's order: newest first) as replies to store,
    each classified, oldest first."""
    out = []
    for record in reversed(list(records)):
        when = _received_at(record)
        if record.direction != "inbound" or not record.from_ or when is None:
            continue
        out.append(
            NewReply(
                sid=record.sid,
                from_number=record.from_,
                to_number=record.to,
                messaging_service_sid=record.messaging_service_sid,
                body=record.body,
                received_at=when,
                kind=classify(record.body),
            )
        )
    return out


def poll_sender(
    journal: Journal, gateway: Gateway, sender: str, origin: datetime, *, page_size: int = PAGE_SIZE
) -> tuple[list[StoredReply], int]:
    """List one sender's new inbound messages and store them; (newly stored, requests)."""
    cursor = journal.reply_cursor(sender)
    if cursor is None or origin < cursor.origin:
        # Never listed this far back: every page (whatever is stored already is skipped).
        since, keep_origin, known = origin, origin, None
    else:
        since, keep_origin = cursor.newest_at or cursor.origin, cursor.origin
        known = journal.has_reply
    listing = gateway.inbound(sender, since, page_size=page_size, known=known)
    replies = new_replies(listing.records)
    stored = journal.store_replies(replies)
    newest = max((r.received_at for r in replies), default=cursor.newest_at if cursor else None)
    if cursor is not None and cursor.newest_at is not None and newest is not None:
        newest = max(newest, cursor.newest_at)
    journal.save_reply_cursor(Cursor(sender, keep_origin, newest), datetime.now(UTC))
    return stored, listing.requests


def collect(
    journal: Journal,
    gateway: Gateway,
    suppressions: SuppressionList,
    campaigns: Sequence[Campaign],
    *,
    senders: Sequence[str] | None = None,
    page_size: int = PAGE_SIZE,
) -> Collected:
    """One poll for replies to `campaigns` (see the module docstring); acts on what it finds."""
    if not campaigns:
        return Collected((), (), 0, ())
    origin = min(campaign_start(c) for c in campaigns) - START_SLACK
    numbers = tuple(senders) if senders is not None else senders_of(campaigns, gateway)
    stored: list[StoredReply] = []
    requests = 0
    for sender in numbers:
        fresh, cost = poll_sender(journal, gateway, sender, origin, page_size=page_size)
        stored += fresh
        requests += cost
    actions = act_on_pending(journal, suppressions)
    stored.sort(key=lambda r: r.received_at)
    return Collected(tuple(stored), tuple(actions), requests, numbers)
