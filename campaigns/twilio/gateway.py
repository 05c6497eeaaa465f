"""The one door to Twilio: account, senders, verified numbers, send, fetch and look-ups.

This is the only module that imports `twilio`. It builds the official SDK's clients from
`Settings` (pointed at another API base, such as the sandbox, when `base_url` is set), turns
every SDK resource into a small frozen value, and every failure into a
`campaigns.twilio.errors.TwilioFailure` subclass the engine can act on:

- an error answer from Twilio: classified by its code and HTTP status (`from_twilio_error`);
- no connection at all (refused, DNS): `TransientError`, nothing was sent;
- a send that timed out, or whose connection broke after the request was written:
  `AmbiguousError`, the message may exist (reconcile with `messages_to` before resending);
- the same trouble on a read (fetch, list): `TransientError`, reads are safe to repeat.

Secrets never reach a message: every text is scrubbed of the auth token / API secret.

Sending (`AsyncGatewaySession`): the SDK's async client interface on our own keep-alive
HTTP/1.1 pool (`campaigns.twilio.http_transport`), or on aiohttp when the environment asks for a
proxy.
SDK pitfalls handled here (see FACTS.md): the async http client is created inside the running
loop and closed on exit, with as many connections as requests in flight; the SDK's own aiohttp
client ignores `timeout`, so every call is bounded here (by the pool's shared deadline timer, or
`asyncio.timeout`); its `max_retries` is never used (it would replay POSTs). Every http client
below returns each call's own response instead of the SDK's shared `_test_only_last_response`,
which other requests in flight (or threads) can overwrite.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import gc
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import aiohttp
import phonenumbers
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from yarl import URL

from campaigns.config.settings import (
    Credentials,
    Settings,
    remember_secret,
    require_credentials,
    scrub,
)
from campaigns.send.pacing import SENDER_RATES, backoff, segments_per_second
from campaigns.twilio.errors import (
    AmbiguousError,
    FatalError,
    TransientError,
    TwilioFailure,
    describe,
    from_twilio_error,
)
from campaigns.twilio.http_transport import (
    ConnectError,
    ConnectionPool,
    ProtocolError,
    TransportError,
    proxy_for,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 15.0
#: aiohttp's default connector limit, which is also the SDK's.
SDK_CONNECTION_LIMIT = 100

# The response of the request just made in this task/thread, so a failure can read its headers
# (Retry-After): the SDK's exceptions do not carry them.
_last_response: contextvars.ContextVar[Response | None] = contextvars.ContextVar(
    "smscast_twilio_last_response", default=None
)


# --- values ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class VerifiedNumbers:
    """The account's verified caller IDs in E.164; `warnings` names entries that were skipped."""

    numbers: frozenset[str]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadRetry:
    """How the gateway's synchronous reads (account, senders, Messaging Services, verified
    numbers, look-ups) retry a `TransientError` (429, 5xx, timeout, refused or broken
    connection): reads change nothing at Twilio, so repeating them is always safe.

    The delays are the engine's for sends (`campaigns.send.pacing.backoff`: a 429 from base 0.2 s
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


# --- http clients ------------------------------------------------------------------------


def _basic_auth(auth: tuple[str, str] | None) -> str | None:
    if auth is None:
        return None
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
    return f"Basic {token}"


# `quote_plus` as one C-level `str.translate` over the UTF-8 bytes (seen as Latin-1 characters):
# the always-safe characters stay, a space becomes "+", every other byte becomes "%XX".
_FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM_TABLE = {
    byte: (chr(byte) if byte in _FORM_SAFE else "+" if byte == 0x20 else f"%{byte:02X}")
    for byte in range(256)
}


def _quote_plus(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, several times faster (the send path's hot spot)."""
    return text.encode("utf-8").decode("latin-1").translate(_FORM_TABLE)


_quoted_keys: dict[str, str] = {}


