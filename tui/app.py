"""`SmscastApp`: the Textual face of smscast, and `run_app`, its entry point.

The app owns the state (`tui.state.Draft`) and changes it only on the event loop, in message
handlers. Everything that may block (reading a CSV, Twilio calls, journal queries, the engine)
runs in thread workers that post `tui.messages` back. Screens are thin: they lay out widgets,
read the draft in `sync()` and call the app's `choose_*` / `start_*` methods.

Each of the seven steps is a Textual mode, so each screen keeps its state while the person
moves between them with the keys 1-7 (or the command palette).

Over 500 lines as one module on purpose: it is the one `App` class, and the state changes
only in its message handlers (the rule above); screens, widgets, workers' bodies (`tui.core`)
and messages live in their own modules.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from campaigns.errors import SmscastError
from campaigns.store.statuses import ENDED_STATES, CampaignState
from tui import messages as msg
from tui.commands import SmscastCommands
from tui.engine_runner import EngineRunner
from tui.errors_text import describe_error
from tui.replies_state import Inbox
from tui.screens.account import AccountScreen
from tui.screens.audience import AudienceScreen
from tui.screens.base import StepScreen
from tui.screens.compose import ComposeScreen
from tui.screens.contacts import ContactsScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.follow_up import FollowUpDialog
from tui.screens.history import HistoryScreen
from tui.screens.replies import RepliesScreen, new_replies_text
from tui.screens.review import RepeatDialog, ReviewScreen
from tui.screens.send import SendScreen, recipient_row
from tui.state import STEPS, Draft

if TYPE_CHECKING:  # the workers import the core when they run: the app opens first
    from campaigns.audience.filters import Audience
    from campaigns.audience.subsets import Who
    from campaigns.compose.plan import Plan
    from campaigns.compose.template import Template
    from campaigns.config.settings import Settings
    from campaigns.conversation.collector import Collected
    from campaigns.pipeline.demo import DemoEnvironment
    from campaigns.pipeline.line_types import LookupPlan
    from campaigns.pipeline.repeats import Repeat
    from campaigns.send.engine import EngineOptions
    from tui.replies_core import ThreadView

#: How often buffered engine events are applied to the screen (at most 4 Hz).
DRAIN_INTERVAL = 0.25
#: Seconds of quiet typing in the template (or between filter toggles) before the totals are
#: worked out again (the preview follows each key at once; a key typed meanwhile cancels the
#: plan under way).
PLAN_DELAY = 0.15
#: Seconds between two polls for replies while nothing is sending, on the Replies screen and
#: for `REPLY_TAIL` seconds after a run (as `smscast replies --watch` polls; one request per
#: sender each time: 60 requests in the quarter of an hour after a send).
REPLY_WATCH = 15.0
#: After a run ends here, its replies are still polled this long: people answer in the
#: minutes after a text arrives, often after its delivery tracking is over.
REPLY_TAIL = 15 * 60.0
#: The same during and after the demo's campaign: its sandbox is sped up twenty times, so its
#: people answer two seconds after delivery.
DEMO_REPLY_INTERVAL = 2.0


class SmscastApp(App[int]):
    """The whole campaign flow: account, contacts, audience, compose, review, send, history."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "smscast"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {SmscastCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "account": AccountScreen,
        "contacts": ContactsScreen,
        "audience": AudienceScreen,
        "compose": ComposeScreen,
        "review": ReviewScreen,
        "send": SendScreen,
        "history": HistoryScreen,
        "replies": RepliesScreen,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(i), f"go('{name}')", title, show=False, id=f"go-{name}")
            for i, (name, title) in enumerate(STEPS, start=1)
        ),
        Binding("8", "show_replies", "Replies", show=False, id="go-replies"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        contacts_file: str | os.PathLike[str] | None = None,
        db_path: str | os.PathLike[str] | None = None,
        demo: bool = False,
        engine_options: EngineOptions | None = None,
        quiet_hours: bool | None = None,
        settings_flags: Mapping[str, str] | None = None,
    ) -> None:
        """`settings` None = `load_settings()`; `db_path` overrides the journal's location;
        `engine_options` (an `EngineOptions`) replaces the default pacing (tests, benchmarks);
        `quiet_hours` starts the quiet-hours filter on or off (None: on, except in the demo,
        which must finish whatever the time of day).
        """
        super().__init__()
        self.settings = settings
        self.settings_flags = dict(settings_flags or {})  # for `load_settings` on mount
        self.settings_error: str | None = None
        self.contacts_file = str(contacts_file) if contacts_file else None
        self.db_path = Path(db_path) if db_path else None
        self.demo = demo
        self._quit_while_starting = False
        self.draft = Draft()
        self.draft.filters.quiet_hours = (not demo) if quiet_hours is None else quiet_hours
        self.base_engine_options = engine_options
        self.runner: EngineRunner | None = None
        self.last_export: str | None = None
        #: (plan, `campaigns.pipeline.repeats.Repeat`): what the journal already did with that
        #: plan's
        #: file, template and people, for Review (`check_repeat`).
        self.repeat: tuple[Plan | None, Repeat] | None = None
        #: Review's schedule line for `draft.schedule_text` (`schedule_changed`).
        self.schedule_info = ""
        #: A campaign whose held messages are canceled once its engine here has stopped.
        self._cancel_after_stop: str | None = None
        self._drain_timer: Timer | None = None
        self._callback_error: object = None  # the runner's failed CallbackCount, once said
        self._demo_env: DemoEnvironment | None = None  # started from the Account screen
        #: The Send screen registers itself here on mount (it keeps its table while hidden).
        self.send_screen: SendScreen | None = None
        self._plan_timer: Timer | None = None
        #: Called in the worker thread as the loading ("contacts"), audience ("audience"),
        #: plan ("plan") or retry/follow-up ("derive") work starts, with its name: a seam for
        #: tests to hold work mid-flight.
        self.before_work: Callable[[str], None] | None = None
        self.inbox = Inbox()  # the Replies screen and the reply counts (`tui.replies_state`)
        #: The person's latest retry, follow-up (from the moment f is pressed) or contacts file:
        #: a retry's or follow-up's people read late, after a newer one of these, are dropped.
        self._derive_generation = 0

    # ----------------------------------------------------------------- start-up

    @property
    def live_settings(self) -> Settings:
        """The settings, for work that talks to Twilio: a sentence (ConfigError) without them
        (they failed to load, and the app said why when it opened)."""
        if self.settings is None:
            from campaigns.errors import ConfigError

            raise ConfigError(
                "No settings are loaded, so smscast cannot reach Twilio.",
                "Check your config file and .env, then start smscast again.",
            )
        return self.settings

    def on_load(self) -> None:
        """Before Textual replaces `sys.stderr` (its stand-in has no file descriptor, which
        multiprocessing's helpers need): start what parallel contacts checking uses."""
        from tui.core import prepare_contacts_loading

        prepare_contacts_loading()

    def on_mount(self) -> None:
        """Load settings, then open on Contacts (a file was given) or on Account."""
        if self.settings is None:
            try:
                from campaigns.config.settings import load_settings

                flags = self.settings_flags
                self.settings = load_settings(
                    status_callback_url=flags.get("status_callback_url"),
                    listen_port=flags.get("listen_port"),
                    listen_host=flags.get("listen_host"),
                )
            except Exception as error:
                self.settings_error = describe_error(error, "Settings")
        self._notify_settings_warnings()
        if self.settings is not None and self.db_path is None:
            db = self.settings.db_path
            self.db_path = Path(db) if db else None
        self.switch_mode("contacts" if self.contacts_file else "account")
        if self.has_credentials:
            self.load_account()
        if self.contacts_file:
            self.load_contacts(self.contacts_file)
        self._drain_timer = self.set_interval(DRAIN_INTERVAL, self._drain_events, pause=True)
        self.set_interval(1.0, self._watch_replies)

    def _notify_settings_warnings(self) -> None:
        """The settings' warnings (a config file others can read, a bad `.env` line) as
        notices, as every command prints them on stderr."""
        from campaigns.secrets import scrub
        from campaigns.untrusted import visible

        for warning in self.settings.warnings if self.settings is not None else ():
            self.notify(visible(scrub(warning)), title="Settings", severity="warning", markup=False)

    @property
    def has_credentials(self) -> bool:
        """True when settings hold Twilio credentials (or the demo sandbox's)."""
        return self.settings is not None and self.settings.credentials is not None

    @property
    def region(self) -> str:
        """The settings' default region for numbers ("US" before settings are read)."""
        return (self.settings.region if self.settings is not None else "") or "US"

    def on_unmount(self) -> None:
        """Stop the engine (pausing the campaign) and the demo sandbox, if any."""
        if self.runner is not None:
            self.runner.stop()
        if self._demo_env is not None:
            self._demo_env.__exit__(None, None, None)
            self._demo_env = None

    # --------------------------------------------------------------- navigation
    def action_go(self, mode: str) -> None:
        """Show one of the seven steps."""
        if mode in self.MODES and self.current_mode != mode:
            self.switch_mode(mode)
            plan = self.draft.plan
            if mode == "review" and plan is not None and self.repeat_of(plan) is None:
                # Review's line about the journal, asked when it is seen: the check reads
                # every planned number (a million-row set), too much to redo at each edit.
                self.check_repeat()

    def refresh_screen(self) -> None:
        """Ask the visible screen to re-read the draft (not while starting or closing)."""
        try:
            screen = self.screen
        except ScreenStackError:
            return
        if isinstance(screen, StepScreen) and screen.is_mounted:  # (dialogs have no sync)
            try:
                screen.sync()
            except NoMatches:
                # A worker's answer (the history, reply counts) that lands while the app exits
                # finds the screen's widgets already gone: nothing left to refresh.
                if not self._exit:  # (Textual's flag, set by `exit()`)
                    raise

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (the screens' too: `Widget.notify` comes here) shows its lines through
        `campaigns.untrusted.visible`: errors and notices quote file names, cells and Twilio's
        answers, which must not act on the terminal. Callers that quote untrusted text pass
        `markup=False` (a `[` in a name is then drawn as it is)."""
        from tui.widgets.plain import plain_lines, visible

        super().notify(
            plain_lines(*str(message).split("\n")),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def fail(self, title: str, text: str) -> None:
        """Tell the person what went wrong and what to do next."""
        self.notify(text, title=title, severity="error", timeout=10, markup=False)

    def report_failure(self, title: str, error: BaseException) -> None:
        """From a worker: tell the person that `title` (an `OPERATIONS` key) failed, truly."""
        self.post_message(msg.WorkFailed(title, describe_error(error, title)))

    def on_notice(self, message: msg.Notice) -> None:
        """A worker's news for the person."""
        self.notify(message.text, markup=False)

    def on_work_failed(self, message: msg.WorkFailed) -> None:
        """A worker reported an error."""
        if message.title == "Account":
            self.on_account_failed(message.text)
        if message.title == "Contacts":
            self.draft.loading = None
        self.fail(message.title, message.text)
        self.refresh_screen()

    # ------------------------------------------------------------------ account
    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def load_account(self) -> None:
        """Fetch the account, its senders and its verified numbers from Twilio."""
        try:
            from campaigns.twilio.gateway import TwilioGateway

            gateway = TwilioGateway(self.live_settings)
            try:
                account = gateway.account()
                verified = gateway.verified_numbers()
                registration = None
                # optional: needs the Messaging API (some API keys lack it)
                with contextlib.suppress(SmscastError):
                    registration = gateway.account_senders()
                if registration is not None:
                    senders = [s for s in registration.numbers if s.sms]
                    senders += [pool.as_sender() for pool in registration.services]
                else:
                    senders = [s for s in gateway.senders() if s.sms]
            finally:
                gateway.close()
        except Exception as error:
            self.report_failure("Account", error)
            return
        self.post_message(msg.AccountLoaded(account, senders, verified, registration))

    def on_account_failed(self, text: str) -> None:
        """Keep the reason the account could not be read, for the Account screen."""
        self.draft.account_error = text

    def on_account_loaded(self, message: msg.AccountLoaded) -> None:
        """Keep the account; pick the configured sender or the first SMS-capable one."""
        draft = self.draft
        draft.account_error = None
        draft.account, draft.senders, draft.verified, draft.account_senders = (
            message.account,
            message.senders,
            message.verified,
            message.registration,
        )
        if not draft.filters.verified_only_chosen:  # `auto`: on for trial accounts
            draft.filters.verified_only = draft.is_trial
        from campaigns.pipeline.sender import default_sender

        if draft.derived is None:  # a retry or follow-up keeps its parent's sender
            draft.sender = default_sender(self.settings, draft.senders, draft.sender)
        for warning in getattr(message.verified, "warnings", []) or []:
            self.notify(str(warning), title="Verified numbers", severity="warning", markup=False)
        self.refresh_screen()
        self.rebuild_audience()

    def choose_sender(self, address: str | None) -> None:
        """The sender (a number or a Messaging Service SID) the campaign will use; the
        audience is recounted: who the sender can reach (US registration) depends on it."""
        changed = self.draft.sender != address
        self.draft.sender = address
        self.refresh_screen()
        if changed and self.draft.book is not None:
            self.rebuild_audience()

    def start_demo(self) -> None:
        """Start the built-in sandbox and use it as the account (offered when unconfigured)."""
        if self._demo_env is not None:
            return
        self.notify("Starting the demo sandbox...", markup=False)
        self._start_demo_worker()

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _start_demo_worker(self) -> None:
        try:
            from campaigns.pipeline.demo import DemoEnvironment

            env = DemoEnvironment.start(contacts_file=self.contacts_file)
        except Exception as error:
            self.report_failure("Demo", error)
            return
        self.post_message(msg.DemoStarted(env, env.contacts_file))

    def on_demo_started(self, message: msg.DemoStarted) -> None:
        """Point the app at the demo sandbox and its journal, then load its contacts."""
        env = message.settings
        self._demo_env = env
        self.settings = env.settings
        self.db_path = Path(env.settings.db_path)
        self.demo = True
        self.draft.filters.quiet_hours = False
        self.load_account()
        if message.contacts_file and self.draft.book is None:
            self.contacts_file = message.contacts_file
            self.load_contacts(message.contacts_file)
        self.refresh_screen()

    # ----------------------------------------------------------------- contacts
    def load_contacts(self, path: str, phone_column: str | None = None) -> None:
        """Read a contacts file in a worker (`LoadProgress` tells each stage); `ContactsLoaded`
        follows."""
        self.contacts_file = path
        self.draft.load_generation += 1
        self._derive_generation += 1  # a retry or follow-up still being read is dropped
        self.draft.loading = "reading the file"
        self.refresh_screen()
        self._load_contacts_worker(path, phone_column, self.draft.load_generation)

    @work(thread=True, exclusive=True, group="contacts", exit_on_error=False)
    def _load_contacts_worker(self, path: str, phone_column: str | None, generation: int) -> None:
        def progress(stage: str) -> None:
            self.post_message(msg.LoadProgress(stage, generation))

        try:
            if self.before_work is not None:
                self.before_work("contacts")
            from tui.core import load_contacts_for

            book = load_contacts_for(path, self.region, phone_column, progress)
        except Exception as error:
            if generation == self.draft.load_generation:
                self.report_failure("Contacts", error)
            return
        self.post_message(msg.ContactsLoaded(book, generation))

    def on_load_progress(self, message: msg.LoadProgress) -> None:
        """Say which stage of reading the file is under way."""
        if message.generation == self.draft.load_generation and self.draft.loading:
            self.draft.loading = message.stage
            self.refresh_screen()

    def on_contacts_loaded(self, message: msg.ContactsLoaded) -> None:
        """Keep the book and recount the audience."""
        if message.generation != self.draft.load_generation:
            return  # another file was opened meanwhile
        self.draft.loading = None
        self.draft.book = message.book
        self.draft.derived = None  # a file of its own: no longer a retry or follow-up
        self.draft.preview_index = 0
        self.draft.audience = None
        self.draft.audience_builder = None
        self.draft.plan = None
        self.draft.line_types = None  # another file's numbers: looked up again if asked
        self.draft.filters.line_types = False
        self._parse_template()
        self.refresh_screen()
        self.rebuild_audience()

    # ----------------------------------------------------------------- audience
    def set_filters(self, **changes: bool) -> None:
        """Change audience filters (verified_only, suppression, quiet_hours, line_types) and
        recount. Turning line types on the first time asks Twilio Lookup, after a yes."""
        for key, value in changes.items():
            setattr(self.draft.filters, key, value)
        if "verified_only" in changes:
            self.draft.filters.verified_only_chosen = True
        if changes.get("line_types") and self.draft.line_types is None:
            self._price_lookup()
            return
        self.rebuild_audience()

    # -------------------------------------------------------------- line types
    def _price_lookup(self) -> None:
        """What a lookup of the audience costs, in a worker; the question follows."""
        audience = self.draft.audience
        if audience is None:
            self.draft.filters.line_types = False
            self.post_message(msg.Notice("Count the audience first, then look up line types."))
            return
        self._lookup_plan_worker(audience)

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def _lookup_plan_worker(self, audience: Audience) -> None:
        try:
            from tui.core import lookup_plan_for

            plan = lookup_plan_for(audience, self.db_path)
        except Exception as error:
            self.call_from_thread(self._lookup_declined)
            self.report_failure("Lookup", error)
            return
        self.post_message(msg.LookupPriced(plan))

    def on_lookup_priced(self, message: msg.LookupPriced) -> None:
        """Ask before anything is billed (nothing to ask when every number is known)."""
        plan = message.plan
        if not plan.to_ask:
            self._lookup_worker(plan)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._lookup_worker(plan)
            else:
                self._lookup_declined()

        self.push_screen(ConfirmDialog(plan.question(), yes="Look up", no="Cancel"), answer)

    def _lookup_declined(self) -> None:
        self.draft.filters.line_types = False
        self.refresh_screen()

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def _lookup_worker(self, plan: LookupPlan) -> None:
        try:
            from tui.core import run_lookup_for

            found = run_lookup_for(self.settings, self.db_path, plan)
        except Exception as error:
            self.call_from_thread(self._lookup_declined)
            self.report_failure("Lookup", error)
            return
        self.post_message(msg.LineTypesFound(found))

    def on_line_types_found(self, message: msg.LineTypesFound) -> None:
        """Keep the line types and recount (the untextable ones leave the audience)."""
        self.draft.line_types = message.line_types
        self.rebuild_audience()

    def rebuild_audience(self) -> None:
        """Recount the audience for the current book and filters, in a worker. Until it is
        counted there is no audience and no plan (the screens say they are being counted):
        a recount under way for older filters is dropped."""
        draft = self.draft
        if draft.book is None:
            return
        draft.audience_generation += 1
        draft.audience = None
        self.rebuild_plan()  # (none until the audience is counted)
        self.refresh_screen()
        self._audience_worker(draft.audience_generation, draft.snapshot())

    def _stale(self, kind: str, generation: int) -> bool:
        """From a worker: has its work been replaced (cancelled, or newer inputs)?"""
        current = (
            self.draft.audience_generation if kind == "audience" else self.draft.plan_generation
        )
        return generation != current or get_current_worker().is_cancelled

    @work(thread=True, exclusive=True, group="audience", exit_on_error=False)
    def _audience_worker(self, generation: int, draft: Draft) -> None:
        try:
            if self.before_work is not None:
                self.before_work("audience")
            if self._stale("audience", generation):
                return
            from tui.core import build_audience_for

            builder, audience = build_audience_for(
                draft, draft.audience_builder, self.db_path, self.region
            )
        except Exception as error:
            self.report_failure("Audience", error)
            return
        if not self._stale("audience", generation):
            self.post_message(msg.AudienceBuilt(audience, generation, builder))

    def on_audience_built(self, message: msg.AudienceBuilt) -> None:
        """Keep the newest audience and re-plan."""
        if message.generation != self.draft.audience_generation:
            return
        self.draft.audience = message.audience
        self.draft.audience_builder = message.builder
        self.rebuild_plan(delay=PLAN_DELAY)  # (toggles in a row start one plan, not each)
        self.refresh_screen()

    # ------------------------------------------------------------------ compose
    def set_template(self, text: str) -> None:
        """The template changed in the editor (each key): parse it and show the preview now;
        the plan of the old template is dropped at once and the new one is built in a worker
        once typing pauses for `PLAN_DELAY`."""
        if text == self.draft.template_text:
            return
        self.draft.template_text = text
        self._parse_template()
        self.rebuild_plan(delay=PLAN_DELAY)
        self.refresh_screen()

    def _parse_template(self) -> None:
        draft = self.draft
        draft.template, draft.template_error = None, None
        if draft.book is None:
            return
        try:
            from campaigns.compose.template import Template

            draft.template = Template.parse(draft.template_text, draft.book.columns)
        except Exception as error:
            draft.template_error = describe_error(error, "Template")

    def rebuild_plan(self, delay: float = 0.0) -> None:
        """Build the plan (every recipient's message, segments and cost) in a worker, after
        `delay` seconds. The plan of older inputs is dropped now, and its worker stops."""
        draft = self.draft
        draft.plan_generation += 1
        draft.plan = None
        if self._plan_timer is not None:
            self._plan_timer.stop()
            self._plan_timer = None
        if draft.audience is None or draft.template is None:
            return
        if delay > 0:
            self._plan_timer = self.set_timer(delay, self._start_plan)
        else:
            self._start_plan()

    def _start_plan(self) -> None:
        self._plan_timer = None
        draft = self.draft
        if draft.audience is not None and draft.template is not None:
            self._plan_worker(
                draft.plan_generation, draft.audience, draft.template, draft.snapshot()
            )

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan_worker(
        self, generation: int, audience: Audience, template: Template, draft: Draft
    ) -> None:
        from campaigns.compose.plan import PlanCancelled

        try:
            if self.before_work is not None:
                self.before_work("plan")
            from tui.core import build_plan_for, draft_sender, pricing_for

            pricing = pricing_for(
                audience, self.settings, self.db_path, draft_sender(draft), draft.pricing
            )
            if self._stale("plan", generation):
                return
            plan = build_plan_for(
                audience,
                template,
                self.settings,
                pricing,
                lambda: self._stale("plan", generation),
            )
        except PlanCancelled:
            return
        except Exception as error:
            self.report_failure("Plan", error)
            return
        if not self._stale("plan", generation):
            self.post_message(msg.PlanBuilt(plan, generation, pricing))

    def on_plan_built(self, message: msg.PlanBuilt) -> None:
        """Keep the newest plan (and the prices it was costed with)."""
        if message.generation != self.draft.plan_generation:
            return
        self.draft.plan = message.plan
        self.draft.pricing = message.pricing
        self.refresh_screen()
        if self.current_mode == "review":  # (elsewhere: when Review is opened)
            self.check_repeat()

    def check_repeat(self) -> None:
        """Ask the journal, in a worker, whether the plan repeats a campaign (Review says so)."""
        draft = self.draft
        if draft.plan is None or draft.book is None or not draft.plan.messages:
            return
        self._repeat_worker(draft.snapshot())

    @work(thread=True, exclusive=True, group="repeat", exit_on_error=False)
    def _repeat_worker(self, draft: Draft) -> None:
        try:
            from tui.core import repeat_for

            repeat = repeat_for(draft, self.db_path)
        except Exception:  # Review's line is a courtesy; the start path checks for itself
            return
        self.call_from_thread(self._repeat_checked, draft.plan, repeat)

    def _repeat_checked(self, plan: Plan | None, repeat: Repeat) -> None:
        if plan is self.draft.plan:
            self.repeat = (plan, repeat)
            self.refresh_screen()

    def schedule_changed(self, text: str) -> None:
        """Review's "Send at" field changed: keep it, and read it against the plan in a
        worker (every recipient's time: not on the event loop)."""
        self.draft.schedule_text = text
        self._schedule_worker(self.draft.snapshot())

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def _schedule_worker(self, draft: Draft) -> None:
        try:
            from tui.core import schedule_line

            line = schedule_line(draft)
        except Exception as error:  # a courtesy line: the start path checks for itself
            line = f"Schedule: {error}"
        self.post_message(msg.ScheduleChecked(draft.schedule_text, line))

    def on_schedule_checked(self, message: msg.ScheduleChecked) -> None:
        """Keep the line for the text it was made for (a later text gets its own)."""
        if message.text == self.draft.schedule_text:
            self.schedule_info = message.line
            self.refresh_screen()

    def cancel_for_good(self, campaign_id: str) -> None:
        """Cancel a campaign that is not sending here, with every message Twilio holds for it
        (History's x, Send's c on a scheduled campaign); the caller asked first."""
        if self.draft.sending and campaign_id == self.draft.campaign_id:
            # The engine here ends it first; then what Twilio holds is canceled.
            self._cancel_after_stop = campaign_id
            self.cancel_campaign()
            return
        self.notify("Canceling...", markup=False)
        self._cancel_worker(campaign_id)

    @work(thread=True, exclusive=True, group="cancel", exit_on_error=False)
    def _cancel_worker(self, campaign_id: str) -> None:
        try:
            from tui.core import cancel_campaign_for

            text = cancel_campaign_for(self.live_settings, self.db_path, campaign_id)
        except Exception as error:
            self.report_failure("Cancel", error)
            return
        self.post_message(msg.Notice(text))
        self.call_from_thread(self._canceled, campaign_id)

    def _canceled(self, campaign_id: str) -> None:
        self.load_history()
        if self.draft.campaign_id == campaign_id:
            self._open_campaign_worker(campaign_id, start=False, options=None)

    def repeat_of(self, plan: Plan) -> Repeat | None:
        """The last `Repeat` found for `plan` (None: none known yet)."""
        if self.repeat is not None and self.repeat[0] is plan:
            return self.repeat[1]
        return None

    def step_preview(self, delta: int) -> None:
        """Show the previous or next contact's message in the preview."""
        audience = self.draft.audience
        count = len(audience.included) if audience is not None else 0
        if count:
            self.draft.preview_index = (self.draft.preview_index + delta) % count
        self.refresh_screen()

    # ------------------------------------------------------------------- send
    def start_campaign(self, canary: str | None = None, first_n: int | None = None) -> None:
        """Write the campaign to the journal and start the engine (Review's confirmation).

        `canary`: the person's own number, texted first; `first_n`: send that many first.
        Either way the engine then pauses until the person resumes (r on Send).
        """
        if self.draft.sending:
            self.notify("A campaign is already sending.", severity="warning")
            return
        if self.draft.plan is None or not self.draft.plan.messages:
            self.fail("Review", "There is nothing to send yet.\nLoad contacts and compose first.")
            return
        try:
            callback = self.callback_url()
        except Exception as error:  # the settings' callbacks cannot be used: say what to change
            self.fail("Send", describe_error(error, "Send"))
            return
        self.draft.sending = True
        options = self.engine_options(canary=(1 if canary else 0) + (first_n or 0))
        if callback is not None:
            options = replace(options, status_callback=callback)
        self._create_campaign_worker(self.draft.snapshot(), options, canary)

    def callback_url(self) -> str | None:
        """The status callback URL new campaigns give Twilio (the settings'
        `status_callback_url`), checked as `smscast send --status-callback` checks it; None:
        receipts come by sweeps. Raises an `InputError` / `ConfigError` saying what to change."""
        if self.settings is None:
            return None
        from campaigns.pipeline.listen import app_callbacks

        callbacks = app_callbacks(self.settings)
        return callbacks.url if callbacks is not None else None

    @work(thread=True, exclusive=True, group="campaign", exit_on_error=False)
    def _create_campaign_worker(
        self, draft: Draft, options: EngineOptions, canary: str | None, new_campaign: bool = False
    ) -> None:
        from campaigns.pipeline.repeats import RepeatCampaignError

        try:
            from tui.core import create_campaign_for

            campaign_id = create_campaign_for(
                draft,
                self.settings,
                self.db_path,
                options,
                canary=canary,
                new_campaign=new_campaign,
                rate=self.rate_choice,
            )
        except RepeatCampaignError as error:  # the same campaign is in the journal: ask
            self.call_from_thread(self._ask_about_repeat, draft.plan, error.repeat, options, canary)
            return
        except Exception as error:
            self.report_failure("Send", error)
            self.post_message(msg.EngineStopped(None))
            return
        self.post_message(msg.CampaignReady(campaign_id, options))

    def _ask_about_repeat(
        self, plan: Plan | None, repeat: Repeat, options: EngineOptions, canary: str | None
    ) -> None:
        """The journal holds the same campaign (as `smscast send` refuses it): show it, and
        resume or open it, start a new one anyway (a deliberate key), or go back."""
        self.draft.sending = False
        self.repeat = (plan, repeat)
        self.refresh_screen()
        assert repeat.campaign is not None  # asked only when the journal holds the campaign
        campaign_id = repeat.campaign.id

        def answer(choice: str | None) -> None:
            if choice == "resume":
                self.run_campaign(campaign_id)
            elif choice == "open":
                self.open_campaign(campaign_id)
            elif choice == "new" and not self.draft.sending:
                self.draft.sending = True
                self._create_campaign_worker(self.draft.snapshot(), options, canary, True)
            else:
                self.notify("Nothing was sent.", markup=False)

        self.push_screen(RepeatDialog(repeat), answer)

    def on_campaign_ready(self, message: msg.CampaignReady) -> None:
        """The campaign is in the journal: run the engine on it and show the Send screen."""
        self.run_campaign(message.campaign_id, message.options)

    @property
    def rate_choice(self) -> str:
        """The app's `--rate`: auto (the sender's throughput), but max in the demo, whose
        sandbox is sped up."""
        return "max" if self.demo else "auto"

    def engine_options(self, canary: int = 0, stored: Mapping[str, Any] | None = None) -> Any:
        """How the engine sends (`campaigns.pipeline.campaign.engine_options_for`, as the
        command line): a new campaign at `rate_choice`, a resumed one as its stored settings
        say."""
        from tui.core import new_campaign_options, stored_engine_options

        if self.base_engine_options is not None:
            return replace(self.base_engine_options, canary=canary)
        if stored is not None:
            return stored_engine_options(stored)
        return new_campaign_options(self.draft, self.rate_choice, canary)

    def run_campaign(self, campaign_id: str, options: EngineOptions | None = None) -> None:
        """Run (or resume) a journal campaign: load its recipients, then start the engine.

        `options` None: as the campaign's stored settings say (resuming from History).
        """
        if self.runner is not None and self.runner.running:
            self.notify("A campaign is already sending.", severity="warning")
            return
        self.draft.campaign_id = campaign_id
        self.draft.sending = True
        self._open_campaign_worker(campaign_id, start=True, options=options)

    def _start_runner(self, campaign_id: str, options: EngineOptions) -> None:
        self.runner = EngineRunner(
            settings=self.live_settings,
            db_path=self.db_path,
            campaign_id=campaign_id,
            options=options,
            on_stopped=lambda error: self.post_message(msg.EngineStopped(campaign_id, error)),
        )
        self._hear_replies(self.runner, campaign_id)
        self.runner.start()
        if self._drain_timer is not None:
            self._drain_timer.resume()

    def _drain_events(self) -> None:
        """Apply buffered engine events to the Send screen (runs at most 4 times a second)."""
        if self.runner is None:
            return
        events = self.runner.drain()
        if self.send_screen is None:
            return
        if events:
            self.send_screen.apply(events)
        callbacks = self.runner.callbacks
        if callbacks is not None and callbacks.error and callbacks is not self._callback_error:
            self._callback_error = callbacks
            said = (callbacks.error, callbacks.hint, "This campaign goes on; sweeps track it.")
            self.fail("Send", "\n".join(line for line in said if line))
        self._show_callbacks()

    def _show_callbacks(self) -> None:
        """The Send screen's callbacks line: the runner's count while its campaign is shown
        (after the run, the count says the listener stopped); hidden for any other campaign,
        whose receipts nobody here listens for."""
        if self.send_screen is None:
            return
        runner = self.runner
        count = None
        if runner is not None and self.send_screen.campaign_id == runner.campaign_id:
            count = runner.callbacks
        self.send_screen.show_callbacks(count)

    def on_engine_stopped(self, message: msg.EngineStopped) -> None:
        """The engine's thread ended: apply the last events, say how it ended."""
        self._drain_events()
        self.draft.sending = False
        if self._drain_timer is not None:
            self._drain_timer.pause()
        result = self.runner.result if self.runner is not None else None
        if self.send_screen is not None and message.campaign_id is not None:
            self.send_screen.engine_ended((result.state if result is not None else "") or "failed")
        if message.error:
            self.fail("Send", message.error)
        if self._cancel_after_stop is not None and self._cancel_after_stop == message.campaign_id:
            self._cancel_after_stop = None
            self._cancel_worker(message.campaign_id)
        self.refresh_screen()
        self.load_history()
        self.check_repeat()  # the plan on Review now repeats what was just sent
        if message.campaign_id is not None:  # replies keep coming after the run's last poll
            self.inbox.watched = message.campaign_id
            self.inbox.watch_until = time.monotonic() + REPLY_TAIL
            self.collect_replies(message.campaign_id)

    def pause_campaign(self) -> None:
        """Pause the running campaign (it stays resumable)."""
        if self.runner is not None and self.runner.running:
            self.runner.pause()

    def resume_campaign(self, campaign_id: str | None = None) -> None:
        """Resume the paused campaign, or start the engine on it again if it stopped."""
        if self.runner is not None and self.runner.running:
            self.runner.resume()
            if self.send_screen is not None:
                self.send_screen.resumed()
        elif (chosen := campaign_id or self.draft.campaign_id) is not None:
            self.run_campaign(chosen)

    def cancel_campaign(self) -> None:
        """Cancel the running campaign: nothing more is sent."""
        if self.runner is not None and self.runner.running:
            self.runner.cancel()

    # ---------------------------------------------------------------- history
    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load_history(self) -> None:
        """Read past campaigns from the journal."""
        try:
            from tui.core import list_campaigns

            campaigns = list_campaigns(self.db_path)
        except Exception as error:
            self.report_failure("History", error)
            return
        self.post_message(msg.HistoryLoaded(campaigns))

    def on_history_loaded(self, message: msg.HistoryLoaded) -> None:
        """Keep the campaign list."""
        self.draft.history = message.campaigns
        self.refresh_screen()
        self.load_reply_tallies()

    def open_campaign(self, campaign_id: str) -> None:
        """Show a past campaign on the Send screen's status table."""
        if self.draft.sending and campaign_id != self.draft.campaign_id:
            self.notify("Another campaign is sending; open this one when it ends.")
            return
        if self.draft.sending:
            self.action_go("send")
            return
        self.draft.campaign_id = campaign_id
        self._open_campaign_worker(campaign_id, start=False, options=None)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open_campaign_worker(
        self, campaign_id: str, *, start: bool, options: EngineOptions | None
    ) -> None:
        """Read the campaign and its recipients; with `start`, the engine starts afterwards."""
        try:
            from campaigns.send.schedule import Schedule
            from tui.core import campaign_info, campaign_recipients

            recipients = [recipient_row(r) for r in campaign_recipients(self.db_path, campaign_id)]
            campaign = campaign_info(self.db_path, campaign_id)
            if start and options is None:
                options = self.engine_options(stored=campaign.settings)
            schedule = Schedule.from_json(campaign.schedule)
        except Exception as error:
            self.report_failure("History", error)
            if start:
                self.post_message(msg.EngineStopped(campaign_id, None))
            return
        self.post_message(
            msg.CampaignOpened(
                campaign_id,
                recipients,
                campaign.state,
                options if start else None,
                schedule.describe() if schedule is not None else "",
            )
        )

    def on_campaign_opened(self, message: msg.CampaignOpened) -> None:
        """Show the campaign's recipients on the Send screen; start the engine if asked."""
        self.action_go("send")
        self.call_after_refresh(self._show_opened, message)
        if message.options is None:  # opened or refreshed: History's counts may have moved
            self.load_history()

    def _show_opened(self, message: msg.CampaignOpened) -> None:
        if self.send_screen is not None:
            state = CampaignState.RUNNING if message.options is not None else message.state
            self.send_screen.show_recipients(
                message.campaign_id, message.recipients, state, message.schedule
            )
        if message.options is not None:
            self._start_runner(message.campaign_id, message.options)
        self._show_callbacks()  # (the drain timer is paused when no run is under way)

    def refresh_statuses(self, campaign_id: str) -> None:
        """Ask Twilio for the latest delivery status of a campaign's messages."""
        self.notify("Refreshing delivery statuses...", markup=False)
        self._refresh_worker(campaign_id)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh_worker(self, campaign_id: str) -> None:
        try:
            from tui.core import campaign_info, campaign_recipients, refresh_statuses

            changed = refresh_statuses(self.live_settings, self.db_path, campaign_id)
            recipients = [recipient_row(r) for r in campaign_recipients(self.db_path, campaign_id)]
            state = campaign_info(self.db_path, campaign_id).state
        except Exception as error:
            self.report_failure("Refresh", error)
            return
        self.post_message(msg.CampaignOpened(campaign_id, recipients, state, None))
        self.post_message(msg.Notice(f"Delivery statuses refreshed: {changed} changed."))

    def export_campaign(self, campaign_id: str, path: str | None = None) -> None:
        """Export a campaign's results to CSV: by default next to the contacts file; in the
        demo into the current directory (as `smscast export` does), since the demo's contacts
        are usually the bundled sample inside the package and its journal is temporary."""
        folder = None
        if self.demo:
            try:
                folder = Path.cwd()
            except OSError:  # the directory was removed: the fallback (home) takes it
                folder = self._export_dir()
        self._export_worker(campaign_id, path, folder)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export_worker(self, campaign_id: str, path: str | None, folder: Path | None) -> None:
        try:
            from tui.core import export_campaign

            written = export_campaign(
                self.db_path, campaign_id, path, self._export_dir(), folder=folder
            )
        except Exception as error:
            self.report_failure("Export", error)
            return
        self.post_message(msg.ExportDone(str(written)))

    def export_current(self) -> None:
        """Export the campaign on the Send screen (the palette's "Export results")."""
        if self.draft.campaign_id is None:
            self.notify("No campaign yet: send one, or open one from History (7).")
            return
        self.export_campaign(self.draft.campaign_id)

    def _export_dir(self) -> Path:
        """Where exports go when the chosen folder cannot take them: the journal's folder, or
        in the demo (whose journal is removed on quit) the home directory."""
        if self.demo:
            return Path.home()
        if self.db_path is not None:
            return self.db_path.parent
        return Path(getattr(self.settings, "data_dir", None) or Path.home())

    def on_export_done(self, message: msg.ExportDone) -> None:
        """Say where the results went."""
        self.last_export = message.path
        self.notify(f"Results exported to {message.path}", title="Export", markup=False)

    # ---------------------------------------------------- retries and follow-ups
    def retry_campaign(self, campaign_id: str | None = None) -> None:
        """History's t (the palette's "Retry failed"): the people of `campaign_id` (None: the
        one highlighted on History or shown on Send) whose failure a second try can change
        become the draft, with its template and sender, and the person lands on Review."""
        chosen = self._derive_from(campaign_id)
        if chosen is not None:
            self.notify(f"Choosing whom to retry in {chosen}...", markup=False, timeout=3)
            self._derive_generation += 1
            self._retry_worker(chosen, self._derive_generation)

    @work(thread=True, exclusive=True, group="derive", exit_on_error=False)
    def _retry_worker(self, campaign_id: str, generation: int) -> None:
        try:
            if self.before_work is not None:
                self.before_work("derive")
            from tui.core import retry_for

            derived = retry_for(self.db_path, campaign_id, self.region)
        except Exception as error:
            if generation == self._derive_generation:  # (not for one asked for before)
                self.report_failure("Retry", error)
            return
        self.post_message(msg.DerivedReady(derived, generation))

    def follow_up_campaign(self, campaign_id: str | None = None) -> None:
        """History's f (the palette's "Follow up..."): ask who gets a follow-up of
        `campaign_id` (the five kinds with their counts, in a worker: replies are collected
        first), then Compose on those people, then Review."""
        chosen = self._derive_from(campaign_id)
        if chosen is None:
            return
        dialog = FollowUpDialog(chosen)  # at once: "counting its people..."
        self._derive_generation += 1  # a retry still being read is dropped: f came later

        def answered(who: str | None) -> None:
            if who is not None and not self.draft.sending:
                self._derive_generation += 1
                self._follow_up_worker(
                    dialog.campaign_id, cast("Who", who), self._derive_generation
                )

        self.push_screen(dialog, answered)
        self._choices_worker(dialog)

    @work(thread=True, exclusive=True, group="derive", exit_on_error=False)
    def _choices_worker(self, dialog: FollowUpDialog) -> None:
        try:
            from tui.core import follow_up_choices_for

            _, choices = follow_up_choices_for(
                self.settings, self.db_path, dialog.campaign_id, self.region
            )
        except Exception as error:
            self.call_from_thread(self._close_follow_up, dialog)
            self.report_failure("Follow-up", error)
            return
        self.post_message(msg.FollowUpChoicesRead(dialog, choices))

    def _close_follow_up(self, dialog: FollowUpDialog) -> None:
        if dialog.is_current:
            dialog.dismiss(None)

    def on_follow_up_choices_read(self, message: msg.FollowUpChoicesRead) -> None:
        """Show the choices in the dialog that asked (unless the person left it)."""
        if message.dialog.is_current:
            message.dialog.show_choices(message.choices)
        self.load_reply_tallies()  # (replies were collected first: History's counts)

    @work(thread=True, exclusive=True, group="derive", exit_on_error=False)
    def _follow_up_worker(self, campaign_id: str, who: Who, generation: int) -> None:
        try:
            if self.before_work is not None:
                self.before_work("derive")
            from tui.core import follow_up_for

            derived = follow_up_for(self.settings, self.db_path, campaign_id, who, self.region)
        except Exception as error:
            if generation == self._derive_generation:  # (not for one asked for before)
                self.report_failure("Follow-up", error)
            return
        self.post_message(msg.DerivedReady(derived, generation))

    def _derive_from(self, campaign_id: str | None) -> str | None:
        """The campaign a retry or follow-up is made from (given; else highlighted on
        History, shown on Send, the last one here), or None once the person was told why
        none can be: nothing to start from, a send under way, a campaign not over."""
        screen = self.screen
        if campaign_id is None and isinstance(screen, HistoryScreen):
            campaign_id = screen.selected_id()
        elif campaign_id is None and isinstance(screen, SendScreen):
            campaign_id = screen.campaign_id
        chosen = campaign_id or self.draft.campaign_id
        if chosen is None:
            self.notify("No campaign to start from: pick one on History (7).", markup=False)
            return None
        if self.draft.sending:
            self.notify("A campaign is sending: start from this one when it ends.", markup=False)
            return None
        row = next((r for r in self.draft.history if r.campaign.id == chosen), None)
        if row is not None and row.campaign.state not in ENDED_STATES:
            self.notify(
                f"Campaign {chosen} is not over ({row.state or row.campaign.state}): its "
                "outcomes are not final yet. Resume it (r) or cancel it (x) on History first.",
                markup=False,
            )
            return None
        return chosen

    def on_derived_ready(self, message: msg.DerivedReady) -> None:
        """The retry's or follow-up's people become the draft (book, template, sender, the
        parent's filters and the link), and the person goes on to Review (a retry) or
        Compose (a follow-up: its new message), exactly as for a new campaign. A subset of
        nobody is said in one sentence instead."""
        if message.generation != self._derive_generation:
            return  # another retry or follow-up was asked for since
        derived = message.derived
        source = derived.source
        if not source.subset.rows:
            self.notify(source.nothing_chosen(), title=derived.kind.capitalize(), markup=False)
            return
        if self.draft.sending:  # (started while the people were being read)
            return
        draft = self.draft
        draft.load_generation += 1  # a contacts file still being read is dropped
        draft.loading = None
        draft.derived = derived
        draft.book = source.book
        draft.preview_index = 0
        draft.audience = None
        draft.audience_builder = None
        draft.plan = None
        draft.line_types = None
        draft.sender = derived.sender
        draft.filters.take(derived.filters, trial=draft.is_trial)
        draft.template_text = derived.template_text
        self.repeat = None
        self._parse_template()  # (the screen gone to says whom it chose: no toast)
        self.rebuild_audience()
        self.action_go("review" if derived.kind == "retry" else "compose")
        self.refresh_screen()

    # ---------------------------------------------------------------- replies
    def action_show_replies(self) -> None:
        """Show the Replies screen (key 8): for the campaign highlighted on History or shown
        on Send, else the one chosen before, else the newest."""
        screen = self.screen
        chosen = None
        if isinstance(screen, HistoryScreen):
            chosen = screen.selected_id()
        elif isinstance(screen, SendScreen):
            chosen = screen.campaign_id
        self.show_replies(chosen)

    def show_replies(self, campaign_id: str | None = None) -> None:
        """Show the replies to `campaign_id` (None: as `action_show_replies` says), read from
        the journal at once, then ask Twilio for new ones."""
        inbox = self.inbox
        wanted = campaign_id or inbox.chosen or self.draft.campaign_id
        if wanted != inbox.campaign_id:
            inbox.page = None  # another campaign: "Reading..." rather than the last one's
        inbox.chosen = wanted
        self.action_go("replies")
        self.load_replies()
        self.collect_replies()

    def show_next_campaign_replies(self) -> None:
        """The replies to the next campaign in History (newest first, wrapping)."""
        ids = [row.campaign.id for row in self.draft.history]
        if not ids:
            self.notify("No other campaign in the journal.", markup=False)
            return
        current = self.inbox.campaign_id
        following = ids[(ids.index(current) + 1) % len(ids)] if current in ids else ids[0]
        self.show_replies(following)

    def filter_replies(self, kind: str | None) -> None:
        """Show only threads with a reply of `kind` (None: every thread)."""
        self.inbox.kind = kind
        self.notify(f"Showing: {kind or 'every thread'}", markup=False, timeout=2)
        self.load_replies()

    def load_replies(self) -> None:
        """Read the chosen campaign's threads from the journal, in a worker."""
        inbox = self.inbox
        inbox.generation += 1
        self._replies_worker(inbox.generation, inbox.chosen, inbox.kind)

    @work(thread=True, exclusive=True, group="replies", exit_on_error=False)
    def _replies_worker(self, generation: int, campaign_id: str | None, kind: str | None) -> None:
        try:
            from tui.replies_core import load_threads

            page = load_threads(self.db_path, campaign_id, kind, self.region)
        except Exception as error:
            self.report_failure("Replies", error)
            return
        self.post_message(msg.RepliesLoaded(page, generation))

    def on_replies_loaded(self, message: msg.RepliesLoaded) -> None:
        """Keep the newest page of threads."""
        if message.generation != self.inbox.generation:
            return
        self.inbox.page = message.page
        if self.inbox.chosen is None:
            self.inbox.chosen = message.page.campaign_id
        self.refresh_screen()

    def collect_replies(self, campaign_id: str | None = None, *, announce: bool = False) -> None:
        """Ask Twilio for new replies to `campaign_id` (None: the one on the Replies screen),
        one poll at a time; not during a send, whose own poller does it (`EngineRunner`)."""
        inbox = self.inbox
        chosen = campaign_id or inbox.campaign_id
        if not self.has_credentials or chosen is None:
            if announce:
                self.notify("Replies are read from Twilio: no account is set up.", markup=False)
            return
        if self.runner is not None and self.runner.running:
            if announce:
                self.notify("Replies are collected during the send, every few seconds.")
            return
        if inbox.collecting:
            return
        inbox.collecting = True
        inbox.polled_at = time.monotonic()
        self._collect_worker(chosen, announce)

    @work(thread=True, exclusive=True, group="collect", exit_on_error=False)
    def _collect_worker(self, campaign_id: str, announce: bool) -> None:
        try:
            from tui.replies_core import collect

            found = collect(self.live_settings, self.db_path, campaign_id)
        except Exception as error:
            self.call_from_thread(self._collect_failed, describe_error(error, "Replies"), announce)
            return
        self.post_message(msg.RepliesCollected(campaign_id, found))
        if announce and not found.stored:
            self.post_message(msg.Notice("No new replies."))

    def _collect_failed(self, text: str, announce: bool) -> None:
        """A poll failed: asked for (g), the person is told; the screen's own polling just
        shows it on the summary line and tries again later."""
        self.inbox.collecting = False
        self.inbox.collect_error = text
        if announce:
            self.fail("Replies", text)
        self.refresh_screen()

    def _hear_replies(self, runner: EngineRunner, campaign_id: str) -> None:
        """Have the engine runner's poller tell the app of new replies. Its callback runs on
        the poller's thread: it only posts a message."""

        def heard(found: Collected) -> None:
            self.post_message(msg.RepliesCollected(campaign_id, found, live=True))

        runner.on_replies = heard
        if self.demo:  # the demo's sandbox is sped up: its people answer within seconds
            runner.reply_interval = DEMO_REPLY_INTERVAL

    def on_replies_collected(self, message: msg.RepliesCollected) -> None:
        """New replies (or none): say what came, re-read the counts and the threads shown."""
        inbox = self.inbox
        if not message.live:
            inbox.collecting = False
            inbox.collect_error = None
        stored = message.collected.stored
        if stored:
            self.notify(
                new_replies_text(stored, message.collected.actions),
                title="Replies",
                markup=False,
                timeout=6,
            )
            if inbox.campaign_id is None or any(r.campaign_id == inbox.campaign_id for r in stored):
                self.load_replies()
        if stored or message.collected.actions:
            self.load_reply_tallies()

    def _watch_replies(self) -> None:
        """Once a second: with no send running, poll Twilio every `REPLY_WATCH` seconds for
        the campaign on the Replies screen, or for the one sent here in the last `REPLY_TAIL`
        seconds, so new replies appear without a key."""
        inbox, now = self.inbox, time.monotonic()
        every = DEMO_REPLY_INTERVAL if self.demo else REPLY_WATCH
        if now - inbox.polled_at < every or (self.runner is not None and self.runner.running):
            return
        if self.current_mode == "replies":
            self.collect_replies(inbox.campaign_id)
        elif inbox.watched is not None and now < inbox.watch_until:
            self.collect_replies(inbox.watched)

    def load_reply_tallies(self) -> None:
        """Read every campaign's reply counts (Send and History show them), in a worker."""
        self.inbox.tallies_generation += 1
        self._tallies_worker(self.inbox.tallies_generation)

    @work(thread=True, exclusive=True, group="tallies", exit_on_error=False)
    def _tallies_worker(self, generation: int) -> None:
        try:
            from tui.replies_core import reply_tallies

            tallies = reply_tallies(self.db_path)
        except Exception as error:
            self.report_failure("Replies", error)
            return
        self.post_message(msg.ReplyTalliesLoaded(tallies, generation))

    def on_reply_tallies_loaded(self, message: msg.ReplyTalliesLoaded) -> None:
        """Keep the newest counts."""
        if message.generation == self.inbox.tallies_generation:
            self.inbox.tallies = message.tallies
            self.refresh_screen()

    def mark_thread_read(self, view: ThreadView) -> None:
        """The person has seen the thread's replies: no longer unread (journaled by a worker;
        then the counts are read again)."""
        fresh = tuple(
            r.sid for r in view.thread.replies if r.read_at is None and r.sid not in self.inbox.seen
        )
        if fresh:
            self.inbox.seen.update(fresh)
            self._read_worker(fresh)

    @work(thread=True, exclusive=False, group="read", exit_on_error=False)
    def _read_worker(self, sids: tuple[str, ...]) -> None:
        try:
            from tui.replies_core import mark_read

            mark_read(self.db_path, sids)
        except Exception as error:
            self.report_failure("Replies", error)
            return
        self.call_from_thread(self.load_reply_tallies)

    def decide_possible_opt_out(self, view: ThreadView, *, confirm: bool) -> None:
        """A person's decision on the thread's possible opt-outs (y: they mean stop)."""
        sids = tuple(r.sid for r in view.thread.to_review)
        if sids:
            self._decide_worker(sids, confirm)

    @work(thread=True, exclusive=False, group="decide", exit_on_error=False)
    def _decide_worker(self, sids: tuple[str, ...], confirm: bool) -> None:
        try:
            from tui.replies_core import decide_possible_opt_outs

            done = decide_possible_opt_outs(self.db_path, sids, confirm=confirm, region=self.region)
        except Exception as error:
            self.report_failure("Opt-out", error)
            return
        self.post_message(msg.RepliesDecided(done, confirm))

    def on_replies_decided(self, message: msg.RepliesDecided) -> None:
        """Say what was decided; re-read the threads and the counts."""
        phones = sorted({a.phone for a in message.actions})
        who = ", ".join(phones) or "Nobody"
        self.notify(
            f"{who}: on the suppression list now; never texted again."
            if message.confirmed
            else f"{who}: marked as not an opt-out.",
            title="Opt-out",
            markup=False,
        )
        self.load_replies()
        self.load_reply_tallies()
        self.rebuild_audience()  # the suppression filter counts the new entry

    def send_reply_to(self, view: ThreadView, body: str) -> None:
        """Text `body` to the thread's person (after asking, if the same text went before)."""
        thread = view.thread
        if thread.campaign_id is None or thread.row is None:
            return
        if self.inbox.replying:
            self.notify("A reply is being sent; wait for it.", markup=False)
            return
        campaign_id, row = thread.campaign_id, thread.row
        if any(a.body == body and a.sid is not None for a in thread.answers):

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_reply(campaign_id, row, body, again=True)

            self.push_screen(
                ConfirmDialog(
                    f"You sent this text to row {row} already. Send it again?",
                    yes="Send again",
                    no="Don't",
                ),
                answered,
            )
            return
        self._start_reply(campaign_id, row, body, again=False)

    def _start_reply(self, campaign_id: str, row: int, body: str, *, again: bool) -> None:
        self.inbox.replying = True
        self.notify(f"Sending the reply to row {row}...", markup=False, timeout=3)
        self._reply_worker(campaign_id, row, body, again)

    @work(thread=True, exclusive=False, group="reply", exit_on_error=False)
    def _reply_worker(self, campaign_id: str, row: int, body: str, again: bool) -> None:
        try:
            from tui.replies_core import send_reply

            sent = send_reply(self.live_settings, self.db_path, campaign_id, row, body, again=again)
        except Exception as error:
            self.call_from_thread(self._reply_failed)
            self.report_failure("Reply", error)
            return
        self.post_message(msg.ReplySent(campaign_id, sent))

    def _reply_failed(self) -> None:
        self.inbox.replying = False
        self.load_replies()  # the journal may hold the attempt (unknown, failed)

    def on_reply_sent(self, message: msg.ReplySent) -> None:
        """The reply went: say so, clear the field, show it in the thread."""
        self.inbox.replying = False
        reply = message.sent.reply
        how = "sent"
        if message.sent.reconciled:
            how = "was sent before (found at Twilio; not sent again)"
        self.notify(
            f"Reply to {reply.to_number} (row {reply.row}) {how}: {reply.sid} ({reply.status}).",
            title="Reply",
            markup=False,
        )
        if isinstance(self.screen, RepliesScreen):
            self.screen.reply_sent()
        self.load_replies()

    # -------------------------------------------------------------------- quit
    async def action_quit(self) -> None:
        """Quit; mid-send, ask first (the campaign pauses and stays resumable)."""
        starting = self.draft.sending and (self.runner is None or not self.runner.running)
        if starting and not self._quit_while_starting:
            # Between SEND and the engine's start there is nothing to pause yet; a second
            # ctrl+q quits anyway (the campaign is then left planned, resumable).
            self._quit_while_starting = True
            self.notify("The campaign is starting: quit again in a moment to pause it.")
            return
        if self.runner is not None and self.runner.running:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.notify("Pausing the campaign...", markup=False)
                    self._stop_and_exit()

            paused = self.runner.paused
            self.push_screen(
                ConfirmDialog(
                    ("A campaign is paused." if paused else "A campaign is sending.")
                    + (
                        " Quit now?\nThis is the demo: its sandbox and journal end with it."
                        if self.demo
                        else " Quit now?\nIt stays paused; resume it later from History (7) or"
                        " with 'smscast resume'."
                    ),
                    yes="Quit",
                    no="Stay" if paused else "Keep sending",
                ),
                answered,
            )
            return
        self.exit(0)

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False)
    def _stop_and_exit(self) -> None:
        """Pause the engine (waiting for requests in flight) off the event loop, then exit 4."""
        if self.runner is not None:
            self.runner.stop()
        self.call_from_thread(self.exit, 4)


