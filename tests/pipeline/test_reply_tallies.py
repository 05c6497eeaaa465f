"""`reply_tallies`: every campaign's replies in four numbers (the app's counts on Send and
History), from replies collected from the sandbox through the real SDK."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from engine_support import campaign, gateway_for, numbers, open_journal, run

from campaigns.audience.suppression import SuppressionList
from campaigns.pipeline import replies
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store.replies import ReplyTally


def test_tallies_count_replies_unread_reviews_and_opt_outs_per_campaign(tmp_path: Path) -> None:
    first, second = numbers(3), numbers(2, start=50)
    with (
        Sandbox(SandboxConfig(trial=False, speedup=1000.0)) as sb,
        open_journal(tmp_path) as journal,
        SuppressionList(journal.path) as suppressions,
    ):
        one = campaign(journal, first, sender=sb.phone_number)
        two = campaign(journal, second, sender=sb.phone_number)
        for cid in (one, two):
            asyncio.run(run(sb, journal, cid))
        assert replies.reply_tallies(journal) == {}  # nobody answered yet
        sb.receive(first[0], sb.phone_number, "STOP")
        sb.receive(first[1], sb.phone_number, "stop texting me")
        sb.receive(first[2], sb.phone_number, "See you then")
        sb.receive(second[0], sb.phone_number, "HELP")
        replies.collect_replies(journal, gateway_for(sb), suppressions, [one, two])
        assert replies.reply_tallies(journal) == {
            one: ReplyTally(total=3, unread=3, to_review=1, opt_outs=1),
            two: ReplyTally(total=1, unread=1, to_review=0, opt_outs=0),
        }
        seen = [r.sid for r in journal.replies(one) if r.kind != "opt-out"]
        journal.mark_replies_read(seen, datetime.now(UTC))
        review = next(r.sid for r in journal.replies(one) if r.kind == "possible-opt-out")
        replies.dismiss_possible_opt_out(journal, review)
        assert replies.reply_tallies(journal)[one] == ReplyTally(3, 1, 0, 1)
