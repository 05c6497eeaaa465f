"""The knobs of a sandbox run: the account, its senders, delivery outcomes and injected faults.

Every field has a default that makes a working trial account, so `SandboxConfig()` is enough
for a test. Values are frozen: a running `Sandbox` never changes its configuration.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from typing import Literal

SenderKind = Literal["long_code", "toll_free", "short_code"]
LatencyDistribution = Literal["fixed", "uniform", "exponential"]
#: A Messaging Service's A2P 10DLC campaign: approved (`VERIFIED` at Twilio), in review
#: (`IN_PROGRESS`), refused (`FAILED`), or no campaign at all.
A2PState = Literal["registered", "pending", "failed", "unregistered"]
#: A toll-free number's verification (`TWILIO_APPROVED`, `PENDING_REVIEW`/`IN_REVIEW`,
#: `TWILIO_REJECTED`), or "unverified": never submitted (no verification record).
TollFreeState = Literal["approved", "pending", "rejected", "unverified"]

#: Segments per second a sender of each kind drains at Twilio (before `speedup`).
DEFAULT_THROUGHPUT: dict[str, float] = {"long_code": 1.0, "toll_free": 3.0, "short_code": 100.0}

#: Delivery error codes a message that did not arrive ends with.
DELIVERY_ERROR_CODES: tuple[int, ...] = (30003, 30005, 30006, 30007)


def new_sid(prefix: str) -> str:
    """A fresh Twilio-shaped SID: two letters and 32 lowercase hex digits."""
    return prefix + os.urandom(16).hex()


def stable_sid(prefix: str, *parts: object) -> str:
    """A SID derived from `parts`, the same on every run (for senders and caller IDs)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return prefix + digest


@dataclass(frozen=True, slots=True)
class SenderSpec:
    """One number the account owns. `segments_per_second` None = the default for its kind."""

    address: str
    kind: SenderKind = "long_code"
    sms: bool = True
    mms: bool = False
    voice: bool = True
    segments_per_second: float | None = None
    friendly_name: str = ""
    #: Toll-free numbers only: the state of its toll-free verification (US/Canada traffic
    #: from a number that is not approved ends undelivered with 30032).
    verification: TollFreeState = "approved"

    @property
    def throughput(self) -> float:
        """Segments per second at Twilio's pace (the sandbox multiplies by `speedup`)."""
        if self.segments_per_second is not None:
            return self.segments_per_second
        return DEFAULT_THROUGHPUT[self.kind]


