"""Sending through an HTTP proxy: when the environment names one for Twilio's host, the
gateway's session speaks through aiohttp (our lean pool has no proxy support), and sends,
reads and time limits work the same. A small forward proxy on loopback relays to the sandbox,
so the test proves the requests really went through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import pytest

from campaigns.sandbox import Faults, Sandbox
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.errors import AmbiguousError
from campaigns.twilio.gateway import TwilioGateway

FROM = "+15017122661"
TO = "+14155550100"
FAKE_HOST = "api.twilio.test"  # never resolved: only the proxy connects anywhere


class ForwardProxy:
    """Relays absolute-form requests (`POST http://host:port/path HTTP/1.1`) to one upstream
    on loopback, whatever host they name, and counts them."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.seen: list[str] = []
        self.server: asyncio.Server | None = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                self.seen.append(f"{method} {target}")
                parts = urlsplit(target)
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                kept = [ln for ln in lines[1:] if ln and not ln.lower().startswith("connection:")]
                request = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close"])
                up_reader, up_writer = await asyncio.open_connection(
                    "127.0.0.1", self.upstream_port
                )
                up_writer.write(request.encode("latin-1") + b"\r\n\r\n" + body)
                await up_writer.drain()
                answer = await up_reader.read()  # upstream closes after its answer
                up_writer.close()
                # The client may keep its connection to us: say where the answer ends.
                answer_head, _, answer_body = answer.partition(b"\r\n\r\n")
                kept_head = [
                    ln
                    for ln in answer_head.split(b"\r\n")
                    if not ln.lower().startswith((b"connection:", b"content-length:"))
                ]
                writer.write(
                    b"\r\n".join(kept_head)
                    + b"\r\nContent-Length: %d\r\n\r\n" % len(answer_body)
                    + answer_body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def forward_proxy(sandbox: Sandbox) -> AsyncIterator[tuple[ForwardProxy, str]]:
    proxy = ForwardProxy(urlsplit(sandbox.base_url).port or 80)
    proxy.server = await asyncio.start_server(proxy._relay, "127.0.0.1", 0)
    port = proxy.server.sockets[0].getsockname()[1]
    try:
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        proxy.server.close()


def gateway(sandbox: Sandbox) -> TwilioGateway:
    port = urlsplit(sandbox.base_url).port
    return TwilioGateway(
        Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
        base_url=f"http://{FAKE_HOST}:{port}",
    )


def proxy_environment(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("HTTPS_PROXY", url)


async def test_sends_and_reads_go_through_the_proxy(
    sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory(trial=False)
    async with forward_proxy(sb) as (proxy, url):
        proxy_environment(monkeypatch, url)
        async with gateway(sb).async_session() as session:
            assert session.transport == "aiohttp"
            sent = await session.send(to=TO, body="through the proxy", from_=FROM)
            fetched = await session.fetch(sent.sid)
            found = await session.messages_to(TO, sent.date_created)
    assert fetched.sid == sent.sid and [r.sid for r in found] == [sent.sid]
    assert [m["sid"] for m in sb.messages(TO)] == [sent.sid]
    assert proxy.seen[0].startswith(f"POST http://{FAKE_HOST}:")
    assert len(proxy.seen) == 3 and all(FAKE_HOST in line for line in proxy.seen)


async def test_a_send_through_the_proxy_is_still_bounded_in_time(
    sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory(trial=False, faults=Faults(hang=1.0))
    async with forward_proxy(sb) as (proxy, url):
        proxy_environment(monkeypatch, url)
        async with gateway(sb).async_session() as session:
            with pytest.raises(AmbiguousError) as info:
                await session.send(to=TO, body="hangs", from_=FROM, timeout=0.5)
    assert "0.5 s" in str(info.value)
    assert len(proxy.seen) == 1
