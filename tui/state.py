"""The app's working state: what the person has chosen so far, screen by screen.

A plain mutable object owned by `SmscastApp` and changed only on the event loop (by message
handlers); screens read it in `sync()`. It holds core objects (`ContactBook`, `Audience`,
`Plan`, ...), imported here for the type checker only: this module loads none of the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.audience.filters import Audience, AudienceBuilder
    from campaigns.audience.registration import Preflight
    from campaigns.compose.plan import Plan
    from campaigns.compose.pricing import Pricing
    from campaigns.compose.template import Template
    from campaigns.contacts.book import ContactBook
    from campaigns.pipeline.campaign import AudienceFilters
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.twilio.models import AccountInfo, AccountSenders, Sender, VerifiedNumbers
    from tui.core import CampaignRow, Derived

from campaigns.twilio.models import AccountInfo, AccountSenders, Sender, VerifiedNumbers

#: The screens of the flow, in order: mode name and title.
STEPS: tuple[tuple[str, str], ...] = (
    ("account", "Account"),
    ("contacts", "Contacts"),
    ("audience", "Audience"),
    ("compose", "Compose"),
    ("review", "Review"),
    ("send", "Send"),
    ("history", "History"),
)
#: Views beside the flow (not steps of it), keyed after the steps (Replies: 8).
VIEWS: tuple[tuple[str, str], ...] = (("replies", "Replies"),)

DEFAULT_TEMPLATE = "Hi {first_name|there}, your appointment is confirmed. Reply STOP to opt out."


@dataclass
class Filters:
    """The audience filters as toggled on the Audience screen."""

    verified_only: bool = True
    #: True once the person toggled verified-only: a late account answer must not undo it.
    verified_only_chosen: bool = False
    suppression: bool = True
    quiet_hours: bool = True
    quiet_window: str = "08:00-21:00"
    #: Leave out what Twilio Lookup calls landline, toll-free, pager... (opt-in: billed).
    line_types: bool = False

    def take(self, stored: AudienceFilters, *, trial: bool) -> None:
        """Take the pipeline's filters (a retry's or follow-up's: its parent's sending window,
        verified-only choice and suppression), as the toggles show them; `auto` verified-only
        is on for a trial account and left for the account to decide, as at start-up."""
        self.suppression = stored.suppression
        self.verified_only_chosen = stored.verified_only != "auto"
        self.verified_only = stored.verified_only == "on" or (
            stored.verified_only == "auto" and trial
        )
        self.quiet_hours = stored.quiet_hours != "off"
        if self.quiet_hours:
            self.quiet_window = stored.quiet_hours
        self.line_types = False


@dataclass
class Draft:
    """Everything chosen so far; `None` means "not yet known"."""

    account: AccountInfo | None = None
    account_error: str | None = None  # why the account could not be read
    senders: list[Sender] = field(default_factory=list)
    verified: VerifiedNumbers | None = None
    sender: str | None = None  # an address or a Messaging Service SID
    #: The account's senders with their US registration (None: not read).
    account_senders: AccountSenders | None = None
    book: ContactBook | None = None
    #: The stage of the contacts file being read now ("checking the numbers of 1,000,000
    #: rows"), None when no file is being read; `load_generation` drops a superseded load.
    loading: str | None = None
    load_generation: int = 0
    filters: Filters = field(default_factory=Filters)
    audience: Audience | None = None
    audience_builder: AudienceBuilder | None = None  # for `book` (recounts cheaply)
    audience_generation: int = 0
    template_text: str = DEFAULT_TEMPLATE
    template: Template | None = None  # when it parses
    template_error: str | None = None
    #: The plan of exactly this audience and template (None while it is being built: every
    #: change of either drops it at once, so the plan on screen is the one that is sent).
    plan: Plan | None = None
    plan_generation: int = 0
    #: The prices the plan was costed with (Twilio's, kept a week, or the built-in table).
    pricing: Pricing | None = None
    #: Line types from Twilio Lookup, once the person asked for them.
    line_types: LineTypes | None = None
    preview_index: int = 0
    campaign_id: str | None = None
    sending: bool = False
    history: list[CampaignRow] = field(default_factory=list)
    #: Review's "Send at" field as confirmed (`pipeline.scheduling.parse_schedule_text`).
    schedule_text: str = ""
    #: The retry or follow-up `book` holds (its parent's people, the link the campaign gets);
    #: None: the book is a contacts file. Opening a file drops it.
    derived: Derived | None = None

    def snapshot(self) -> Draft:
        """A copy for a worker thread: the draft may change on the event loop meanwhile.

        Shallow: the core objects it holds (book, audience, plan, template) are never mutated.
        """
        return replace(self, filters=replace(self.filters), history=list(self.history))

    @property
    def is_trial(self) -> bool:
        """True when the account is a Trial account (or not known yet: the safer guess)."""
        return self.account is None or self.account.type != "Full"

    @property
    def counting(self) -> bool:
        """True while the audience of the loaded contacts is being counted."""
        return self.book is not None and self.audience is None

    @property
    def planning(self) -> bool:
        """True while the plan of the current audience and template is being built."""
        return self.audience is not None and self.template is not None and self.plan is None

    def registration(self) -> Preflight | None:
        """The chosen sender's registration preflight (None: no sender, or not read)."""
        if self.sender is None or self.account_senders is None:
            return None
        from campaigns.audience.registration import preflight
        from campaigns.pipeline.sender import SenderChoice

        service = SenderChoice.of_address(self.sender, self.senders).messaging_service_sid
        return preflight(self.sender, service=bool(service), senders=self.account_senders)

    def verified_numbers(self) -> frozenset[str]:
        """The verified numbers as a set (empty when unknown)."""
        return self.verified.numbers if self.verified is not None else frozenset()