DEFAULT_SENDERS: tuple[SenderSpec, ...] = (
    SenderSpec("+15017122661", "long_code", mms=True, friendly_name="(501) 712-2661"),
    SenderSpec("+15017122662", "long_code", mms=True, friendly_name="(501) 712-2662"),
    SenderSpec("+18445550100", "toll_free", friendly_name="(844) 555-0100"),
    SenderSpec("55501", "short_code", voice=False, friendly_name="55501"),
    # Receives SMS but cannot send it: From this number gives 21606.
    SenderSpec("+15017122699", "long_code", sms=False, friendly_name="Voice only"),
)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One Messaging Service: its sender pool (addresses of `SandboxConfig.senders`, and
    alphanumeric sender IDs), its settings and its A2P 10DLC registration.

    US long codes of the pool are registered when `a2p` is "registered"; a long code in no
    registered service is unregistered, and its US-bound traffic ends undelivered (30034).
    """

    sid: str
    friendly_name: str = "smscast sandbox service"
    #: Addresses of the account's senders in the pool (numbers and short codes).
    senders: tuple[str, ...] = ()
    alpha_senders: tuple[str, ...] = ()
    a2p: A2PState = "registered"
    sticky_sender: bool = True
    area_code_geomatch: bool = True
    usecase: str = "marketing"


DEFAULT_VERIFIED: tuple[str, ...] = (
    "+14155550100",
    "+14155550101",
    "+14155550102",
    "+12025550143",
    "+16175551212",
)


@dataclass(frozen=True, slots=True)
class Faults:
    """Shares (0..1) of requests that meet each injected fault, drawn from the seeded RNG.

    `rate_limit`, `error_before` and `hang` apply to every request; `error_after` and
    `drop_after` only to creates, after the message was stored (the ambiguous cases).
    """

    rate_limit: float = 0.0  # 429, code 20429, nothing done
    error_before: float = 0.0  # 500 or 503 before anything is done
    error_after: float = 0.0  # 500 after the message was created
    drop_after: float = 0.0  # connection closed without an answer after creating
    hang: float = 0.0  # no answer until the client gives up or the sandbox stops
    #: Seconds sent as `Retry-After` with every 429. Twilio documents none for Messages, but a
    #: client must honour one if it comes (Twilio's guidance on 429s: back off, and wait at least
    #: any Retry-After given); None sends no header, as Twilio does.
    retry_after: float | None = None

    def any(self) -> bool:
        """True when at least one fault can happen (the create path skips the draws if not)."""
        return any(
            (self.rate_limit, self.error_before, self.error_after, self.drop_after, self.hang)
        )


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Everything a sandbox run needs; defaults make a working trial account.

    Extends the architecture contract compatibly: `faults` is a `Faults` value, and the
    senders, prices, delivery delay and trial prefix are configurable too.
    """

    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    #: API keys: key SID ("SK" + 32 hex) -> secret; used with the account SID in the path.
    api_keys: dict[str, str] = field(default_factory=dict)
    friendly_name: str = "smscast sandbox"
    trial: bool = True
    status: Literal["active", "suspended", "closed"] = "active"
    #: Verified caller IDs (OutgoingCallerIds); a trial account may only text these.
    verified: tuple[str, ...] = DEFAULT_VERIFIED
    #: Numbers that replied STOP: sending to them gives 21610.
    opted_out: tuple[str, ...] = ()
    senders: tuple[SenderSpec, ...] = DEFAULT_SENDERS
    #: A Messaging Service made of every SMS-capable sender (registered for A2P 10DLC),
    #: served when `services` is None.
    messaging_service_sid: str = field(default_factory=lambda: new_sid("MG"))
    #: The account's Messaging Services; None: the one service above.
    services: tuple[ServiceSpec, ...] | None = None
    #: Senders the one default service leaves out: in no service, so a US long code among
    #: them is not registered for A2P 10DLC (its US traffic ends undelivered, 30034).
    outside_service: tuple[str, ...] = ()
    #: False: the compliance reads (A2P campaigns, toll-free verifications) answer 403, as for
    #: an API key without that permission (smscast then cannot tell, and only warns).
    compliance_readable: bool = True
    #: Trial accounts prefix every body, as Twilio does (it counts in the segments).
    trial_prefix: bool = True
    concurrency_limit: int = 100
    latency_ms: float = 0.0
    #: "fixed" = always latency_ms; "uniform" = 0..2*latency_ms; "exponential" = mean latency_ms.
    latency_distribution: LatencyDistribution = "fixed"
    #: Shares of messages (chosen per number and seed) that end undelivered / failed.
    undelivered_share: float = 0.0
    failed_share: float = 0.0
    faults: Faults = field(default_factory=Faults)
    seed: int = 0
    #: Multiplies every sender's throughput and divides the delivery delay (demo, tests).
    speedup: float = 1.0
    #: Seconds (at speedup 1) between `sent` and the delivery receipt.
    delivery_delay: float = 3.0
    #: When above `delivery_delay`: each receipt's delay is drawn (seeded, log-uniform)
    #: between the two, the spread real carriers show (seconds for most, minutes for some).
    delivery_delay_max: float = 0.0
    #: Seconds a Messaging Service message stays `accepted` before it is queued on a sender.
    accept_delay: float = 0.2
    #: Share of messages (seeded) whose `sent` status callback is posted after the final one.
    callback_disorder: float = 0.0
    #: USD per segment by region code, and for anywhere else.
    prices: dict[str, float] = field(default_factory=lambda: {"US": 0.0079, "CA": 0.0079})
    default_price: float = 0.0500
    #: Share of recipients (chosen per number and seed) who text back after delivery, each
    #: with one of `campaigns.sandbox.inbound.SCRIPTS` (STOP, HELP, a question, ...).
    reply_share: float = 0.0
    #: Seconds (at speedup 1) from delivery to a scripted reply, and between two of them.
    reply_delay: float = 4.0
    #: Seconds of traffic (at the sender's throughput) a queue holds before 21611.
    max_queue_seconds: float = 36000.0
    #: Lookup v2 line types by E.164 number ("landline", "tollFree", ...), over the sandbox's
    #: own deterministic choice (`campaigns.sandbox.lookups_v2.line_type`).
    line_types: dict[str, str] = field(default_factory=dict)
    #: Whether the account may look up Canadian line types (Twilio needs an approval; without
    #: it Line Type Intelligence answers error 60601 for +1 numbers in Canada).
    canada_lookup: bool = False

    def all_services(self) -> tuple[ServiceSpec, ...]:
        """The configured services, or the one default service of every SMS-capable sender."""
        if self.services is not None:
            return self.services
        pool = tuple(
            s.address for s in self.senders if s.sms and s.address not in self.outside_service
        )
        return (ServiceSpec(self.messaging_service_sid, senders=pool),)

    def outcome(self, to: str) -> tuple[str, int | None]:
        """The final status and error code a message to `to` ends with under this seed.

        Deterministic per (seed, number) so tests and demos can rely on it.
        """
        digest = hashlib.blake2b(f"{self.seed}:{to}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2.0**64
        code = DELIVERY_ERROR_CODES[digest[0] % len(DELIVERY_ERROR_CODES)]
        if draw < self.failed_share:
            return "failed", code
        if draw < self.failed_share + self.undelivered_share:
            return "undelivered", code
        return "delivered", None
