"""Replies, for both faces: the threads of a campaign, collecting on demand, a one-off reply
sent exactly once, and a person's decision on a possible opt-out.

Every function takes the open `Journal` (and, where it acts, the `SuppressionList` and a
`Gateway`) and returns frozen values, so the command line and the app show the same thing:
- `threads(journal, campaign_id, kind=..., suppressed=...)` -> `list[Thread]`, newest first;
- `collect_replies(journal, gateway, suppressions, campaign_id)` -> `Collected`;
- `send_reply(journal, gateway, suppressions, campaign_id, row, body)` -> `SentReply`;
- `confirm_possible_opt_out(...)` / `dismiss_possible_opt_out(...)` -> `ReplyAction`;
- `reply_counts(journal, campaign_id)` -> `ReplyCounts`; `reply_json(reply)` for `--json`.

A one-off reply is journaled as campaign messages are: its intent (`inflight`) is committed
before the request leaves, and a reply left `inflight` or `unknown` (a crash, a timeout) is
looked up at Twilio (`campaigns.send.reconcile.match`: same number, same body, since the
attempt) before anything is sent again: found, it is recorded as sent; not found, as never
sent. Sending the same text to the same person again needs `again=True`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation import actions
from campaigns.conversation.actions import ReplyAction
from campaigns.conversation.collector import Collected, collect
from campaigns.conversation.keywords import ReplyKind
from campaigns.errors import InputError, SmscastError
from campaigns.send.reconcile import match
from campaigns.store.journal import Campaign, Journal, Recipient
from campaigns.store.replies import ACTION_REVIEW, OutboundReply, StoredReply
from campaigns.store.statuses import RecipientStatus
from campaigns.twilio.errors import AmbiguousError, TwilioFailure
from campaigns.twilio.protocols import Gateway
from campaigns.untrusted import visible

__all__ = [
    "Collected",
    "ReplyAction",
    "ReplyCounts",
    "ReplyKind",
    "SentReply",
    "Thread",
    "collect_replies",
    "confirm_possible_opt_out",
    "dismiss_possible_opt_out",
    "reply_counts",
    "reply_json",
    "send_reply",
    "threads",
]

_UNSETTLED = (RecipientStatus.INFLIGHT, RecipientStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Thread:
    """One person's conversation in a campaign: what was sent, what came back (newest first),
    and the one-off replies smscast sent. `row` is None for replies no campaign matched."""

    campaign_id: str | None
    row: int | None
    phone: str
    sender: str
    sent_body: str | None
    sent_status: str | None
    replies: tuple[StoredReply, ...]
    answers: tuple[OutboundReply, ...]
    opted_out: bool

    @property
    def latest(self) -> StoredReply:
        """The newest reply in the thread."""
        return self.replies[0]

    @property
    def unread(self) -> int:
        """How many replies nobody has read yet."""
        return sum(1 for r in self.replies if r.read_at is None)

    @property
    def to_review(self) -> tuple[StoredReply, ...]:
        """Possible opt-outs waiting for a person's decision."""
        return tuple(r for r in self.replies if r.action == ACTION_REVIEW)


@dataclass(frozen=True, slots=True)
class ReplyCounts:
    """A campaign's replies: how many, by kind, and how many people opted out by reply."""

    total: int
    by_kind: dict[str, int]
    opted_out: int


@dataclass(frozen=True, slots=True)
class SentReply:
    """A one-off reply: its journal entry as it stands after sending (or reconciling)."""

    reply: OutboundReply
    reconciled: bool


