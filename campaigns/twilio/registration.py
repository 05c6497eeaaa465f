"""US registration as Twilio applies it: which senders may text which countries today, the
error a blocked message ends with, and what the person can do. Facts about Twilio, no SDK.

- A2P 10DLC (since 2023-09-01): a US long code texting US numbers (the US and its
  territories: Puerto Rico, the US Virgin Islands, Guam, American Samoa, the Northern
  Marianas) must belong to a Messaging Service whose A2P campaign is approved (`VERIFIED`).
  Otherwise Twilio accepts the message (201) and it ends undelivered with 30034. Canada is not
  covered.
- Toll-free verification (since 2024-01-31): a toll-free number texting the US or Canada must
  be verified (`TWILIO_APPROVED`); pending, rejected or never submitted ends with 30032
  (Twilio's error page for 30032).
- Short codes are approved on their own (no 10DLC, no toll-free verification); numbers of
  other countries are not covered.

Sources: Twilio's A2P 10DLC pages and error pages 30034 and 30032, and the messaging v1 API
(`Compliance/Usa2p` campaign_status, `Tollfree/Verifications` status).
"""

from __future__ import annotations

from dataclasses import dataclass

#: A2P 10DLC campaign states (of a Messaging Service, and so of its US long codes).
REGISTERED, PENDING, FAILED, UNREGISTERED = "registered", "pending", "failed", "unregistered"
#: Toll-free verification states (PENDING is shared with 10DLC).
APPROVED, REJECTED, UNVERIFIED = "approved", "rejected", "unverified"
#: A sender registration does not concern (short codes, numbers of other countries).
NOT_NEEDED = "not-needed"
#: Twilio could not be asked (no permission, an old account): smscast cannot tell.
UNKNOWN = "unknown"

#: Regions A2P 10DLC covers, and toll-free verification.
A2P_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
TOLL_FREE_REGIONS = A2P_REGIONS | {"CA"}
UNREGISTERED_10DLC = 30034
UNVERIFIED_TOLL_FREE = 30032


def a2p_state(campaign_statuses: list[str | None]) -> str:
    """A service's 10DLC state from its campaigns' `campaign_status` (any approved wins)."""
    words = [(s or "").upper() for s in campaign_statuses]
    if "VERIFIED" in words:
        return REGISTERED
    if not words:
        return UNREGISTERED
    if any(w in ("FAILED", "REJECTED", "SUSPENDED", "EXPIRED") for w in words):
        return FAILED
    return PENDING  # IN_PROGRESS, PENDING, or a word Twilio has not documented: not approved


def toll_free_state(statuses: list[str | None]) -> str:
    """A toll-free number's state from its verifications' `status` (none: never submitted)."""
    words = [(s or "").upper() for s in statuses]
    if "TWILIO_APPROVED" in words:
        return APPROVED
    if not words:
        return UNVERIFIED
    if all(w == "TWILIO_REJECTED" for w in words):
        return REJECTED
    return PENDING  # PENDING_REVIEW, IN_REVIEW


@dataclass(frozen=True, slots=True)
class Block:
    """Why a sender cannot reach a region today, and what to do about it."""

    code: int
    reason: str
    advice: str


def blocked(kind: str, country: str, state: str, region: str) -> Block | None:
    """The block a sender (`kind`, its `country`, its registration `state`) meets texting a
    number of `region`; None when registration does not stop it (or is not known)."""
    if state == UNKNOWN:
        return None
    if kind == "long_code" and country in A2P_REGIONS and region in A2P_REGIONS:
        if state == REGISTERED:
            return None
        return Block(UNREGISTERED_10DLC, *_A2P_TEXT.get(state, _A2P_TEXT[UNREGISTERED]))
    if kind == "toll_free" and region in TOLL_FREE_REGIONS:
        if state == APPROVED:
            return None
        return Block(UNVERIFIED_TOLL_FREE, *_TOLL_FREE_TEXT.get(state, _TOLL_FREE_TEXT[UNVERIFIED]))
    return None


_OTHER_SENDER = "or send from a registered Messaging Service or a short code"
_A2P_TEXT = {
    PENDING: (
        "its A2P 10DLC campaign is still in review",
        f"wait for the campaign's approval (Console > Messaging > Regulatory Compliance), "
        f"{_OTHER_SENDER}",
    ),
    FAILED: (
        "its A2P 10DLC campaign was rejected",
        f"fix and resubmit the campaign (Console > Messaging > Regulatory Compliance), "
        f"{_OTHER_SENDER}",
    ),
    UNREGISTERED: (
        "it is not registered for A2P 10DLC",
        "register an A2P 10DLC campaign for it (Console > Messaging > Regulatory Compliance: "
        f"a brand, a campaign, then add the number to its Messaging Service), {_OTHER_SENDER}",
    ),
}
_TOLL_FREE_TEXT = {
    PENDING: (
        "its toll-free verification is still in review",
        "wait for the verification's approval, or send from another sender",
    ),
    REJECTED: (
        "its toll-free verification was rejected",
        "correct and resubmit the verification (Console > Phone Numbers > the number > "
        "Regulatory Information), or send from another sender",
    ),
    UNVERIFIED: (
        "it has no toll-free verification",
        "submit a toll-free verification for it (Console > Phone Numbers > the number > "
        "Regulatory Information), or send from another sender",
    ),
}

#: How `smscast account` and the app's Account screen name each state, and what to do.
STATE_TEXT: dict[str, tuple[str, str]] = {
    REGISTERED: ("A2P 10DLC registered", ""),
    APPROVED: ("toll-free verified", ""),
    NOT_NEEDED: ("no US registration needed", ""),
    UNKNOWN: ("registration unknown", "smscast could not read it (permission?)"),
}


def describe_state(kind: str, state: str) -> tuple[str, str]:
    """(a short label, what to do or "") for a sender's registration state."""
    if state in STATE_TEXT:
        return STATE_TEXT[state]
    toll_free = kind == "toll_free"
    reason, advice = (_TOLL_FREE_TEXT if toll_free else _A2P_TEXT).get(state, (state, ""))
    label = ("toll-free " if toll_free else "A2P 10DLC ") + state
    blocked_there = "US and Canadian" if toll_free else "US"
    return label, f"{reason}: {blocked_there} recipients are blocked; {advice}"
