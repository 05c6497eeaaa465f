"""Campaigns made from campaigns: retries and follow-ups, and what became of each person
across a chain of them.

A retry or a follow-up is a campaign of its own (its own rows, run, lock and export), linked
to the campaign it was made from by `Campaign.parent_id` and `Campaign.kind`. It keeps the
parent's row numbers, so a row number names the same person of the contacts file all along
the line.

A *chain* is one message and its second tries: a campaign that is not a retry (made from a
file, or a follow-up: a new message) and every retry made from it or from one of its retries.
Per person (row) the chain's combined outcome is the best of their rows across it
(`campaigns.store.statuses.chain_rank`; among equals, the latest campaign's), so someone
delivered on the second try counts once, as delivered, and someone a retry did not reach
still counts as failed, with the latest error code. A follow-up starts a chain of its own:
it is another message, and its outcome is shown beside its parent's, never summed into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from campaigns.store.statuses import DISPLAY_ORDER, RecipientStatus, chain_rank, to_text

if TYPE_CHECKING:
    from campaigns.store.journal import Campaign, Journal, RowOutcome

#: How a campaign was made from its parent (the journal's `kind` column).
DerivedKind = Literal["retry", "follow-up"]
RETRY: DerivedKind = "retry"
FOLLOW_UP: DerivedKind = "follow-up"
KINDS: tuple[DerivedKind, ...] = (RETRY, FOLLOW_UP)


@dataclass(frozen=True, slots=True)
class Chain:
    """One message and its retries: `root` first, then each retry in the order made."""

    root: Campaign
    members: tuple[Campaign, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The members' ids, root first."""
        return tuple(c.id for c in self.members)

    @property
    def retries(self) -> int:
        """How many retries the chain holds."""
        return len(self.members) - 1


def by_id(campaigns: Iterable[Campaign]) -> dict[str, Campaign]:
    """Campaigns keyed by id (what the walks below read)."""
    return {c.id: c for c in campaigns}


def ancestors(campaigns: Mapping[str, Campaign], campaign_id: str) -> list[str]:
    """The ids of the campaigns `campaign_id` was made from, parent first (a cycle, which the
    journal never writes, ends the walk)."""
    found: list[str] = []
    current = campaigns.get(campaign_id)
    while current is not None and current.parent_id and current.parent_id not in found:
        found.append(current.parent_id)
        current = campaigns.get(current.parent_id)
    return found


def chain_of(campaigns: Mapping[str, Campaign], campaign_id: str) -> Chain:
    """The chain `campaign_id` belongs to (see the module docstring)."""
    root = campaigns[campaign_id]
    seen = {root.id}
    while root.kind == RETRY and root.parent_id is not None and root.parent_id not in seen:
        parent = campaigns.get(root.parent_id)
        if parent is None:
            break
        root = parent
        seen.add(root.id)
    children: dict[str, list[Campaign]] = {}
    for c in campaigns.values():
        if c.parent_id is not None and c.kind == RETRY:
            children.setdefault(c.parent_id, []).append(c)
    members = [root]
    frontier = [root.id]
    while frontier:
        found = [c for parent in frontier for c in children.get(parent, []) if c.id != root.id]
        members.extend(found)
        frontier = [c.id for c in found]
    retries = sorted(members[1:], key=lambda c: (c.created_at, c.id))
    return Chain(root=root, members=(root, *retries))


def combine(outcomes: Iterable[RowOutcome], order: Sequence[str]) -> dict[int, RowOutcome]:
    """Per row, the outcome that speaks for the person across campaigns `order` (oldest
    first): the best `chain_rank`, the latest campaign among equals."""
    place = {cid: index for index, cid in enumerate(order)}
    best: dict[int, tuple[int, int, RowOutcome]] = {}
    for outcome in outcomes:
        key = (chain_rank(outcome.status), place.get(outcome.campaign_id, -1))
        held = best.get(outcome.row)
        if held is None or key > held[:2]:
            best[outcome.row] = (*key, outcome)
    return {row: held[2] for row, held in best.items()}


def counts_of(per_person: Mapping[int, RowOutcome]) -> dict[str, int]:
    """How many people are in each status (each person once)."""
    return dict(Counter(outcome.status for outcome in per_person.values()))


@dataclass(frozen=True, slots=True)
class ChainOutcome:
    """A chain and what became of each of its people (row -> the outcome speaking for them)."""

    chain: Chain
    people: dict[int, RowOutcome]

    def counts(self) -> dict[str, int]:
        """People by combined status."""
        return counts_of(self.people)


def chain_outcome(
    journal: Journal, campaign_id: str, campaigns: Mapping[str, Campaign] | None = None
) -> ChainOutcome:
    """The chain of `campaign_id` and its combined outcome per person, read from `journal`
    (`campaigns`: every campaign by id, when the caller has read them already)."""
    known = campaigns if campaigns is not None else by_id(journal.campaigns())
    chain = chain_of(known, journal.campaign(campaign_id).id)
    return ChainOutcome(chain, combine(journal.outcomes(chain.ids), chain.ids))


def chain_sentence(retries: int, counts: Mapping[str, int]) -> str:
    """A chain's combined outcome in words, each person once, statuses in display order:
    "with its 1 retry: 20 people, 12 delivered, 8 undelivered" (both faces show it)."""
    shown = [s for s in DISPLAY_ORDER if counts.get(s) and s != RecipientStatus.SKIPPED]
    parts = ", ".join(f"{counts[s]} {s}" for s in shown)
    plural = "retry" if retries == 1 else "retries"
    return f"with its {retries} {plural}: {to_text(counts)} people, {parts}"
