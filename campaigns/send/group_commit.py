"""The group commit: the outcomes gathered since the last tick and the next intents, in ONE
journal transaction, on the journal's own thread.

One job, the first half of exactly once: a request may leave only after its intent (`inflight`,
`attempts + 1`, `attempted_at`) is durable, and an answer is durable at the latest with the next
commit. Committing a tick's intents together with every outcome gathered since means a few
hundred rows share one fsync (`synchronous=FULL`), so durability does not cap throughput; running
the commit on a one-thread executor keeps the event loop handling answers meanwhile (and the
SQLite connection is never used from two threads at once). The engine awaits `commit` and only
then starts the requests of those intents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from campaigns.store import journal as J


class GroupCommit:
    """Outcomes wait in `gathered` (append to it) until `commit` or `flush` writes them."""

    __slots__ = ("_campaign_id", "_journal", "_writer", "gathered")

    def __init__(self, journal: J.Journal, campaign_id: str) -> None:
        self.gathered: list[J.Outcome] = []
        self._journal = journal
        self._campaign_id = campaign_id
        self._writer: ThreadPoolExecutor | None = None

    def open(self) -> None:
        """Start the journal's thread (for `commit`)."""
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="smscast-journal")

    def close(self) -> None:
        """Wait for the commit under way, if any, and end the journal's thread."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)

    def _take(self) -> list[J.Outcome]:
        # A copy, not a new list: `gathered.append` stays bound where the engine keeps it. The
        # outcomes taken are gone even if the write fails: their rows stay `inflight` in the
        # journal and the next run reconciles them.
        gathered = self.gathered
        outcomes = gathered[:]
        gathered.clear()
        return outcomes

    async def commit(self, intents: Sequence[J.Intent]) -> None:
        """Write what is gathered and `intents` in one transaction; returns once it is durable."""
        outcomes = self._take()
        if outcomes or intents:
            await asyncio.get_running_loop().run_in_executor(
                self._writer, self._journal.apply, self._campaign_id, outcomes, intents
            )

    def flush(self) -> None:
        """Write what is gathered now, on this thread (a pause, a finish, a stop)."""
        outcomes = self._take()
        if outcomes:
            self._journal.apply(self._campaign_id, outcomes, ())

    def drop(self) -> None:
        """Forget what is gathered (the journal failed: those rows are reconciled next run)."""
        self.gathered.clear()
