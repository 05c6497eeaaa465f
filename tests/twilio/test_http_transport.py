"""The send path's own HTTP/1.1 client (`campaigns.twilio.http_transport`): the response
parser fed in
every way a network can split bytes, and the pool against real servers on loopback (raw
asyncio servers that answer exactly the bytes a test wants, and TLS with a throwaway CA)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import trustme

from campaigns.twilio.http_transport import (
    ConnectError,
    ConnectionBroken,
    ConnectionPool,
    Headers,
    ProtocolError,
    _ResponseParser,
    proxy_for,
)

OK = (
    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Twice: a\r\n"
    b'Content-Length: 11\r\nx-twice: b\r\n\r\n{"sid": 1}\n'
)


# --- the parser ------------------------------------------------------------------------------


def feed_all(parser: _ResponseParser, data: bytes, step: int) -> list:
    answers = []
    for i in range(0, len(data), step):
        answer = parser.feed(data[i : i + step])
        if answer is not None:
            answers.append(answer)
    return answers


@pytest.mark.parametrize("step", [1, 2, 7, 1000])
def test_an_answer_split_anywhere_reads_the_same(step: int) -> None:
    answers = feed_all(_ResponseParser(), OK, step)
    assert len(answers) == 1
    answer = answers[0]
    assert (answer.status, answer.reason, answer.body) == (201, "Created", b'{"sid": 1}\n')
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers.get("CONTENT-TYPE") == "application/json"
    assert "Content-Length" in answer.headers and "Retry-After" not in answer.headers
    assert answer.headers["X-Twice"] == "a, b"  # repeated headers are joined
    assert dict(answer.headers)["content-length"] == "11"


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_chunked_bodies_with_extensions_and_trailers(step: int) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    parser = _ResponseParser()
    (answer,) = feed_all(parser, data, step)
    assert answer.body == b"hello world"
    assert parser.keep_alive and not parser.mid_answer
    # and without trailers, twice in a row on the same parser
    plain = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    for _ in range(2):
        assert [a.body for a in feed_all(parser, plain, step)] == [b"abc"]


def test_interim_answers_are_skipped_and_empty_statuses_have_no_body() -> None:
    parser = _ResponseParser()
    answer = parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nA: b\r\n\r\n")
    assert answer is not None and answer.status == 204 and answer.body == b""
    assert not parser.mid_answer


def test_connection_close_and_http10_end_keep_alive() -> None:
    parser = _ResponseParser()
    parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert not parser.keep_alive
    parser = _ResponseParser()
    parser.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert not parser.keep_alive
    parser = _ResponseParser()
    parser.feed(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
    assert parser.keep_alive


def test_a_body_without_length_ends_with_the_connection() -> None:
    parser = _ResponseParser()
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ") is None
    assert parser.feed(b"part two") is None
    answer = parser.finish()
    assert answer is not None and answer.body == b"part one, part two"
    assert not parser.keep_alive


@pytest.mark.parametrize(
    "data",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \u00b2\r\n\r\n".encode(),
    ],
)
def test_what_is_not_http_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        _ResponseParser().feed(data)


def test_a_header_line_without_a_colon_is_skipped() -> None:
    answer = _ResponseParser().feed(b"HTTP/1.1 200 OK\r\njunk\r\nContent-Length: 0\r\n\r\n")
    assert answer is not None and dict(answer.headers) == {"content-length": "0"}


def test_endless_headers_are_refused() -> None:
    parser = _ResponseParser()
    with pytest.raises(ProtocolError):
        parser.feed(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20_000)


def test_headers_from_a_dict_are_case_insensitive() -> None:
    headers = Headers({"Retry-After": "3"})
    assert headers["retry-after"] == "3" and headers.get("RETRY-AFTER") == "3"


# --- the pool against raw servers --------------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A loopback TCP server running `handler` per connection; counts connections and keeps
    every request head it read."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length)
        self.requests.append(head + body)
        return head + body

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def raw_server(handler_factory: Callable[[RawServer], Handler]) -> AsyncIterator[RawServer]:
    server = RawServer(lambda r, w: asyncio.sleep(0))
    server.handler = handler_factory(server)
    server.server = await asyncio.start_server(server._serve, "127.0.0.1", 0)
    try:
        yield server
    finally:
        server.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.server.wait_closed(), 2)


def keep_alive_ok(server: RawServer, delay: float = 0.0) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            if delay:
                await asyncio.sleep(delay)
            writer.write(OK)
            await writer.drain()

    return handler


async def test_the_request_on_the_wire_and_keep_alive_reuse() -> None:
    async with raw_server(keep_alive_ok) as server:
        pool = ConnectionPool(10)
        try:
            for _ in range(3):
                answer = await pool.request(
                    "POST",
                    server.url + "/2010-04-01/Messages.json",
                    headers={"Authorization": "Basic xyz", "Content-Type": "a/b"},
                    body=b"To=%2B1&Body=hi",
                )
                assert answer.status == 201
            got = await pool.request("GET", server.url + "/x?a=1", query="PageSize=2")
            assert got.body == b'{"sid": 1}\n'
            port = server.url.rsplit(":", 1)[1]
        finally:
            await pool.close()
    assert server.connections == 1  # one keep-alive connection carried all four
    assert server.requests[0] == (
        b"POST /2010-04-01/Messages.json HTTP/1.1\r\nHost: 127.0.0.1:" + port.encode() + b"\r\n"
        b"Authorization: Basic xyz\r\nContent-Type: a/b\r\nContent-Length: 15\r\n\r\n"
        b"To=%2B1&Body=hi"
    )
    assert server.requests[3].startswith(b"GET /x?a=1&PageSize=2 HTTP/1.1\r\n")
    assert b"Content-Length" not in server.requests[3]


async def test_connection_close_means_a_new_connection_next_time() -> None:
    def factory(server: RawServer) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

        return handler

    async with raw_server(factory) as server:
        pool = ConnectionPool(10)
        try:
            for _ in range(3):
                assert (await pool.request("GET", server.url + "/")).body == b"ok"
            assert pool.open_connections == 0
        finally:
            await pool.close()
    assert server.connections == 3


async def test_a_connection_dropped_mid_answer_is_broken_and_never_reused() -> None:
    def factory(server: RawServer) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            if server.connections == 1:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
                await writer.drain()
                return  # closes: the answer is cut short
            writer.write(OK)
            await writer.drain()

        return handler

    async with raw_server(factory) as server:
        pool = ConnectionPool(10)
        try:
            with pytest.raises(ConnectionBroken):
                await pool.request("POST", server.url + "/", body=b"x")
            assert (await pool.request("POST", server.url + "/", body=b"x")).status == 201
        finally:
            await pool.close()
    assert server.connections == 2


async def test_a_server_that_never_answers_times_out_and_the_connection_is_dropped() -> None:
    def factory(server: RawServer) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            if server.connections == 1:
                await asyncio.sleep(30)  # hang
            writer.write(OK)
            await writer.drain()
            await keep_alive_ok(server)(reader, writer)

        return handler

    async with raw_server(factory) as server:
        pool = ConnectionPool(10)
        try:
            with pytest.raises(TimeoutError):
                await pool.request("POST", server.url + "/", body=b"x", timeout=0.3)
            assert pool.open_connections == 0
            assert (await pool.request("POST", server.url + "/", body=b"x", timeout=5)).status
        finally:
            await pool.close()
    assert server.connections == 2


async def test_a_cancelled_request_does_not_leave_its_connection_in_the_pool() -> None:
    async with raw_server(lambda s: keep_alive_ok(s, delay=0.5)) as server:
        pool = ConnectionPool(10)
        try:
            task = asyncio.create_task(pool.request("GET", server.url + "/"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert pool.open_connections == 0
            assert (await pool.request("GET", server.url + "/")).status == 201
        finally:
            await pool.close()
    assert server.connections == 2


async def test_the_limit_bounds_open_connections_and_queues_the_rest() -> None:
    async with raw_server(lambda s: keep_alive_ok(s, delay=0.05)) as server:
        pool = ConnectionPool(2)
        try:
            answers = await asyncio.gather(
                *(pool.request("GET", server.url + f"/{i}") for i in range(7))
            )
        finally:
            await pool.close()
    assert [a.status for a in answers] == [201] * 7
    assert server.most_open == 2 and server.connections == 2


async def test_a_queued_request_times_out_waiting_for_a_slot() -> None:
    async with raw_server(lambda s: keep_alive_ok(s, delay=1.0)) as server:
        pool = ConnectionPool(1)
        try:
            first = asyncio.create_task(pool.request("GET", server.url + "/"))
            await asyncio.sleep(0.05)
            with pytest.raises(TimeoutError):
                await pool.request("GET", server.url + "/", timeout=0.2)
            assert (await first).status == 201
            assert (await pool.request("GET", server.url + "/")).status == 201  # slot back
        finally:
            await pool.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_no_connection_is_a_connect_error() -> None:
    pool = ConnectionPool(10)
    try:
        with pytest.raises(ConnectError):
            await pool.request("POST", f"http://127.0.0.1:{closed_port()}/", body=b"x")
    finally:
        await pool.close()


async def test_bad_requests_are_refused_before_anything_leaves() -> None:
    pool = ConnectionPool(10)
    try:
        with pytest.raises(ValueError, match=r"not an http\(s\) URL"):
            await pool.request("GET", "ftp://example.com/")
        with pytest.raises(ValueError, match="a header with a line break"):
            await pool.request("GET", "http://127.0.0.1:9/", headers={"X": "a\r\nEvil: 1"})
    finally:
        await pool.close()
    with pytest.raises(RuntimeError):
        await pool.request("GET", "http://127.0.0.1:9/")


# --- TLS -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def tls_server(ca: trustme.CA, hostname: str) -> AsyncIterator[int]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname).configure_cert(server_context)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def test_https_checks_the_certificate_and_the_host_name() -> None:
    ca = trustme.CA()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with tls_server(ca, "127.0.0.1") as port:
        pool = ConnectionPool(10, ssl_context=client_context)
        try:
            answer = await pool.request("GET", f"https://127.0.0.1:{port}/")
            assert answer.status == 201
        finally:
            await pool.close()
        untrusting = ConnectionPool(10, ssl_context=ssl.create_default_context())
        try:
            with pytest.raises(ConnectError, match="certificate"):
                await untrusting.request("GET", f"https://127.0.0.1:{port}/")
        finally:
            await untrusting.close()
    async with tls_server(ca, "api.example.test") as port:  # a certificate for another name
        pool = ConnectionPool(10, ssl_context=client_context)
        try:
            with pytest.raises(ConnectError):
                await pool.request("GET", f"https://127.0.0.1:{port}/")
        finally:
            await pool.close()


# --- proxies ---------------------------------------------------------------------------------


def test_proxy_for_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://api.twilio.com/") is None
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.internal:1080")
    assert proxy_for("https://api.twilio.com/") is None  # aiohttp would not use it either
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert proxy_for("https://api.twilio.com/") == "http://proxy.internal:3128"
    monkeypatch.setenv("NO_PROXY", "twilio.com")
    assert proxy_for("https://api.twilio.com/") is None


# --- what a review found --------------------------------------------------------------------


class _CancelWhenAnswered:
    """Wraps a connection's parser: when an answer completes, cancel `task` on the next loop
    turn, i.e. after the answer arrived but before the request's task resumes."""

    def __init__(self, inner: _ResponseParser, holder: dict) -> None:
        self.inner, self.holder = inner, holder

    def feed(self, data: bytes, head_only: bool = False):
        answer = self.inner.feed(data, head_only)
        if answer is not None and "task" in self.holder:
            asyncio.get_running_loop().call_soon(self.holder.pop("task").cancel)
        return answer

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


