"""The one door to Twilio: account, senders, verified numbers, look-ups, and the sending
sessions.

`TwilioGateway` builds the official SDK's clients from a `GatewaySettings` (the settings, or
`Credentials` and an API base), pointed at another API base, such as the sandbox, when
`base_url` is set. It is a `campaigns.twilio.protocols.Gateway`: every SDK resource comes back
as a small frozen value of `campaigns.twilio.models` (`campaigns.twilio.convert`), every failure
as a `campaigns.twilio.errors.TwilioFailure` (`campaigns.twilio.translate`), and its reads retry
transient failures (`ReadRetry`). Sending goes through `async_session()`
(`campaigns.twilio.session.AsyncGatewaySession`), on our own keep-alive HTTP/1.1 pool
(`campaigns.twilio.http_transport`), or on aiohttp when the environment asks for a proxy.

The SDK is imported only by this package's adapter modules: this one, `http_clients`,
`translate` and `session`. Secrets never reach a message: every text is scrubbed of the auth
token / API secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from twilio.base.page import Page
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.lookups.v2.query import QueryList

from campaigns.secrets import remember_secret, scrub
from campaigns.twilio import registration as reg
from campaigns.twilio.convert import (
    normalize_verified,
    record_from_payload,
    record_from_sdk,
    records_since,
    sender_from_number,
)
from campaigns.twilio.credentials import Credentials, require_credentials
from campaigns.twilio.errors import FatalError, TransientError, TwilioFailure, from_twilio_error
from campaigns.twilio.http_clients import (
    DEFAULT_TIMEOUT,
    SDK_CONNECTION_LIMIT,
    SyncHttpClient,
    is_loopback,
    last_response,
)
from campaigns.twilio.limits import SENDER_RATES, backoff
from campaigns.twilio.models import (
    AccountInfo,
    AccountSenders,
    CarrierPrice,
    CountryPrices,
    InboundListing,
    LineType,
    MessageRecord,
    MessagingService,
    Sender,
    VerifiedNumbers,
)
from campaigns.twilio.protocols import GatewaySettings
from campaigns.twilio.session import AsyncGatewaySession
from campaigns.twilio.translate import Translator, api_host

T = TypeVar("T")

#: Numbers per Lookup batch request. Twilio's spec names no limit; 100 is an assumption on
#: the safe side (the sandbox refuses more).
LOOKUP_BATCH = 100


def _carrier_prices(entries: Sequence[Any]) -> list[CarrierPrice]:
    """The Pricing API's `outbound_sms_prices` as values; entries without a usable price are
    left out (prices come as decimal strings)."""
    prices = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        carrier = str(entry.get("carrier") or "")
        for price in entry.get("prices") or []:
            try:
                value = float(price.get("current_price") or price.get("base_price"))
            except (TypeError, ValueError, AttributeError):
                continue
            prices.append(CarrierPrice(carrier, str(price.get("number_type") or ""), value))
    return prices


def _line_type(number: str, item: dict[str, Any] | None) -> LineType:
    """One batch answer as a value; a number Twilio did not answer for has no type."""
    if item is None:
        return LineType(number, valid=True, type=None)
    intelligence = item.get("line_type_intelligence") or {}
    error_code = intelligence.get("error_code") or item.get("twilio_error_code")
    return LineType(
        phone=number,
        valid=bool(item.get("valid", True)),
        type=intelligence.get("type") or None,
        carrier_name=intelligence.get("carrier_name") or None,
        error_code=int(error_code) if error_code else None,
    )


@dataclass(frozen=True)
class ReadRetry:
    """How the gateway's synchronous reads (account, senders, Messaging Services, verified
    numbers, look-ups) retry a `TransientError` (429, 5xx, timeout, refused or broken
    connection): reads change nothing at Twilio, so repeating them is always safe.

    The delays are the engine's for sends (`campaigns.twilio.limits.backoff`: a 429 from base 0.2 s
    capped at 5 s, anything else from 0.5 s), never shorter than a `Retry-After` Twilio gives.
    Bounded twice: at most `attempts` tries, and no wait that would end more than `budget`
    seconds after the first try began (a Retry-After beyond it is not waited for).
    """

    attempts: int = 5
    budget: float = 60.0

    def delay(self, attempt: int, failure: TransientError) -> float:
        """Seconds to wait after the `attempt`-th try (1-based) failed with `failure`."""
        # A 429 is about requests at once: retry soon (the engine's choice for sends).
        wait = backoff(attempt, base=0.2, cap=5.0) if _throttled(failure) else backoff(attempt)
        return max(wait, failure.retry_after or 0.0)


#: No retry at all (one try): for callers that retry on their own.
NO_RETRY = ReadRetry(attempts=1)


def _throttled(failure: TwilioFailure) -> bool:
    return failure.status == 429 or failure.code == 20429


def _gave_up(failure: TransientError, attempts: int, wait: float | None) -> TransientError:
    """`failure` once a read stopped retrying, its hint saying what smscast did (and no longer
    that it "tries again"). `wait`: the Retry-After that was too long to wait for, if that is
    why it stopped."""
    tries = f"smscast tried {attempts} time{'s' if attempts != 1 else ''}"
    if wait is not None and failure.retry_after:
        tries += f" (Twilio asked to wait {failure.retry_after:g} s more, too long to wait here)"
    if _throttled(failure):
        advice = "Twilio is rate-limiting this account (other programs may be using it too)"
    else:
        advice = "Check the network connection and https://status.twilio.com"
    hint = f"{tries}. {advice}; wait a minute, then try again."
    return TransientError(
        failure.message,
        hint,
        code=failure.code,
        status=failure.status,
        twilio_message=failure.twilio_message,
        retry_after=failure.retry_after,
    )


class TwilioGateway:
    """Synchronous calls to Twilio (account, senders, verified numbers, look-ups), and the
    factory of `AsyncGatewaySession`s for sending.

    `TwilioGateway(settings)` (any `GatewaySettings`: the config layer's `Settings` is one)
    or `TwilioGateway(credentials, base_url=...)`. The sync SDK client is built on first
    use and reused (its connection pool with it); `close()` releases it.
    `timeout` bounds each sync request (default: the settings' `request_timeout`, which a
    command's `--timeout` sets, else `DEFAULT_TIMEOUT`); `retry` is how reads retry
    transient failures (`ReadRetry`).
    """

    def __init__(
        self,
        settings: GatewaySettings | Credentials,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        retry: ReadRetry | None = None,
    ) -> None:
        self.credentials: Credentials
        self.base_url: str | None
        if isinstance(settings, Credentials):
            self.credentials = settings
            self.base_url = base_url
        else:
            self.credentials = require_credentials(settings)
            self.base_url = base_url or settings.base_url
            timeout = timeout or settings.request_timeout
        self.base_url = self.base_url.rstrip("/") if self.base_url else None
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or ReadRetry()
        remember_secret(self.credentials.password)
        self.translator = Translator(self.credentials, api_host(self.base_url))
        self._client: Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        base_url = scrub(self.base_url, (self.credentials.password,)) if self.base_url else None
        return f"TwilioGateway({self.credentials!r}, base_url={base_url!r})"

    def __enter__(self) -> TwilioGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the sync client's connection pool (safe to call twice)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and isinstance(client.http_client, TwilioHttpClient):
            session = client.http_client.session
            if session is not None:
                session.close()

    def make_client(self, http_client: Any) -> Client:
        """An SDK client on `http_client`, pointed at `base_url` when one is set."""
        creds = self.credentials
        client = Client(creds.username, creds.password, creds.account_sid, http_client=http_client)
        if self.base_url:
            # TWILIO_EDGE / TWILIO_REGION would rewrite the host (127.0.0.1 -> 127.ie1.0.1).
            client.edge = None
            client.region = None
            client.api.base_url = self.base_url
            client.messaging.base_url = self.base_url
            client.pricing.base_url = self.base_url
            client.lookups.base_url = self.base_url
        return client

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                http = SyncHttpClient(
                    timeout=self.timeout, trust_env=not is_loopback(self.base_url)
                )
                self._client = self.make_client(http)
            return self._client

    def _call(self, what: str, operation: Callable[[Client], T]) -> T:
        """`operation` (a read) on the sync client, failures translated; a `TransientError`
        is retried as `self.retry` says, and when the tries run out the error says so."""
        policy = self.retry
        deadline = time.monotonic() + policy.budget
        attempt = 0
        while True:
            attempt += 1
            failure = self._try(what, operation)
            if not isinstance(failure, TransientError):
                return failure
            wait = policy.delay(attempt, failure)
            if attempt >= policy.attempts or time.monotonic() + wait > deadline:
                raise _gave_up(failure, attempt, wait if attempt < policy.attempts else None)
            time.sleep(wait)

    def _try(self, what: str, operation: Callable[[Client], T]) -> T | TransientError:
        """One try: the result, or the `TransientError` to retry (other failures raise)."""
        last_response.set(None)
        try:
            return operation(self.client)
        except Exception as exc:
            failure = self.translator.failure(exc, sending=False, what=what)
        if isinstance(failure, TransientError):
            failure.message = failure.message.replace(
                "No answer from Twilio in time", f"No answer from Twilio within {self.timeout:g} s"
            )
            return failure
        raise failure

    # --- reads ---

    def account(self) -> AccountInfo:
        """The account the credentials belong to (type Trial/Full, status)."""
        sid = self.credentials.account_sid
        account = self._call("reading the account", lambda c: c.api.v2010.accounts(sid).fetch())
        return AccountInfo(
            sid=account.sid,
            friendly_name=account.friendly_name or "",
            type=str(account.type or ""),
            status=str(account.status or ""),
        )

    def require_active(self, account: AccountInfo | None = None) -> AccountInfo:
        """The account, or a `FatalError` when it is suspended or closed."""
        account = account or self.account()
        if not account.active:
            failure = from_twilio_error(None, 20005, f"Account status: {account.status}")
            raise FatalError(
                f"The Twilio account {account.sid} is {account.status}: it cannot send.",
                failure.hint,
                code=20005,
                twilio_message=failure.twilio_message,
            )
        return account

    def senders(self, *, sms_only: bool = True, page_size: int = 1000) -> list[Sender]:
        """The account's own numbers (IncomingPhoneNumbers: long codes and toll-free, kind told
        by the number) and its short codes (SMS/ShortCodes); SMS-capable ones only unless
        `sms_only` is False."""
        numbers = self._call(
            "listing the account's phone numbers",
            lambda c: c.api.v2010.account.incoming_phone_numbers.list(page_size=page_size),
        )
        short_codes = self._call(
            "listing the account's short codes",
            lambda c: c.api.v2010.account.short_codes.list(page_size=page_size),
        )
        senders = [sender_from_number(number) for number in numbers]
        senders += [
            Sender(
                address=code.short_code,
                kind="short_code",
                sms=True,
                segments_per_second=SENDER_RATES["short_code"],
                friendly_name=code.friendly_name or "",
                sid=code.sid or "",
                country="US",
            )
            for code in short_codes
        ]
        return [s for s in senders if s.sms] if sms_only else senders

    def messaging_services(self, page_size: int = 100) -> list[Sender]:
        """The account's Messaging Services, each as a sender paced at its pool's combined
        throughput (the sum of its senders': `--rate auto`)."""
        return [pool.as_sender() for pool in self.service_pools(page_size=page_size)]

    def service_pools(self, *, page_size: int = 100) -> list[MessagingService]:
        """The account's Messaging Services with their sender pools (numbers, short codes,
        alphanumeric IDs), without registration (`account_senders` reads that too)."""
        return [pool for pool, _ in self._pools(page_size, a2p=False)]

    def _pools(
        self, page_size: int, *, a2p: bool
    ) -> list[tuple[MessagingService, list[str | None] | None]]:
        """Each service with its pool, and (with `a2p`) its A2P campaigns' statuses; a read
        of the campaigns that fails raises (the caller decides it cannot tell)."""
        services = self._call(
            "listing Messaging Services",
            lambda c: c.messaging.v1.services.list(page_size=page_size),
        )
        found: list[tuple[MessagingService, list[str | None] | None]] = []
        for service in services:
            sid = service.sid

            def pool(c: Client, sid: str = sid) -> tuple[list[Any], list[Any], list[Any]]:
                one = c.messaging.v1.services(sid)
                return (
                    one.phone_numbers.list(page_size=1000),
                    one.short_codes.list(page_size=1000),
                    one.alpha_senders.list(page_size=1000),
                )

            numbers, codes, alphas = self._call(f"listing the senders of {sid}", pool)
            campaigns: list[str | None] | None = None
            if a2p:

                def statuses(c: Client, sid: str = sid) -> list[str | None]:
                    listed = c.messaging.v1.services(sid).us_app_to_person.list()
                    return [u.campaign_status for u in listed]

                campaigns = self._call(f"reading the A2P 10DLC campaigns of {sid}", statuses)
            state = reg.a2p_state(campaigns) if campaigns is not None else reg.UNKNOWN
            found.append(
                (
                    MessagingService(
                        sid=sid,
                        friendly_name=service.friendly_name or "",
                        sticky_sender=bool(service.sticky_sender),
                        area_code_geomatch=bool(service.area_code_geomatch),
                        a2p=state,
                        senders=tuple(sender_from_number(n) for n in [*numbers, *codes]),
                        alpha_senders=tuple(a.alpha_sender for a in alphas if a.alpha_sender),
                    ),
                    campaigns,
                )
            )
        return found

    def account_senders(self, page_size: int = 100) -> AccountSenders:
        """Every sender of the account with its US registration (A2P 10DLC for US long
        codes, toll-free verification): what `smscast account` lists and what the audience's
        registration preflight reads. Where Twilio will not say (no permission, an old
        account), every state is "unknown" and `unknown` says why; nothing is guessed."""
        numbers = self.senders()
        unknown = ""
        try:
            pools = [pool for pool, _ in self._pools(page_size, a2p=True)]
        except TwilioFailure as exc:
            unknown = scrub(exc.message)
            try:
                pools = self.service_pools(page_size=page_size)
            except TwilioFailure:
                pools = []
        verifications: dict[str, list[str | None]] = {}
        if not unknown:
            try:
                for v in self._call(
                    "reading toll-free verifications",
                    lambda c: c.messaging.v1.tollfree_verifications.list(page_size=1000),
                ):
                    key = v.tollfree_phone_number_sid or v.tollfree_phone_number or ""
                    verifications.setdefault(key, []).append(v.status)
            except TwilioFailure as exc:
                unknown = scrub(exc.message)

        def state(sender: Sender) -> str:
            if sender.kind == "short_code":
                return reg.NOT_NEEDED
            if sender.kind == "toll_free":
                if unknown:
                    return reg.UNKNOWN
                found = verifications.get(sender.sid) or verifications.get(sender.address)
                return reg.toll_free_state(list(found or []))
            if sender.country not in reg.A2P_REGIONS:
                return reg.NOT_NEEDED
            if unknown:
                return reg.UNKNOWN
            mine = [p.a2p for p in pools if any(s.address == sender.address for s in p.senders)]
            if reg.REGISTERED in mine:
                return reg.REGISTERED
            return mine[0] if mine else reg.UNREGISTERED

        def stated(sender: Sender) -> Sender:
            return replace(sender, registration=state(sender))

        services = tuple(
            replace(
                pool,
                a2p=reg.UNKNOWN if unknown else pool.a2p,
                senders=tuple(stated(s) for s in pool.senders),
            )
            for pool in pools
        )
        return AccountSenders(tuple(stated(s) for s in numbers), services, unknown)

    def verified_numbers(self, page_size: int = 1000) -> VerifiedNumbers:
        """Every page of the account's verified caller IDs, normalized to E.164."""
        entries = self._call(
            "listing verified caller IDs",
            lambda c: [
                (e.sid, e.phone_number)
                for e in c.api.v2010.account.outgoing_caller_ids.list(page_size=page_size)
            ],
        )
        return normalize_verified(entries)

    def fetch(self, sid: str) -> MessageRecord:
        """The message `sid` as Twilio holds it now."""
        return record_from_sdk(
            self._call(
                f"reading message {sid}", lambda c: c.api.v2010.account.messages(sid).fetch()
            )
        )

    def messages_to(
        self, to: str, since: datetime, *, page_size: int = 1000
    ) -> list[MessageRecord]:
        """Messages to `to` created at or after `since` (all pages), for reconciliation."""
        # No DateSent filter: Twilio filters on date_sent, which a still-queued message does not
        # have yet, so a date filter could hide exactly the message we are looking for.
        records = self._call(
            f"looking up messages to {to}",
            lambda c: c.api.v2010.account.messages.list(to=to, page_size=page_size),
        )
        return records_since(records, since)

    def messaging_prices(self, iso_country: str) -> CountryPrices | None:
        """The Pricing API's outbound SMS prices of a country (ISO 3166 alpha-2), or None when
        Twilio has none for it (HTTP 404)."""
        try:
            country = self._call(
                f"reading Twilio's SMS prices for {iso_country}",
                lambda c: c.pricing.v1.messaging.countries(iso_country).fetch(),
            )
        except TwilioFailure as failure:
            if failure.status == 404:
                return None
            raise
        return CountryPrices(
            iso_country=str(country.iso_country or iso_country),
            country=str(country.country or iso_country),
            price_unit=str(country.price_unit or "USD").upper(),
            outbound=tuple(_carrier_prices(country.outbound_sms_prices or [])),
        )

    def line_types(self, numbers: Sequence[str]) -> list[LineType]:
        """Lookup's Line Type Intelligence for each of `numbers` (E.164), in their order:
        Lookup v2's batch query, `LOOKUP_BATCH` numbers a request. Each number is billed.

        A transient failure is retried like every read (nothing changes at Twilio), which
        may bill a batch twice when its first answer was lost: the price of never guessing.
        """
        results: list[LineType] = []
        for start in range(0, len(numbers), LOOKUP_BATCH):
            chunk = list(numbers[start : start + LOOKUP_BATCH])
            results.extend(self._line_type_batch(chunk))
        return results

    def _line_type_batch(self, chunk: list[str]) -> list[LineType]:
        request = QueryList.LookupRequest(
            {
                "phone_numbers": [
                    {
                        "phone_number": number,
                        "fields": ["line_type_intelligence"],
                        "correlation_id": str(position),
                    }
                    for position, number in enumerate(chunk)
                ]
            }
        )
        answer = self._call(
            f"looking up the line types of {len(chunk)} numbers",
            lambda c: c.lookups.v2.query.create(lookup_request=request),
        )
        items: list[dict[str, Any]] = list(answer.phone_numbers or [])
        by_position = {
            str(item.get("correlation_id")): item for item in items if isinstance(item, dict)
        }
        return [
            _line_type(number, by_position.get(str(position)))
            for position, number in enumerate(chunk)
        ]

    def inbound(
        self,
        to: str,
        since: datetime,
        *,
        page_size: int = 1000,
        known: Callable[[str], bool] | None = None,
    ) -> InboundListing:
        """Messages to our number `to` sent at or after `since` (`DateSent>`, inclusive, to
        the second), newest first, with the requests it took: every page, or, with `known`,
        up to the first page holding a SID `known` says is already stored (Twilio lists
        newest first, so what follows it was listed before). The reply collector's one read:
        an idle poll is one request."""

        params = {
            "To": to,
            "DateSent>": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "PageSize": page_size,
        }
        uri = f"/Accounts/{self.credentials.account_sid}/Messages.json"

        def read(c: Client) -> InboundListing:
            # The SDK's own page request, read straight into MessageRecords: its
            # MessageInstance (three date parses, ~40 fields) cost most of the time of a
            # 100,000-reply collection (as on the send path: AsyncGatewaySession.send).
            version = c.api.v2010
            response = version.page("GET", uri, params=params)
            records: list[MessageRecord] = []
            requests = 1
            while True:
                payload = Page.process_response(response)  # raises on an error answer
                fresh = [record_from_payload(m) for m in payload.get("messages") or ()]
                records += fresh
                next_uri = payload.get("next_page_uri")
                if not next_uri or (known is not None and any(known(r.sid) for r in fresh)):
                    return InboundListing(records, requests)
                response = version.domain.twilio.request(
                    "GET", version.domain.absolute_url(next_uri)
                )
                requests += 1

        return self._call(f"listing replies to {to}", read)

    # --- async ---

    def async_session(self, max_in_flight: int = SDK_CONNECTION_LIMIT) -> AsyncGatewaySession:
        """`async with gateway.async_session(max_in_flight=N) as session:` for sending."""
        return AsyncGatewaySession(self, max_in_flight=max_in_flight)
