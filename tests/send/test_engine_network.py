"""The engine when the way to Twilio breaks: a blip (the sandbox stopped for a moment and
started again on the same port) costs a wait, not a pause; a lasting outage pauses with what
failed, since when and what to do; a tracked message the server no longer has (a restarted
sandbox: 404, code 20404) is recorded once and no longer polled."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    LoopSandbox,
    assert_exactly_once,
    campaign,
    gateway_for,
    numbers,
    open_journal,
)

from campaigns.sandbox import SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.events import Event
from campaigns.send.tracking import GONE_CODE
from campaigns.store import journal as J

FAST = {"trial": False, "speedup": 1000.0, "delivery_delay": 0.05, "accept_delay": 0.01}


async def test_a_blip_under_a_second_is_waited_out_not_a_pause(tmp_path: Path) -> None:
    async with LoopSandbox(SandboxConfig(**FAST)) as ls:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(40, 9500))
        answered: list[int] = []

        async def blip() -> None:
            await ls.down()
            await asyncio.sleep(0.9)
            await ls.up()

        def emit(event: Event) -> None:
            if event.name == "recipient_changed" and event.status == "queued":  # type: ignore[attr-defined]
                answered.append(event.row)  # type: ignore[attr-defined]
                if len(answered) == 10:
                    ls.later(blip())

        # Paced, so that requests keep leaving while it is down (and few are cut mid-way).
        options = EngineOptions(
            rate=40.0, concurrency=4, track_seconds=0, reconcile_grace=0.05, lookup_attempts=8
        )
        engine = Engine(gateway_for(ls.sandbox), journal, cid, options)
        result = await engine.run(emit)
        assert engine.stats["transient"] > 0, engine.stats  # the blip was met
        assert (result.state, result.reason) == ("finished", "")
        counts = assert_exactly_once(ls.sandbox, journal, cid)
        assert set(counts) <= J.SENT_STATUSES and sum(counts.values()) == 40


async def test_an_outage_pauses_after_the_patience_saying_why(tmp_path: Path) -> None:
    async with LoopSandbox(SandboxConfig(**FAST)) as ls:
        await ls.down()
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(30, 9600))
        options = EngineOptions(concurrency=4, track_seconds=0, transient_patience=1.5)
        engine = Engine(gateway_for(ls.sandbox), journal, cid, options)
        result = await engine.run(lambda e: None)
        assert (result.state, result.kind) == ("paused", "transient")
        assert "could not be reached for" in result.reason and " UTC" in result.reason
        assert f"smscast resume {cid}" in result.hint and "network" in result.hint
        assert journal.counts(cid) == {J.PENDING: 30}
        # Held back and probed one at a time: a handful of attempts, not one per recipient
        # per backoff step.
        assert engine.stats["transient"] < 30
        assert max(r.attempts for r in journal.recipients(cid)) <= 3


@pytest.mark.parametrize(
    "tracking",
    [
        {"receipts": "poll"},
        # Sweeps do not list a forgotten message: two misses make it a stray, fetched once.
        {"receipts": "sweep", "sweep_first": 0.1, "sweep_cap": 0.5},
    ],
    ids=["poll", "sweep"],
)
async def test_a_tracked_message_the_server_forgot_is_recorded_not_polled_forever(
    tmp_path: Path, tracking: dict[str, Any]
) -> None:
    slow = {**FAST, "delivery_delay": 600.0}  # stays queued/sent: tracked
    async with LoopSandbox(SandboxConfig(**slow)) as ls:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(5, 9700))
        sent: list[int] = []

        def emit(event: Event) -> None:
            if event.name == "recipient_changed" and event.status == "queued":  # type: ignore[attr-defined]
                sent.append(event.row)  # type: ignore[attr-defined]
                if len(sent) == 5:
                    ls.later(ls.replace())  # restarted: it has forgotten every message

        options = EngineOptions(concurrency=5, track_seconds=20, **tracking)
        engine = Engine(gateway_for(ls.sandbox), journal, cid, options)
        result = await engine.run(emit)
        assert result.state == "finished"
        assert engine.stats["gone"] == 5
        rows = journal.recipients(cid)
        assert {r.status for r in rows} <= J.LIVE_STATUSES  # the last status is kept
        assert all(r.sid and r.error_code == GONE_CODE for r in rows)
        assert all("no longer has this message" in (r.error_message or "") for r in rows)
