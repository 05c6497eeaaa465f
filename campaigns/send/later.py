"""Rows that wait: retries after a backoff and rows deferred to their sending window.

One job: a heap of (due time, row) on the monotonic clock, first in first out among equal
times, from which the engine takes the rows that have come due back into its send queue. A
deferred row's window is checked again before its request leaves, so coming due is no promise
that it is sent then. Pure: the caller passes the time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class LaterQueue(Generic[T]):
    """Items due at a monotonic time; see the module docstring."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, T]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def __bool__(self) -> bool:
        return bool(self._heap)

    def __iter__(self) -> Iterator[T]:
        return (entry[2] for entry in self._heap)

    def push(self, when: float, item: T) -> None:
        """`item` is due at `when`."""
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, item))

    def first(self) -> tuple[float, T]:
        """The earliest item and when it is due (the queue must not be empty)."""
        when, _, item = self._heap[0]
        return when, item

    def pop_due(self, now: float) -> Iterator[T]:
        """Take out, earliest first, every item due by `now`."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            yield heapq.heappop(heap)[2]

    def clear(self) -> None:
        self._heap.clear()
