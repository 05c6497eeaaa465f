"""The seams between the core and the Twilio gateway, as typing protocols: what the engine,
reconciliation, tracking, the command line and the app call, so their parameters carry a real
type while this module (like `campaigns.twilio.models`) loads no SDK.

`campaigns.twilio.gateway.TwilioGateway` is a `Gateway` and its `AsyncGatewaySession` a
`GatewaySession`, structurally; the config layer's `Settings` is a `GatewaySettings`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from campaigns.twilio.credentials import CredentialSource
from campaigns.twilio.models import (
    AccountInfo,
    AccountSenders,
    CountryPrices,
    InboundListing,
    LineType,
    MessageRecord,
    MessagingService,
    ReceiptPage,
    Sender,
    VerifiedNumbers,
)


class GatewaySettings(CredentialSource, Protocol):
    """What a gateway is built from: the credentials (or why there are none), another API base
    (the sandbox) or None for Twilio, and the seconds one request may take (None: the
    gateway's default)."""

    @property
    def base_url(self) -> str | None: ...

    @property
    def request_timeout(self) -> float | None: ...


class GatewaySession(Protocol):
    """The async calls of one sending session, open for an `async with` block. Every failure
    is a `campaigns.twilio.errors.TwilioFailure` (Ambiguous when a message may exist anyway)."""

    async def __aenter__(self) -> GatewaySession: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        timeout: float = ...,
        status_callback: str | None = None,
        send_at: datetime | None = None,
    ) -> MessageRecord:
        """Create one message, from a number (`from_`) or a Messaging Service; with
        `send_at` (a service only), Twilio holds it as `scheduled` until then; Twilio posts
        its status changes to `status_callback` when one is given."""
        ...

    async def cancel(self, sid: str, timeout: float = ...) -> MessageRecord:
        """Cancel the scheduled message `sid` (30409 once it is no longer scheduled)."""
        ...

    async def fetch(self, sid: str, timeout: float = ...) -> MessageRecord:
        """The message `sid` as Twilio holds it now (delivery polling)."""
        ...

    async def messages_to(
        self, to: str, since: datetime, timeout: float = ...
    ) -> list[MessageRecord]:
        """Messages to `to` created at or after `since` (reconciliation)."""
        ...

    async def receipts_page(
        self,
        *,
        from_: str | None,
        sent_after: datetime,
        page_url: str | None = None,
        page_size: int = ...,
        timeout: float = ...,
    ) -> ReceiptPage:
        """One page of the messages sent from `from_` (None: any) since `sent_after`
        (delivery sweeps); `page_url` is the previous page's `next_page_url`."""
        ...


class Gateway(Protocol):
    """The synchronous reads of one Twilio account, and the factory of sending sessions."""

    def account(self) -> AccountInfo:
        """The account the credentials belong to."""
        ...

    def require_active(self, account: AccountInfo | None = None) -> AccountInfo:
        """The account, or a `FatalError` when it cannot send (suspended, closed)."""
        ...

    def senders(self, *, sms_only: bool = True) -> list[Sender]:
        """The account's numbers and short codes (SMS-capable ones unless `sms_only` is False)."""
        ...

    def messaging_services(self) -> list[Sender]:
        """The account's Messaging Services, each as a sender paced at its pool's throughput."""
        ...

    def service_pools(self) -> list[MessagingService]:
        """The account's Messaging Services with their sender pools."""
        ...

    def account_senders(self) -> AccountSenders:
        """Every sender with its US registration, and the services' pools ("unknown" when
        Twilio will not say)."""
        ...

    def verified_numbers(self) -> VerifiedNumbers:
        """The account's verified caller IDs, in E.164."""
        ...

    def fetch(self, sid: str) -> MessageRecord:
        """The message `sid` as Twilio holds it now."""
        ...

    def messages_to(self, to: str, since: datetime) -> list[MessageRecord]:
        """Messages to `to` created at or after `since`."""
        ...

    def messaging_prices(self, iso_country: str) -> CountryPrices | None:
        """A country's outbound SMS prices per carrier (None: Twilio has none for it)."""
        ...

    def line_types(self, numbers: Sequence[str]) -> list[LineType]:
        """Lookup's line type of each number, in order (each lookup is billed)."""
        ...

    def inbound(
        self,
        to: str,
        since: datetime,
        *,
        page_size: int = ...,
        known: Callable[[str], bool] | None = None,
    ) -> InboundListing:
        """Messages to our number `to` sent at or after `since`, newest first, up to the
        first page with a `known` SID (replies)."""
        ...

    def async_session(self, max_in_flight: int = ...) -> GatewaySession:
        """A sending session (`async with gateway.async_session() as session:`)."""
        ...

    def close(self) -> None:
        """Release the gateway's connections (safe to call twice)."""
        ...
