"""What a reply makes smscast do to the suppression list, at once and in the order they came.

- `opt-out` (a Twilio keyword: Twilio itself now refuses with 21610): the number goes on the
  list, source `opt-out`, with the reply's word and time and the campaign it answered.
- `opt-in` (START, YES, UNSTOP: Twilio lifted its block): the entry is removed only when a
  keyword made it (source `opt-out`: a STOP reply, or Twilio's 21610 for one). An entry a
  person added or imported is never touched; the history says which happened.
- `possible-opt-out`: nothing, silently; it waits for a person (`confirm_possible_opt_out`
  lists the number as a manual entry, which no later START removes: the person asked in
  their own words, and Twilio never blocked them, so only a person lifts it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from campaigns.audience.suppression import (
    CHANGE_KEPT,
    CHANGE_REMOVED,
    SOURCE_MANUAL,
    SuppressionList,
)
from campaigns.conversation.keywords import ReplyKind, keyword
from campaigns.errors import InputError
from campaigns.store.journal import Journal
from campaigns.store.replies import (
    ACTION_CONFIRMED,
    ACTION_DISMISSED,
    ACTION_KEPT,
    ACTION_LIFTED,
    ACTION_NONE,
    ACTION_REVIEW,
    ACTION_SUPPRESSED,
    StoredReply,
)
from campaigns.untrusted import excerpt

#: The kinds that lead to an action.
ACTIONABLE = (ReplyKind.OPT_OUT, ReplyKind.OPT_IN, ReplyKind.POSSIBLE_OPT_OUT)


@dataclass(frozen=True, slots=True)
class ReplyAction:
    """What was done about one reply."""

    sid: str
    phone: str
    kind: ReplyKind
    action: str
    campaign_id: str | None


def act_on(
    journal: Journal, suppressions: SuppressionList, replies: Iterable[StoredReply]
) -> list[ReplyAction]:
    """Apply each reply's action, oldest first (the given order within a second), then record
    them on the replies: the suppression list's changes in one commit, the journal's in
    another. A stop between the two leaves the replies unacted, and the next poll applies
    them again: an opt-out already listed stays as it was (never lost, never doubled)."""
    done: list[ReplyAction] = []
    with suppressions.batch():
        for reply in sorted(replies, key=lambda r: r.received_at):
            kind = ReplyKind(reply.kind)
            word = keyword(reply.body) or ""
            if kind is ReplyKind.OPT_OUT:
                suppressions.record_reply_opt_out(
                    reply.from_number, reply.campaign_id, reply.received_at, word
                )
                action = ACTION_SUPPRESSED
            elif kind is ReplyKind.OPT_IN:
                change = suppressions.lift_reply_opt_out(reply.from_number, reply.received_at, word)
                action = {CHANGE_REMOVED: ACTION_LIFTED, CHANGE_KEPT: ACTION_KEPT}.get(
                    change, ACTION_NONE
                )
            elif kind is ReplyKind.POSSIBLE_OPT_OUT:
                action = ACTION_REVIEW
            else:
                continue
            done.append(ReplyAction(reply.sid, reply.from_number, kind, action, reply.campaign_id))
    journal.set_reply_actions([(a.sid, a.action) for a in done])
    return done


def act_on_pending(journal: Journal, suppressions: SuppressionList) -> list[ReplyAction]:
    """Act on every stored reply still waiting for its action (a collector that stopped
    between storing and acting leaves some)."""
    return act_on(journal, suppressions, journal.unacted_replies(ACTIONABLE))


def _reviewable(journal: Journal, sid: str) -> StoredReply:
    reply = journal.reply(sid)
    if reply is None:
        raise InputError(f"No reply {sid!r} is stored.", "See `smscast replies` for the SIDs.")
    if reply.kind != ReplyKind.POSSIBLE_OPT_OUT:
        raise InputError(
            f"Reply {sid} is a {reply.kind}, not a possible opt-out.",
            "Only possible opt-outs wait for a person's decision.",
        )
    return reply


def confirm_possible_opt_out(
    journal: Journal, suppressions: SuppressionList, sid: str, at: datetime
) -> ReplyAction:
    """A person read the possible opt-out `sid` and agreed: list the number (manual entry)."""
    reply = _reviewable(journal, sid)
    reason = f'asked to stop: "{excerpt(reply.body, 60)}" (confirmed {at:%Y-%m-%d})'
    suppressions.add(reply.from_number, reason, reply.campaign_id, SOURCE_MANUAL)
    journal.set_reply_action(sid, ACTION_CONFIRMED)
    return ReplyAction(
        sid, reply.from_number, ReplyKind.POSSIBLE_OPT_OUT, ACTION_CONFIRMED, reply.campaign_id
    )


def dismiss_possible_opt_out(journal: Journal, sid: str) -> ReplyAction:
    """A person read the possible opt-out `sid` and said it is not one."""
    reply = _reviewable(journal, sid)
    journal.set_reply_action(sid, ACTION_DISMISSED)
    return ReplyAction(
        sid, reply.from_number, ReplyKind.POSSIBLE_OPT_OUT, ACTION_DISMISSED, reply.campaign_id
    )
