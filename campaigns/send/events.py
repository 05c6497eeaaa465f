"""What the engine tells the world: one stream of typed, immutable events.

The CLI's progress bar, its `--json` lines and the TUI consume the same stream
(`Engine.run(emit)`). Every event has a `campaign_id` and `to_json()`, a plain dict with an
`event` key (its snake_case name) that `json.dumps` accepts as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """Base class: `to_json()` gives `{"event": name, "campaign_id": ..., ...fields}`."""

    name: ClassVar[str] = "event"
    campaign_id: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of this event, with its `event` name first."""
        out: dict[str, Any] = {"event": self.name}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = dict(value) if isinstance(value, Mapping) else value
        return out


@dataclass(frozen=True, slots=True)
class CampaignStarted(Event):
    """Sending (re)started: how many recipients in all and how many are left to send."""

    name: ClassVar[str] = "campaign_started"
    total: int
    to_send: int
    rate: float | None  # segments per second; None = only the concurrency bound
    concurrency: int


@dataclass(frozen=True, slots=True)
class RecipientChanged(Event):
    """One recipient moved to a new status (sent, delivered, failed, unknown, ...)."""

    name: ClassVar[str] = "recipient_changed"
    row: int
    to: str
    status: str
    sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Progress(Event):
    """Counts by status, the sending rate (messages/s over the last seconds) and the ETA."""

    name: ClassVar[str] = "progress"
    counts: Mapping[str, int]
    total: int
    done: int  # recipients no longer pending or in flight
    rate: float
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class CampaignPaused(Event):
    """The campaign stopped sending and can be resumed: why, and what to do."""

    name: ClassVar[str] = "campaign_paused"
    reason: str
    hint: str = ""
    kind: str = "user"  # "user" | "fatal" | "breaker" | "canary" | "deferred" | "unknown" | ...


@dataclass(frozen=True, slots=True)
class CampaignFinished(Event):
    """Nothing is left to send (or the campaign was canceled): the final counts."""

    name: ClassVar[str] = "campaign_finished"
    counts: Mapping[str, int] = field(default_factory=dict)
    canceled: bool = False


@dataclass(frozen=True, slots=True)
class EngineError(Event):
    """Something went wrong that the person should see (the engine goes on or pauses)."""

    name: ClassVar[str] = "engine_error"
    message: str
    hint: str = ""
    code: int | None = None
