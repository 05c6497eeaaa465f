"""The values the core passes around about Twilio: the account, a sender, a message as Twilio
holds it, the verified numbers. Small frozen dataclasses, free of the SDK (this module imports
nothing from twilio, so the engine, the command line and the app can type with them without
loading it); the gateway builds them from the SDK's resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AccountInfo:
    """The Twilio account the credentials belong to. `type` is "Trial" or "Full"."""

    sid: str
    friendly_name: str
    type: str
    status: str

    @property
    def trial(self) -> bool:
        return self.type.lower() == "trial"

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"


@dataclass(frozen=True)
class Sender:
    """Something messages can be sent from: a number, a short code or a Messaging Service."""

    address: str
    kind: str  # "long_code" | "toll_free" | "short_code" | "messaging_service"
    sms: bool
    segments_per_second: float
    friendly_name: str = ""
    sid: str = ""
    #: The region code the sender belongs to ("US", "CA", ...), "" when not known.
    country: str = ""
    #: Its US registration (`campaigns.twilio.registration`: registered, pending, failed,
    #: unregistered; approved, rejected, unverified; not-needed; unknown), "" when not read.
    registration: str = ""


@dataclass(frozen=True)
class MessagingService:
    """A Messaging Service with its sender pool, as Twilio lists it.

    `a2p` is the service's A2P 10DLC state (`campaigns.twilio.registration`), which its US long
    codes share; each sender of `senders` carries its own `registration` (a toll-free number's
    is its verification). `alpha_senders` are alphanumeric sender IDs (not paced here).
    """

    sid: str
    friendly_name: str
    sticky_sender: bool
    area_code_geomatch: bool
    a2p: str
    senders: tuple[Sender, ...]
    alpha_senders: tuple[str, ...] = ()

    @property
    def segments_per_second(self) -> float:
        """The pool's combined throughput: Twilio spreads the load over its senders."""
        return sum(s.segments_per_second for s in self.senders if s.sms)

    def as_sender(self) -> Sender:
        """The service as something to send from, paced at its pool's throughput."""
        return Sender(
            address=self.sid,
            kind="messaging_service",
            sms=True,
            segments_per_second=self.segments_per_second,
            friendly_name=self.friendly_name,
            sid=self.sid,
            registration=self.a2p,
        )


@dataclass(frozen=True)
class AccountSenders:
    """Every sender of the account with its US registration: its own numbers and short codes
    (`numbers`) and its Messaging Services. `unknown` says why Twilio could not be asked
    about registration ("" when it could): then every state is "unknown"."""

    numbers: tuple[Sender, ...]
    services: tuple[MessagingService, ...]
    unknown: str = ""

    def number(self, address: str) -> Sender | None:
        return next((s for s in self.numbers if s.address == address), None)

    def service(self, sid: str) -> MessagingService | None:
        return next((s for s in self.services if s.sid == sid), None)


@dataclass(frozen=True)
class MessageRecord:
    """A Message resource as Twilio holds it."""

    sid: str
    to: str
    from_: str | None
    body: str
    status: str
    num_segments: int | None
    price: str | None
    error_code: int | None
    error_message: str | None
    date_created: datetime | None
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    price_unit: str | None = None
    messaging_service_sid: str | None = None
    #: Twilio's word: `outbound-api`, `outbound-reply` (its keyword confirmations), `inbound`.
    direction: str | None = None


@dataclass(frozen=True)
class InboundListing:
    """The messages one listing of a number's inbound traffic found, and the requests (pages)
    it cost."""

    records: list[MessageRecord]
    requests: int


@dataclass(frozen=True)
class VerifiedNumbers:
    """The account's verified caller IDs in E.164; `warnings` names entries that were skipped."""

    numbers: frozenset[str]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CarrierPrice:
    """What Twilio charges per outbound segment to one carrier network of a country, sending
    from one kind of number (`number_type`: "local", "mobile", "toll free", "shortcode")."""

    carrier: str
    number_type: str
    price: float


@dataclass(frozen=True)
class CountryPrices:
    """A country's outbound SMS prices from the Pricing API: one entry per carrier and sender
    number type; `price_unit` the currency ("USD")."""

    iso_country: str
    country: str
    price_unit: str
    outbound: tuple[CarrierPrice, ...]


@dataclass(frozen=True)
class LineType:
    """What Lookup's Line Type Intelligence says of a number: `type` ("mobile", "landline",
    "fixedVoip", "tollFree", ... or None when Twilio could not tell, then `error_code` says
    why), the carrier's name if any; `valid` False when Twilio calls the number invalid."""

    phone: str
    valid: bool
    type: str | None
    carrier_name: str | None = None
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What Twilio says of one message's delivery, from a list page, a fetch or a status
    callback: the few fields a receipt changes in the journal (no dates, so a page of 1,000
    is read without parsing 3,000 of them)."""

    sid: str
    status: str
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    num_segments: int | None = None
    from_: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptPage:
    """One page of a Messages listing: its receipts and the URL of the next page (None on
    the last one)."""

    receipts: list[Receipt]
    next_page_url: str | None
