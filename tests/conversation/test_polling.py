"""Replies are collected while a campaign sends and tracks receipts: the scripted people of the
sandbox answer after delivery, and the poller stores them (and lists each STOP) before the run
ends, on its own connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine_support import campaign, gateway_for, numbers, open_journal, run

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation.polling import ReplyPoller
from campaigns.sandbox import Sandbox, SandboxConfig


def test_replies_arrive_and_are_acted_on_during_the_run(tmp_path: Path) -> None:
    config = SandboxConfig(trial=False, speedup=1000.0, reply_share=1.0, reply_delay=20.0, seed=5)
    people = numbers(30, start=900)
    with Sandbox(config) as sb, open_journal(tmp_path) as journal:
        cid = campaign(journal, people)
        with ReplyPoller(
            journal.path, lambda: gateway_for(sb), cid, region="US", interval=0.05
        ) as poller:
            asyncio.run(run(sb, journal, cid, track_seconds=0.6))
            # the run is over, its receipts tracked: replies came in meanwhile
        assert poller.last_error is None
        assert poller.stored > 0 and poller.polls > 1
        assert poller.requests == poller.polls  # one sender, one request each time
        last_keyword: dict[str, str] = {}
        for reply in reversed(journal.replies(cid)):  # oldest first
            if reply.kind in ("opt-out", "opt-in"):
                last_keyword[reply.from_number] = reply.kind
        stopped = {p for p, kind in last_keyword.items() if kind == "opt-out"}
        restarted = {p for p, kind in last_keyword.items() if kind == "opt-in"}
        assert stopped and restarted  # the scripts: STOP, and STOP then START
        with SuppressionList(journal.path) as suppressions:
            listed = suppressions.numbers()
        assert stopped <= listed and not restarted & listed
