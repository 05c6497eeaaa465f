"""Pilot tests: confirming on Review a plan the journal already holds (the same file and
template) does not start a second campaign. The app shows the campaign and offers to resume
it (or open it, when it is over); a new campaign needs its own key. Against the sandbox, which
is checked for how many messages each number got."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_flow import CONTACTS, FAST, SLOW, VERIFIED, compose_and_send, make_app, sent_to
from textual.widgets import Static
from tui_support import until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store.journal import Journal
from tui.screens.review import RepeatDialog


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(speedup=50)) as running:
        yield running


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    return path


async def confirm_again(app, pilot) -> RepeatDialog:
    """Back on Review, type SEND and Enter: the dialog about the same campaign opens."""
    await pilot.press("5")
    assert await until(pilot, lambda: app.current_mode == "review")
    await pilot.press("s", *"SEND", "enter")
    assert await until(pilot, lambda: isinstance(app.screen, RepeatDialog))
    return app.screen


def campaigns(tmp_path: Path) -> list[str]:
    with Journal.open(tmp_path / "journal.db") as journal:
        return [c.id for c in journal.campaigns()]


async def test_confirming_a_paused_campaign_again_offers_to_resume_it(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, SLOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        first = app.draft.campaign_id
        assert await until(pilot, lambda: app.send_screen.state == "running")
        await pilot.press("p")
        assert await until(pilot, lambda: app.send_screen.state == "paused")
        await pilot.press("ctrl+q")  # quit mid-campaign: paused, resumable
        assert await until(pilot, lambda: app.screen.query("#yes"))
        await pilot.press("y")
    texted = sum(sent_to(sandbox).values())
    assert texted < len(VERIFIED)

    reopened = make_app(sandbox, tmp_path, contacts, FAST)  # the person starts over
    async with reopened.run_test(size=(100, 30)) as pilot:
        await compose_and_send_again(reopened, pilot)
        summary = str(reopened.screen.query_one("#review-summary", Static).render())
        assert f"Already in the journal: Campaign {first}" in summary
        dialog = await confirm_again(reopened, pilot)
        assert "paused" in str(dialog.query_one("#repeat-text", Static).render())
        assert dialog.query("#resume") and not dialog.query("#open")
        await pilot.press("escape")  # back: nothing sent, no campaign created
        assert await until(pilot, lambda: not isinstance(reopened.screen, RepeatDialog))
        assert not reopened.draft.sending and campaigns(tmp_path) == [first]
        assert sum(sent_to(sandbox).values()) == texted

        await confirm_again(reopened, pilot)
        await pilot.press("r")  # resume THAT campaign
        assert await until(pilot, lambda: reopened.draft.campaign_id == first)
        screen = reopened.send_screen
        assert await until(pilot, lambda: screen.state == "finished" and not reopened.draft.sending)
    assert campaigns(tmp_path) == [first]
    assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 1))


async def compose_and_send_again(app, pilot) -> None:
    """compose_and_send up to Review, without confirming (the same file and template)."""
    from test_flow import TEMPLATE
    from textual.widgets import TextArea

    assert await until(pilot, lambda: app.draft.audience is not None)
    await pilot.press("4")
    app.screen.query_one("#template", TextArea).text = TEMPLATE
    assert await until(
        pilot,
        lambda: (
            app.draft.plan is not None
            and app.draft.plan.messages[0].body.startswith("Hi Ana, your order")
        ),
    )
    await pilot.press("5")
    assert await until(pilot, lambda: getattr(app.repeat_of(app.draft.plan), "campaign", None))
    assert await until(pilot, lambda: bool(app.screen.query("#confirm")))
    app.refresh_screen()


async def test_a_finished_campaign_again_needs_the_new_campaign_key(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = make_app(sandbox, tmp_path, contacts, FAST)
    async with app.run_test(size=(100, 30)) as pilot:
        await compose_and_send(app, pilot)
        first = app.draft.campaign_id
        screen = app.send_screen
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
        dialog = await confirm_again(app, pilot)
        text = str(dialog.query_one("#repeat-text", Static).render())
        assert f"{len(VERIFIED)} of the {len(VERIFIED)} you are about to text would get" in text
        assert dialog.query("#open") and not dialog.query("#resume")
        assert dialog.query_one("#open").has_focus  # Enter is never "send again"
        await pilot.press("r")  # no resuming what is over: the dialog stays
        assert isinstance(app.screen, RepeatDialog) and campaigns(tmp_path) == [first]
        await pilot.press("a")  # deliberately: a new campaign
        assert await until(pilot, lambda: app.draft.campaign_id not in (None, first))
        assert await until(pilot, lambda: screen.state == "finished" and not app.draft.sending)
    assert len(campaigns(tmp_path)) == 2
    assert sent_to(sandbox) == Counter(dict.fromkeys(VERIFIED, 2))
