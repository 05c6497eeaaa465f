"""The SDK's http clients, ours: each returns its own call's response, the async ones prepare a
request once (Authorization computed once per credential pair, the form body encoded in one
pass), and none logs.

- `SyncHttpClient`: the SDK's requests-based client for the gateway's reads (thread-safe).
- `LeanAsyncHttpClient`: the SDK's async interface on our keep-alive pool
  (`campaigns.twilio.http_transport`), the send path's default.
- `AiohttpClient`: the SDK's aiohttp client on a session we own, when a proxy is configured.

The SDK keeps the last response in a shared `_test_only_last_response`, which other requests in
flight (or threads) can overwrite; these clients put each response in `last_response` instead
(a context variable: one per task and thread), where error translation reads its headers.
"""

from __future__ import annotations

import base64
import contextvars
from urllib.parse import urlencode, urlsplit

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from yarl import URL

from campaigns.twilio.http_transport import ConnectionPool

#: Seconds one request may take when nobody said (a command's `--timeout` overrides it).
DEFAULT_TIMEOUT = 15.0
#: aiohttp's default connector limit, which is also the SDK's.
SDK_CONNECTION_LIMIT = 100

# The response of the request just made in this task/thread, so a failure can read its headers
# (Retry-After): the SDK's exceptions do not carry them.
last_response: contextvars.ContextVar[Response | None] = contextvars.ContextVar(
    "smscast_twilio_last_response", default=None
)


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


class SyncHttpClient(TwilioHttpClient):
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
        # A JSON body (Lookup's batch query) as the SDK's own client sends one.
        as_json = bool(headers) and (headers or {}).get("Content-Type") == "application/json"
        answer = self.session.request(
            method.upper(),
            url,
            params=params,
            data=None if as_json else data,
            json=data if as_json else None,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )
        response = Response(int(answer.status_code), answer.text, answer.headers)
        last_response.set(response)
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


class LeanAsyncHttpClient(AsyncHttpClient):
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
        last_response.set(response)
        return response


class AiohttpClient(AsyncTwilioHttpClient):
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
        params: dict[str, object] | None = None,
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
            # the SDK passes str values; aiohttp's Mapping type is narrower than its dict
            params=params,  # type: ignore[arg-type]
            data=body,
            headers=headers,
            allow_redirects=allow_redirects,
        )
        try:
            raw = await answer.read()
        finally:
            answer.release()
        response = Response(answer.status, raw.decode("utf-8"), answer.headers)
        last_response.set(response)
        return response


def is_loopback(base_url: str | None) -> bool:
    host = urlsplit(base_url).hostname if base_url else None
    return host in ("127.0.0.1", "localhost", "::1")