async def test_a_request_cancelled_after_its_answer_arrived_drops_its_connection() -> None:
    async with raw_server(keep_alive_ok) as server:
        pool = ConnectionPool(10)
        try:
            await pool.request("GET", server.url + "/")
            (connection,) = next(iter(pool._idle.values()))
            holder: dict = {}
            connection._parser = _CancelWhenAnswered(connection._parser, holder)  # type: ignore[assignment]
            task = asyncio.create_task(pool.request("POST", server.url + "/", body=b"x"))
            holder["task"] = task
            with pytest.raises(asyncio.CancelledError):
                await task
            assert connection.closed and connection.transport.is_closing()
            assert pool._free == 10
            assert (await pool.request("GET", server.url + "/")).status == 201
        finally:
            await pool.close()
    assert server.connections == 2


async def test_closing_the_pool_fails_queued_requests_without_sending_them() -> None:
    async with raw_server(lambda s: keep_alive_ok(s, delay=0.3)) as server:
        pool = ConnectionPool(1)
        busy = asyncio.create_task(pool.request("POST", server.url + "/", body=b"x"))
        queued = asyncio.create_task(pool.request("POST", server.url + "/", body=b"y"))
        await asyncio.sleep(0.1)
        await pool.close()
        with pytest.raises(ConnectionBroken):
            await busy
        with pytest.raises(ConnectError, match="nothing was sent"):
            await queued
        await asyncio.sleep(0.1)
    assert server.connections == 1 and len(server.requests) == 1


