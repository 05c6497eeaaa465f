"""How a run is configured (`EngineOptions`), what a campaign stores of it, and how a run ended
(`RunResult`).

Apart from the engine so that whoever only builds options or reads results (the faces, the
pipeline, the tests) has them in one small place; `campaigns.send.engine` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campaigns.store import journal as J


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How to send. `rate` is segments per second (None = only the concurrency bound)."""

    rate: float | None = None
    concurrency: int = 10
    track_seconds: float = 120.0
    canary: int = 0
    request_timeout: float = 15.0
    exit_on_pause: bool = True
    breaker_threshold: int = 20
    poll_share: float = 0.15
    #: How delivery is tracked: "sweep" (list pages, `campaigns.send.sweeps`) or, for
    #: comparison, "poll" (one fetch per message, `campaigns.send.tracking.PollSchedule`: the
    #: way before sweeps) and "sweep-from-start" (every sweep lists from the campaign's start:
    #: the way before the listing's start followed the oldest message waiting).
    receipts: str = "sweep"
    #: Seconds between sweeps' starts (`campaigns.send.sweeps`): at least `sweep_first`,
    #: doubling while nothing changes, at most `sweep_cap` less the time a sweep takes to read,
    #: so a receipt is recorded at most `sweep_cap` after Twilio has it (while reading takes
    #: under 40% of it); per-message polls back off the same way.
    #: With status callbacks the sweeps are only the safety net (`CALLBACK_SWEEPS`).
    sweep_first: float = 1.0
    sweep_cap: float = 15.0
    #: Messages per list page of a sweep (Twilio's maximum, 1000; tests ask for fewer).
    sweep_page_size: int = 1000
    #: The URL Twilio posts each message's status changes to (`--status-callback`), or None.
    status_callback: str | None = None
    progress_interval: float = 0.1
    #: Seconds between group commits while busy. 50 ms: each commit (a transaction, an fsync, a
    #: hop to the journal's thread and back) is shared by ~80 rows at 1,600 msg/s; at 10 ms it
    #: cost ~50 us of client CPU per message more (bench_send.py), for no more throughput.
    #: Requests wait for their intent's commit, but a concurrency's worth is always committed
    #: ahead at the gate, so the wait does not slow sends.
    commit_interval: float = 0.05
    retry_unknown: bool = False
    max_defer_wait: float = 60.0
    reconcile_margin: float = 120.0
    reconcile_grace: float = 0.5
    lookup_attempts: int = 6
    #: Seconds of transient failures in a row (Twilio unreachable, connections refused: nothing
    #: was created) during which sending backs off and retries, one probe at a time, before
    #: the campaign pauses with kind `transient`. A network blip costs a short wait, not a pause.
    transient_patience: float = 30.0
    opted_out: Callable[[str, str], object] | None = field(default=None, compare=False)
    #: The wall clock for the send-time rules (the sending window, `not_before`): an aware UTC
    #: datetime. Tests pass a synthetic one; intents and reconciliation keep real time (they are
    #: compared with Twilio's own timestamps).
    clock: Callable[[], datetime] = field(default=J.now_utc, compare=False)


#: (sweep_first, sweep_cap) while status callbacks deliver the receipts: a low-rate safety
#: net for callbacks lost on the way.
CALLBACK_SWEEPS = (30.0, 300.0)

_FROM_STORED: Any = object()


def engine_settings(options: EngineOptions) -> dict[str, Any]:
    """What a campaign stores of how it is sent (`Journal.create_campaign(settings=...)`), so
    that a resume, from either face, goes on at the same pace."""
    return {
        "rate_segments_per_second": options.rate,
        "concurrency": options.concurrency,
        "track": options.track_seconds,
        "status_callback": options.status_callback,
    }


def options_from_settings(
    stored: Mapping[str, Any],
    *,
    rate: float | None = _FROM_STORED,
    concurrency: int | None = None,
    track_seconds: float | None = None,
    **extra: Any,
) -> EngineOptions:
    """EngineOptions as a campaign's stored settings say (`engine_settings`); a `rate` given
    (None = only the concurrency bound), a `concurrency` or `track_seconds` not None, and any
    other option in `extra` win."""
    if rate is _FROM_STORED:
        stored_rate = stored.get("rate_segments_per_second")
        rate = float(stored_rate) if stored_rate else None
    if concurrency is None:
        concurrency = int(stored.get("concurrency") or 10)
    if track_seconds is None:
        track = stored.get("track")
        track_seconds = 120.0 if track is None else float(track)
    if "status_callback" not in extra:
        extra["status_callback"] = stored.get("status_callback") or None
    return EngineOptions(
        rate=rate,
        concurrency=int(concurrency),
        track_seconds=max(0.0, float(track_seconds)),
        **extra,
    )


@dataclass(frozen=True, slots=True)
class RunResult:
    """How `Engine.run` ended: `state` is finished, paused, canceled or stopped."""

    state: str
    counts: dict[str, int]
    reason: str = ""
    hint: str = ""
    kind: str = ""
