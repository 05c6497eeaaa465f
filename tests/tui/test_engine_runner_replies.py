"""The app's engine runner collects replies while it sends (no textual here: the runner is
plain threads): scripted people of the sandbox answer, and `on_replies` hears of each poll
that found some, on the poller's thread."""

from __future__ import annotations

import threading
from pathlib import Path

from engine_support import campaign, numbers

from campaigns.conversation.collector import Collected
from campaigns.pipeline.demo import demo_settings
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store import journal as J
from tui.engine_runner import EngineRunner


def test_replies_are_polled_during_the_app_s_send(tmp_path: Path) -> None:
    config = SandboxConfig(trial=False, speedup=1000.0, reply_share=1.0, reply_delay=20.0)
    with Sandbox(config) as sb:
        settings = demo_settings(sb, tmp_path)
        with J.Journal.open(settings.db_path) as journal:
            cid = campaign(journal, numbers(12, start=300), sender=sb.phone_number)
        done = threading.Event()
        errors: list[str | None] = []
        heard: list[Collected] = []

        def stopped(error: str | None) -> None:
            errors.append(error)
            done.set()

        runner = EngineRunner(
            settings=settings,
            db_path=settings.db_path,
            campaign_id=cid,
            on_stopped=stopped,
            options=EngineOptions(track_seconds=0.6),
        )
        runner.reply_interval = 0.05
        runner.on_replies = heard.append
        runner.start()
        assert done.wait(30)
        assert errors == [None]
        assert heard and sum(len(c.stored) for c in heard) > 0
        with J.Journal.open(settings.db_path) as journal:
            assert {r.campaign_id for r in journal.replies(cid)} == {cid}
