"""Receiving status callbacks: `smscast listen` (and `smscast send --status-callback`).

`check_callback_setup` is what both ask first: a usable URL and an auth token to check the
signatures with (Twilio signs with the account's auth token; an API key's secret cannot check
them, so an API-key-only setup is told to add the token). `ReceiptServer` is the small HTTP
server (aiohttp, already a dependency of the sandbox) that hands each POST to
`campaigns.send.callbacks.ReceiptDesk` and answers as it says. The desk's journal work runs on
one thread of its own, one callback at a time (in order; the event loop, which in the app is
also the engine's, never waits for an fsync), and each second the server has the desk apply
the receipts it holds for messages not recorded yet (`ReceiptDesk.apply_held`).

`app_callbacks` is the app's side of the same checks: the settings' `status_callback_url`
(with `listen_port` / `listen_host` when the app itself receives them, while a campaign runs:
`tui.engine_runner`).

The URL Twilio signs is the one it was given. Behind a reverse proxy or a tunnel the request
that reaches us has another scheme, host or path: `public_url` (the URL given to
`send --status-callback`) then supplies scheme, host and path, and the request its query
(which carries the campaign). Without it, the URL is rebuilt from the request (`Host`, and
`X-Forwarded-Proto` when a proxy sets it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from campaigns.config.settings import Settings
from campaigns.errors import ConfigError, InputError
from campaigns.secrets import scrub
from campaigns.send.callbacks import Answer, ReceiptDesk, problem_with_url
from campaigns.store.journal import Journal
from campaigns.twilio.signatures import SignatureCheck

log = logging.getLogger(__name__)

_T = TypeVar("_T")

NEEDS_TOKEN = (
    "Status callbacks are signed with the account's auth token, and only an API key is "
    "set: smscast cannot tell Twilio's callbacks from forged ones without the token."
)
NEEDS_TOKEN_HINT = (
    "Set TWILIO_AUTH_TOKEN (with TWILIO_ACCOUNT_SID) beside the API key, in the environment, "
    "the .env file or the config file; sending may keep using the API key. Or leave out "
    "--status-callback (in the app: status_callback_url): receipts are then read by sweeps "
    "of Twilio's message list."
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


def check_callback_setup(settings: Settings, url: str, what: str = "--status-callback") -> str:
    """`url` when it can be a status callback URL and callbacks can be checked; else an
    `InputError` (the URL, named as `what`: the flag, or the app's setting) or `ConfigError`
    (no auth token)."""
    problem = problem_with_url(url)
    if problem is not None:
        raise InputError(
            f"{what} {url!r} cannot be used: {problem}.",
            "Give the public https:// URL that reaches the listener (see the README's "
            "'Status callbacks' section for a reverse proxy or a tunnel).",
        )
    signature_check(settings)
    return url


@dataclass(frozen=True, slots=True)
class AppCallbacks:
    """How the app's campaigns get their receipts by callback: `url` given to Twilio, and
    where the app listens for them while a campaign runs (`port` None: it does not, another
    process such as `smscast listen` does)."""

    url: str
    host: str
    port: int | None


def app_callbacks(settings: Settings) -> AppCallbacks | None:
    """The settings' status callbacks for the app (None: not set, receipts come by sweeps),
    checked as `send --status-callback` checks its flag: an `InputError` or `ConfigError`
    saying what to change."""
    url = settings.status_callback_url
    if url is None:
        if settings.listen_port is not None:
            raise ConfigError(
                f"listen_port ({settings.listen_port}) is set but status_callback_url is not: "
                "Twilio would not know where to post the receipts.",
                "Set status_callback_url (SMSCAST_STATUS_CALLBACK_URL) to the public URL that "
                "reaches this port, or unset listen_port.",
            )
        return None
    check_callback_setup(settings, url, "The status_callback_url setting")
    return AppCallbacks(url, settings.listen_host, settings.listen_port)


def cannot_listen(host: str, port: int, error: OSError) -> ConfigError:
    """The sentence for a port that cannot be listened on (in use, or privileged)."""
    # asyncio words it "error while attempting to bind on address (...): ..."; the C
    # library's sentence for the number is the short one ("Address already in use").
    # A resolver's error (a host name that does not resolve) has its own, negative numbers.
    if isinstance(error, socket.gaierror) or not error.errno or error.errno < 0:
        why = error.strerror or str(error)
    else:
        why = os.strerror(error.errno)
    return ConfigError(
        f"Cannot receive status callbacks on {host}:{port}: {why}.",
        "Choose another port (one above 1023 needs no privileges), or stop what uses it.",
    )


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
    #: Seconds between two looks at the held receipts (`ReceiptDesk.apply_held`).
    held_interval: float = 1.0

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._desk_thread: ThreadPoolExecutor | None = None
        self._held_task: asyncio.Task[None] | None = None
        self.url = ""

    async def _at_desk(self, work: Callable[[], _T]) -> _T:
        assert self._desk_thread is not None  # started
        return await asyncio.get_running_loop().run_in_executor(self._desk_thread, work)

    def _tell(self, answers: list[Answer]) -> None:
        if self.on_answer is not None:
            for answer in answers:
                self.on_answer(answer)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405, text="POST only\n")
        form = {k: str(v) for k, v in (await request.post()).items()}
        url = signed_url(request, self.public_url)
        headers = request.headers  # (case-insensitive, read-only: safe on the desk thread)
        answer = await self._at_desk(lambda: self.desk.receive(url, form, headers))
        self._tell([answer])
        return web.Response(status=answer.status, text=answer.text + "\n")

    async def _watch_held(self) -> None:
        """Apply held receipts every `held_interval` for the server's life. A failure (the
        journal busy or unwritable for a moment) is logged and the next round tries again:
        the held receipts stay held, and the sweeps still read them."""
        while True:
            await asyncio.sleep(self.held_interval)
            try:
                answers = await self._at_desk(self.desk.apply_held)
                self._tell(answers)
            except Exception as exc:  # any one round's failure; never the loop's end
                log.warning("could not apply held receipts this round: %s", scrub(str(exc)))

    async def start(self) -> None:
        """Listen (an `OSError` when the address cannot be used: `cannot_listen` says it)."""
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else self.port
        self.url = f"http://{self.host}:{port}"
        self._desk_thread = ThreadPoolExecutor(1, thread_name_prefix="receipt-desk")
        self._held_task = asyncio.ensure_future(self._watch_held())

    async def stop(self) -> None:
        if self._held_task is not None:
            self._held_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._held_task
            self._held_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._desk_thread is not None:
            self._desk_thread.shutdown(wait=True)
            self._desk_thread = None


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