def _quote_key(key: str) -> str:
    """`_quote_plus` for form field names, memoised: a handful of names ("To", "Body") repeat."""
    quoted = _quoted_keys.get(key)
    if quoted is None:
        if len(_quoted_keys) >= 256:
            _quoted_keys.clear()
        quoted = _quoted_keys[key] = _quote_plus(key)
    return quoted


def form_encode(data: dict[str, object]) -> str:
    """The form body aiohttp's `FormData` would send for `data`: exactly
    `urlencode(list(data.items()), doseq=True)`, with a fast path for string pairs."""
    parts = []
    for key, value in data.items():
        if type(key) is str and type(value) is str:
            parts.append(f"{_quote_key(key)}={_quote_plus(value)}")
        else:
            part = urlencode([(key, value)], doseq=True)
            if part:
                parts.append(part)
    return "&".join(parts)


class _SyncHttpClient(TwilioHttpClient):
    """The SDK's requests-based client, returning each call's own response (thread-safe)."""

    def __init__(self, *, timeout: float, trust_env: bool) -> None:
        super().__init__(timeout=timeout)
        assert self.session is not None
        self.session.trust_env = trust_env

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        assert self.session is not None
        answer = self.session.request(
            method.upper(),
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )
        response = Response(int(answer.status_code), answer.text, answer.headers)
        _last_response.set(response)
        return response


class _RequestPreparer:
    """What both async clients do before a request: the Authorization header computed once per
    credential pair, the form body encoded exactly as aiohttp's `FormData` would
    (`urlencode(..., doseq=True)`, UTF-8) without its multipart machinery. No logging: the
    SDK's `log_request` formats every request even when nobody listens."""

    def __init__(self) -> None:
        self._auth: tuple[str, str] | None = None
        self._authorization: str | None = None

    def prepare(
        self,
        headers: dict[str, str] | None,
        auth: tuple[str, str] | None,
        data: dict[str, object] | None,
    ) -> tuple[dict[str, str], bytes | None]:
        """(headers with Authorization and Content-Type, body bytes or None)."""
        headers = dict(headers) if headers else {}
        if auth is not None:
            if auth != self._auth:
                self._auth, self._authorization = auth, _basic_auth(auth)
            headers["Authorization"] = self._authorization  # type: ignore[assignment]
        body: bytes | None = None
        if data is not None:
            body = form_encode(data).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return headers, body


class _LeanAsyncHttpClient(AsyncHttpClient):
    """The SDK's async http client interface on our own keep-alive pool
    (`campaigns.twilio.http_transport`), the send path's default: a fraction of aiohttp's CPU per
    request. Unlike the SDK's aiohttp client it honours `timeout` (the pool's deadline timer).
    """

    def __init__(self, pool: ConnectionPool) -> None:
        super().__init__(logger=None, is_async=True, timeout=None)
        self.pool = pool
        self._prepare = _RequestPreparer().prepare

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers, body = self._prepare(headers, auth, data)
        answer = await self.pool.request(
            method.upper(),
            url,
            query=form_encode(params) if params else "",
            headers=headers,
            body=body,
            timeout=timeout,
        )
        response = Response(answer.status, answer.body.decode("utf-8"), answer.headers)
        _last_response.set(response)
        return response


