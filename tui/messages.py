"""Messages that workers post to the app: results of I/O done off the event loop.

Workers never touch widgets; they post one of these and the app's handlers update the state
and the screens on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from campaigns.twilio.models import AccountInfo, Sender, VerifiedNumbers


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


@dataclass
class ContactsLoaded(Message):
    """A `ContactBook` read from disk."""

    book: Any


@dataclass
class AudienceBuilt(Message):
    """An `Audience` for the current book and filters; `generation` drops stale results."""

    audience: Any
    generation: int
    builder: Any = None  # the AudienceBuilder, reused at the next recount


@dataclass
class PlanBuilt(Message):
    """A `Plan` for the current audience and template; `generation` drops stale results."""

    plan: Any
    generation: int


@dataclass
class CampaignReady(Message):
    """A campaign was written to the journal and can be sent with `options`."""

    campaign_id: Any
    options: Any


@dataclass
class EngineStopped(Message):
    """The engine's thread has ended (finished, paused, cancelled or failed)."""

    campaign_id: Any
    error: str | None = None


@dataclass
class HistoryLoaded(Message):
    """Past campaigns from the journal (core objects), newest first."""

    campaigns: list[Any]


@dataclass
class CampaignOpened(Message):
    """A campaign's recipients were read from the journal (as status-table rows)."""

    campaign_id: Any
    recipients: list[Any]
    state: str
    options: Any = None  # EngineOptions: start the engine once shown


@dataclass
class ExportDone(Message):
    """Results were exported to `path`."""

    path: str


@dataclass
class DemoStarted(Message):
    """An in-process sandbox is running; `settings` point at it."""

    settings: Any
    contacts_file: str | None
