"""The words for where a recipient and a campaign stand, named once for the whole project.

A recipient's status is Twilio's word for its message where Twilio has one (`queued`, `sent`,
`delivered`, ...), else one of smscast's own (`pending`, `inflight`, `unknown`, `skipped`).
The journal stores the word as text, events and exports carry it as text: `RecipientStatus`
and `CampaignState` are `StrEnum`s, so a member *is* its word (`str(m)`, an f-string,
`json.dumps` and an SQLite parameter all give the value, and it compares and hashes equal to
the plain string read back from a row). The journal keeps whatever word Twilio answers, so a
row's `status` stays a `str`: a word Twilio adds later is stored and shown, and is in none of
the sets below (neither live nor final) until it is named here.

Twilio's statuses (the Message resource, API 2010-04-01: `status` of
https://www.twilio.com/docs/messaging/api/message-resource#message-status-values and the
`message_enum_status` of its OpenAPI description): `accepted` (a Messaging Service is picking
the sender), `scheduled` (held until its `SendAt` time), `queued`, `sending`, `sent` (handed to
the carrier), then one final word: `delivered` (the carrier confirmed it), `read` (a read
receipt, on channels that have them; after `delivered`), `undelivered` (the carrier could not
deliver it), `failed` (it never left Twilio), `canceled` (a scheduled message canceled before
its time). Left out on purpose: `receiving` and `received` are the statuses of *inbound*
messages, and smscast only ever asks about the outbound messages it created;
`partially_delivered` is in the enum but among none of the documented values of an SMS, so
smscast does not guess whether it is final.

The sets are what the code asks of a status (is it over? is the message still at Twilio? was
the person texted?); `DISPLAY_ORDER` is the one order in which tables, bars and summaries list
statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

__all__ = [
    "DELIVERED",
    "DISPLAY_ORDER",
    "ENDED_STATES",
    "FAILED",
    "FAILED_OR_UNKNOWN",
    "FILTER_GROUPS",
    "FINAL",
    "LIFECYCLE_RANK",
    "LIVE",
    "MISSED",
    "SENT",
    "STORED_STATES",
    "TEXTED",
    "UNFINISHED_STATES",
    "UNSENT",
    "CampaignState",
    "RecipientStatus",
    "behind",
    "chain_rank",
    "count_of",
    "moves_forward",
    "to_text",
]


class RecipientStatus(StrEnum):
    """Where one recipient of a campaign stands (the `status` column of the journal)."""

    #: Not sent yet (also: sent back to wait, after a transient error or outside its window).
    PENDING = "pending"
    #: The intent is committed and the request left (or is leaving); no answer recorded yet.
    INFLIGHT = "inflight"
    #: Twilio's words, in the order a message goes through them (see the module docstring).
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    #: Twilio's (a scheduled message canceled) and smscast's (a pending recipient of a
    #: canceled campaign): either way the message never went out.
    CANCELED = "canceled"
    #: A request left and no answer came, and Twilio could not be asked since: the person may
    #: or may not have been texted (`smscast resume --retry-unknown` asks again).
    UNKNOWN = "unknown"
    #: Excluded before sending (an invalid number, a suppressed one, a blank message, ...).
    SKIPPED = "skipped"


class CampaignState(StrEnum):
    """Where a campaign stands (the `state` column of the journal), plus one shown-only word."""

    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELED = "canceled"
    FINISHED = "finished"
    #: Not stored: how a campaign stored as `running` is shown when nobody holds its run lock
    #: (the process that ran it died: kill -9, a crash, a power cut). `smscast resume` goes on
    #: with it (`Journal.shown_state`).
    INTERRUPTED = "interrupted"


_R = RecipientStatus
_C = CampaignState

# -- recipients -----------------------------------------------------------------------------

#: Twilio statuses after which a message never changes again.
FINAL: frozenset[RecipientStatus] = frozenset(
    {_R.DELIVERED, _R.READ, _R.UNDELIVERED, _R.FAILED, _R.CANCELED}
)
#: Twilio statuses of a message that exists and may still change (worth asking Twilio about,
#: "awaiting delivery").
LIVE: frozenset[RecipientStatus] = frozenset(
    {_R.ACCEPTED, _R.SCHEDULED, _R.QUEUED, _R.SENDING, _R.SENT}
)
#: The message reached the phone.
DELIVERED: frozenset[RecipientStatus] = frozenset({_R.DELIVERED, _R.READ})
#: Statuses that count as "the person was (or is being) texted".
SENT: frozenset[RecipientStatus] = LIVE | DELIVERED
#: Statuses of a recipient that did not get the message.
FAILED: frozenset[RecipientStatus] = frozenset({_R.FAILED, _R.UNDELIVERED})
#: Statuses of a recipient who got the message, or may have (a request left, no answer yet).
TEXTED: frozenset[RecipientStatus] = SENT | {_R.INFLIGHT, _R.UNKNOWN}
#: Still to send: Twilio has not answered for them (an `inflight` row is reconciled first).
UNSENT: frozenset[RecipientStatus] = frozenset({_R.PENDING, _R.INFLIGHT})
#: The campaign ended without the message reaching them (what exit status 3 counts).
MISSED: frozenset[RecipientStatus] = FAILED | {_R.CANCELED}
#: The failures reported by error code (status report, failure summary, History's count).
FAILED_OR_UNKNOWN: frozenset[RecipientStatus] = FAILED | {_R.UNKNOWN}

#: The one order in which statuses are listed (counts, bars, summaries, sorting by status):
#: the way a message goes, then the ends that are not delivery, then the excluded rows.
DISPLAY_ORDER: tuple[RecipientStatus, ...] = (
    _R.PENDING,
    _R.INFLIGHT,
    _R.ACCEPTED,
    _R.SCHEDULED,
    _R.QUEUED,
    _R.SENDING,
    _R.SENT,
    _R.DELIVERED,
    _R.READ,
    _R.UNDELIVERED,
    _R.FAILED,
    _R.UNKNOWN,
    _R.CANCELED,
    _R.SKIPPED,
)

#: The filter names of the status table that stand for several statuses.
FILTER_GROUPS: dict[str, frozenset[RecipientStatus]] = {
    "problems": MISSED | {_R.UNKNOWN},
    "in-progress": (UNSENT | LIVE) - {_R.SENT},
    "done": FINAL | {_R.SENT},
}

#: What speaks for a person across a chain of campaigns texting them the same message (a
#: campaign and its retries: `campaigns.store.lineage`), best first: the message reached them;
#: it is on its way; it may have left (a request with no answer); it is still to send; it
#: failed (a retry may change that); it was canceled before leaving; they were excluded.
#: A failure outranks a cancel so that a retry canceled before it texted someone leaves that
#: person's failure, and so their next retry, standing.
_CHAIN_ORDER: tuple[frozenset[RecipientStatus], ...] = (
    DELIVERED,
    LIVE,
    frozenset({_R.INFLIGHT, _R.UNKNOWN}),
    frozenset({_R.PENDING}),
    FAILED,
    frozenset({_R.CANCELED}),
    frozenset({_R.SKIPPED}),
)
_CHAIN_RANK: dict[str, int] = {
    status: len(_CHAIN_ORDER) - place
    for place, group in enumerate(_CHAIN_ORDER)
    for status in group
}
#: A word Twilio adds later (in no set above) ranks with "may have left": never retried.
_UNNAMED_RANK = _CHAIN_RANK[_R.UNKNOWN]


def chain_rank(status: str) -> int:
    """How well `status` speaks for a person across a chain (higher is better; see above)."""
    return _CHAIN_RANK.get(status, _UNNAMED_RANK)


# -- campaigns ------------------------------------------------------------------------------

#: The states the journal stores (`interrupted` is only shown).
STORED_STATES: tuple[CampaignState, ...] = (
    _C.PLANNED,
    _C.RUNNING,
    _C.PAUSED,
    _C.CANCELED,
    _C.FINISHED,
)
#: Campaign states that are not over (`smscast resume` goes on with them).
UNFINISHED_STATES: frozenset[CampaignState] = frozenset({_C.PLANNED, _C.RUNNING, _C.PAUSED})
#: Campaign states that are over: nothing to resume.
ENDED_STATES: frozenset[CampaignState] = frozenset({_C.FINISHED, _C.CANCELED})


# -- counting ---------------------------------------------------------------------------------


#: How far along its life a message is, for receipts that may arrive twice or out of order
#: (a status callback after a sweep, a `sent` callback after the `delivered` one): a receipt
#: is applied only when it moves the row forward (`moves_forward`). Final statuses share the
#: top rank: Twilio does not move a message from one final status to another (assumed; a
#: later `read` after `delivered` is the one exception it documents, for WhatsApp/RCS).
LIFECYCLE_RANK: dict[RecipientStatus, int] = {
    _R.INFLIGHT: 0,
    _R.UNKNOWN: 0,
    _R.ACCEPTED: 1,
    _R.SCHEDULED: 1,
    _R.QUEUED: 2,
    _R.SENDING: 3,
    _R.SENT: 4,
    _R.DELIVERED: 5,
    _R.UNDELIVERED: 5,
    _R.FAILED: 5,
    _R.CANCELED: 5,
    _R.READ: 6,
}


def moves_forward(current: str, new: str) -> bool:
    """Whether a receipt saying `new` moves a row that is `current` along its life (pending,
    skipped and anything unknown never take a receipt: they have no message)."""
    before = LIFECYCLE_RANK.get(current)  # type: ignore[call-overload]
    after = LIFECYCLE_RANK.get(new)  # type: ignore[call-overload]
    return before is not None and after is not None and after > before


def behind(current: str, new: str) -> bool:
    """Whether a receipt saying `new` is older news than `current`: both on the message's
    known life (`LIFECYCLE_RANK`) and `new` no further along (another final status included:
    a final one does not change). A status off that life is never behind."""
    before = LIFECYCLE_RANK.get(current)  # type: ignore[call-overload]
    after = LIFECYCLE_RANK.get(new)  # type: ignore[call-overload]
    return before is not None and after is not None and new != current and after <= before


def count_of(counts: Mapping[str, int], statuses: Iterable[str]) -> int:
    """How many recipients of `counts` (status -> number) are in any of `statuses`."""
    return sum(counts.get(status, 0) for status in statuses)


def to_text(counts: Mapping[str, int]) -> int:
    """The recipients a campaign texts: every row but the `skipped` ones."""
    return sum(n for status, n in counts.items() if status != _R.SKIPPED)
