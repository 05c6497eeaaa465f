"""Replies collected while a campaign sends and tracks its receipts, on a thread of its own.

The poller lists the campaign's senders for replies every `interval` seconds (10 by default)
with its own journal connection and its own gateway (its own HTTP connections), so it never
takes a slot of the engine's sending or its group commits' thread. Its share of the requests
is bounded by construction: at most one request in flight, one per sender per interval (with
one number and a send at 1 segment a second, a tenth of the requests; with a short code at 100
a second, a thousandth). Every opt-out it finds goes on the suppression list at once; Twilio
itself refuses (21610) any later create to that person, and the engine records that too.

A failure to poll (Twilio unreachable, the disk) never stops the send: it is kept in
`last_error` and the next interval tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from campaigns.audience.suppression import SuppressionList
from campaigns.conversation.collector import Collected, collect
from campaigns.errors import SmscastError
from campaigns.store.journal import Journal
from campaigns.twilio.protocols import Gateway

if TYPE_CHECKING:
    from campaigns.twilio.gateway import TwilioGateway

#: Seconds between two polls during a send.
DEFAULT_INTERVAL = 10.0


def poll_gateway(gateway: TwilioGateway) -> TwilioGateway:
    """A gateway like `gateway` for the poller: its own connections, and reads that give up
    soon (the next poll is an interval away)."""
    from campaigns.twilio.gateway import ReadRetry, TwilioGateway

    return TwilioGateway(
        gateway.credentials,
        base_url=gateway.base_url,
        timeout=min(gateway.timeout, 10.0),
        retry=ReadRetry(attempts=2, budget=10.0),
    )


class ReplyPoller:
    """`with ReplyPoller(db_path, make_gateway, campaign_id, region=...) as poller:` around a
    run; `stored`, `opted_out` and `requests` total what it found (read them after the block).
    The first poll is one interval in; leaving the block stops it without waiting for a poll
    under way (replies later are collected on demand: `smscast replies`)."""

    def __init__(
        self,
        db_path: Path,
        make_gateway: Callable[[], Gateway],
        campaign_id: str,
        *,
        region: str,
        interval: float = DEFAULT_INTERVAL,
        on_new: Callable[[Collected], None] | None = None,
    ) -> None:
        self.db_path = db_path
        self.make_gateway = make_gateway
        self.campaign_id = campaign_id
        self.region = region
        self.interval = interval
        self.on_new = on_new
        self.stored = 0
        self.opted_out = 0
        self.requests = 0
        self.polls = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smscast-replies", daemon=True)

    def __enter__(self) -> ReplyPoller:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)  # a poll under way ends on its own (a daemon thread)

    def _run(self) -> None:
        gateway = self.make_gateway()
        try:
            with (
                Journal.open(self.db_path) as journal,
                SuppressionList(journal.path, region=self.region) as suppressions,
            ):
                while not self._stop.wait(self.interval):
                    self._poll(journal, gateway, suppressions)
        except SmscastError as exc:
            self.last_error = exc.full()
        finally:
            gateway.close()

    def _poll(self, journal: Journal, gateway: Gateway, suppressions: SuppressionList) -> None:
        try:
            found = collect(journal, gateway, suppressions, [journal.campaign(self.campaign_id)])
        except SmscastError as exc:
            self.last_error = str(exc)
            return
        self.polls += 1
        self.requests += found.requests
        self.stored += len(found.stored)
        self.opted_out += sum(1 for a in found.actions if a.action == "suppressed")
        if found.stored and self.on_new is not None:
            self.on_new(found)
