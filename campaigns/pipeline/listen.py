"""Receiving status callbacks: `smscast listen` (and `smscast send --status-callback`).

`check_callback_setup` is what both ask first: a usable URL and an auth token to check the
signatures with (Twilio signs with the account's auth token; an API key's secret cannot check
them, so an API-key-only setup is told to add the token). `ReceiptServer` is the small HTTP
server (aiohttp, already a dependency of the sandbox) that hands each POST to
`campaigns.send.callbacks.ReceiptDesk` and answers as it says.

The URL Twilio signs is the one it was given. Behind a reverse proxy or a tunnel the request
that reaches us has another scheme, host or path: `public_url` (the URL given to
`send --status-callback`) then supplies scheme, host and path, and the request its query
(which carries the campaign). Without it, the URL is rebuilt from the request (`Host`, and
`X-Forwarded-Proto` when a proxy sets it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from campaigns.config.settings import Settings
from campaigns.errors import ConfigError, InputError
from campaigns.send.callbacks import Answer, ReceiptDesk, problem_with_url
from campaigns.store.journal import Journal
from campaigns.twilio.signatures import SignatureCheck

NEEDS_TOKEN = (
    "Status callbacks are signed with the account's auth token, and only an API key is "
    "set: smscast cannot tell Twilio's callbacks from forged ones without the token."
)
NEEDS_TOKEN_HINT = (
    "Set TWILIO_AUTH_TOKEN (with TWILIO_ACCOUNT_SID) beside the API key, in the environment, "
    "the .env file or the config file; sending may keep using the API key. Or leave out "
    "--status-callback: receipts are then read by sweeps of Twilio's message list."
)


def signature_check(settings: Settings) -> SignatureCheck:
    """The signature check with the account's auth token, or a `ConfigError` saying why
    there is none."""
    if settings.signing is None:
        if settings.credentials is not None and settings.credentials.kind == "api_key":
            raise ConfigError(NEEDS_TOKEN, NEEDS_TOKEN_HINT)
        raise ConfigError(
            "Status callbacks need the account SID and its auth token to check signatures.",
            settings.credentials_help,
        )
    return SignatureCheck(settings.signing.password)


def check_callback_setup(settings: Settings, url: str) -> str:
    """`url` when it can be a status callback URL and callbacks can be checked; else an
    `InputError` (the URL) or `ConfigError` (no auth token)."""
    problem = problem_with_url(url)
    if problem is not None:
        raise InputError(
            f"--status-callback {url!r} cannot be used: {problem}.",
            "Give the public https:// URL that reaches 'smscast listen' (see the README's "
            "'Status callbacks' section for a reverse proxy or a tunnel).",
        )
    signature_check(settings)
    return url


def signed_url(request: web.Request, public_url: str | None) -> str:
    """The URL Twilio signed for `request` (see the module docstring)."""
    if public_url:
        public = urlsplit(public_url)
        return urlunsplit((public.scheme, public.netloc, public.path, request.query_string, ""))
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("Host", request.host)
    return f"{scheme}://{host}{request.path_qs}"


@dataclass
class ReceiptServer:
    """An HTTP server on `host:port` handing every POST to `desk`; `on_answer(answer)` is
    told of each (the command line prints a line per callback)."""

    desk: ReceiptDesk
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    on_answer: Callable[[Answer], None] | None = None

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405, text="POST only\n")
        form = {k: str(v) for k, v in (await request.post()).items()}
        url = signed_url(request, self.public_url)
        # The journal's writes are short; a callback at a time keeps them in order.
        answer = self.desk.receive(url, form, request.headers)
        if self.on_answer is not None:
            self.on_answer(answer)
        return web.Response(status=answer.status, text=answer.text + "\n")

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else self.port
        self.url = f"http://{self.host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def open_desk(settings: Settings, journal: Journal) -> ReceiptDesk:
    """A `ReceiptDesk` on `journal` checking signatures with the settings' auth token."""
    return ReceiptDesk(journal, signature_check(settings).valid)


async def serve_until(server: ReceiptServer, stop: asyncio.Event) -> None:
    """Serve until `stop` is set."""
    await server.start()
    try:
        await stop.wait()
    finally:
        await server.stop()
