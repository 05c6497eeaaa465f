"""Lookup of line types (opt-in, billed per number), for both faces: what it will cost
(`plan_lookup`: the numbers not known from the last 90 days, and their price at
`campaigns.compose.pricing.LOOKUP_PRICE`), then the lookup itself (`run_lookup`: Twilio's
batch query, the answers kept in the journal database with their date), and the audience less
the numbers that cannot receive SMS (`campaigns.audience.line_types`).

The faces show `LookupPlan.question()` and ask before `run_lookup`: nothing billed is done
without a yes (or `--yes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.twilio.models import LineType
    from campaigns.twilio.protocols import Gateway


@dataclass(frozen=True)
class LookupPlan:
    """The numbers to look up (`to_ask`, distinct, in first-seen order), what is known already
    (number -> its line type and when it was fetched), and the estimated cost."""

    to_ask: tuple[str, ...]
    known: dict[str, LineType] = field(default_factory=dict)
    fetched_at: dict[str, datetime] = field(default_factory=dict)
    cost: float = 0.0
    currency: str = "USD"

    def question(self) -> str:
        """The question a face asks before looking up (or the note when nothing is billed)."""
        known = f"; {len(self.known)} known from the last 90 days" if self.known else ""
        count = len(self.to_ask)
        return (
            f"Look up the line type of {count} number{'s' if count != 1 else ''} at Twilio "
            f"(about {self.cost:.2f} {self.currency}, billed to your account{known})?"
        )


@dataclass(frozen=True)
class LineTypes:
    """Every number's line type (looked up now or known), and when each was fetched."""

    by_number: dict[str, LineType]
    fetched_at: dict[str, datetime]
    looked_up: int = 0


def plan_lookup(db_path: Path, numbers: Iterable[str], *, now: datetime) -> LookupPlan:
    """What looking up these numbers would ask and cost (the fresh cache answers the rest)."""
    from campaigns.compose.pricing import CURRENCY, LOOKUP_PRICE
    from campaigns.store.journal import Journal

    distinct = list(dict.fromkeys(numbers))
    with Journal.open(db_path) as journal:
        cached = journal.cached_line_types(distinct, now)
    fresh = {number: entry for number, entry in cached.items() if entry.fresh}
    to_ask = tuple(number for number in distinct if number not in fresh)
    return LookupPlan(
        to_ask=to_ask,
        known={number: entry.line_type for number, entry in fresh.items()},
        fetched_at={number: entry.fetched_at for number, entry in fresh.items()},
        cost=len(to_ask) * LOOKUP_PRICE,
        currency=CURRENCY,
    )


def run_lookup(gateway: Gateway, db_path: Path, plan: LookupPlan, *, now: datetime) -> LineTypes:
    """Ask Twilio for `plan.to_ask` (billed), keep the answers, and return every number's type.

    Answers are kept as they arrive, per batch, so an interrupted lookup is not paid twice."""
    from campaigns.store.journal import Journal
    from campaigns.twilio.gateway import LOOKUP_BATCH

    by_number = dict(plan.known)
    fetched_at = dict(plan.fetched_at)
    with Journal.open(db_path) as journal:
        for start in range(0, len(plan.to_ask), LOOKUP_BATCH):
            answers = gateway.line_types(plan.to_ask[start : start + LOOKUP_BATCH])
            journal.keep_line_types(answers, now)
            for answer in answers:
                by_number[answer.phone] = answer
                fetched_at[answer.phone] = now
    return LineTypes(by_number, fetched_at, looked_up=len(plan.to_ask))
