"""EventBuffer: coalescing by key, order kept, safe with producer threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tui.event_buffer import EventBuffer, key_by_fields


@dataclass(frozen=True)
class RecipientChanged:
    campaign_id: int
    recipient_id: int
    status: str


@dataclass(frozen=True)
class Progress:
    campaign_id: int
    done: int


@dataclass(frozen=True)
class CampaignPaused:
    campaign_id: int


KEY = key_by_fields(
    {"RecipientChanged": ("campaign_id", "recipient_id"), "Progress": ("campaign_id",)}
)


def test_latest_per_key_at_its_latest_position_and_the_rest_in_order() -> None:
    buffer: EventBuffer[object] = EventBuffer(KEY)
    events = [
        RecipientChanged(1, 7, "inflight"),
        Progress(1, 0),
        RecipientChanged(1, 8, "inflight"),
        RecipientChanged(1, 7, "sent"),
        CampaignPaused(1),
        Progress(1, 2),
        CampaignPaused(1),
        RecipientChanged(1, 7, "delivered"),
    ]
    for event in events:
        buffer.put(event)
    assert len(buffer) == 5
    assert buffer.drain() == [
        RecipientChanged(1, 8, "inflight"),
        CampaignPaused(1),
        Progress(1, 2),
        CampaignPaused(1),
        RecipientChanged(1, 7, "delivered"),
    ]
    assert buffer.drain() == []
    assert buffer.stats.put == 8
    assert buffer.stats.drained == 5
    assert buffer.stats.coalesced == 3


def test_keys_include_the_campaign_and_unnamed_types_never_coalesce() -> None:
    buffer: EventBuffer[object] = EventBuffer(KEY)
    buffer(RecipientChanged(1, 5, "sent"))  # the buffer is callable: usable as `emit`
    buffer(RecipientChanged(2, 5, "sent"))
    buffer(CampaignPaused(1))
    buffer(CampaignPaused(1))
    assert len(buffer.drain()) == 4


def test_without_a_key_function_everything_is_kept_in_order() -> None:
    buffer: EventBuffer[int] = EventBuffer()
    for n in range(5):
        buffer.put(n)
    assert buffer.drain() == [0, 1, 2, 3, 4]


def test_producer_threads_lose_nothing_and_keep_their_order() -> None:
    buffer: EventBuffer[tuple[str, int, int]] = EventBuffer(
        lambda event: ("latest", event[1]) if event[0] == "latest" else None
    )
    producers, per_thread = 4, 3000
    start = threading.Barrier(producers + 1)

    def produce(thread: int) -> None:
        start.wait()
        for n in range(per_thread):
            buffer.put(("log", thread, n))
            buffer.put(("latest", thread, n))

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(producers)]
    for thread in threads:
        thread.start()
    start.wait()
    drained: list[tuple[str, int, int]] = []
    while any(thread.is_alive() for thread in threads):
        drained.extend(buffer.drain())
    for thread in threads:
        thread.join()
    drained.extend(buffer.drain())

    for thread in range(producers):
        logged = [n for kind, t, n in drained if kind == "log" and t == thread]
        assert logged == list(range(per_thread))
        latest = [n for kind, t, n in drained if kind == "latest" and t == thread]
        assert latest == sorted(latest)  # never an older value after a newer one
        assert latest[-1] == per_thread - 1
    stats = buffer.stats
    assert stats.put == 2 * producers * per_thread
    assert stats.drained == len(drained)
    assert stats.put == stats.drained + stats.coalesced
