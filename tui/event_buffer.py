"""A thread-safe buffer between the engine's event stream and the app's timer.

The engine runs in a worker thread and calls its ``emit`` callback for every event (a status
change per recipient, a progress tick, ...). Posting each one to the app as a message would
flood the event loop at 1,000 changes a second, so the engine's ``emit`` is an
:class:`EventBuffer` instead: :meth:`EventBuffer.put` is cheap and safe from any thread, and the
app calls :meth:`EventBuffer.drain` on a timer (at most four times a second) and applies the
batch in one go.

Draining coalesces: events that share a *coalescing key* (for example the same recipient's
``RecipientChanged``, or the campaign's ``Progress``) keep only the latest, and that latest event
takes the position where it was emitted, so it stays in order relative to the events without a
key (``CampaignPaused``, ``CampaignFinished``, ``EngineError``, ...), which are all kept, in order.

The buffer is generic: the key function decides what coalesces, so it does not depend on the
fields of ``campaigns.send.events``. :func:`key_by_fields` builds the usual key function::

    buffer = EventBuffer(key_by_fields({
        "RecipientChanged": ("campaign_id", "recipient_id"),
        "Progress": ("campaign_id",),
    }))
    engine.run(emit=buffer.put)          # worker thread
    self.set_interval(0.25, self._apply) # app: for event in buffer.drain(): ...
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

E = TypeVar("E")

KeyFunction = Callable[[E], Hashable | None]
"""Returns the coalescing key of an event, or None for an event that is always kept."""


def key_by_fields(fields_by_type: Mapping[str, Sequence[str]]) -> KeyFunction[object]:
    """A key function coalescing events by class name and the values of some of their fields.

    ``{"Progress": ("campaign_id",)}`` keeps the latest ``Progress`` per campaign; classes not
    named are never coalesced.
    """
    table = {name: tuple(fields) for name, fields in fields_by_type.items()}

    def key(event: object) -> Hashable | None:
        name = type(event).__name__
        fields = table.get(name)
        if fields is None:
            return None
        return (name, *(getattr(event, field) for field in fields))

    return key


@dataclass(frozen=True, slots=True)
class BufferStats:
    """Counts since the buffer was made: events put, events handed out, events coalesced away."""

    put: int
    drained: int
    coalesced: int


class _Unique:
    """A key no other event shares (for events that are never coalesced)."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


class EventBuffer(Generic[E]):
    """Collects events from any thread; hands them out coalesced, in order, on :meth:`drain`.

    Memory is bounded by the number of distinct keys plus the uncoalesced events between two
    drains, so a slow drain never grows it past one entry per recipient.
    """

    def __init__(self, key: KeyFunction[E] | None = None) -> None:
        self._key: KeyFunction[E] = key if key is not None else (lambda event: None)
        self._lock = threading.Lock()
        # dict keeps insertion order; re-inserting a key moves it to the end (latest position).
        self._pending: dict[Hashable, E] = {}
        self._counter = itertools.count()
        self._put = 0
        self._drained = 0

    def put(self, event: E) -> None:
        """Add one event. Safe to call from any thread; suitable as the engine's ``emit``."""
        key = self._key(event)
        with self._lock:
            self._put += 1
            if key is None:
                self._pending[_Unique(next(self._counter))] = event
            else:
                self._pending.pop(key, None)
                self._pending[key] = event

    __call__ = put

    def drain(self) -> list[E]:
        """Take everything buffered so far: coalesced, in emission order. Empty list if none."""
        with self._lock:
            if not self._pending:
                return []
            pending, self._pending = self._pending, {}
            self._drained += len(pending)
        return list(pending.values())

    def __len__(self) -> int:
        """How many events a drain would return now."""
        with self._lock:
            return len(self._pending)

    @property
    def stats(self) -> BufferStats:
        """Counts so far (for benchmarks and the debug footer)."""
        with self._lock:
            pending = len(self._pending)
            return BufferStats(self._put, self._drained, self._put - self._drained - pending)
