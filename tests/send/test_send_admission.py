"""Admission on its own: slots bounded by the AIMD limit, handed over in FIFO order, the pacer
respected, every waiting send turned away when the campaign closes. No sandbox: an event loop
and a synthetic clock."""

from __future__ import annotations

import asyncio

from campaigns.send.admission import Admission
from campaigns.send.pacing import AdaptiveLimit, SegmentPacer


async def test_free_slots_are_taken_at_once_up_to_the_limit() -> None:
    gate = Admission(AdaptiveLimit(2))
    assert await gate.admit(1) and await gate.admit(1)
    assert gate.active == 2 and gate.free_slots() == 0


async def test_a_released_slot_goes_to_the_first_waiting_send() -> None:
    gate = Admission(AdaptiveLimit(1))
    assert await gate.admit(1)
    order: list[str] = []

    async def wait(name: str) -> None:
        if await gate.admit(1):
            order.append(name)

    first = asyncio.ensure_future(wait("first"))
    second = asyncio.ensure_future(wait("second"))
    await asyncio.sleep(0)
    assert gate.at_gate == 2 and order == []
    gate.release()
    await asyncio.sleep(0)
    assert order == ["first"] and gate.active == 1
    gate.release()
    await asyncio.gather(first, second)
    assert order == ["first", "second"] and gate.at_gate == 0


async def test_closing_turns_every_waiting_send_away_and_admits_nothing() -> None:
    gate = Admission(AdaptiveLimit(1))
    assert await gate.admit(1)
    waiting = [asyncio.ensure_future(gate.admit(1)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.close()
    assert await asyncio.gather(*waiting) == [False, False, False]
    assert not await gate.admit(1)
    gate.release()  # a slot freed while closed is not handed to anyone
    assert gate.active == 0
    gate.reopen()
    assert await gate.admit(1)


async def test_a_send_canceled_while_waiting_gives_no_slot_away() -> None:
    gate = Admission(AdaptiveLimit(1))
    assert await gate.admit(1)
    waiter = asyncio.ensure_future(gate.admit(1))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    gate.release()
    assert gate.active == 0 and gate.at_gate == 0


async def test_the_pacer_spaces_admissions_on_its_clock() -> None:
    now = [0.0]
    pacer = SegmentPacer(1000.0)
    gate = Admission(AdaptiveLimit(10), pacer, clock=lambda: now[0])
    assert await gate.admit(1)
    # The pacer asks to wait; the clock moves on while the gate sleeps.
    task = asyncio.ensure_future(gate.admit(1))
    while not task.done():
        now[0] += 0.01
        await asyncio.sleep(0.001)
    assert task.result() and gate.active == 2


async def test_room_keeps_one_concurrency_ahead_and_a_fifth_of_a_second_when_paced() -> None:
    assert Admission(AdaptiveLimit(10)).room(active_sends=5) == 15
    paced = Admission(AdaptiveLimit(10), SegmentPacer(50.0))
    assert paced.room(active_sends=0) == 10  # 0.2 s at 50/s
    assert Admission(AdaptiveLimit(10), SegmentPacer(1.0)).room(active_sends=0) == 1


async def test_a_lowered_limit_holds_sends_until_enough_are_back() -> None:
    limit = AdaptiveLimit(2)
    gate = Admission(limit)
    assert await gate.admit(1) and await gate.admit(1)
    limit.on_throttled()  # AIMD: now 1
    waiter = asyncio.ensure_future(gate.admit(1))
    await asyncio.sleep(0)
    gate.release()  # 1 in flight, limit 1: still no room
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.release()
    assert await waiter
