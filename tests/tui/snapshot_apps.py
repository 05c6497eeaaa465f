"""Deterministic apps for the snapshot tests and the documentation screenshots.

A snapshot must be byte-identical on every run and every machine, so everything the screens
show that would otherwise vary is fixed here, and only here:

- the sandbox (the real `campaigns.sandbox.Sandbox`, the demo's seeded configuration) gets a
  fixed account SID and Messaging Service SID instead of random ones;
- the message SIDs the sandbox hands out come from a counter (`counting_sids`), and the engine
  sends one message at a time, so the same recipient always gets the same SID;
- nobody answers on their own (the demo's scripted replies are off): the Replies snapshots'
  people text back through `text_back`, at times of the fixed `REPLY_CLOCK`;
- the journal's clock and campaign-id suffix are fixed (`fixed_journal_clock`): the app cannot
  be given a clock, and the History and Send screens show the campaign's id and creation time;
- the contacts file is `sample_contacts.csv` copied into the working directory and given by
  its relative name, so the path shown does not depend on where the checkout lives.

`prepare(...)` applies all of that and returns a ready `SmscastApp`; the `goto_*` coroutines
drive it with the keyboard (`pilot.press`), waiting (bounded, never timed) until each screen
has the data it shows.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tui_support import until

from campaigns.config.settings import load_settings
from campaigns.pipeline.demo import demo_numbers, demo_sandbox_config
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.send.engine import EngineOptions
from tui.app import SmscastApp

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_contacts.csv"
CONTACTS_NAME = "sample_contacts.csv"
ACCOUNT_SID = "AC" + "5a17" * 8
AUTH_TOKEN = "0123456789abcdef" * 2
SERVICE_SID = "MG" + "5e7c" * 8
#: The instant every journal timestamp takes (the campaign's id is derived from it).
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
CAMPAIGN_SUFFIX = "c0ffee"
#: A config file that does not exist, named the same on every machine (the help text shows it).
NO_CONFIG = Path("/nonexistent/smscast/config.toml")
#: One request at a time: message SIDs are handed out in file order.
ENGINE = EngineOptions(rate=None, concurrency=1, track_seconds=30.0)


def snapshot_sandbox_config() -> SandboxConfig:
    """The demo's trial account (seeded outcomes, verified share, speed-up) with fixed SIDs,
    and no scripted replies (when they came would vary the counts on Send and History)."""
    config = demo_sandbox_config(demo_numbers(SAMPLE))
    return replace(
        config,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        messaging_service_sid=SERVICE_SID,
        reply_share=0.0,
    )


class FixedClock:
    """A stand-in for the `time` module of the sandbox's inbound side: Twilio's `date_sent`
    of each text a person sends is `now` (a test moves it), not the moment the test ran."""

    def __init__(self, now: datetime) -> None:
        self.now = now.timestamp()

    def time(self) -> float:
        return self.now


#: When the snapshots' people text back (`text_back` moves it a minute per text).
REPLY_CLOCK = FixedClock(FIXED_NOW)


def counting_sids() -> Callable[[str], str]:
    """A stand-in for the sandbox's random `new_sid`: prefix + a 32-hex-digit counter."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):032x}"


@contextmanager
def deterministic(workdir: Path) -> Iterator[None]:
    """Fix the journal clock, the campaign-id suffix and the message SIDs; work in `workdir`
    with a copy of the sample contacts. Everything is restored on exit."""
    import os

    import campaigns.sandbox.api_v2010 as api_v2010
    import campaigns.sandbox.inbound as inbound
    import campaigns.store.journal as journal

    # The sandbox's modules that mint message SIDs (creates; inbound texts and confirmations).
    minting = (api_v2010, inbound)
    saved = (journal.now_utc, journal.secrets, Path.cwd())
    saved_sids = [module.new_sid for module in minting]
    saved_clock = inbound.time
    inbound.time = REPLY_CLOCK  # type: ignore[assignment]
    journal.now_utc = lambda: FIXED_NOW  # type: ignore[assignment]
    journal.secrets = SimpleNamespace(token_hex=lambda n: CAMPAIGN_SUFFIX[: 2 * n])  # type: ignore[assignment]
    sids = counting_sids()
    for module in minting:
        module.new_sid = sids  # type: ignore[assignment]
    shutil.copyfile(SAMPLE, workdir / CONTACTS_NAME)
    os.chdir(workdir)
    try:
        yield
    finally:
        journal.now_utc, journal.secrets = saved[:2]  # type: ignore[assignment]
        for module, original in zip(minting, saved_sids, strict=True):
            module.new_sid = original  # type: ignore[assignment]
        inbound.time = saved_clock  # type: ignore[assignment]
        os.chdir(saved[2])


