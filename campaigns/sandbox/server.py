"""The sandbox HTTP server: the Twilio APIs smscast speaks, on aiohttp.web.

`Sandbox` runs in the caller's event loop (`await sb.start()` / `await sb.stop()`) or on a
background thread (`with Sandbox(cfg) as sb:`). It binds 127.0.0.1 only.

One module per Twilio API holds that API's endpoints (`api_v2010`, and beside it the newer
APIs as they are added); `_App` combines them over one shared `SandboxState`, and `build`
routes every resource each one declares. To add an API: a `SandboxState` subclass in its own
module with a `<name>_resources()` method, one base class of `_App` and one entry in
`_App.resources()`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, cast

from aiohttp import web

from campaigns.sandbox import render
from campaigns.sandbox.api_v2010 import BASE, Api2010
from campaigns.sandbox.config import SandboxConfig
from campaigns.sandbox.http import Resource, not_allowed, not_found
from campaigns.sandbox.inbound import Inbound
from campaigns.sandbox.lookups_v2 import LookupsV2
from campaigns.sandbox.messaging_v1 import MessagingV1
from campaigns.sandbox.pricing_v1 import PricingV1
from campaigns.sandbox.store import Message

log = logging.getLogger(__name__)

#: Control endpoints for tests and the demo live here, outside Twilio's namespace: they take
#: no Twilio auth and meet no injected fault.
CONTROL = "/_sandbox/"


class _App(Api2010, Inbound, MessagingV1, PricingV1, LookupsV2):
    """Request handling for one sandbox: every API's endpoints over one shared state."""

    def resources(self) -> list[Resource]:
        """Every resource of every API the sandbox serves."""
        return [
            *self.api_v2010_resources(),
            *self.inbound_resources(),
            *self.messaging_v1_resources(),
            *self.pricing_v1_resources(),
            *self.lookups_v2_resources(),
        ]

    def build(self) -> web.Application:
        """The aiohttp application with every route.

        Each resource answers its own methods; any other method on it is 20004 (HTTP 405),
        and any other path is 20404 (HTTP 404), both in Twilio's error document, never
        aiohttp's plain text. The sandbox serves the JSON representations only (`.json`).
        """
        app = web.Application()
        for path, methods in self.resources():
            g = (lambda h: h) if path.startswith(CONTROL) else self.guarded
            resource = app.router.add_resource(path)
            for method, handler in methods.items():
                resource.add_route(method, g(handler))
            resource.add_route("*", g(not_allowed(sorted(methods))))
        app.router.add_route("*", BASE + "/{tail:.*}", g(not_found))
        app.router.add_route("*", "/{tail:.*}", not_found)
        return app


class Sandbox:
    """A local Twilio REST API for one account, on 127.0.0.1."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.account_sid = self.config.account_sid
        self.auth_token = self.config.auth_token
        self.base_url = ""
        self._app = _App(self.config)
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def messaging_service_sid(self) -> str:
        """The sandbox's (first) Messaging Service (by default: every SMS-capable sender)."""
        return self.config.all_services()[0].sid

    @property
    def phone_number(self) -> str:
        """The first SMS-capable long code: a good default `From`."""
        return next(s.address for s in self.config.senders if s.sms and s.kind == "long_code")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in the running event loop; `base_url` is set once listening."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox binds to the loopback interface only")
        runner = web.AppRunner(
            self._app.build(), access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        self._runner = runner
        self._app.callbacks.start()
        # The loop's Server (aiohttp types it AbstractServer, which has no `sockets`): the only
        # way to learn an ephemeral port.
        server = cast("asyncio.Server | None", site._server)
        bound = server.sockets[0].getsockname()[1] if server is not None else port
        self.base_url = f"http://{host}:{bound}"

    async def stop(self) -> None:
        """Stop serving; hanging requests end without an answer."""
        self._app.release_hanging()
        await self._app.callbacks.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def message_listings(self) -> list[dict[str, str]]:
        """The filters (To, From, DateSent...) of each Messages listing served so far."""
        return self._app.message_listings

    @property
    def message_fetches(self) -> int:
        """Single fetches of a message (GET Messages/{Sid}) served so far."""
        return self._app.message_fetches

    @property
    def price_fetches(self) -> int:
        """Pricing API answers served so far (a cached price must not ask again)."""
        return self._app.price_fetches

    @property
    def lookups_billed(self) -> int:
        """Line type lookups answered so far (each is billed at Twilio)."""
        return self._app.lookups_billed

    def status_callbacks(self) -> dict[str, str]:
        """The `StatusCallback` URL each stored message was created with, by SID ("" for
        none): what Twilio keeps of the request (the Message resource does not show it)."""
        return {m.sid: m.status_callback for m in self._app.store.messages if not m.deleted}

    @property
    def callback_log(self) -> list[tuple[str, str, int]]:
        """Every status callback posted: (message SID, status, HTTP answer or 0 for none)."""
        return self._app.callbacks.log

    def receive_many(self, texts: list[tuple[str, str, str]]) -> int:
        """Many texts (person, our number, body) at once, in order, as `receive` would store
        them one by one (benchmarks: 100,000 replies without 100,000 thread hops)."""
        app = self._app

        def store() -> int:
            for person, ours, body in texts:
                app.receive(person, ours, body)
            return len(texts)

        if self._loop is None:
            return store()

        async def on_loop() -> int:
            return store()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result()

    def receive(self, person: str, ours: str, body: str) -> dict[str, Any]:
        """A text from `person` to our number `ours`, as if sent from a phone (thread-safe
        when the sandbox runs on its background thread); returns the inbound Message."""
        app = self._app
        if self._loop is None:
            message = app.receive(person, ours, body)
        else:

            async def on_loop() -> Message:
                return app.receive(person, ours, body)

            message = asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result()
        return render.message(message, self.account_sid, time.time())

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """The stored Message resources as of now, oldest first (optionally to one number)."""
        now = time.time()
        pool = list(self._app.store.messages if to is None else self._app.store.by_to.get(to, []))
        return [render.message(m, self.account_sid, now) for m in pool if not m.deleted]

    # ------------------------------------------------------------- background thread
    def __enter__(self) -> Sandbox:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the caller of __enter__
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop())
                loop.close()

        self._thread = threading.Thread(target=serve, name="smscast-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            # Stopping closes connections and waits for handlers (aiohttp allows them up to a
            # minute): never longer than that, so a stuck one cannot hang whoever stops it. The
            # thread is a daemon: it dies with the process.
            self._thread.join(timeout=90)
            if self._thread.is_alive():
                log.warning("the sandbox did not stop within 90 s; leaving its thread behind")
            self._thread = None
            self._loop = None
