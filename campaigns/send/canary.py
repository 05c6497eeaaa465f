"""The canary: send the first N messages, wait for their outcome, then pause (kind `canary`).

One job: let a person see how a few real messages fare (delivered? filtered?) before the rest
of the campaign goes out. While the canary is out, no other intent is committed (`room` is 0);
its messages are tracked even when delivery tracking is off; once none of them is still open
(or tracking's time is up), the engine pauses with `summary` and the person resumes to send the
rest. A campaign resumed after its canary has none. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from campaigns.store import journal as J

#: Statuses after which a canary message waits for nothing more.
_SETTLED = J.FINAL_STATUSES | {J.UNKNOWN, J.SKIPPED}


class Canary:
    """The first `size` rows sent (`take`) and what became of them; size 0 = no canary."""

    __slots__ = ("left", "rows", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.left = size
        self.rows: set[int] = set()

    @property
    def active(self) -> bool:
        """A canary is configured and not yet over."""
        return self.size > 0

    def room(self, free: int) -> int:
        """`free` capped by the canary: while it is out, nothing else is committed."""
        return free if self.size <= 0 else min(free, self.left)

    def take(self, row: int) -> None:
        """`row` is committed to be sent; part of the canary if it is not complete yet."""
        if self.left > 0:
            self.left -= 1
            self.rows.add(row)

    @property
    def holding(self) -> bool:
        """All the canary is out: the rest waits for its outcome."""
        return self.size > 0 and self.left == 0 and bool(self.rows)

    def waiting_for(self, status: Mapping[int, str]) -> bool:
        """Some canary message was sent and its outcome is not known yet."""
        return any(status.get(r) not in _SETTLED and status.get(r) != J.PENDING for r in self.rows)

    def summary(self, status: Mapping[int, str]) -> str:
        """What became of the canary, e.g. `2 delivered, 1 undelivered`."""
        counts = Counter(status[r] for r in self.rows)
        return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))

    def finish(self) -> None:
        """The canary is over: the rest of the campaign is sent without one."""
        self.size = 0
        self.rows = set()