def threads(
    journal: Journal,
    campaign_id: str | None,
    *,
    kind: str | None = None,
    suppressed: frozenset[str] = frozenset(),
    unmatched: bool = False,
) -> list[Thread]:
    """The campaign's threads (or, `unmatched`, replies no campaign texted), newest reply
    first; `kind` keeps threads with at least one reply of that kind; `suppressed` (the
    suppression list's numbers) sets `opted_out`."""
    if kind is not None and kind not in set(ReplyKind):
        raise InputError(
            f"{visible(kind)!r} is not a reply kind.",
            "Use one of: " + ", ".join(k.value for k in ReplyKind) + ".",
        )
    stored = journal.replies(campaign_id, unmatched=unmatched or campaign_id is None)
    grouped: dict[tuple[int | None, str], list[StoredReply]] = {}
    for reply in stored:
        key = (reply.row, reply.from_number)
        grouped.setdefault(key, []).append(reply)
    recipients: dict[int, Recipient] = {}
    answers: dict[int, list[OutboundReply]] = {}
    if campaign_id is not None and not unmatched:
        wanted = {row for row, _ in grouped if row is not None}
        recipients = {r.row: r for r in journal.recipients(campaign_id) if r.row in wanted}
        for out in journal.outbound_replies(campaign_id):
            answers.setdefault(out.row, []).append(out)
    result = []
    for (row, phone), replies in grouped.items():
        if kind is not None and all(r.kind != kind for r in replies):
            continue
        recipient = recipients.get(row) if row is not None else None
        result.append(
            Thread(
                campaign_id=replies[0].campaign_id,
                row=row,
                phone=phone,
                sender=replies[0].to_number,
                sent_body=recipient.body if recipient else None,
                sent_status=recipient.status if recipient else None,
                replies=tuple(replies),
                answers=tuple(answers.get(row, ())) if row is not None else (),
                opted_out=phone in suppressed,
            )
        )
    result.sort(key=lambda t: t.latest.received_at, reverse=True)  # stable: rowid order
    return result


def collect_replies(
    journal: Journal,
    gateway: Gateway,
    suppressions: SuppressionList,
    campaign_ids: Sequence[str] | None = None,
) -> Collected:
    """Poll Twilio once for replies to these campaigns (default: every campaign in the
    journal), store and act on what is new."""
    campaigns: list[Campaign]
    if campaign_ids is None:
        campaigns = journal.campaigns()
    else:
        campaigns = [journal.campaign(cid) for cid in campaign_ids]
    found = collect(journal, gateway, suppressions, campaigns)
    if any(action.kind == ReplyKind.OPT_OUT for action in found.actions):
        # Twilio does not cancel the messages it holds for someone who opted out (its
        # scheduling FAQ): every campaign's held messages to them are canceled now.
        from campaigns.pipeline.scheduling import cancel_opted_out

        for campaign in journal.campaigns():
            cancel_opted_out(gateway, journal, campaign.id, "", suppressed=suppressions)
    return found


def reply_counts(journal: Journal, campaign_id: str) -> ReplyCounts:
    """The campaign's reply counts (for `status`, `campaigns`, the app's badges)."""
    by_kind = journal.reply_counts(campaign_id)
    return ReplyCounts(sum(by_kind.values()), by_kind, by_kind.get(ReplyKind.OPT_OUT, 0))


def reply_json(reply: StoredReply) -> dict[str, Any]:
    """One reply as `smscast replies --json` prints it (pass to `untrusted.json_dumps`)."""
    return {
        "campaign_id": reply.campaign_id,
        "row": reply.row,
        "from": reply.from_number,
        "to": reply.to_number,
        "body": reply.body,
        "received_at": reply.received_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "sid": reply.sid,
        "kind": reply.kind,
        "action": reply.action,
    }


def confirm_possible_opt_out(
    journal: Journal, suppressions: SuppressionList, sid: str
) -> ReplyAction:
    """A person agreed that the possible opt-out `sid` means stop: the number is listed."""
    return actions.confirm_possible_opt_out(journal, suppressions, sid, datetime.now(UTC))


def dismiss_possible_opt_out(journal: Journal, sid: str) -> ReplyAction:
    """A person said the possible opt-out `sid` is not one."""
    return actions.dismiss_possible_opt_out(journal, sid)


# -- one-off replies --------------------------------------------------------------------------


