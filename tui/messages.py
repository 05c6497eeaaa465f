"""Messages that workers post to the app: results of I/O done off the event loop.

Workers never touch widgets; they post one of these and the app's handlers update the state
and the screens on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the core's types, for the type checker only: workers import the core
    from campaigns.audience.filters import Audience, AudienceBuilder
    from campaigns.compose.plan import Plan
    from campaigns.compose.pricing import Pricing
    from campaigns.contacts.book import ContactBook
    from campaigns.conversation.actions import ReplyAction
    from campaigns.conversation.collector import Collected
    from campaigns.pipeline.demo import DemoEnvironment
    from campaigns.pipeline.followups import FollowUpChoice
    from campaigns.pipeline.line_types import LineTypes, LookupPlan
    from campaigns.pipeline.replies import SentReply
    from campaigns.send.engine import EngineOptions
    from campaigns.store.replies import ReplyTally
    from campaigns.twilio.models import AccountInfo, AccountSenders, Sender, VerifiedNumbers
    from tui.core import CampaignRow, Derived
    from tui.replies_core import RepliesPage
    from tui.screens.follow_up import FollowUpDialog
    from tui.widgets.status_table import RecipientRow


@dataclass
class WorkFailed(Message):
    """A worker met an error; `text` is a sentence and a next step, never a traceback."""

    title: str
    text: str


@dataclass
class Notice(Message):
    """Something a worker wants the person to know (not an error)."""

    text: str


@dataclass
class AccountLoaded(Message):
    """The account, its SMS-capable senders and its verified numbers (gateway objects)."""

    account: AccountInfo
    senders: list[Sender]
    verified: VerifiedNumbers
    #: Every sender with its US registration and the Messaging Services' pools (None: not
    #: read).
    registration: AccountSenders | None = None


@dataclass
class LoadProgress(Message):
    """The contacts worker started a stage (`stage`: "checking the numbers of N rows")."""

    stage: str
    generation: int


@dataclass
class ContactsLoaded(Message):
    """A `ContactBook` read from disk; `generation` drops a load another one replaced."""

    book: ContactBook
    generation: int = 0


@dataclass
class AudienceBuilt(Message):
    """An `Audience` for the current book and filters; `generation` drops stale results."""

    audience: Audience
    generation: int
    builder: AudienceBuilder | None = None  # reused at the next recount


@dataclass
class PlanBuilt(Message):
    """A `Plan` for the current audience and template; `generation` drops stale results."""

    plan: Plan
    generation: int
    pricing: Pricing | None = None  # what the plan was costed with


@dataclass
class LookupPriced(Message):
    """What a line-type lookup of the audience would ask and cost (asked before it runs)."""

    plan: LookupPlan


@dataclass
class LineTypesFound(Message):
    """The audience's line types from Twilio Lookup (or known from the last 90 days)."""

    line_types: LineTypes


@dataclass
class CampaignReady(Message):
    """A campaign was written to the journal and can be sent with `options`."""

    campaign_id: str
    options: EngineOptions


@dataclass
class EngineStopped(Message):
    """The engine's thread has ended (finished, paused, cancelled or failed)."""

    campaign_id: str | None  # None: the campaign could not be written
    error: str | None = None


@dataclass
class HistoryLoaded(Message):
    """Past campaigns from the journal, newest first."""

    campaigns: list[CampaignRow]


@dataclass
class CampaignOpened(Message):
    """A campaign's recipients were read from the journal (as status-table rows)."""

    campaign_id: str
    recipients: list[RecipientRow]
    state: str
    options: EngineOptions | None = None  # start the engine once shown
    schedule: str = ""  # the campaign's schedule in words ("" : sent at once)


@dataclass
class ExportDone(Message):
    """Results were exported to `path`."""

    path: str


@dataclass
class RepliesLoaded(Message):
    """A campaign's threads read from the journal; `generation` drops stale pages."""

    page: RepliesPage
    generation: int


@dataclass
class RepliesCollected(Message):
    """A poll of Twilio for replies (the Replies screen's, or the engine runner's during a
    send: `live`) stored what it found and acted on it."""

    campaign_id: str | None
    collected: Collected
    live: bool = False


@dataclass
class ReplyTalliesLoaded(Message):
    """Every campaign's reply counts (campaign id -> `ReplyTally`); `generation` drops
    stale counts."""

    tallies: dict[str, ReplyTally]
    generation: int


@dataclass
class ReplySent(Message):
    """A one-off reply to a campaign recipient went (or was found at Twilio already)."""

    campaign_id: str
    sent: SentReply


@dataclass
class RepliesDecided(Message):
    """A person's decision on possible opt-outs was recorded (`confirmed`: suppressed)."""

    actions: list[ReplyAction]
    confirmed: bool


@dataclass
class DemoStarted(Message):
    """An in-process sandbox is running: `settings` is the demo environment (its own
    `settings` point at the sandbox)."""

    settings: DemoEnvironment
    contacts_file: str | None


@dataclass
class ScheduleChecked(Message):
    """Review's "Send at" text read against the plan: the schedule line to show for it."""

    text: str
    line: str


@dataclass
class DerivedReady(Message):
    """A retry's or follow-up's people were chosen from an ended campaign (its subset may
    be empty: the app then says so instead of reviewing nobody)."""

    derived: Derived
    generation: int = 0


@dataclass
class FollowUpChoicesRead(Message):
    """What a follow-up can be sent to, for the `dialog` that asks: each choice, its count
    or why not."""

    dialog: FollowUpDialog
    choices: tuple[FollowUpChoice, ...]
