"""Sending: `AsyncGatewaySession`, an async SDK client on one connection pool for an
`async with` block (the `campaigns.twilio.protocols.GatewaySession` the engine sends through).

SDK pitfalls handled here: the async http client is created inside the running loop and closed
on exit, with as many connections as requests in flight; the SDK's own aiohttp client ignores
`timeout`, so every call is bounded here (by the pool's shared deadline timer, or
`asyncio.timeout`); its `max_retries` is never used (it would replay POSTs). While a session is
open the cyclic garbage collector runs less often (`_RelaxedGC`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.http import AsyncHttpClient
from twilio.rest import Client

from campaigns.twilio.convert import (
    receipt_from_payload,
    record_from_payload,
    record_from_sdk,
    records_since,
)
from campaigns.twilio.http_clients import (
    DEFAULT_TIMEOUT,
    SDK_CONNECTION_LIMIT,
    AiohttpClient,
    LeanAsyncHttpClient,
    is_loopback,
    last_response,
)
from campaigns.twilio.http_transport import ConnectionPool, proxy_for
from campaigns.twilio.models import MessageRecord, ReceiptPage

if TYPE_CHECKING:
    from campaigns.twilio.gateway import TwilioGateway

T = TypeVar("T")


class _RelaxedGC:
    """While any async session is open, run the cyclic garbage collector less often.

    Each request allocates a few hundred short-lived objects (aiohttp, the SDK), and with 100
    requests in flight many of them are still alive at each of Python's default gen-0
    collections (every 700 allocations): they get promoted and rescanned, ~10% of the client's
    CPU. Collecting every 20,000 allocations lets them die first. Only the gen-0 threshold
    changes (no `gc.freeze`/`unfreeze`: the TUI freezes its own objects). Reference counted, so
    sessions in several threads nest; the thresholds are restored when the last one closes.
    """

    THRESHOLD0 = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: tuple[int, int, int] | None = None

    def enter(self) -> None:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._saved = gc.get_threshold()
                gc.set_threshold(max(self._saved[0], self.THRESHOLD0), *self._saved[1:])

    def exit(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._saved is not None:
                gc.set_threshold(*self._saved)
                self._saved = None


_relaxed_gc = _RelaxedGC()


#: The headers the SDK's MessageList sets on a create (the client adds auth, agent, charset).
_CREATE_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
}


class AsyncGatewaySession:
    """An async SDK client on one connection pool, alive for an `async with` block.

    Created inside the running loop and closed on exit. The pool is our lean keep-alive one
    (`campaigns.twilio.http_transport`), or an aiohttp session when the environment configures a
    proxy
    for Twilio's host (HTTPS_PROXY / HTTP_PROXY; NO_PROXY honoured; never for loopback). Either
    allows `max_in_flight` connections (at least the SDK's 100), so that many requests can be in
    flight at once without queueing.
    """

    def __init__(self, gateway: TwilioGateway, *, max_in_flight: int = SDK_CONNECTION_LIMIT):
        self._gateway = gateway
        self._errors = gateway.translator
        self.max_in_flight = max(SDK_CONNECTION_LIMIT, max_in_flight)
        self._session: aiohttp.ClientSession | None = None
        self._pool: ConnectionPool | None = None
        self._client: Client | None = None
        self._relaxed = False
        # MessageList's own URI for this account (the SDK builds it the same way).
        self._messages_uri = f"/Accounts/{gateway.credentials.account_sid}/Messages.json"

    @property
    def transport(self) -> str:
        """ "lean" (our own pool) or "aiohttp" (a proxy is configured); "" when closed."""
        if self._pool is not None:
            return "lean"
        return "aiohttp" if self._session is not None else ""

    def _wants_proxy(self) -> bool:
        base = self._gateway.base_url or "https://api.twilio.com"
        return not is_loopback(base) and proxy_for(base) is not None

    async def __aenter__(self) -> AsyncGatewaySession:
        http: AsyncHttpClient
        if self._wants_proxy():
            connector = aiohttp.TCPConnector(limit=self.max_in_flight, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=True,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            )
            http = AiohttpClient(self._session)
        else:
            self._pool = ConnectionPool(self.max_in_flight)
            http = LeanAsyncHttpClient(self._pool)
        self._client = self._gateway.make_client(http)
        _relaxed_gc.enter()
        self._relaxed = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session, self._client = self._session, None, None
        pool, self._pool = self._pool, None
        if self._relaxed:
            self._relaxed = False
            _relaxed_gc.exit()
        if session is not None:
            await session.close()
        if pool is not None:
            await pool.close()

    async def _bounded(
        self,
        what: str,
        timeout: float,
        sending: bool,
        operation: Callable[[Client], Awaitable[T]],
        *,
        timeout_passed: bool = False,
    ) -> T:
        """`operation` on the SDK client, bounded by `timeout`, failures translated.

        `timeout_passed`: the operation hands `timeout` to the http client itself (the SDK's
        `Version` methods do; its resource methods do not). Our lean pool honours it with one
        shared timer, so no `asyncio.timeout` (a timer armed and cancelled per request) is
        needed; the aiohttp client ignores it, so there the bound stays here."""
        if self._client is None:
            raise RuntimeError("use 'async with gateway.async_session() as session:'")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        last_response.set(None)
        try:
            if timeout_passed and self._pool is not None:
                return await operation(self._client)
            async with asyncio.timeout(timeout):
                return await operation(self._client)
        except TimeoutError as exc:
            failure = self._errors.failure(exc, sending=sending, what=what)
            failure.message = failure.message.replace(
                "No answer from Twilio in time", f"No answer from Twilio within {timeout:g} s"
            )
            raise failure from None
        except Exception as exc:
            raise self._errors.failure(exc, sending=sending, what=what) from None

    async def send(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        status_callback: str | None = None,
        send_at: datetime | None = None,
        **extra: Any,
    ) -> MessageRecord:
        """Create one message. Raises a `TwilioFailure`: Ambiguous when it may exist anyway.

        `extra` passes further create parameters (e.g. `smart_encoded=True`,
        `validity_period=3600`) straight to the SDK's `messages.create_async`. Without them (the
        engine's case) the create goes through the SDK one layer lower, `Version.create_async`
        (same request, same auth, headers and error handling), and the JSON answer is read
        straight into a `MessageRecord`: building the SDK's `MessageInstance` (three date
        parses through `email.utils`, ~40 fields) cost a tenth of the client's CPU per message.
        """
        if not from_ and not messaging_service_sid:
            raise ValueError("send() needs from_ or messaging_service_sid")
        if send_at is not None and not messaging_service_sid:
            # Twilio drops the schedule of a request without a service and sends at once
            # (its scheduling FAQ): never let that happen by accident.
            raise ValueError("a scheduled send needs messaging_service_sid")
        if not extra:
            data = {"To": to}
            if from_:
                data["From"] = from_
            if messaging_service_sid:
                data["MessagingServiceSid"] = messaging_service_sid
            data["Body"] = body
            if status_callback:
                data["StatusCallback"] = status_callback
            if send_at is not None:
                # `send_at`: Twilio holds the message (status `scheduled`) until then.
                data["ScheduleType"] = "fixed"
                data["SendAt"] = send_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            uri = self._messages_uri
            payload = await self._bounded(
                f"sending to {to}",
                timeout,
                True,
                lambda c: c.api.v2010.create_async(
                    method="POST",
                    uri=uri,
                    data=data,
                    headers=dict(_CREATE_HEADERS),
                    timeout=timeout,
                ),
                timeout_passed=True,
            )
            if not isinstance(payload, dict) or not payload.get("sid"):
                raise self._errors.failure(
                    ValueError("the answer to a create holds no message SID"),
                    sending=True,
                    what=f"sending to {to}",
                )
            return record_from_payload(payload)
        message = await self._bounded(
            f"sending to {to}",
            timeout,
            True,
            lambda c: c.api.v2010.account.messages.create_async(
                to=to,
                body=body,
                from_=from_,
                messaging_service_sid=messaging_service_sid,
                **({"status_callback": status_callback} if status_callback else {}),
                **_schedule_params(send_at),
                **extra,
            ),
        )
        return record_from_sdk(message)

    async def cancel(self, sid: str, timeout: float = DEFAULT_TIMEOUT) -> MessageRecord:
        """Cancel the scheduled message `sid` (`Status=canceled`); Twilio refuses one that is
        no longer scheduled (30409, a `PermanentError`)."""
        message = await self._bounded(
            f"canceling message {sid}",
            timeout,
            False,
            lambda c: c.api.v2010.account.messages(sid).update_async(status="canceled"),
        )
        return record_from_sdk(message)

    async def fetch(self, sid: str, timeout: float = DEFAULT_TIMEOUT) -> MessageRecord:
        """The message `sid` as Twilio holds it now (for delivery polling)."""
        message = await self._bounded(
            f"reading message {sid}",
            timeout,
            False,
            lambda c: c.api.v2010.account.messages(sid).fetch_async(),
        )
        return record_from_sdk(message)

    async def messages_to(
        self,
        to: str,
        since: datetime,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        page_size: int = 1000,
    ) -> list[MessageRecord]:
        """Messages to `to` created at or after `since` (all pages), for reconciliation."""
        records = await self._bounded(
            f"looking up messages to {to}",
            timeout,
            False,
            # No DateSent filter: see TwilioGateway.messages_to.
            lambda c: c.api.v2010.account.messages.list_async(to=to, page_size=page_size),
        )
        return records_since(records, since)

    async def receipts_page(
        self,
        *,
        from_: str | None,
        sent_after: datetime,
        page_url: str | None = None,
        page_size: int = 1000,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ReceiptPage:
        """One page of the messages sent from `from_` (None: from any number) since
        `sent_after` (Twilio's `DateSent>` filter), newest first; `page_url` is the previous
        page's `next_page_url`. One request (the caller paces them).

        Through the SDK one layer lower (`Version.page_async`, the client's `request_async`
        for the next pages: same request, auth and headers as `messages.page_async`), read
        straight into lean `Receipt`s: a page of 1,000 SDK `MessageInstance`s would parse
        3,000 dates nobody reads here."""
        if page_url is None:
            params: dict[str, object] = {
                "DateSent>": sent_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "PageSize": page_size,
            }
            if from_:
                params["From"] = from_
            uri = self._messages_uri

            async def first(c: Client) -> Any:
                return await c.api.v2010.page_async(
                    method="GET", uri=uri, params=params, timeout=timeout
                )

            operation: Callable[[Client], Awaitable[Any]] = first
        else:
            url = page_url

            async def following(c: Client) -> Any:
                return await c.request_async("GET", url, timeout=timeout)

            operation = following

        async def read(c: Client) -> dict[str, Any]:
            response = await operation(c)
            if response.status_code != 200:
                # What the SDK's Page raises, so the translation is the list calls' one.
                raise TwilioException("Unable to fetch page", response)
            payload = json.loads(response.text)
            if not isinstance(payload, dict):
                raise ValueError("a Messages page that is not a JSON object")
            return payload

        what = f"listing messages from {from_}" if from_ else "listing messages"
        payload = await self._bounded(what, timeout, False, read, timeout_passed=True)
        items = payload.get("messages") or []
        next_uri = payload.get("next_page_uri")
        client = self._client
        next_url = client.api.absolute_url(next_uri) if next_uri and client is not None else None
        return ReceiptPage([receipt_from_payload(m) for m in items], next_url)


def _schedule_params(send_at: datetime | None) -> dict[str, Any]:
    """The SDK's create parameters for a message Twilio holds until `send_at`."""
    if send_at is None:
        return {}
    return {"schedule_type": "fixed", "send_at": send_at.astimezone(UTC)}
