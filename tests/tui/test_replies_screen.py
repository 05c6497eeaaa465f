"""The Replies screen (view 8) with Pilot, against the sandbox through the real SDK: people
text back (`Sandbox.receive`, as from a phone), the screen collects and lists their threads
with unread marks, filters them by kind, confirms and dismisses possible opt-outs with one
key each, sends a reply from a thread exactly once, and draws a hostile body literally."""

from __future__ import annotations

import re
from pathlib import Path

from engine_support import gateway_for
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable
from tui_support import sandbox_settings, until

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation.keywords import ReplyKind
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import Engine, EngineOptions
from campaigns.store.journal import Journal, NewRecipient
from tui.app import SmscastApp
from tui.replies_state import KINDS
from tui.screens.replies import RepliesScreen

RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "\x1b]0;owned\x07[bold red]x[@click=app.quit] ok\x1b[2J"
PEOPLE = {  # row -> (number, name, what they answer)
    2: ("+14155550100", "Ann Lee", "Who is this? How did you get my number?"),
    3: ("+14155550101", "Bo Diaz", "stop texting me"),
    4: ("+14155550102", "Cy Ito", "remove me please"),
    5: ("+14155550103", "Di Roy", HOSTILE),
    6: ("+14155550104", "Ed Kim", "HELP"),
}


def drawn(widget: Widget) -> str:
    """Every line the widget draws, as text."""
    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def sent_campaign(sb: Sandbox, db: Path) -> str:
    """A campaign to PEOPLE, sent through the engine; then each person answers."""
    with Journal.open(db) as journal:
        cid = journal.create_campaign(
            template="Hi {name}, see you Friday. Reply STOP to opt out.",
            source_name="people.csv",
            source_sha256="0" * 64,
            sender=sb.phone_number,
            messaging_service_sid=None,
            settings={},
            recipients=[
                NewRecipient(
                    row,
                    phone,
                    f"Hi {name}, see you Friday. Reply STOP to opt out.",
                    1,
                    0.0079,
                    fields={"name": name, "phone": phone},
                )
                for row, (phone, name, _) in PEOPLE.items()
            ],
        )
        engine = Engine(gateway_for(sb), journal, cid, EngineOptions(track_seconds=0))
        await engine.run(lambda _event: None)
    for phone, _, answer in PEOPLE.values():
        sb.receive(phone, sb.phone_number, answer)
    return cid


def test_the_kind_filter_offers_every_kind_of_the_core() -> None:
    assert set(KINDS) == {None, *ReplyKind}


