"""A one-off reply is sent exactly once: an intent left behind by a crash is looked up at Twilio
before anything is sent again (found: recorded, not resent; not found: sent once)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from engine_support import campaign, gateway_for, numbers, open_journal, run

from campaigns.audience.suppression import SuppressionList
from campaigns.pipeline.replies import send_reply
from campaigns.sandbox import Sandbox, SandboxConfig
from tests.sandbox.sdk import sdk_client

BODY = "Doors open at 7."


def test_a_crashed_reply_is_reconciled_never_sent_twice(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(trial=False, speedup=1000.0)) as sb:
        found_there, never_left = numbers(2, start=500)
        with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
            cid = campaign(journal, [found_there, never_left])
            asyncio.run(run(sb, journal, cid))
            gateway = gateway_for(sb)
            now = datetime.now(UTC)
            # Crash 1: the intent was committed and the request reached Twilio.
            journal.begin_outbound_reply(cid, 2, found_there, sb.phone_number, BODY, now)
            sdk_client(sb).messages.create(to=found_there, from_=sb.phone_number, body=BODY)
            # Crash 2: the intent was committed, the request never left.
            journal.begin_outbound_reply(cid, 3, never_left, sb.phone_number, BODY, now)

            first = send_reply(journal, gateway, suppressions, cid, 2, BODY)
            second = send_reply(journal, gateway, suppressions, cid, 3, BODY)
            assert first.reconciled and first.reply.sid is not None
            assert not second.reconciled and second.reply.sid is not None
            for person in (found_there, never_left):
                sent = [m for m in sb.messages(to=person) if m["body"].endswith(BODY)]
                assert len(sent) == 1, person
            statuses = [o.status for o in journal.outbound_replies(cid, 3)]
            assert statuses[0] == "failed" and statuses[1] != "inflight"
