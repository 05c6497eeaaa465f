"""Step 1, Account: which Twilio account (or the sandbox), Trial or Full, the sender, the
verified numbers, and each sender's US registration (A2P 10DLC, toll-free verification) with
the Messaging Services' pools and what to do. Without credentials it says how to set them and
offers the demo."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Select, Static

from tui.screens.base import StepScreen
from tui.widgets.plain import plain, plain_lines, visible

if TYPE_CHECKING:
    from campaigns.config.settings import Settings
    from campaigns.twilio.models import AccountSenders, Sender


def _lines(text: object) -> list[str]:
    """A message's lines (an error's sentence and its hint), to show each through `visible`."""
    return str(text).split("\n")


def credentials_help(settings: Settings | None) -> str:
    """How to set credentials, naming the config file, and the demo as the way to try it."""
    try:
        from campaigns.config.settings import CREDENTIALS_HELP, default_config_path

        config = (settings.config_path if settings is not None else None) or default_config_path()
        text = CREDENTIALS_HELP.format(config=config)
    except ImportError:
        text = "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment."
    problem = settings.credential_problem if settings is not None else None
    return (
        "No Twilio account is configured.\n\n"
        + (f"{problem}\n\n" if problem else "")
        + text
        + "\n\nPress d to start the demo now: a built-in sandbox account, nothing leaves "
        "this machine."
    )


def endpoint_name(demo: bool, base_url: str | None) -> str | None:
    """Where the API is, in words; None for real Twilio. No port: it changes every run."""
    if demo:
        return "sandbox (demo)"
    if not base_url:
        return None
    host = urlsplit(base_url).hostname or base_url
    return "local sandbox" if host in ("127.0.0.1", "localhost", "::1") else host


#: Registration states in which US traffic is blocked (`campaigns.twilio.registration`; kept
#: as words here so the screen loads no core module before the account is read).
_BLOCKING = frozenset({"pending", "failed", "unregistered", "rejected", "unverified"})


def registration_lines(found: AccountSenders) -> list[str]:
    """Each sender's US registration with what to do, then each Messaging Service with its
    pool (the account's reads, already loaded by the worker)."""
    from campaigns.twilio.registration import describe_state

    lines = ["", "US registration (A2P 10DLC, toll-free verification):"]
    if found.unknown:
        lines.append(f"  smscast could not read it ({found.unknown}); sending is not blocked.")
    for sender in found.numbers:
        if not sender.sms:
            continue
        label, advice = describe_state(sender.kind, sender.registration)
        lines.append(f"  {sender.address}  {sender.kind.replace('_', ' ')}: {label}")
        if advice:
            lines.append(f"    {advice}")
    for pool in found.services:
        label, advice = describe_state("long_code", pool.a2p)
        lines += [
            "",
            f"Messaging Service {pool.sid} {pool.friendly_name}: {label}, "
            f"{pool.segments_per_second:g} seg/s",
        ]
        if advice:
            lines.append(f"  {advice}")
        for sender in pool.senders:
            label, _ = describe_state(sender.kind, sender.registration)
            lines.append(f"  {sender.address}  {sender.kind.replace('_', ' ')}: {label}")
        lines += [f"  {alpha}  alphanumeric ID" for alpha in pool.alpha_senders]
    return [*lines, ""]


class AccountScreen(StepScreen):
    """The account, the sender and the verified numbers."""

    STEP = "account"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Reload", id="account-reload"),
        Binding("d", "demo", "Demo", id="account-demo"),
        Binding("s", "focus_sender", "Sender", id="account-sender"),
        Binding("n", "app.go('contacts')", "Next", id="account-next"),
    ]

    _shown: tuple[str, ...] = ()  # sender addresses in the Select, to refill only on change

    def body(self) -> Iterable[Widget]:
        with VerticalScroll(id="account-body"):
            yield Static("", id="account-info", markup=False)
            yield Static("Sender (s):", classes="label", id="sender-label")
            yield Select[str]([], id="sender", prompt="Choose a sender", compact=True)
            # Verified numbers first: on a trial account they are who may be texted at all,
            # and the registration list can be long (it scrolls below them).
            yield Static("", id="verified", markup=False)
            yield Static("", id="registration", markup=False)

    def sync(self) -> None:
        app, draft = self.smscast, self.draft
        info = self.query_one("#account-info", Static)
        select = self.query_one("#sender", Select)
        verified = self.query_one("#verified", Static)
        if app.settings_error:
            info.update(plain_lines("Settings could not be read.", *_lines(app.settings_error)))
            return
        if not app.has_credentials:
            info.update(plain_lines(*_lines(credentials_help(app.settings))))
            select.display = False
            self.query_one("#sender-label").display = False
            verified.update("")
            self.query_one("#registration", Static).display = False
            return
        select.display = True
        self.query_one("#sender-label").display = True
        self.refresh_bindings()
        settings = app.settings
        base_url = settings.base_url if settings is not None else None
        account = draft.account
        if account is None and draft.account_error:
            info.update(
                plain_lines(
                    "The account could not be read.",
                    *_lines(draft.account_error),
                    "",
                    "Press r to try again.",
                )
            )
        elif account is None:
            where = endpoint_name(app.demo, base_url)
            info.update(f"Connecting to {where or 'Twilio'}...")
        else:
            where = endpoint_name(app.demo, base_url)
            info.update(
                f"Account: {visible(account.friendly_name)}  ({visible(account.sid)})\n"
                f"Type: {account.type}   Status: {account.status}"
                + (f"   Endpoint: {where}" if where else "")
                + (
                    "\nTrial account: it may text verified numbers only, and Twilio adds "
                    "'Sent from your Twilio trial account' to each message."
                    if draft.is_trial
                    else ""
                )
            )
        # Friendly names come from Twilio: plain Text (a Select reads a str as markup).
        options = [(plain(self._sender_label(s)), s.address) for s in draft.senders]
        service = settings.messaging_service_sid if settings is not None else None
        if service and service not in [value for _, value in options]:
            options.append((plain(f"Messaging Service {service}"), service))
        current = [value for _, value in options]
        if self._shown != tuple(current):
            self._shown = tuple(current)
            with select.prevent(Select.Changed):
                select.set_options(options)
        if draft.sender in current and select.value != draft.sender:
            with select.prevent(Select.Changed):
                select.value = draft.sender
        numbers = sorted(draft.verified_numbers())
        if draft.verified is None:
            verified.update("Verified numbers: ...")
        elif numbers:
            verified.update(
                plain_lines(f"Verified numbers ({len(numbers)}):", *(f"  {n}" for n in numbers))
            )
        else:
            verified.update("Verified numbers: none.")
        found = draft.account_senders
        registration = self.query_one("#registration", Static)
        registration.display = found is not None
        if found is not None:
            registration.update(plain_lines(*registration_lines(found)))

    @staticmethod
    def _sender_label(sender: Sender) -> str:
        kind = sender.kind.replace("_", " ")
        rate = sender.segments_per_second
        name = sender.friendly_name if kind == "messaging service" else ""
        pace = f", {rate:g} seg/s" if rate and kind != "messaging service" else ""
        blocked = sender.registration in _BLOCKING
        return (
            f"{sender.address} ({kind}{pace})"
            + (f" {name}" if name else "")
            + (" - US blocked" if blocked else "")
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "sender":
            value = event.value
            self.smscast.choose_sender(None if value == Select.BLANK else str(value))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer the demo only while no account is configured."""
        if action == "demo":
            return not self.smscast.has_credentials
        if action in ("reload", "focus_sender"):
            return self.smscast.has_credentials
        return True

    def action_reload(self) -> None:
        """Ask Twilio again."""
        if self.smscast.has_credentials:
            self.smscast.load_account()

    def action_demo(self) -> None:
        """Use the built-in sandbox."""
        self.smscast.start_demo()

    def action_focus_sender(self) -> None:
        """Move to the sender list."""
        self.query_one("#sender", Select).focus()
