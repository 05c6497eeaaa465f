"""A lean HTTP/1.1 client on asyncio's Protocol API, for the send path's thousands of requests.

Why our own: the send path makes one small request after another to one host, 100 in flight,
and aiohttp's client (cookie jar, tracing, multidicts, redirect and proxy handling, a response
object of many parts) cost more client CPU per message than the whole rest of smscast. This
client does what that path needs and nothing more:

- keep-alive connections pooled per origin, at most `limit` open at once;
- TLS through `ssl` (the system's trust store, certifi's when the system has none), with SNI
  and certificate checking; no proxies (`proxy_for` tells the caller when the environment
  asks for one, and the gateway then uses aiohttp instead);
- requests written in one `write`; responses parsed from `data_received` (status line,
  headers, a body by Content-Length, chunked transfer coding, or until the connection closes);
- failures as two exceptions the gateway can act on: `ConnectError` when no connection was made
  (nothing was sent) and `ConnectionBroken` when it broke after the request was written (the
  server may have acted on it). A request cancelled mid-way (a timeout) closes its connection:
  a half-read answer is never reused.

No redirects (the Twilio SDK asks for none), no compression (none is offered), no cookies.

Over 500 lines as one module on purpose: the response parser, the connection protocol and the
pool are the three layers of one small client, each used only by the next, and its hot path
is measured as one piece (`benchmarks/bench_send.py`, client CPU per message).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds a kept-alive connection may sit unused before it is dropped instead of reused (as
#: aiohttp's 15 s): a server may close it at the moment a request is written on it.
IDLE_TIMEOUT = 15.0
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/?%:@!$&'()*+,;=-._~"
MAX_HEADER_BYTES = 64 * 1024


class TransportError(Exception):
    """Something went wrong below HTTP."""


class ConnectError(TransportError):
    """No connection could be made: the request was never sent."""


class ConnectionBroken(TransportError):
    """The connection failed after the request was (at least partly) written: the server may
    have received and acted on it."""


class _StaleConnection(TransportError):
    """A pooled connection turned out closed before anything was written on it: nothing was
    sent, so the pool tries another connection."""


class ProtocolError(ConnectionBroken):
    """The server answered something that is not HTTP/1.x."""


class Headers(Mapping[str, str]):
    """Response headers with case-insensitive look-ups, parsed from the raw header block only
    when first read: the send path's answers are read for their body alone. A repeated header's
    values are joined with ", " (Set-Cookie's last value wins: nothing here reads it)."""

    __slots__ = ("_parsed", "_raw")
    _parsed: dict[str, str] | None

    def __init__(self, raw: str | dict[str, str] = "") -> None:
        if isinstance(raw, dict):
            self._raw, self._parsed = "", {k.lower(): v for k, v in raw.items()}
        else:
            self._raw, self._parsed = raw, None

    def _fields(self) -> dict[str, str]:
        parsed = self._parsed
        if parsed is None:
            parsed = self._parsed = {}
            for line in self._raw.split("\r\n"):
                name, sep, value = line.partition(":")
                if not sep:
                    continue  # a malformed line carries nothing we could trust
                key, value = name.strip().lower(), value.strip()
                if key in parsed and key != "set-cookie":
                    value = f"{parsed[key]}, {value}"
                parsed[key] = value
        return parsed

    def __getitem__(self, key: str) -> str:
        return self._fields()[key.lower()]

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._fields().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._fields()

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())

    def __len__(self) -> int:
        return len(self._fields())

    def __repr__(self) -> str:
        return f"Headers({self._fields()!r})"


def _framing_value(low: str, name: str) -> str | None:
    """The value of header `name` (lower-case, with its colon) in a lower-cased header block
    that starts with the status line; repeats are joined with ", ". None when absent."""
    found: list[str] = []
    start = low.find(name)
    while start >= 0:
        begin = start + len(name)
        end = low.find("\r\n", begin)
        found.append(low[begin : end if end >= 0 else None].strip())
        start = low.find(name, begin)
    return ", ".join(found) if found else None