async def test_a_pooled_connection_closing_under_us_is_skipped_not_ambiguous() -> None:
    async with raw_server(keep_alive_ok) as server:
        pool = ConnectionPool(10)
        try:
            await pool.request("GET", server.url + "/")
            (connection,) = next(iter(pool._idle.values()))
            connection.transport.close()  # closing now; connection_lost comes a turn later
            answer = await pool.request("POST", server.url + "/", body=b"x")
            assert answer.status == 201
        finally:
            await pool.close()
    assert server.connections == 2


async def test_connections_idle_too_long_are_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    from campaigns.twilio import http_transport

    monkeypatch.setattr(http_transport, "IDLE_TIMEOUT", 0.2)
    async with raw_server(keep_alive_ok) as server:
        pool = ConnectionPool(10)
        try:
            await pool.request("GET", server.url + "/")
            await pool.request("GET", server.url + "/")  # fresh: reused
            await asyncio.sleep(0.3)
            await pool.request("GET", server.url + "/")  # stale: a new connection
        finally:
            await pool.close()
    assert server.connections == 2


async def test_paths_and_queries_are_percent_encoded_once() -> None:
    async with raw_server(keep_alive_ok) as server:
        pool = ConnectionPool(10)
        try:
            await pool.request("GET", server.url + "/a b/é漢?x=1 2&y=%2B")
        finally:
            await pool.close()
    assert server.requests[0].startswith(b"GET /a%20b/%C3%A9%E6%BC%A2?x=1%202&y=%2B HTTP/1.1\r\n")


async def test_a_reset_cuts_a_body_that_runs_until_the_close() -> None:
    def factory(server: RawServer) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart of it")
            await writer.drain()
            await asyncio.sleep(0.05)
            # A reset, not a clean close: linger 0 makes the close send RST.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

        return handler

    async with raw_server(factory) as server:
        pool = ConnectionPool(10)
        try:
            with pytest.raises(ConnectionBroken):
                await pool.request("GET", server.url + "/")
        finally:
            await pool.close()


async def test_a_timeout_must_be_positive() -> None:
    pool = ConnectionPool(10)
    try:
        for bad in (0, -1.0):
            with pytest.raises(ValueError, match="timeout must be positive"):
                await pool.request("GET", "http://127.0.0.1:9/", timeout=bad)
        assert pool._free == 10
    finally:
        await pool.close()