class _AsyncHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client on a session we own, used when the environment asks for a proxy
    (HTTPS_PROXY and friends: aiohttp speaks to proxies, our lean pool does not): one pooled
    session, a connector limit as large as the requests in flight, auth as a header (aiohttp's
    BasicAuth is deprecated).

    Lean where it can be: requests prepared as the lean client's are (`_RequestPreparer`),
    parsed URLs reused, the body read as bytes and decoded as UTF-8 (what Twilio sends)
    instead of aiohttp's per-response charset detection.
    """

    _URL_CACHE_SIZE = 256

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__(pool_connections=False)  # do not let the SDK open its own session
        self.session = session
        self._prepare = _RequestPreparer().prepare
        self._urls: dict[str, URL] = {}

    def _url(self, url: str) -> URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= self._URL_CACHE_SIZE:
                self._urls.clear()
            parsed = self._urls[url] = URL(url)
        return parsed

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, str | int | float] | None = None,  # the SDK's query (list pages)
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers, body = self._prepare(headers, auth, data)
        assert self.session is not None
        answer = await self.session.request(
            method.upper(),
            self._url(url),
            params=params,
            data=body,
            headers=headers,
            allow_redirects=allow_redirects,
        )
        try:
            raw = await answer.read()
        finally:
            answer.release()
        response = Response(answer.status, raw.decode("utf-8"), answer.headers)
        _last_response.set(response)
        return response


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


def _host(base_url: str | None) -> str:
    """The host (and port) errors name: never a URL's user name or password."""
    if not base_url:
        return "api.twilio.com"
    netloc = urlsplit(base_url).netloc
    return scrub(netloc.rpartition("@")[2])


def _is_loopback(base_url: str | None) -> bool:
    host = urlsplit(base_url).hostname if base_url else None
    return host in ("127.0.0.1", "localhost", "::1")


# --- error translation -------------------------------------------------------------------

_SDK_PREFIX = re.compile(r"^Unable to (create|fetch|update|delete) (record|page)(: )?")