def run_app(
    contacts_file: str | None = None,
    demo: bool = False,
    settings_flags: Mapping[str, str] | None = None,
) -> int:
    """Run the app in the terminal; with `demo`, on an in-process sandbox. Returns the exit code
    (4 when the person quit mid-send: the campaign is paused and resumable). `settings_flags`:
    the command line's settings for the app (`--status-callback`...: `load_settings`
    arguments, above the environment and the files)."""
    if demo:
        from campaigns.pipeline.demo import DemoEnvironment

        with DemoEnvironment.start(contacts_file=contacts_file) as env:
            app = SmscastApp(
                settings=env.settings,
                contacts_file=env.contacts_file,
                db_path=env.settings.db_path,
                demo=True,
            )
            return _run(app)
    # Settings are loaded on mount.
    return _run(SmscastApp(contacts_file=contacts_file, settings_flags=settings_flags))


def _run(app: SmscastApp) -> int:
    """Run `app`; a closed terminal (SIGHUP) or a `kill` (SIGTERM) exits it cleanly with 4, so
    the engine pauses the campaign (never left `running`) and the demo's sandbox and temporary
    files are cleaned up."""
    previous: dict[int, signal._HANDLER] = {}  # (typeshed's name for a signal's handler)
    for name in ("SIGHUP", "SIGTERM"):
        with contextlib.suppress(AttributeError, ValueError):  # no SIGHUP (Windows), not main
            number = getattr(signal, name)
            previous[number] = signal.signal(number, lambda _signum, _frame: app.exit(4))
    try:
        return int(app.run() or 0)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


__all__ = ["SmscastApp", "describe_error", "run_app"]