async def test_replies_screen_filter_decide_reply_and_hostile_text(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with Sandbox(SandboxConfig(trial=False, speedup=1000.0)) as sb:
        cid = await sent_campaign(sb, db)
        app = SmscastApp(settings=sandbox_settings(sb, tmp_path), db_path=db)
        async with app.run_test(size=(100, 30)) as pilot:
            inbox = app.inbox
            await pilot.press("8")  # opens Replies on the newest campaign; collects at once
            assert await until(
                pilot, lambda: inbox.page is not None and len(inbox.page.threads) == len(PEOPLE)
            )
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RepliesScreen) and inbox.campaign_id == cid
            table = screen.query_one("#threads", DataTable)
            # newest first; the one highlighted is read at once, the others keep their mark
            shown = drawn(table)
            assert shown.count("●") == len(PEOPLE) - 1
            first = inbox.page.threads[0].thread
            with Journal.open(db) as journal:
                assert await until(pilot, lambda: journal.reply(first.latest.sid).read_at)
                assert sum(r.read_at is None for r in journal.replies(cid)) == len(PEOPLE) - 1
            assert await until(pilot, lambda: inbox.tallies[cid].unread == len(PEOPLE) - 1)
            # the hostile body is drawn with its controls visible and its markup as typed, in
            # the table (cut at 100 columns) and whole in the thread's detail
            assert RAW.search(shown) is None
            assert "\\x1b]0;owned\\x07[bold red]x[@click=" in shown
            rows = [t.thread.row for t in inbox.page.threads]
            await pilot.press(*["down"] * rows.index(5))
            await pilot.pause()
            detail = drawn(screen.query_one("#thread-detail"))
            assert RAW.search(detail) is None
            assert "\\x1b]0;owned\\x07[bold red]x[@click=app.quit] ok\\x1b[2J" in detail
            assert "Row 5 · Di Roy · +14155550103" in detail
            assert "Sent (queued): Hi Di Roy, see you Friday. Reply STOP to opt out." in detail
            assert "Cells: name=Di Roy, phone=+14155550103" in detail  # the recipient's row
            summary = drawn(screen.query_one("#replies-summary"))
            assert f"Campaign {cid}: 5 replies from 5 people" in summary
            assert "2 to review" in summary

            # k: only the possible opt-outs ("stop texting me", "remove me please")
            await pilot.press("k")
            assert await until(
                pilot,
                lambda: (
                    inbox.page is not None
                    and inbox.page.kind == "possible-opt-out"
                    and {t.thread.row for t in inbox.page.threads} == {3, 4}
                ),
            )
            await pilot.pause()
            assert "Possible opt-out: y if they mean stop" in drawn(
                screen.query_one("#thread-detail")
            )
            rows = [t.thread.row for t in inbox.page.threads]
            # y on the first: on the suppression list; n on the other: marked, not listed
            await pilot.press("y")
            yes, no = PEOPLE[rows[0]][0], PEOPLE[rows[1]][0]  # type: ignore[index]
            with SuppressionList(db) as suppressions:
                assert await until(pilot, lambda: yes in suppressions.numbers())
            await pilot.press("down", "n")
            with Journal.open(db) as journal:

                def decided() -> bool:
                    actions = {r.from_number: r.action for r in journal.replies(cid)}
                    return actions[yes] == "confirmed" and actions[no] == "dismissed"

                assert await until(pilot, decided)
            with SuppressionList(db) as suppressions:
                assert no not in suppressions.numbers()
            # both decided: still of their kind, nothing left to review
            assert await until(
                pilot,
                lambda: (
                    inbox.page is not None
                    and len(inbox.page.threads) == 2
                    and not any(t.thread.to_review for t in inbox.page.threads)
                ),
            )
            await pilot.pause()
            assert "to review" not in drawn(screen.query_one("#replies-summary"))
            assert "?" not in drawn(table)

            # back to every thread; reply to Ann's question from her thread
            while inbox.kind is not None:
                await pilot.press("k")
            assert await until(
                pilot,
                lambda: (
                    inbox.page is not None
                    and inbox.page.kind is None
                    and len(inbox.page.threads) == len(PEOPLE)
                ),
            )
            keys = [t.thread.row for t in inbox.page.threads]
            await pilot.press(*["down"] * keys.index(2), "a")
            await pilot.press(*"See you at 5.", "enter")
            ann = PEOPLE[2][0]

            def answered() -> bool:
                return any(
                    m["body"].endswith("See you at 5.") and m["from"] == sb.phone_number
                    for m in sb.messages(to=ann)
                )

            assert await until(pilot, answered)
            assert await until(pilot, lambda: not inbox.replying)
            with Journal.open(db) as journal:
                out = journal.outbound_replies(cid, 2)
                assert [(o.body, o.sid is not None) for o in out] == [("See you at 5.", True)]
            assert await until(pilot, lambda: "you (" in drawn(screen.query_one("#thread-detail")))
            # exactly one message with that text reached Twilio
            assert sum(m["body"].endswith("See you at 5.") for m in sb.messages(to=ann)) == 1

            # a new reply, then g: it is collected and listed, marked unread
            sb.receive(PEOPLE[6][0], sb.phone_number, "Thanks!")
            await pilot.press("escape", "g")
            assert await until(
                pilot,
                lambda: (
                    inbox.page is not None
                    and sum(len(t.thread.replies) for t in inbox.page.threads) == len(PEOPLE) + 1
                ),
            )
            assert inbox.tallies[cid].total == len(PEOPLE) + 1
