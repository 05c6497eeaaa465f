"""The reply collector against the sandbox through the real SDK: replies stored once by SID
(across a restart too), matched to the latest campaign that texted the number from that
sender, unmatched ones kept, opt-outs on the suppression list at once, opt-ins lifting only a
keyword's entry, paging across many replies, one request per idle sender."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import campaign, gateway_for, numbers, open_journal, run

from campaigns.audience.suppression import SOURCE_MANUAL, SOURCE_OPT_OUT, SuppressionList
from campaigns.conversation.collector import collect
from campaigns.pipeline import replies
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store import journal as J

OTHER_SENDER = "+15017122662"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(trial=False, speedup=1000.0)) as running:
        yield running


def _sent(sb: Sandbox, journal: J.Journal, to: list[str], **kwargs: object) -> J.Campaign:
    cid = campaign(journal, to, **kwargs)  # type: ignore[arg-type]
    asyncio.run(run(sb, journal, cid))
    return journal.campaign(cid)


def test_collect_matches_stores_once_and_acts(sb: Sandbox, tmp_path: Path) -> None:
    people = numbers(4)
    stranger = "+14155559999"
    with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
        sent = _sent(sb, journal, people)
        sb.receive(people[0], sb.phone_number, "STOP")
        sb.receive(people[1], sb.phone_number, "Who is this?")
        sb.receive(people[2], sb.phone_number, "stop texting me")
        sb.receive(stranger, sb.phone_number, "hello?")
        gateway = gateway_for(sb)
        found = collect(journal, gateway, suppressions, [sent])
        assert len(found.stored) == 4 and found.requests == 1
        by_from = {r.from_number: r for r in found.stored}
        assert by_from[people[0]].kind == "opt-out" and by_from[people[0]].row == 2
        assert by_from[people[1]].kind == "reply" and by_from[people[1]].campaign_id == sent.id
        assert by_from[people[2]].kind == "possible-opt-out"
        assert by_from[stranger].campaign_id is None and by_from[stranger].row is None
        entry = suppressions.get(people[0])
        assert entry is not None and entry.source == SOURCE_OPT_OUT
        assert entry.campaign_id == sent.id and "STOP" in entry.reason
        assert people[2] not in suppressions  # a possible opt-out is never acted on silently
        actions = {a.phone: a.action for a in found.actions}
        assert actions == {people[0]: "suppressed", people[2]: "review"}
        again = collect(journal, gateway, suppressions, [sent])
        assert (again.stored, again.requests) == ((), 1)  # idle: one request, nothing twice
    with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
        sb.receive(people[3], sb.phone_number, "See you there")
        restarted = collect(journal, gateway_for(sb), suppressions, [journal.campaign(sent.id)])
        assert [r.from_number for r in restarted.stored] == [people[3]]
        assert (
            len(journal.replies(sent.id)) == 4 and len(journal.replies(None, unmatched=True)) == 1
        )
        thread = replies.threads(journal, sent.id, kind="possible-opt-out")
        assert [t.phone for t in thread] == [people[2]] and thread[0].to_review
        decided = replies.confirm_possible_opt_out(journal, suppressions, thread[0].latest.sid)
        assert decided.action == "confirmed" and people[2] in suppressions


def test_the_21610_loop_and_opt_in_after_opt_out(sb: Sandbox, tmp_path: Path) -> None:
    person, kept = numbers(2, start=100)
    with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
        first = _sent(sb, journal, [person, kept])
        gateway = gateway_for(sb)
        sb.receive(person, sb.phone_number, "Stop")
        suppressions.add(kept, "asked by phone", None, SOURCE_MANUAL)
        sb.receive(kept, sb.phone_number, "START")
        collect(journal, gateway, suppressions, [first])
        assert person in suppressions
        # Twilio now refuses: the engine's 21610 is consistent with the list.
        again = _sent(sb, journal, [person])
        assert journal.recipients(again.id)[0].error_code == 21610
        sb.receive(person, sb.phone_number, "START")
        found = collect(journal, gateway, suppressions, [first, again])
        assert person not in suppressions
        assert kept in suppressions  # a person's entry: never removed by a keyword
        assert {a.phone: a.action for a in found.actions} == {person: "lifted"}
        assert [h.change for h in suppressions.history(person)] == ["added", "removed"]
        assert [h.change for h in suppressions.history(kept)] == ["kept"]
        third = _sent(sb, journal, [person])
        assert journal.recipients(third.id)[0].status in J.SENT_STATUSES | {"delivered"}


def test_a_reply_goes_to_the_latest_campaign_that_texted_the_number_from_that_sender(
    sb: Sandbox, tmp_path: Path
) -> None:
    person = numbers(1, start=200)[0]
    with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
        older = _sent(sb, journal, [person])
        newer = _sent(sb, journal, [person])
        elsewhere = _sent(sb, journal, [person], sender=OTHER_SENDER)  # latest, other number
        sb.receive(person, sb.phone_number, "which one is this about?")
        sb.receive(person, OTHER_SENDER, "and this one?")
        found = collect(journal, gateway_for(sb), suppressions, [older, newer, elsewhere])
        assert found.requests == 2  # one per sender
        matched = {r.to_number: r.campaign_id for r in found.stored}
        assert matched == {sb.phone_number: newer.id, OTHER_SENDER: elsewhere.id}
        assert replies.reply_counts(journal, newer.id).total == 1
        assert replies.reply_counts(journal, older.id).total == 0


def test_paging_across_many_replies(sb: Sandbox, tmp_path: Path) -> None:
    people = numbers(2_300, start=1_000)
    with open_journal(tmp_path) as journal, SuppressionList(journal.path) as suppressions:
        sent = _sent(sb, journal, people[:3])
        for n, person in enumerate(people):
            sb.receive(person, sb.phone_number, f"reply {n}")
        gateway = gateway_for(sb)
        found = collect(journal, gateway, suppressions, [sent])
        assert len(found.stored) == len(people) and found.requests == 3  # PageSize 1000
        assert len({r.sid for r in found.stored}) == len(people)
        idle = collect(journal, gateway, suppressions, [sent])
        assert (len(idle.stored), idle.requests) == (0, 1)
