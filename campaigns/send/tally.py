"""The tally: each recipient's status during a run, the counts by status, and the events.

One job: keep the engine's view of the campaign (`status` by row, `counts` by status) in step
with what it tells the faces: every change is one `RecipientChanged`, and a change that carries
an `Outcome` also goes to the group commit (`gather`), so the journal, the counts and the
screen say the same. `counts` leaves out nothing; `total` leaves out `skipped` rows (excluded
at planning, never sent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from campaigns.send.events import Event, RecipientChanged
from campaigns.store import journal as J
from campaigns.twilio.errors import describe


class Tally:
    """Status per row and counts per status; see the module docstring."""

    __slots__ = ("_campaign_id", "_emit", "_gather", "counts", "status")

    def __init__(
        self,
        campaign_id: str,
        emit: Callable[[Event], None],
        gather: Callable[[J.Outcome], None],
    ) -> None:
        self.status: dict[int, str] = {}
        self.counts: Counter[str] = Counter()
        self._campaign_id = campaign_id
        self._emit = emit
        self._gather = gather

    def change(self, row: int, to: str, status: str, outcome: J.Outcome | None = None) -> None:
        """`row` is now `status`; `outcome` (if any) is committed with the next tick."""
        old = self.status.get(row)
        counts = self.counts
        if old is not None:
            counts[old] -= 1
        self.status[row] = status
        counts[status] += 1
        if outcome is not None:
            self._gather(outcome)
            self._emit(
                RecipientChanged(
                    self._campaign_id,
                    row=row,
                    to=to,
                    status=status,
                    sid=outcome.sid,
                    error_code=outcome.error_code,
                    error_message=outcome.error_message,
                )
            )
        else:
            self._emit(RecipientChanged(self._campaign_id, row=row, to=to, status=status))

    def recount(self, counts: dict[str, int]) -> None:
        """Take the journal's counts (after a bulk change such as a cancel)."""
        self.counts.clear()
        self.counts.update(counts)

    def total(self) -> int:
        """Recipients of the campaign, `skipped` ones left out."""
        return sum(n for status, n in self.counts.items() if status != J.SKIPPED)

    def left(self) -> int:
        """Recipients not yet sent (pending) or waiting for Twilio's answer (inflight)."""
        return self.counts.get(J.PENDING, 0) + self.counts.get(J.INFLIGHT, 0)

    def nonzero(self) -> dict[str, int]:
        """The counts without the statuses no recipient has (what results and events carry)."""
        return {status: n for status, n in self.counts.items() if n}


def outcome_of(row: int, record: Any) -> J.Outcome:
    """What Twilio's answer about a message (a `MessageRecord`) means for its row."""
    code = record.error_code
    info = describe(code)
    return J.Outcome(
        row,
        record.status,
        sid=record.sid,
        error_code=code,
        error_message=(info.meaning if info else record.error_message) if code else None,
        price=record.price,
        segments=record.num_segments,
        from_number=getattr(record, "from_", None),  # a service's pick, once made
    )