@dataclass(slots=True)
class HttpAnswer:
    """One response: status code, headers and the whole body."""

    status: int
    reason: str
    headers: Headers
    body: bytes


def default_ssl_context() -> ssl.SSLContext:
    """Certificate-checking TLS: the system's trust store (SSL_CERT_FILE / SSL_CERT_DIR
    honoured), or certifi's bundle where the system has no CA certificates at all."""
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        try:
            import certifi
        except ImportError:  # pragma: no cover - requests (a twilio dependency) brings it
            return context
        context.load_verify_locations(certifi.where())
    return context


def proxy_for(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY or HTTP_PROXY by the URL's scheme; NO_PROXY)
    asks for `url`, or None. ALL_PROXY is not honoured: aiohttp, which speaks to proxies for
    us, ignores it too."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme)
    if not proxy or not parts.hostname:
        return None
    if urllib.request.proxy_bypass(parts.hostname):
        return None
    return proxy


_HEX_DIGITS = b"0123456789abcdefABCDEF"


class _ResponseParser:
    """Incremental HTTP/1.x response parser: feed bytes, get `HttpAnswer`s back."""

    __slots__ = (
        "_body",
        "_buffer",
        "_chunked",
        "_headers",
        "_keep_alive",
        "_length",
        "_reason",
        "_status",
        "_until_close",
    )

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._reason = ""
        self._headers: Headers | None = None
        self._length = -1
        self._chunked = False
        self._until_close = False
        self._body = bytearray()
        self._keep_alive = True

    @property
    def keep_alive(self) -> bool:
        """Whether the last answer lets the connection carry another request."""
        return self._keep_alive

    @property
    def mid_answer(self) -> bool:
        """True when some of an answer has arrived but not all of it."""
        return self._headers is not None or bool(self._buffer)

    def feed(self, data: bytes, head_only: bool = False) -> HttpAnswer | None:
        """Add bytes; return the answer once it is complete. `head_only`: the answer has no
        body (the reply to CONNECT or HEAD)."""
        self._buffer += data
        if self._headers is None and not self._parse_head(head_only):
            return None
        return self._parse_body()

    def finish(self) -> HttpAnswer | None:
        """The connection closed: the answer, if its body was meant to end there."""
        if self._headers is not None and self._until_close:
            self._body += self._buffer
            self._buffer.clear()
            return self._answer(bytes(self._body))
        return None

    def _parse_head(self, head_only: bool) -> bool:
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    raise ProtocolError("the answer's headers are too long")
                return False
            head = bytes(self._buffer[:end]).decode("latin-1")
            del self._buffer[: end + 4]
            first, _, rest = head.partition("\r\n")
            parts = first.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                raise ProtocolError(f"not an HTTP answer: {first[:80]!r}")
            status = int(parts[1])
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue): the real one follows
            # Only the headers that frame the answer are read now; the rest when asked for.
            low = head.lower()
            self._status = status
            self._reason = parts[2] if len(parts) > 2 else ""
            self._headers = Headers(rest)
            connection = _framing_value(low, "\r\nconnection:") or ""
            if parts[0] == "HTTP/1.0":
                self._keep_alive = "keep-alive" in connection
            else:
                self._keep_alive = "close" not in connection
            if head_only or status in (204, 304):
                self._length = 0
            elif "chunked" in (_framing_value(low, "\r\ntransfer-encoding:") or ""):
                self._chunked = True
            else:
                length = _framing_value(low, "\r\ncontent-length:")
                if length is None:
                    self._until_close = True
                    self._keep_alive = False
                elif length.isascii() and length.isdigit():
                    self._length = int(length)
                else:  # conflicting repeats ("5, 7") land here too
                    raise ProtocolError(f"a malformed Content-Length: {length[:20]!r}")
            return True

    def _parse_body(self) -> HttpAnswer | None:
        if self._until_close:
            return None
        if not self._chunked:
            buffer = self._buffer
            if len(buffer) < self._length:
                return None
            if len(buffer) == self._length:  # the usual case: the answer ends the data
                body = bytes(buffer)
                buffer.clear()
            else:
                body = bytes(buffer[: self._length])
                del buffer[: self._length]
            return self._answer(body)
        while True:  # chunked: size line, data, CRLF ... "0" line, trailers, CRLF
            if self._length < 0:
                end = self._buffer.find(b"\r\n")
                if end < 0:
                    return None
                size_text = bytes(self._buffer[:end]).split(b";", 1)[0].strip()
                if not size_text or size_text.strip(_HEX_DIGITS):
                    raise ProtocolError(f"a malformed chunk size: {size_text[:20]!r}")
                size = int(size_text, 16)
                if size == 0:
                    trailer_end = self._buffer.find(b"\r\n\r\n", end)
                    if self._buffer[end : end + 4] == b"\r\n\r\n":
                        trailer_end = end
                    elif trailer_end < 0:
                        return None
                    del self._buffer[: trailer_end + 4]
                    return self._answer(bytes(self._body))
                del self._buffer[: end + 2]
                self._length = size
            if len(self._buffer) < self._length + 2:
                return None
            if self._buffer[self._length : self._length + 2] != b"\r\n":
                raise ProtocolError("a chunk not followed by CRLF")
            self._body += self._buffer[: self._length]
            del self._buffer[: self._length + 2]
            self._length = -1

    def _answer(self, body: bytes) -> HttpAnswer:
        assert self._headers is not None
        answer = HttpAnswer(self._status, self._reason, self._headers, body)
        keep_alive = self._keep_alive
        self._reset()
        self._keep_alive = keep_alive
        return answer


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0  # loop time it was last put back in the pool
        self._parser = _ResponseParser()
        self._waiter: asyncio.Future[HttpAnswer] | None = None
        self._head_only = False

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._abort()  # bytes nobody asked for: this connection cannot be trusted
            return
        try:
            answer = self._parser.feed(data, self._head_only)
        except ProtocolError as exc:
            self._waiter = None
            waiter.set_exception(exc)
            self._abort()
            return
        if answer is not None:
            self._waiter = None
            waiter.set_result(answer)

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.done():
            return
        # A body that runs until the close is whole only if the close was clean (not a reset).
        answer = self._parser.finish() if exc is None else None
        if answer is not None:
            waiter.set_result(answer)
            return
        reason = str(exc) if exc else "the server closed the connection"
        waiter.set_exception(ConnectionBroken(f"connection lost before the answer ({reason})"))

    # use

    @property
    def reusable(self) -> bool:
        transport = self.transport
        return (
            not self.closed
            and transport is not None
            and not transport.is_closing()
            and self._parser.keep_alive
            and not self._parser.mid_answer
        )

    def _abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def abort(self) -> None:
        """Drop the connection at once, without a graceful (TLS) shutdown."""
        self._abort()

    async def exchange(
        self,
        payload: bytes,
        head_only: bool = False,
        deadlines: _Deadlines | None = None,
        deadline: float | None = None,
    ) -> HttpAnswer:
        """Write one request and wait for its whole answer (until `deadline`, loop time, when
        `deadlines` watches it: then `TimeoutError`)."""
        if self.closed or self.transport is None or self.transport.is_closing():
            raise _StaleConnection("the connection closed before the request was written")
        waiter: asyncio.Future[HttpAnswer] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._head_only = head_only
        self.transport.write(payload)
        if deadlines is not None and deadline is not None:
            deadlines.watch(waiter, deadline)
        try:
            return await waiter
        except BaseException:
            if self._waiter is waiter or not waiter.done():
                self._waiter = None
                self._abort()  # cancelled or timed out mid-answer: never reuse it
            raise
        finally:
            if deadlines is not None:
                deadlines.forget(waiter)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Deadlines:
    """Time limits for answers, checked by one timer every `interval` seconds instead of one
    timer per request: arming and cancelling a timer for each of thousands of requests a
    second cost more than the rest of the exchange. A late answer fails with `TimeoutError`
    at most `interval` after its deadline."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._due: dict[asyncio.Future[HttpAnswer], float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, waiter: asyncio.Future[HttpAnswer], deadline: float) -> None:
        self._due[waiter] = deadline
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._sweep)

    def forget(self, waiter: asyncio.Future[HttpAnswer]) -> None:
        self._due.pop(waiter, None)

    def _sweep(self) -> None:
        self._timer = None
        if not self._due:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        for waiter, deadline in list(self._due.items()):
            if deadline <= now:
                del self._due[waiter]
                if not waiter.done():
                    waiter.set_exception(TimeoutError("no complete answer in time"))
        if self._due:
            self._timer = loop.call_later(self.interval, self._sweep)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class ConnectionPool:
    """Keep-alive connections to any number of origins, at most `limit` open at once.

    Must be created and used inside one running event loop; `close()` ends every connection.
    """

    def __init__(
        self,
        limit: int = 100,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.limit = limit
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout
        self._idle: dict[_Origin, deque[_Connection]] = {}
        self._open: set[_Connection] = set()
        # Free connection slots, and the requests waiting for one (FIFO). A plain counter: the
        # engine keeps its requests under `limit`, so the common path must cost nothing.
        self._free = limit
        self._slot_waiters: deque[asyncio.Future[None]] = deque()
        self._urls: dict[str, tuple[_Origin, str]] = {}
        self._heads: dict[tuple[object, ...], bytes] = {}
        self._deadlines = _Deadlines()
        self._closed = False

    @property
    def open_connections(self) -> int:
        return sum(1 for c in self._open if not c.closed)

    def _target(self, url: str) -> tuple[_Origin, str]:
        """(origin, request-target) for a URL, cached: the send path repeats one URL."""
        found = self._urls.get(url)
        if found is None:
            parts: SplitResult = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                # Not the URL itself: its userinfo or query could hold a secret.
                raise ValueError(f"not an http(s) URL (scheme {parts.scheme or 'none'!r})")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            # What is not allowed on the wire is percent-encoded as yarl and requests do
            # (UTF-8); what is already encoded stays as it is.
            path = quote(parts.path or "/", safe=_PATH_SAFE)
            query = quote(parts.query, safe=_QUERY_SAFE)
            target = f"{path}?{query}" if query else path
            found = (_Origin(parts.scheme, parts.hostname, port), target)
            if len(self._urls) >= 256:
                self._urls.clear()
            self._urls[url] = found
        return found

    async def _connect(self, origin: _Origin, deadline: float | None = None) -> _Connection:
        loop = asyncio.get_running_loop()
        limit = self._connect_timeout
        if deadline is not None:
            limit = max(0.0, min(limit, deadline - loop.time()))
        context: ssl.SSLContext | None = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = default_ssl_context()
            context = self._ssl
        try:
            async with asyncio.timeout(limit):
                _, connection = await loop.create_connection(
                    _Connection,
                    origin.host,
                    origin.port,
                    ssl=context,
                    server_hostname=origin.host if context else None,
                )
        except TimeoutError:
            raise ConnectError(
                f"no connection to {origin.host_header} within {limit:g} s"
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(f"cannot connect to {origin.host_header}: {exc}") from None
        return connection

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        """The most recently used idle connection that is still open and fresh; the others
        are closed (the oldest sit at the left: once one is too old, so are they)."""
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest_allowed = asyncio.get_running_loop().time() - IDLE_TIMEOUT
        while idle:
            connection = idle.pop()
            if connection.reusable and connection.idle_since >= oldest_allowed:
                return connection
            connection.close()
            self._open.discard(connection)
        return None

    def _head(
        self, method: str, origin: _Origin, target: str, headers: dict[str, str] | None
    ) -> bytes:
        """The request line and headers, each line ending in CRLF, without the blank line.
        Cached: the send path sends the same head thousands of times, only the body differs."""
        key = (method, origin, target, *(headers.items() if headers else ()))
        head = self._heads.get(key)
        if head is None:
            lines = [f"{method} {target} HTTP/1.1", f"Host: {origin.host_header}"]
            for name, value in (headers or {}).items():
                if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                    raise ValueError(f"a header with a line break: {name!r}")
                lines.append(f"{name}: {value}")
            head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
            if len(self._heads) >= 256:
                self._heads.clear()
            self._heads[key] = head
        return head

    async def request(
        self,
        method: str,
        url: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> HttpAnswer:
        """Send one request and return the whole answer. `query` is appended to the URL's own
        query string; `headers` must not hold Host or Content-Length (set here). `timeout`
        bounds the whole call (a free slot, connecting, the answer): `TimeoutError` when the
        request may have left, `ConnectError` when no connection was made in time."""
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        origin, target = self._target(url)
        if query:
            target = f"{target}&{query}" if "?" in target else f"{target}?{query}"
        payload = self._head(method, origin, target, headers)
        if body is not None or method in ("POST", "PUT", "PATCH"):
            payload += b"Content-Length: %d\r\n\r\n" % len(body or b"") + (body or b"")
        else:
            payload += b"\r\n"
        loop = asyncio.get_running_loop()
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        deadline = loop.time() + timeout if timeout is not None else None

        if self._free > 0 and not self._slot_waiters:
            self._free -= 1
        else:
            await self._wait_for_slot(deadline)
        try:
            if self._closed:
                raise ConnectError("the connection pool was closed; nothing was sent")
            while True:
                connection = self._take_idle(origin)
                fresh = connection is None
                if connection is None:
                    connection = await self._connect(origin, deadline)
                    self._open.add(connection)
                try:
                    answer = await connection.exchange(
                        payload, method == "HEAD", self._deadlines, deadline
                    )
                except _StaleConnection as exc:
                    self._open.discard(connection)  # nothing was written on it
                    if fresh:
                        raise ConnectError(f"{exc}; nothing was sent") from None
                    continue  # a pooled one the server had closed: try another
                except BaseException:
                    # Cancelled, timed out or broken, maybe just after the answer arrived:
                    # this connection is never used again.
                    connection.abort()
                    self._open.discard(connection)
                    raise
                break
            if connection.reusable and not self._closed:
                connection.idle_since = loop.time()
                self._idle.setdefault(origin, deque()).append(connection)
            else:
                connection.close()
                self._open.discard(connection)
            return answer
        finally:
            self._release_slot()

    async def _wait_for_slot(self, deadline: float | None) -> None:
        """Queue for a connection slot (FIFO); `TimeoutError` at `deadline`."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._slot_waiters.append(waiter)
        try:
            if deadline is None:
                await waiter
            else:
                async with asyncio.timeout_at(deadline):
                    await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release_slot()  # handed a slot just as we gave up: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._slot_waiters.remove(waiter)
            raise

    def _release_slot(self) -> None:
        """Hand the slot to the first request waiting, or return it to the free count."""
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to it
                return
        self._free += 1

    async def close(self) -> None:
        """End every connection and refuse further requests. Idle connections are closed
        gracefully; busy ones are aborted (their requests fail as `ConnectionBroken`), and
        requests still waiting for a slot fail as `ConnectError` (nothing of theirs was sent).
        """
        self._closed = True
        self._deadlines.close()
        idle = {id(c) for queue in self._idle.values() for c in queue}
        for connection in list(self._open):
            if id(connection) in idle:
                connection.close()
            else:
                connection.abort()
        self._open.clear()
        self._idle.clear()
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_exception(
                    ConnectError("the connection pool was closed; nothing was sent")
                )
        await asyncio.sleep(0)  # let the transports run their close callbacks
