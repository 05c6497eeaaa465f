"""The engine when its journal fails mid-run: a full disk (the real SQLITE_FULL, by
`PRAGMA max_page_count`), a journal deleted or replaced under it. Sending stops at once, no
request leaves without its intent committed, and a resume texts everyone exactly once."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from engine_support import assert_exactly_once, campaign, gateway_for, numbers, open_journal

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.send.events import Event
from campaigns.store import journal as J

PEOPLE = 400
FAST = {"trial": False, "speedup": 1000.0, "delivery_delay": 0.05, "accept_delay": 0.01}


@pytest.fixture
def sandbox() -> Sandbox:
    # Latency keeps requests in flight across several group commits.
    with Sandbox(SandboxConfig(**FAST, latency_ms=30)) as sb:
        yield sb


def _intents_committed_for_every_message(sandbox: Sandbox, db: Path, cid: str) -> Counter[str]:
    """Read with a fresh connection: every message the sandbox holds belongs to a row whose
    intent was committed (attempts >= 1); returns the messages per number."""
    per_number = Counter(m["to"] for m in sandbox.messages())
    with J.Journal.open(db) as fresh:
        rows = {r.to: r for r in fresh.recipients(cid)}
    for to in per_number:
        assert rows[to].attempts >= 1, rows[to]
        assert rows[to].status != J.PENDING or rows[to].attempts >= 1
    return per_number


class _After:
    """An `emit` that runs `action` once, after `count` recipients were accepted by Twilio."""

    def __init__(self, count: int, action: object) -> None:
        self.count, self.action, self.events = count, action, []
        self.done = False

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        status = getattr(event, "status", None)
        if event.name == "recipient_changed" and status in J.LIVE_STATUSES and not self.done:
            self.count -= 1
            if self.count <= 0:
                self.done = True
                self.action()  # type: ignore[operator]


async def _resume_to_the_end(sandbox: Sandbox, db: Path, cid: str) -> None:
    with J.Journal.open(db) as journal:  # a new connection: no page limit
        result = await Engine(
            gateway_for(sandbox), journal, cid, EngineOptions(concurrency=10, track_seconds=0)
        ).run(lambda _e: None)
        assert result.state == "finished", result
        counts = assert_exactly_once(sandbox, journal, cid)
        assert set(counts) <= J.SENT_STATUSES and sum(counts.values()) == PEOPLE
    assert Counter(m["to"] for m in sandbox.messages()) == Counter(numbers(PEOPLE))


async def test_disk_full_mid_run_stops_and_resume_texts_everyone_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = open_journal(tmp_path)
    db = journal.path
    cid = campaign(journal, numbers(PEOPLE))
    (pages,) = journal._db.execute("PRAGMA page_count").fetchone()
    # Rows grow as SIDs and times are recorded: a few pages more and the "disk" is full.
    journal._db.execute(f"PRAGMA max_page_count={pages + 4}")
    engine = Engine(
        gateway_for(sandbox), journal, cid, EngineOptions(concurrency=10, track_seconds=0)
    )
    emit = _After(10**9, lambda: None)
    result = await engine.run(emit)
    journal.close()

    assert result.state == "stopped" and result.kind == "journal", result
    assert "the disk holding it is full" in result.reason and str(db) in result.reason
    assert f"smscast resume {cid}" in result.hint
    paused = [e for e in emit.events if e.name == "campaign_paused"]
    assert [e.kind for e in paused] == ["journal"]
    per_number = _intents_committed_for_every_message(sandbox, db, cid)
    assert 0 < len(per_number) < PEOPLE, len(per_number)  # it stopped mid-run
    assert max(per_number.values()) == 1
    with J.Journal.open(db) as fresh:
        state = fresh.campaign(cid)
    # Marking the campaign paused needs no new page: it was written, with the reason.
    assert state.state == J.PAUSED and "full" in (state.state_reason or "")
    await _resume_to_the_end(sandbox, db, cid)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_journal_deleted_or_replaced_mid_run_stops_sending(
    sandbox: Sandbox, tmp_path: Path, how: str
) -> None:
    journal = open_journal(tmp_path)
    db = journal.path
    cid = campaign(journal, numbers(PEOPLE))
    backup = tmp_path / "backup"

    def pull_the_file() -> None:
        if how == "deleted":  # kept aside, as a person would restore it from a backup
            backup.mkdir()
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{db}{suffix}")
                if source.exists():
                    os.link(source, backup / source.name)
                    source.unlink()
        else:
            other = tmp_path / "other.db"
            J.Journal.open(other).close()
            os.replace(other, db)

    emit = _After(40, pull_the_file)
    result = await Engine(
        gateway_for(sandbox), journal, cid, EngineOptions(concurrency=10, track_seconds=0)
    ).run(emit)
    journal.close()

    assert result.state == "stopped" and result.kind == "journal", result
    assert f"was {how}" in result.reason and "sending stopped" in result.reason
    assert "already sent are in Twilio" in result.hint
    sent = Counter(m["to"] for m in sandbox.messages())
    assert 40 <= len(sent) < PEOPLE and max(sent.values()) == 1
    if how == "deleted":
        # Put it back (hard links of the very files), and the resume finishes the job.
        for name in os.listdir(backup):
            shutil.move(backup / name, tmp_path / name)
        await _resume_to_the_end(sandbox, db, cid)
