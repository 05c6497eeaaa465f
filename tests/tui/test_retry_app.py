"""Pilot tests: retries and follow-ups made from History (t, f), as a person makes them.

End to end against the sandbox: a campaign that really ended with failures (sent through
the real SDK), retried from History; Review plans only the people a second try can reach;
SEND texts exactly those, once each (counted in the sandbox's own list); the campaign is
linked to its parent and History says "retry of". Then, on journals alone: a campaign with
nothing to retry says so in one sentence (no review of nobody), one not over is refused, and a
follow-up's choice of who disables the reply kinds where no reply was ever collected, then
opens Compose on the chosen people with the parent's columns.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from engine_support import numbers, run
from test_app_scale import Gate
from textual.widgets import DataTable, OptionList, Static
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from campaigns.store import journal as J
from tui.app import SmscastApp
from tui.screens.follow_up import FollowUpDialog

#: Failures end with 30003, 30005, 30006 or 30007: only 30003 (the handset was unreachable)
#: is worth a second try. A full account: nobody is left out as unverified.
CONFIG = SandboxConfig(trial=False, speedup=1000.0, undelivered_share=0.4, failed_share=0.2, seed=5)
#: Receipts arrive within milliseconds here: sweep for them every 50-200 ms, not 1-15 s.
SWEEPS = {"sweep_first": 0.05, "sweep_cap": 0.2}
FAST = EngineOptions(rate=None, concurrency=4, track_seconds=30.0, **SWEEPS)
#: What the parent was planned with (the retry's defaults): no sending window, so the test
#: passes at any hour.
SETTINGS = {
    "quiet_hours": "off",
    "verified_only": "off",
    "region": "US",
    "columns": ["name", "phone"],
}


def _parent(journal: J.Journal, people: list[str], sender: str = "+15017122661") -> str:
    """A campaign of `people` from the file people.csv (columns name, phone), not sent yet."""
    return journal.create_campaign(
        template="Hello {name}",
        source_name="/data/people.csv",
        source_sha256="e" * 64,
        sender=sender,
        messaging_service_sid=None,
        settings=SETTINGS,
        recipients=[
            J.NewRecipient(row, to, f"Hello P{row}", 1, 0.0079, {"name": f"P{row}", "phone": to})
            for row, to in enumerate(people, start=2)
        ],
    )


def _app(tmp_path: Path, sandbox: Sandbox | None) -> SmscastApp:
    return SmscastApp(
        settings=sandbox_settings(sandbox, tmp_path),
        db_path=tmp_path / "journal.db",
        engine_options=FAST,
        quiet_hours=False,
    )


def _text(app: SmscastApp, selector: str) -> str:
    return " ".join(str(app.screen.query_one(selector, Static).render()).split())


async def test_retry_from_history_reviews_only_the_failed_and_sends_them_once(
    tmp_path: Path,
) -> None:
    people = numbers(20, 71_000)
    with Sandbox(CONFIG) as sandbox:
        with J.Journal.open(tmp_path / "journal.db") as journal:
            parent = _parent(journal, people)
            await run(sandbox, journal, parent, track_seconds=30, **SWEEPS)
            assert journal.campaign(parent).state == J.FINISHED
            outcomes = journal.recipients(parent)
        retryable = {r.to for r in outcomes if r.error_code == 30003}
        others = {r.to for r in outcomes if r.status != "delivered"} - retryable
        assert retryable and others  # failures of both kinds: only the first are retried

        app = _app(tmp_path, sandbox)
        async with app.run_test(size=(100, 30)) as pilot:
            assert await until(pilot, lambda: app.draft.account is not None)
            await pilot.press("7")
            table = app.screen.query_one("#campaigns", DataTable)
            assert await until(pilot, lambda: table.row_count == 1)
            await pilot.press("t")
            assert await until(
                pilot, lambda: app.current_mode == "review" and app.draft.plan is not None
            )
            plan = app.draft.plan
            assert {m.to for m in plan.messages} == retryable
            assert {m.body for m in plan.messages} <= {f"Hello P{n}" for n in range(2, 22)}
            assert app.draft.sender == "+15017122661"  # the parent's
            summary = _text(app, "#review-summary")
            assert f"Retry of {parent}: {len(retryable)} of its 20 recipient(s) chosen" in summary
            assert f"Messages: {len(retryable)}," in summary

            await pilot.press("s", *"SEND", "enter")
            assert await until(pilot, lambda: app.runner is not None)
            assert await until(
                pilot, lambda: app.send_screen.state == "finished" and not app.draft.sending
            )
            # exactly the retryable once more, nobody else
            texted = Counter(m["to"] for m in sandbox.messages())
            assert texted == Counter(people) + Counter(retryable)

            await pilot.press("7")
            table = app.screen.query_one("#campaigns", DataTable)
            assert await until(pilot, lambda: table.row_count == 2)
            with J.Journal.open(tmp_path / "journal.db") as journal:
                (retry,) = journal.children(parent)
            assert (retry.kind, retry.template, retry.sender) == (
                "retry",
                "Hello {name}",
                "+15017122661",
            )
            assert table.get_row(retry.id)[6] == f"retry {parent.rsplit('-', 1)[-1]}"
            table.move_cursor(row=table.get_row_index(retry.id))
            await pilot.pause()
            assert f"Retry of {parent}" in _text(app, "#campaign-detail")

            # the same retry of the parent again: Review says so (the repeat check by parent)
            table.move_cursor(row=table.get_row_index(parent))
            await pilot.press("t")
            assert await until(
                pilot, lambda: app.current_mode == "review" and app.repeat is not None
            )
            summary = _text(app, "#review-summary")
            assert "Already in the journal:" in summary and f"retry of {parent}" in summary


def _ended(journal: J.Journal, outcomes: list[tuple[str, int | None]]) -> str:
    """A finished campaign whose rows (2, 3, ...) ended as `outcomes` (status, error code)."""
    cid = _parent(journal, [f"+1415555{row:04d}" for row in range(2, 2 + len(outcomes))])
    journal.apply(
        cid,
        outcomes=[
            J.Outcome(row, status, error_code=code)
            for row, (status, code) in enumerate(outcomes, start=2)
        ],
    )
    journal.set_state(cid, J.FINISHED)
    return cid


async def test_nothing_to_retry_and_a_follow_up_without_replies(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with J.Journal.open(db) as journal:
        ended = _ended(journal, [("delivered", None), ("undelivered", 30006), ("failed", 30007)])
        unfinished = _parent(journal, ["+14155550199"])  # planned, never sent: not over
    app = _app(tmp_path, None)  # no account: replies were never collected
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("7")
        table = app.screen.query_one("#campaigns", DataTable)
        assert await until(pilot, lambda: table.row_count == 2)

        table.move_cursor(row=table.get_row_index(unfinished))
        await pilot.press("t")
        assert await until(pilot, lambda: "is not over" in _toasts(app))
        assert app.current_mode == "history" and app.draft.book is None

        table.move_cursor(row=table.get_row_index(ended))
        await pilot.press("t")
        assert await until(pilot, lambda: "Nothing to retry" in _toasts(app))
        sentence = next(t for t in _toast_list(app) if "Nothing to retry" in t)
        assert sentence.count(". ") == 0 and "30006" in sentence  # one sentence, and why
        assert app.current_mode == "history" and app.draft.derived is None

        await pilot.press("f")
        assert await until(
            pilot, lambda: isinstance(app.screen, FollowUpDialog) and app.screen.choices
        )
        options = app.screen.query_one("#follow-up-choices", OptionList)
        disabled = {
            options.get_option_at_index(i).id: options.get_option_at_index(i).disabled
            for i in range(options.option_count)
        }
        assert disabled == {
            "delivered": False,
            "failed": False,
            "replied": True,
            "no-reply": True,
            "opted-in": True,
        }
        assert "no replies were collected" in str(options.get_option("replied").prompt)
        assert options.highlighted == 0
        await pilot.press("down", "enter")  # failed
        assert await until(
            pilot, lambda: app.current_mode == "compose" and app.draft.audience is not None
        )
        draft = app.draft
        assert draft.derived is not None and draft.derived.kind == "follow-up"
        assert [c.row for c in draft.book.contacts] == [3, 4]
        assert draft.book.columns == ["name", "phone"]
        assert draft.template_text == ""
        assert "Write its message above" in _text(app, "#preview-head")
        assert f"Follow-up of {ended}: 2 of its 3 recipient(s) chosen" in _text(
            app, "#preview-head"
        )


def _toast_list(app: SmscastApp) -> list[str]:
    return [" ".join(str(n.message).split()) for n in app._notifications]


def _toasts(app: SmscastApp) -> str:
    return " | ".join(_toast_list(app))


async def test_the_persons_latest_action_wins_over_a_slow_retry(tmp_path: Path) -> None:
    """t, then (while the retry's people are still read) a contacts file or f: the file, or
    the follow-up dialog, stays; the late retry neither replaces the draft nor leaves for
    Review. And a file opened before t, read after the retry, is dropped."""
    with J.Journal.open(tmp_path / "journal.db") as journal:
        ended = _ended(journal, [("undelivered", 30003), ("delivered", None)])
    contacts = tmp_path / "mine.csv"
    contacts.write_text("name,phone\nAna,+14155550101\nBen,+14155550102\n", encoding="utf-8")
    gate = Gate()
    app = _app(tmp_path, None)
    app.before_work = gate
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("7")
            table = app.screen.query_one("#campaigns", DataTable)
            assert await until(pilot, lambda: table.row_count == 1)

            gate.held = {"derive"}
            await pilot.press("t")  # the retry's worker is slow...
            assert await until(pilot, lambda: gate.count("derive") == 1)
            app.load_contacts(str(contacts))  # ...and another file is opened meanwhile
            assert await until(pilot, lambda: app.draft.book is not None)
            gate.release("derive", 0)
            await pilot.pause(0.3)
            assert app.draft.derived is None and app.current_mode == "history"
            assert [c.fields["name"] for c in app.draft.book.contacts] == ["Ana", "Ben"]

            await pilot.press("t")  # a slow retry again, then f
            assert await until(pilot, lambda: gate.count("derive") == 2)
            await pilot.press("f")
            assert await until(pilot, lambda: isinstance(app.screen, FollowUpDialog))
            gate.release("derive", 1)
            await pilot.pause(0.3)
            assert isinstance(app.screen, FollowUpDialog) and app.draft.derived is None
            await pilot.press("escape")

            gate.held = {"contacts"}  # a file opened first, read last: the retry wins
            app.load_contacts(str(contacts))
            assert await until(pilot, lambda: gate.count("contacts") == 1)
            gate.held = set()
            await pilot.press("t")
            assert await until(pilot, lambda: app.current_mode == "review")
            gate.release("contacts", 0)
            await pilot.pause(0.3)
            derived = app.draft.derived
            assert derived is not None and derived.kind == "retry"
            assert derived.source.parent.id == ended
            assert [c.row for c in app.draft.book.contacts] == [2]
    finally:
        gate.open()
