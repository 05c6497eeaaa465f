"""Admission: which request may leave now, and how many intents to commit ahead of it.

One job: bound the requests in flight (sends, status polls, lookups) by the AIMD limit
(`AdaptiveLimit`), let sends through in FIFO order and, when a rate is set, no faster than the
segment pacer allows; turn every waiting send away the moment the campaign is pausing,
canceling or stopping (`close`), because a request that has not left must not leave then.

The exactly-once order is the engine's, not this class's: a send asks for admission only
after its intent is durable (the group commit, `GroupCommit.commit`), so whatever `admit`
answers, no request ever leaves before its intent is in the journal. `room` says how many
intents the engine may commit ahead: one concurrency's worth more than are in flight (a fifth
of a second's worth when paced), so a freed slot is refilled at once, not at the next commit.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

from campaigns.send.pacing import AdaptiveLimit, SegmentPacer


class Admission:
    """The in-flight slots and the gate in front of them; see the module docstring.

    `active` counts the requests in flight (the engine counts a poll or a lookup in with
    `active += 1` and out with `release`); `at_gate` the sends waiting for a slot or the pacer.
    """

    __slots__ = (
        "_clock",
        "_gate",
        "_slot_freed",
        "_waiters",
        "active",
        "at_gate",
        "closed",
        "limit",
        "pacer",
    )

    def __init__(
        self,
        limit: AdaptiveLimit,
        pacer: SegmentPacer | None = None,
        *,
        closed: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.pacer = pacer
        self.active = 0
        self.at_gate = 0
        #: True while the campaign is pausing, canceling or stopping: nothing is admitted.
        self.closed = closed
        #: Unpaced sends waiting for a slot, in FIFO order: `release` hands a freed slot
        #: straight to the first (True), `close` turns them all away (False).
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._gate = asyncio.Lock()
        self._slot_freed = asyncio.Event()
        self._clock = clock

    def room(self, active_sends: int) -> int:
        """How many more intents may be committed now, given the sends started and unfinished
        (`active_sends`, those waiting here included)."""
        free = 2 * self.limit.value - active_sends
        pacer = self.pacer
        if pacer is not None:
            ahead = max(1, math.ceil(pacer.rate * 0.2)) - self.at_gate
            free = min(free, ahead)
        return free

    def free_slots(self) -> int:
        """Slots not taken by a request in flight (may be negative after AIMD lowered it)."""
        return self.limit.value - self.active

    def close(self) -> None:
        """The campaign is pausing, canceling or stopping: turn every waiting send away."""
        self.closed = True
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)

    def reopen(self) -> None:
        """The campaign goes on: admit again."""
        self.closed = False

    def release(self) -> None:
        """A request in flight is over: its slot goes to the first send waiting, if any."""
        self.active -= 1
        self._slot_freed.set()
        waiters = self._waiters
        while waiters and self.active < self.limit.value and not self.closed:
            waiter = waiters.popleft()
            if not waiter.done():
                self.active += 1  # the slot passes straight to the first send waiting
                waiter.set_result(True)

    async def admit(self, segments: int) -> bool:
        """Wait, in FIFO order, for a request slot (the AIMD bound) and the pacer; then take
        the slot. False when the campaign is pausing or stopping meanwhile: the request must
        not leave."""
        if self.pacer is None:
            if self.closed:
                return False
            if self.active < self.limit.value and not self._waiters:
                self.active += 1  # the common case: a free slot and no one queued before us
                return True
            # Wait in line: `release` hands us a slot (already counted), or `close` turns
            # us away. One wake-up per send, no lock hand-offs.
            waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self.at_gate += 1
            try:
                return await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result():
                    self.release()  # handed a slot just as we were canceled: give it back
                raise
            finally:
                self.at_gate -= 1
        self.at_gate += 1
        try:
            async with self._gate:
                while True:
                    if self.closed:
                        return False
                    if self.active >= self.limit.value:
                        self._slot_freed.clear()
                        await self._slot_freed.wait()
                        continue
                    pacer = self.pacer
                    if pacer is not None:
                        now = self._clock()
                        delay = pacer.delay(segments, now)
                        if delay > 0:
                            await asyncio.sleep(delay)
                            continue
                        pacer.take(segments, now)
                    self.active += 1
                    return True
        finally:
            self.at_gate -= 1
