"""Helpers for the engine tests: a campaign in a fresh journal, a gateway on a sandbox, and the
exactly-once check counted from the sandbox's own message list."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions, RunResult
from campaigns.send.events import Event
from campaigns.store import journal as J
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway

SENT_OR_FINAL = J.SENT_STATUSES | {"undelivered"}


def numbers(count: int, start: int = 0) -> list[str]:
    """Distinct valid US numbers (+1 415 2xx xxxx)."""
    return [f"+1415{2_000_000 + start + i:07d}" for i in range(count)]


def gateway_for(sandbox: Sandbox) -> TwilioGateway:
    return TwilioGateway(
        Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
        base_url=sandbox.base_url,
    )


def campaign(
    journal: J.Journal,
    to: list[str],
    *,
    sender: str = "+15017122661",
    service: str | None = None,
    not_before: dict[int, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    recipients = [
        J.NewRecipient(
            i + 2,
            number,
            f"Hello {i}",
            1,
            0.0079,
            {"phone": number},
            not_before=(not_before or {}).get(i + 2),
        )
        for i, number in enumerate(to)
    ]
    return journal.create_campaign(
        template="Hello {i}",
        source_name="t.csv",
        source_sha256="0" * 64,
        sender=None if service else sender,
        messaging_service_sid=service,
        settings=settings or {},
        recipients=recipients,
    )


class Recorder:
    """An `emit` that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def names(self) -> Counter[str]:
        return Counter(e.name for e in self.events)

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if e.name == name]


async def run(
    sandbox: Sandbox, journal: J.Journal, cid: str, **options: Any
) -> tuple[RunResult, Recorder]:
    options.setdefault("track_seconds", 0)
    recorder = Recorder()
    engine = Engine(gateway_for(sandbox), journal, cid, EngineOptions(**options))
    result = await engine.run(recorder)
    return result, recorder


def assert_exactly_once(sandbox: Sandbox, journal: J.Journal, cid: str) -> dict[str, int]:
    """Every recipient the journal calls sent has exactly one message at the sandbox, with the
    recorded SID; every other recipient has none. Returns the journal's counts."""
    by_to: dict[str, list[dict[str, Any]]] = {}
    for message in sandbox.messages():
        by_to.setdefault(message["to"], []).append(message)
    for r in journal.recipients(cid):
        got = by_to.get(r.to, [])
        if r.status in SENT_OR_FINAL or (r.status == "failed" and r.sid):
            assert len(got) == 1, (r, got)
            assert got[0]["sid"] == r.sid, (r, got)
            assert got[0]["body"].endswith(r.body)
        else:
            assert got == [], (r, got)
    return journal.counts(cid)


def open_journal(tmp_path: Path) -> J.Journal:
    return J.Journal.open(tmp_path / "smscast.db")


class Clock:
    """A synthetic wall clock for `EngineOptions.clock`: it reads `now` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class LoopSandbox:
    """A sandbox served in the test's own event loop, which can go away and come back on the
    same port: `down()` stops it (connections are refused), `up()` serves the same account
    and messages again, `replace()` serves a fresh sandbox (same account, no messages) there."""

    def __init__(self, config: SandboxConfig) -> None:
        self.sandbox = Sandbox(config)
        self.port = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> LoopSandbox:
        await self.up()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.sandbox.stop()

    async def up(self) -> None:
        await self.sandbox.start(port=self.port)
        self.port = int(self.sandbox.base_url.rsplit(":", 1)[1])

    async def down(self) -> None:
        await self.sandbox.stop()

    async def replace(self) -> None:
        """Stop, then serve a sandbox that has forgotten every message (as after a restart)."""
        await self.down()
        config = self.sandbox.config
        self.sandbox = Sandbox(config)
        await self.up()

    def later(self, coro: Any) -> None:
        """Run `coro` on the loop soon (from an engine `emit`, which cannot await)."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