def settings_for(sandbox: Sandbox | None, data_dir: Path) -> Any:
    """Settings for the sandbox (None: no credentials at all), ignoring env, .env and config."""
    credentials = (
        {}
        if sandbox is None
        else {
            "account_sid": sandbox.account_sid,
            "auth_token": sandbox.auth_token,
            "base_url": sandbox.base_url,
        }
    )
    return load_settings(
        **credentials,
        data_dir=data_dir,
        db_path=data_dir / "demo.db",
        config_path=NO_CONFIG,
        env={},
        cwd=data_dir,
    )


@contextmanager
def demo_app(workdir: Path, *, credentials: bool = True) -> Iterator[SmscastApp]:
    """The app as `smscast demo` opens it (demo mode, sample contacts loaded), made
    deterministic; without `credentials`, the unconfigured app on the Account screen."""
    with ExitStack() as stack:
        stack.enter_context(deterministic(workdir))
        if not credentials:
            settings = settings_for(None, workdir)
            yield SmscastApp(settings=settings, db_path=workdir / "demo.db")
            return
        sandbox = stack.enter_context(Sandbox(snapshot_sandbox_config()))
        settings = settings_for(sandbox, workdir)
        yield SmscastApp(
            settings=settings,
            contacts_file=CONTACTS_NAME,
            db_path=settings.db_path,
            demo=True,
            engine_options=ENGINE,
        )


# -- driving ----------------------------------------------------------------------------------


def no_blink(app: SmscastApp) -> None:
    """Turn off cursor blinking on the visible screen (a blinking cursor is not stable)."""
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def settle(pilot: Any) -> None:
    """Let pending refreshes and animations finish."""
    no_blink(pilot.app)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.pause()


async def loaded(pilot: Any) -> None:
    """Wait until the account, contacts, audience and plan are all known."""
    app: SmscastApp = pilot.app
    draft = app.draft

    def ready() -> bool:
        """account, contacts, audience and plan loaded"""
        return (
            draft.account is not None
            and draft.book is not None
            and draft.audience is not None
            and draft.plan is not None
        )

    assert await until(pilot, ready), f"the app never reached: {ready.__doc__}"


async def goto(pilot: Any, key: str, mode: str) -> None:
    """Press a step's number key and wait for its screen."""
    await pilot.press(key)
    app: SmscastApp = pilot.app

    def shown() -> bool:
        """the screen switched"""
        return app.current_mode == mode

    assert await until(pilot, shown), f"the app never reached: {shown.__doc__}"
    await settle(pilot)


async def goto_account(pilot: Any) -> None:
    """Account, with the sender and verified numbers loaded."""
    await loaded(pilot)
    await goto(pilot, "1", "account")


async def goto_missing_credentials(pilot: Any) -> None:
    """The unconfigured app's Account screen (how to set credentials, and the demo)."""
    await settle(pilot)


async def goto_contacts(pilot: Any) -> None:
    """Contacts, with the sample file read and its problems listed."""
    await loaded(pilot)
    await goto(pilot, "2", "contacts")


async def goto_audience(pilot: Any) -> None:
    """Audience, filters counted."""
    await loaded(pilot)
    await goto(pilot, "3", "audience")


async def goto_compose(pilot: Any) -> None:
    """Compose, the default template previewed for the first contact."""
    await loaded(pilot)
    await goto(pilot, "4", "compose")


async def goto_review(pilot: Any) -> None:
    """Review, nothing typed yet."""
    await loaded(pilot)
    await goto(pilot, "5", "review")


async def send_all(pilot: Any) -> str:
    """Confirm the campaign on Review (s, SEND, Enter) and wait for it to finish."""
    app: SmscastApp = pilot.app
    await goto_review(pilot)
    await pilot.press("s", *"SEND", "enter")

    def finished() -> bool:
        """the campaign finished sending"""
        screen = app.send_screen
        return (
            screen is not None
            and app.runner is not None
            and not app.draft.sending
            and screen.state == "finished"
        )

    assert await until(pilot, finished), f"the app never reached: {finished.__doc__}"
    return str(app.draft.campaign_id)


