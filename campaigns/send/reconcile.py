"""Reconciliation: did a request whose answer was lost create the message after all?

POST Messages is not idempotent, so after a timeout, a 5xx or a dropped connection (or a crash
with rows `inflight`) the engine asks Twilio for the messages to the recipient since the
campaign began (less a margin for clock skew) and looks for one with the same body. Found: that
is the recipient's message (its SID and status are recorded). Nothing found: safe to send
again. The lookup itself failing, even after retries: `unknown`, which is never resent
automatically (under-sending beats double-sending).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from campaigns.twilio.errors import FatalError, TwilioFailure
from campaigns.twilio.limits import backoff
from campaigns.twilio.models import MessageRecord
from campaigns.twilio.protocols import GatewaySession


@dataclass(frozen=True, slots=True)
class LookupResult:
    """`record` when a matching message exists; `found_nothing` when Twilio said there is none;
    neither when Twilio could not be asked (`error` says why)."""

    record: MessageRecord | None = None
    found_nothing: bool = False
    error: str = ""


def match(records: list[MessageRecord], body: str, since: datetime) -> MessageRecord | None:
    """The earliest message with this body created at or after `since` (None if there is none).

    Twilio's list filters by day at best, so the time is checked here too; messages without a
    creation date are kept (better to recognise our message than to send it twice).
    """
    candidates = [
        r
        for r in records
        if r.body == body
        and (r.date_created is None or r.date_created >= since.replace(microsecond=0))
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (r.date_created is None, r.date_created or since))


async def lookup(
    session: GatewaySession,
    *,
    to: str,
    body: str,
    since: datetime,
    attempts: int = 4,
    timeout: float = 15.0,
) -> LookupResult:
    """Ask Twilio (through a `GatewaySession`) for a message to `to` with this `body`
    created since `since`, retrying the lookup with backoff."""
    last = ""
    for attempt in range(1, attempts + 1):
        try:
            records = await asyncio.wait_for(
                session.messages_to(to, since, timeout=timeout), timeout + 5.0
            )
        except FatalError as exc:
            return LookupResult(error=str(exc))
        except (TwilioFailure, TimeoutError, OSError) as exc:
            last = str(exc) or type(exc).__name__
            if attempt < attempts:
                await asyncio.sleep(backoff(attempt, base=0.5, cap=8.0))
            continue
        found = match(list(records), body, since)
        if found is not None:
            return LookupResult(record=found)
        return LookupResult(found_nothing=True)
    return LookupResult(error=last)
