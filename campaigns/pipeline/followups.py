"""Retries and follow-ups: new campaigns made from an earlier one's outcomes, linked to it.

`retry_source` / `follow_up_source` choose the parent's subset (`campaigns.audience.subsets`,
over each person's outcome combined across the parent's chain: `campaigns.store.lineage`) and
turn it into a `ContactBook` of the parent's own rows: the same row numbers, numbers and
original cells, so the template sees the file's columns and the export lines up with the
file. From there a derived campaign is planned and created like any other (`plan_campaign`,
`create_campaign` with its `Lineage`): the audience filters apply (the suppression list first,
so someone who opted out since is left out), the repeat check is by parent
(`campaigns.pipeline.repeats.find_derived_repeat`), and the campaign and every one of its rows
are written in one transaction with the link to the parent.

The parent must be over (finished or canceled): its outcomes are what the subset is made of,
and a campaign still sending or paused has people left for `smscast resume`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaigns.audience.subsets import (
    REPLY_CHOICES,
    WHO,
    ReplyIndex,
    Subset,
    Who,
    candidate_rows,
    follow_up_subset,
    retry_subset,
)
from campaigns.errors import InputError
from campaigns.store import lineage as lineage_of
from campaigns.store.lineage import FOLLOW_UP, RETRY, ChainOutcome, DerivedKind
from campaigns.store.statuses import ENDED_STATES
from campaigns.twilio.errors import SECOND_TRY_CODES, describe

if TYPE_CHECKING:
    from campaigns.contacts.book import ContactBook
    from campaigns.pipeline.campaign import AudienceFilters
    from campaigns.store.journal import Campaign, Journal, Recipient
    from campaigns.twilio.protocols import Gateway


@dataclass(frozen=True, slots=True)
class Lineage:
    """What links a new campaign to the one it is made from."""

    parent_id: str
    kind: DerivedKind
    #: The parent's ancestors and chain: not "another campaign" for the recent-texts warning.
    related: tuple[str, ...]
    #: How the subset was chosen (stored with the campaign as `derived`): who, codes.
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DerivedSource:
    """A retry's or follow-up's people, ready to plan: the parent, its chain's outcome, the
    subset chosen and the book holding it."""

    parent: Campaign
    outcome: ChainOutcome
    subset: Subset
    book: ContactBook
    lineage: Lineage

    def summary(self) -> str:
        """One sentence: how many of the parent's people were chosen, and why the rest not."""
        kind = "Retry" if self.lineage.kind == RETRY else "Follow-up"
        chosen = len(self.subset.rows)
        considered = chosen + sum(self.subset.left_out.values())
        text = f"{kind} of {self.parent.id}: {chosen} of its {considered} recipient(s) chosen"
        if self.subset.by_code:
            text += (
                " ("
                + ", ".join(f"{code}: {n}" for code, n in sorted(self.subset.by_code.items()))
                + ")"
            )
        left = self.subset.describe_left_out()
        return text + (f"; left out: {left}." if left else ".")

    def nothing_chosen(self) -> str:
        """The one sentence for a subset of nobody (a face says it instead of an empty
        review): what was looked for, and what the parent's people were instead."""
        considered = sum(self.subset.left_out.values())
        left = self.subset.describe_left_out() or "it texted nobody"
        if self.lineage.kind == RETRY:
            return (
                f"Nothing to retry in {self.parent.id}: none of its {considered} recipient(s) "
                f"failed in a way a second try can change ({left})."
            )
        who = self.lineage.detail.get("who")
        return f"Nobody to follow up in {self.parent.id} (--who {who}): {left}."


#: What each follow-up choice texts, in a few words (the app's choice of who shows them).
WHO_MEANING: Mapping[Who, str] = {
    "delivered": "the message reached them",
    "failed": "it did not reach them (any error)",
    "replied": "they answered it",
    "no-reply": "reached (or on its way), no answer",
    "opted-in": "they texted START, YES or UNSTOP",
}
#: Why a reply choice cannot be offered where no reply was ever collected for the campaign.
NO_REPLIES_COLLECTED = "no replies were collected for it (they are read from Twilio)"


@dataclass(frozen=True, slots=True)
class FollowUpChoice:
    """One `--who` as a face offers it: how many of the parent's people it names (before
    the audience filters), or why it cannot be chosen."""

    who: Who
    people: int
    #: Why it cannot be chosen (nobody to text; replies never collected); None: it can.
    unavailable: str | None = None


class RepliesUnavailable(InputError):
    """`--who replied|no-reply|opted-in` where the face has no reply store to read (the
    `replies` opener answered None)."""