async def goto_history(pilot: Any) -> None:
    """History after one finished campaign."""
    app: SmscastApp = pilot.app
    campaign_id = await send_all(pilot)
    await goto(pilot, "7", "history")

    def listed() -> bool:
        """History lists the finished campaign"""
        rows = app.draft.history
        return [(r.campaign.id, r.campaign.state) for r in rows] == [(campaign_id, "finished")]

    assert await until(pilot, listed), f"the app never reached: {listed.__doc__}"
    await settle(pilot)


async def goto_send_finished(pilot: Any) -> None:
    """Send: the finished campaign opened from History (Enter), its statuses from the journal.

    Opened from History rather than watched live so the rate (a measurement) is not shown.
    """
    app: SmscastApp = pilot.app
    await goto_history(pilot)
    await pilot.press("enter")

    def opened() -> bool:
        """the Send screen shows the campaign read back from the journal"""
        screen = app.send_screen
        return (
            app.current_mode == "send"
            and screen is not None
            and screen.campaign_id == app.draft.campaign_id
            and screen.rate is None
            and screen.state == "finished"
        )

    assert await until(pilot, opened), f"the app never reached: {opened.__doc__}"
    await settle(pilot)


async def goto_follow_up_choice(pilot: Any) -> None:
    """History's f on the finished campaign: who gets a follow-up, each kind with its count,
    the ones nobody fits (no replies: the demo's people answer nothing here) disabled."""
    from tui.screens.follow_up import FollowUpDialog

    app: SmscastApp = pilot.app
    await goto_history(pilot)
    await pilot.press("f")

    def asked() -> bool:
        """the choice of who is shown, with the counts"""
        return isinstance(app.screen, FollowUpDialog) and bool(app.screen.choices)

    assert await until(pilot, asked), f"the app never reached: {asked.__doc__}"
    await settle(pilot)


# -- replies ----------------------------------------------------------------------------------

#: Who texts back in the Replies snapshots, in this order, one minute apart: (row, number of
#: the sample contacts, body). Rows 2, 5, 6 and 14 are delivered in the demo's seeded account.
REPLIES: tuple[tuple[int, str, str], ...] = (
    (2, "+14155552671", "Who is this? How did you get my number?"),
    (5, "+16465553198", "STOP"),
    (6, "+15145557723", "stop texting me"),
    (14, "+33781234567", "Thanks, see you there! \x1b[31m<3"),
)


@contextmanager
def replies_app(workdir: Path) -> Iterator[tuple[SmscastApp, Sandbox]]:
    """`demo_app`, and its sandbox (for `text_back`)."""
    with ExitStack() as stack:
        stack.enter_context(deterministic(workdir))
        sandbox = stack.enter_context(Sandbox(snapshot_sandbox_config()))
        settings = settings_for(sandbox, workdir)
        app = SmscastApp(
            settings=settings,
            contacts_file=CONTACTS_NAME,
            db_path=settings.db_path,
            demo=True,
            engine_options=ENGINE,
        )
        yield app, sandbox


def text_back(sandbox: Sandbox) -> None:
    """The people of `REPLIES` answer, 11 minutes after the campaign, one minute apart."""
    for minute, (_, person, body) in enumerate(REPLIES, start=11):
        REPLY_CLOCK.now = FIXED_NOW.timestamp() + 60 * minute
        sandbox.receive(person, sandbox.phone_number, body)


def goto_replies(sandbox: Sandbox) -> Callable[[Any], Awaitable[None]]:
    """Replies after the finished campaign: everyone in `REPLIES` answered; 8 opens the
    screen, which collects them. The highlighted (newest) thread is read, the others not."""

    async def drive(pilot: Any) -> None:
        app: SmscastApp = pilot.app
        campaign_id = await send_all(pilot)
        # The app polls for replies after a run: hold its polls (one at a time: none is under
        # way while the flag is down) until everyone has answered, so one poll finds them all
        # and the screen opens on the newest, never on the newest of a first few.
        assert await until(pilot, lambda: not app.inbox.collecting)
        app.inbox.collecting = True
        text_back(sandbox)
        app.inbox.collecting = False
        await goto(pilot, "8", "replies")

        def listed() -> bool:
            """Replies lists every thread, the counts are read, no poll is under way"""
            page, inbox = app.inbox.page, app.inbox
            tally = inbox.tallies.get(campaign_id)
            return (
                page is not None
                and len(page.threads) == len(REPLIES)
                and tally is not None
                and tally.unread == len(REPLIES) - 1
                and not inbox.collecting
            )

        assert await until(pilot, listed), f"the app never reached: {listed.__doc__}"
        app.clear_notifications()  # the toast saying they came
        await settle(pilot)

    return drive