def _retry_after(response: Response | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is one."""
    if response is None or not response.headers:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_body(response: Response) -> tuple[int | None, str]:
    """Twilio's code and message from an error answer's JSON body (None, "" if unreadable)."""
    try:
        body = json.loads(response.text)
    except (TypeError, ValueError):
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    message = body.get("message") or body.get("detail") or body.get("title") or ""
    return (code if isinstance(code, int) else None), str(message)


class _Translator:
    """Turns whatever the SDK, requests or aiohttp raised into a `TwilioFailure`."""

    def __init__(self, credentials: Credentials, host: str) -> None:
        self._secret = credentials.password
        self._host = host

    def scrub(self, text: str) -> str:
        """`text` with the secret, any URL userinfo and token-like strings masked
        (`campaigns.config.settings.scrub`; defence in depth: Twilio never echoes the secret, but a
        URL or library message might)."""
        return scrub(text, (self._secret,))

    def failure(self, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        failure = self._classify(exc, sending=sending, what=what)
        if not sending and isinstance(failure, AmbiguousError):
            # A read that failed in flight changed nothing: it is safe to repeat.
            failure = TransientError(
                failure.message,
                "smscast will try again.",
                code=failure.code,
                status=failure.status,
                twilio_message=failure.twilio_message,
            )
        return failure

    def from_answer(
        self,
        status: int | None,
        code: int | None,
        text: str,
        response: Response | None,
        what: str = "",
        sending: bool = True,
    ) -> TwilioFailure:
        """Our class for an error answer, its message carrying the code and Twilio's words."""
        text = self.scrub(_SDK_PREFIX.sub("", text or "").strip())
        if code == status:  # the SDK puts the HTTP status where a body had no code
            code = None
        base = from_twilio_error(status, code, text)
        message, hint = base.message, base.hint
        if describe(code) is None and status == 404:
            message = f"Twilio found nothing while {what} (HTTP 404)."
            hint = "Check the SID, and that it belongs to this account (and the base URL)."
        elif describe(code) is None and not isinstance(base, (TransientError, AmbiguousError)):
            message = f"Twilio refused the request while {what} (HTTP {status})."
        elif not sending and isinstance(base, AmbiguousError):
            message = f"Twilio answered with a server error ({status}) while {what}."
        if code is not None:
            message += f" (Twilio error {code}" + (f": {text})" if text else ")")
        elif text:
            message += f" (Twilio: {text})"
        kwargs: dict[str, Any] = {"code": code, "status": status, "twilio_message": text}
        if isinstance(base, TransientError):
            kwargs["retry_after"] = _retry_after(response) if status == 429 else None
        return type(base)(message, hint, **kwargs)

    def _classify(self, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        response = _last_response.get()
        if isinstance(exc, TwilioFailure):
            return exc
        if isinstance(exc, TwilioRestException):
            code = exc.code if isinstance(exc.code, int) else None
            return self.from_answer(exc.status, code, str(exc.msg or ""), response, what, sending)
        if isinstance(exc, TwilioServiceException):
            text = exc.detail or exc.title or ""
            return self.from_answer(exc.status, exc.code, str(text), response, what, sending)
        if isinstance(exc, TwilioException):
            page = exc.args[1] if len(exc.args) > 1 else None
            if isinstance(page, Response):
                code, text = _error_body(page)
                return self.from_answer(page.status_code, code, text, page, what, sending)
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        if isinstance(
            exc,
            (
                ConnectError,
                aiohttp.ConnectionTimeoutError,
                aiohttp.ClientConnectorError,
                requests.ConnectTimeout,
            ),
        ) or _never_connected(exc):
            reason = self.scrub(str(exc)) or type(exc).__name__
            return TransientError(
                f"Could not connect to Twilio ({self._host}) while {what} ({reason})"
                + ("; nothing was sent." if sending else "."),
                "Check the network connection; smscast tries again.",
            )
        if isinstance(exc, (TimeoutError, requests.Timeout)):
            return self._network("No answer from Twilio in time", exc, sending=sending, what=what)
        if isinstance(exc, (ProtocolError, UnicodeDecodeError)):
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        if isinstance(
            exc, (TransportError, aiohttp.ClientError, requests.RequestException, OSError)
        ):
            return self._network("The connection to Twilio broke", exc, sending=sending, what=what)
        if isinstance(exc, ValueError):  # a 2xx body that is not the JSON expected
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        raise exc

    def _network(self, lead: str, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        detail = self.scrub(str(exc)) or type(exc).__name__
        if sending:
            return AmbiguousError(
                f"{lead} while {what}: the message may or may not have been created ({detail}).",
                "smscast checks with Twilio before sending to this recipient again.",
            )
        return TransientError(f"{lead} while {what} ({detail}).", "smscast will try again.")


def _never_connected(exc: BaseException) -> bool:
    """True for a requests ConnectionError raised before any byte left (refused, DNS)."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NewConnectionError",
            "NameResolutionError",
            "Connection refused",
            "Failed to resolve",
        )
    )


#: The headers the SDK's MessageList sets on a create (the client adds auth, agent, charset).
_CREATE_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
}

# --- conversions -------------------------------------------------------------------------


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


_dates: dict[str, datetime | None] = {}


def _rfc2822(text: Any) -> datetime | None:
    """A Message date ("Mon, 30 Nov 2026 02:57:55 +0000") as an aware UTC datetime, as the
    SDK's `deserialize.rfc2822_datetime` gives it; Twilio's usual shape is read directly, any
    other through `email.utils`. None when absent or unreadable. Memoised: dates have whole
    seconds, so a campaign's thousands of answers share a few hundred of them."""
    if not text or not isinstance(text, str):
        return None
    found = _dates.get(text, _dates)
    if found is not _dates:
        return found  # type: ignore[return-value]
    if len(_dates) >= 4096:
        _dates.clear()
    moment = _dates[text] = _parse_rfc2822(text)
    return moment


def _parse_rfc2822(text: str) -> datetime | None:
    parts = text.split(" ")
    if len(parts) == 6 and parts[5] in ("+0000", "GMT", "UTC") and parts[1].isdigit():
        clock = parts[4].split(":")
        month = _MONTHS.get(parts[2])
        if month and len(clock) == 3 and all(p.isdigit() for p in clock) and parts[3].isdigit():
            try:
                return datetime(
                    int(parts[3]),
                    month,
                    int(parts[1]),
                    int(clock[0]),
                    int(clock[1]),
                    int(clock[2]),
                    tzinfo=UTC,
                )
            except ValueError:
                return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _record_from_payload(payload: dict[str, Any]) -> MessageRecord:
    """A MessageRecord from a Message resource's JSON, read as the SDK's MessageInstance reads
    it (the send path's fast path: no SDK instance is built)."""
    return MessageRecord(
        sid=payload.get("sid") or "",
        to=payload.get("to") or "",
        from_=payload.get("from"),
        body=payload.get("body") or "",
        status=str(payload.get("status") or ""),
        num_segments=_int_or_none(payload.get("num_segments")),
        price=_str_or_none(payload.get("price")),
        error_code=_int_or_none(payload.get("error_code")),
        error_message=payload.get("error_message"),
        date_created=_rfc2822(payload.get("date_created")),
        date_sent=_rfc2822(payload.get("date_sent")),
        date_updated=_rfc2822(payload.get("date_updated")),
        price_unit=payload.get("price_unit"),
        messaging_service_sid=payload.get("messaging_service_sid"),
    )


def _record(message: Any) -> MessageRecord:
    """A MessageRecord from the SDK's MessageInstance."""
    return MessageRecord(
        sid=message.sid,
        to=message.to,
        from_=message.from_,
        body=message.body or "",
        status=str(message.status or ""),
        num_segments=_int_or_none(message.num_segments),
        price=message.price,
        error_code=_int_or_none(message.error_code),
        error_message=message.error_message,
        date_created=message.date_created,
        date_sent=message.date_sent,
        date_updated=message.date_updated,
        price_unit=message.price_unit,
        messaging_service_sid=message.messaging_service_sid,
    )


def sender_kind(address: str) -> str:
    """ "short_code", "toll_free" or "long_code", from the number itself."""
    digits = address.lstrip("+")
    if digits.isdigit() and len(digits) <= 8 and not address.startswith("+"):
        return "short_code"
    try:
        number = phonenumbers.parse(address if address.startswith("+") else "+" + digits)
    except phonenumbers.NumberParseException:
        return "short_code" if digits.isdigit() and len(digits) <= 8 else "long_code"
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE:
        return "toll_free"
    return "long_code"


def _sender(number: Any) -> Sender:
    capabilities = number.capabilities or {}
    sms = bool(capabilities.get("sms") or capabilities.get("SMS"))
    kind = sender_kind(number.phone_number)
    return Sender(
        address=number.phone_number,
        kind=kind,
        sms=sms,
        segments_per_second=segments_per_second(number.phone_number, kind),
        friendly_name=number.friendly_name or "",
        sid=number.sid or "",
    )


def normalize_verified(entries: Iterable[tuple[str, str]]) -> VerifiedNumbers:
    """E.164 numbers from (sid, phone_number) pairs; malformed entries skipped with a warning."""
    numbers: set[str] = set()
    warnings: list[str] = []
    for sid, raw in entries:
        text = (raw or "").strip()
        try:
            parsed = phonenumbers.parse(text, None if text.startswith("+") else "US")
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_possible_number(parsed):
            warnings.append(
                f"Skipped verified caller ID {sid or '?'}: {text!r} is not a phone number."
            )
            continue
        numbers.add(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return VerifiedNumbers(frozenset(numbers), warnings)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _since_filter(records: Iterable[Any], since: datetime) -> list[MessageRecord]:
    """The records created at or after `since`. Twilio's dates have whole seconds, so `since`
    is floored to its second: a message created 0.3 s after `since` must not be missed."""
    since = _aware(since).replace(microsecond=0)
    out = []
    for message in records:
        record = _record(message)
        if record.date_created is None or _aware(record.date_created) >= since:
            out.append(record)
    return out


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


# --- the gateway -------------------------------------------------------------------------


class TwilioGateway:
    """Synchronous calls to Twilio (account, senders, verified numbers, look-ups), and the
    factory of `AsyncGatewaySession`s for sending.

    `TwilioGateway(settings)` or `TwilioGateway(credentials, base_url=...)`. The sync SDK client
    is built on first use and reused (its connection pool with it); `close()` releases it.
    `timeout` bounds each sync request (default: the settings' `request_timeout`, which a
    command's `--timeout` sets, else `DEFAULT_TIMEOUT`); `retry` is how reads retry
    transient failures (`ReadRetry`).
    """

    def __init__(
        self,
        settings: Settings | Credentials,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        retry: ReadRetry | None = None,
    ) -> None:
        if isinstance(settings, Settings):
            self.credentials = require_credentials(settings)
            self.base_url = base_url or settings.base_url
            timeout = timeout or settings.request_timeout
        else:
            self.credentials = settings
            self.base_url = base_url
        self.base_url = self.base_url.rstrip("/") if self.base_url else None
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or ReadRetry()
        remember_secret(self.credentials.password)
        self._errors = _Translator(self.credentials, _host(self.base_url))
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
        return client

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                http = _SyncHttpClient(
                    timeout=self.timeout, trust_env=not _is_loopback(self.base_url)
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
        _last_response.set(None)
        try:
            return operation(self.client)
        except Exception as exc:
            failure = self._errors.failure(exc, sending=False, what=what)
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
        senders = [_sender(number) for number in numbers]
        senders += [
            Sender(
                address=code.short_code,
                kind="short_code",
                sms=True,
                segments_per_second=SENDER_RATES["short_code"],
                friendly_name=code.friendly_name or "",
                sid=code.sid or "",
            )
            for code in short_codes
        ]
        return [s for s in senders if s.sms] if sms_only else senders

    def messaging_services(self, page_size: int = 100) -> list[Sender]:
        """The account's Messaging Services, each as a sender (their combined pace is unknown
        here, so `segments_per_second` is 1 per service: a lower bound)."""
        services = self._call(
            "listing Messaging Services",
            lambda c: c.messaging.v1.services.list(page_size=page_size),
        )
        return [
            Sender(
                address=s.sid,
                kind="messaging_service",
                sms=True,
                segments_per_second=1.0,
                friendly_name=s.friendly_name or "",
                sid=s.sid,
            )
            for s in services
        ]

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
        return _record(
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
        return _since_filter(records, since)

    # --- async ---

    def async_session(self, max_in_flight: int = SDK_CONNECTION_LIMIT) -> AsyncGatewaySession:
        """`async with gateway.async_session(max_in_flight=N) as session:` for sending."""
        return AsyncGatewaySession(self, max_in_flight=max_in_flight)


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
        self._errors = gateway._errors
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
        return not _is_loopback(base) and proxy_for(base) is not None

    async def __aenter__(self) -> AsyncGatewaySession:
        http: AsyncHttpClient
        if self._wants_proxy():
            connector = aiohttp.TCPConnector(limit=self.max_in_flight, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=True,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            )
            http = _AsyncHttpClient(self._session)
        else:
            self._pool = ConnectionPool(self.max_in_flight)
            http = _LeanAsyncHttpClient(self._pool)
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
        _last_response.set(None)
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
        if not extra:
            data = {"To": to}
            if from_:
                data["From"] = from_
            if messaging_service_sid:
                data["MessagingServiceSid"] = messaging_service_sid
            data["Body"] = body
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
            return _record_from_payload(payload)
        message = await self._bounded(
            f"sending to {to}",
            timeout,
            True,
            lambda c: c.api.v2010.account.messages.create_async(
                to=to, body=body, from_=from_, messaging_service_sid=messaging_service_sid, **extra
            ),
        )
        return _record(message)

    async def fetch(self, sid: str, timeout: float = DEFAULT_TIMEOUT) -> MessageRecord:
        """The message `sid` as Twilio holds it now (for delivery polling)."""
        message = await self._bounded(
            f"reading message {sid}",
            timeout,
            False,
            lambda c: c.api.v2010.account.messages(sid).fetch_async(),
        )
        return _record(message)

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
        return _since_filter(records, since)