def parse_codes(text: str) -> frozenset[int]:
    """`--codes 30003,30008` as codes, each one worth a second try; InputError naming the
    ones that are not (and what they mean) or that are not numbers."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isascii() and part.isdigit() for part in parts):
        raise InputError(
            f"--codes {text!r} is not a list of error codes.", "For example --codes 30003,30008."
        )
    codes = frozenset(int(part) for part in parts)
    refused = sorted(codes - SECOND_TRY_CODES)
    if refused:
        named = "; ".join(
            f"{code}: {info.meaning}"
            if (info := describe(code))
            else f"{code}: not a code smscast knows"
            for code in refused
        )
        raise InputError(
            f"A second try cannot change these failures: {named}",
            "Codes a retry can text again: "
            + ", ".join(str(code) for code in sorted(SECOND_TRY_CODES))
            + ".",
        )
    return codes


def ended_parent(journal: Journal, campaign_id: str) -> Campaign:
    """The campaign a retry or follow-up is made from; InputError unless it is over."""
    parent = journal.campaign(campaign_id)
    if parent.state not in ENDED_STATES:
        state = journal.shown_state(parent)
        raise InputError(
            f"Campaign {parent.id} is not over ({state}): its outcomes are not final yet.",
            f"Go on with it first (smscast resume {parent.id}), or cancel it "
            f"(smscast cancel {parent.id}).",
        )
    return parent


def retry_source(
    journal: Journal, campaign_id: str, *, codes: frozenset[int] | None, region: str
) -> DerivedSource:
    """A retry of `campaign_id`: its people whose failure a second try can change (only
    `codes`, when given)."""
    parent, outcome, rows = _parent_outcome(journal, campaign_id)
    subset = retry_subset(rows, outcome.people, codes)
    detail: dict[str, Any] = {"codes": sorted(codes) if codes is not None else None}
    return _source(journal, parent, outcome, subset, RETRY, detail, region)


def follow_up_source(
    journal: Journal,
    campaign_id: str,
    *,
    who: Who,
    replies: Callable[[Journal], ReplyIndex | None],
    region: str,
) -> DerivedSource:
    """A follow-up of `campaign_id` to the people `who` names. `replies` opens the reply
    store on the journal, or answers None where there is none (`RepliesUnavailable`)."""
    parent, outcome, rows = _parent_outcome(journal, campaign_id)
    kinds: Mapping[str, frozenset[str]] | None = None
    if who in REPLY_CHOICES:
        index = replies(journal)
        if index is None:
            raise RepliesUnavailable(
                f"--who {who} needs the replies people sent, and none can be read here.",
                "Use --who delivered or --who failed.",
            )
        kinds = index.reply_kinds(outcome.chain.ids)
    subset = follow_up_subset(rows, outcome.people, who, kinds)
    return _source(journal, parent, outcome, subset, FOLLOW_UP, {"who": who}, region)


def follow_up_choices(
    journal: Journal, campaign_id: str, *, replies: ReplyIndex | None
) -> tuple[FollowUpChoice, ...]:
    """Every `--who` for a follow-up of `campaign_id`, each with its count of people or why
    it cannot be offered: nobody, or (`replies` None) no replies to read for the reply
    choices. The counts are the subsets `follow_up_source` would choose."""
    _, outcome, rows = _parent_outcome(journal, campaign_id)
    kinds = None if replies is None else replies.reply_kinds(outcome.chain.ids)
    choices: list[FollowUpChoice] = []
    for who in WHO:
        if who in REPLY_CHOICES and kinds is None:
            choices.append(FollowUpChoice(who, 0, NO_REPLIES_COLLECTED))
            continue
        subset = follow_up_subset(rows, outcome.people, who, kinds)
        chosen = len(subset.rows)
        why = None if chosen else f"nobody ({subset.describe_left_out() or 'no recipients'})"
        choices.append(FollowUpChoice(who, chosen, why))
    return tuple(choices)


def replies_collected(journal: Journal, parent: Campaign) -> bool:
    """Whether the journal holds the replies to `parent` without asking Twilio: a reply is
    matched to its chain (it and its retries), or its sender (any number, for a Messaging
    Service campaign) was polled from before it began, after it began. (A face with a
    gateway collects first instead.)"""
    chain = lineage_of.chain_of(lineage_of.by_id(journal.campaigns()), parent.id)
    if any(journal.replies(member) for member in chain.ids):
        return True
    start = parent.started_at or parent.created_at
    return any(
        origin <= start <= polled_at
        for sender, origin, polled_at in journal.reply_polls()
        if parent.sender is None or sender == parent.sender
    )


def parent_region(parent: Campaign, default: str) -> str:
    """The region a derived campaign reads numbers in: the parent's, else `default`."""
    return str(parent.settings.get("region") or default)