def _recipient(journal: Journal, campaign_id: str, row: int) -> Recipient:
    found = next((r for r in journal.recipients(campaign_id) if r.row == row), None)
    if found is None:
        raise InputError(
            f"Campaign {campaign_id} has no row {row}.",
            f"See the rows with replies: smscast replies {campaign_id}",
        )
    return found


def _reply_sender(
    journal: Journal, campaign: Campaign, phone: str
) -> tuple[str | None, str | None]:
    """(From, MessagingServiceSid) for a reply: the number the person last wrote to, else the
    campaign's own sender."""
    latest = next((r for r in journal.replies(campaign.id) if r.from_number == phone), None)
    if latest is not None:
        return latest.to_number, None
    if campaign.sender:
        return campaign.sender, None
    return None, campaign.messaging_service_sid


def _settle(journal: Journal, gateway: Gateway, pending: OutboundReply) -> OutboundReply:
    """A reply left inflight/unknown: found at Twilio, it was sent; not found, it never was."""
    since = pending.attempted_at - timedelta(seconds=1)
    found = match(gateway.messages_to(pending.to_number, since), pending.body, since)
    if found is not None:
        journal.finish_outbound_reply(pending.id, found.status, sid=found.sid)
    else:
        journal.finish_outbound_reply(
            pending.id, RecipientStatus.FAILED, error_message="not found at Twilio: never sent"
        )
    return next(o for o in journal.outbound_replies(pending.campaign_id) if o.id == pending.id)


def send_reply(
    journal: Journal,
    gateway: Gateway,
    suppressions: SuppressionList,
    campaign_id: str,
    row: int,
    body: str,
    *,
    again: bool = False,
    timeout: float = 15.0,
) -> SentReply:
    """Text one campaign recipient `body`, exactly once (see the module docstring).

    Refused (`InputError`) for a number on the suppression list, an empty body, a row the
    campaign does not have, and the same text already sent to this person (unless `again`).
    """
    campaign = journal.campaign(campaign_id)
    recipient = _recipient(journal, campaign.id, row)
    if not body.strip():
        raise InputError("The reply is empty.", "Give the text with --body TEXT.")
    entry = suppressions.get(recipient.to)
    if entry is not None:
        raise InputError(
            f"Not sent: {recipient.to} (row {row}) is {entry.sentence()}.",
            "Nobody on the suppression list is texted.",
        )
    for previous in journal.outbound_replies(campaign.id, row):
        if previous.body != body:
            continue
        if previous.status in _UNSETTLED:
            settled = _settle(journal, gateway, previous)
            if settled.sid is not None:
                return SentReply(settled, reconciled=True)
        elif previous.sid is not None and not again:
            raise InputError(
                f"This text was already sent to row {row} ({previous.sid}).",
                "Add --again to send it once more.",
            )
    from_, service = _reply_sender(journal, campaign, recipient.to)
    sender = from_ or service or ""
    reply_id = journal.begin_outbound_reply(
        campaign.id, row, recipient.to, sender, body, datetime.now(UTC)
    )

    async def create() -> Any:
        async with gateway.async_session(max_in_flight=1) as session:
            return await session.send(
                to=recipient.to,
                body=body,
                from_=from_,
                messaging_service_sid=service,
                timeout=timeout,
            )

    try:
        record = asyncio.run(create())
    except AmbiguousError as exc:
        journal.finish_outbound_reply(reply_id, RecipientStatus.UNKNOWN, error_message=str(exc))
        raise SmscastError(
            f"No clear answer from Twilio: the reply to row {row} may or may not have gone.",
            "Run the same command again: it asks Twilio first and never sends it twice.",
        ) from None
    except TwilioFailure as exc:
        journal.finish_outbound_reply(
            reply_id, RecipientStatus.FAILED, error_code=exc.code, error_message=str(exc)
        )
        if exc.code == 21610:
            suppressions.record_opt_out(recipient.to, campaign.id)
        raise
    journal.finish_outbound_reply(reply_id, record.status, sid=record.sid)
    done = next(o for o in journal.outbound_replies(campaign.id, row) if o.id == reply_id)
    return SentReply(done, reconciled=False)
