"""What Twilio allows: each kind of sender's throughput, and how to back off when it says
"too many" or "not now".

Facts the gateway labels senders with and both faces pace by, kept beside the gateway (not in
the engine's package) because they describe Twilio, not smscast's engine. No SDK import.

Throughput: Twilio queues what a sender cannot send at once and sends it at the sender's rate,
in message segments per second: toward the US and Canada a long code 1, a toll-free number 3
(the default; more can be bought), a short code 100; any number toward other countries 10.
Sources: Twilio's "Understanding Twilio Rate Limits and Message Queues"
(https://help.twilio.com/articles/115002943027) and "Toll-Free SMS and MMS messaging throughput
(MPS)" (https://help.twilio.com/articles/4411046744987).
"""

from __future__ import annotations

#: Sender throughput in segments per second (Twilio's defaults for US/CA senders, see above).
#: The one table: the gateway labels senders with it, both faces pace by it.
SENDER_RATES: dict[str, float] = {
    "long_code": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
}
#: A long code outside US/CA.
INTERNATIONAL_LONG_CODE_RATE = 10.0


def segments_per_second(address: str, kind: str) -> float:
    """Twilio's send rate for a sender: long code 1 (10 outside US/CA), toll-free 3, short 100."""
    if kind == "long_code" and not address.startswith("+1"):
        return INTERNATIONAL_LONG_CODE_RATE
    return SENDER_RATES.get(kind, 1.0)


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.5) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random (no thundering herd).

    What Twilio asks of a client that got a 429 or a 5xx: retry later, waiting longer each time
    (and never sooner than a `Retry-After` it gives; the callers see to that)."""
    import random

    delay: float = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * (1 - jitter) + random.uniform(0, delay * jitter)