class JournalReplies:
    """The `ReplyIndex` over the journal's reply store (`campaigns.store.replies`): each
    number's reply kinds across the campaigns asked about (a reply is matched to the latest
    campaign that texted the number, so a chain's replies may sit on any of its members).

    With a `gateway`, Twilio is polled once for new replies to those campaigns first
    (`campaigns.pipeline.replies.collect_replies`, which also puts every new opt-out on the
    suppression list at once): a follow-up to those who did not answer must not miss
    someone who answered a minute ago."""

    def __init__(self, journal: Journal, gateway: Gateway | None = None, region: str = "US"):
        self._journal = journal
        self._gateway = gateway
        self._region = region

    def reply_kinds(self, campaign_ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        """Number -> the kinds of its replies to any of `campaign_ids`."""
        if self._gateway is not None:
            from campaigns.audience.suppression import SuppressionList
            from campaigns.pipeline.replies import collect_replies

            with SuppressionList(self._journal.path, region=self._region) as suppressions:
                collect_replies(self._journal, self._gateway, suppressions, list(campaign_ids))
        found: dict[str, set[str]] = {}
        for campaign_id in campaign_ids:
            for reply in self._journal.replies(campaign_id):
                found.setdefault(reply.from_number, set()).add(reply.kind)
        return {number: frozenset(kinds) for number, kinds in found.items()}


def reply_index(journal: Journal) -> ReplyIndex | None:
    """The replies already stored in `journal` (no request to Twilio), as the `ReplyIndex`
    the reply choices of `--who` read; a face that has a gateway passes
    `JournalReplies(journal, gateway)` instead, to collect first."""
    return JournalReplies(journal)


def parent_filters(parent: Campaign) -> AudienceFilters:
    """The audience filters the parent was planned with (a retry's defaults): its sending
    window, verified-only choice and suppression; never its --limit."""
    from campaigns.pipeline.campaign import DEFAULT_QUIET_HOURS, AudienceFilters

    stored = parent.settings
    return AudienceFilters(
        suppression=True,  # an opt-out since the parent is always honoured
        verified_only=str(stored.get("verified_only") or "auto"),
        quiet_hours=str(stored.get("quiet_hours") or DEFAULT_QUIET_HOURS),
    )


def _parent_outcome(journal: Journal, campaign_id: str) -> tuple[Campaign, ChainOutcome, list[int]]:
    parent = ended_parent(journal, campaign_id)
    campaigns = lineage_of.by_id(journal.campaigns())
    outcome = lineage_of.chain_outcome(journal, parent.id, campaigns)
    own = journal.outcomes([parent.id])
    return parent, outcome, candidate_rows(own)


def _source(
    journal: Journal,
    parent: Campaign,
    outcome: ChainOutcome,
    subset: Subset,
    kind: DerivedKind,
    detail: Mapping[str, Any],
    region: str,
) -> DerivedSource:
    campaigns = lineage_of.by_id(journal.campaigns())
    related = (*lineage_of.ancestors(campaigns, parent.id), *outcome.chain.ids)
    lineage = Lineage(parent.id, kind, tuple(dict.fromkeys(related)), detail)
    book = book_of(parent, journal.recipients_at(parent.id, subset.rows), region)
    return DerivedSource(parent, outcome, subset, book, lineage)


def book_of(parent: Campaign, recipients: Iterable[Recipient], region: str) -> ContactBook:
    """A contact book of `recipients` of `parent`: their rows, numbers and original cells,
    with the time zones of each number (for the sending window), under the parent's file
    name and hash (so a later `send` of that file and template sees this campaign too)."""
    from campaigns.contacts.book import ContactBook
    from campaigns.contacts.checking import check_numbers
    from campaigns.contacts.rows import Contact
    from campaigns.pipeline.campaign import stored_columns

    chosen = list(recipients)
    distinct = list(dict.fromkeys(r.to for r in chosen))
    checked = check_numbers(distinct, region)  # each number once, in workers when it pays
    table = checked.zone_table
    zones = {n: table[int(code)] for n, code in zip(distinct, checked.zone_codes, strict=True)}
    contacts = [
        Contact(row=r.row, phone=r.to, fields=dict(r.fields), timezones=zones[r.to]) for r in chosen
    ]
    columns = stored_columns(parent) or list(dict.fromkeys(k for c in contacts for k in c.fields))
    phone_column = str(parent.settings.get("phone_column") or "phone")
    return ContactBook(
        path=Path(parent.source_name),
        sha256=parent.source_sha256,
        encoding="utf-8",
        delimiter=",",
        region=region,
        columns=columns,
        phone_column=phone_column,
        contacts=contacts,
        problems=[],
        warnings=[],
        rows=len(contacts),
        valid=len(contacts),
        invalid=0,
        duplicates=0,
        # what the parent's file was (a spreadsheet, a vCard): stored since issue 13
        file_format=str(parent.settings.get("contacts_format") or "CSV"),
        sheet=parent.settings.get("sheet"),
    )
