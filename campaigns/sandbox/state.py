"""The state one sandbox keeps, and the prelude every endpoint shares."""

from __future__ import annotations

import asyncio
import base64
import random
import time

from aiohttp import web

from campaigns.sandbox.callbacks import CallbackPoster
from campaigns.sandbox.config import SandboxConfig, SenderSpec
from campaigns.sandbox.http import Handler, error, too_many
from campaigns.sandbox.pools import Pools
from campaigns.sandbox.rules import MAGIC_FROM_OK
from campaigns.sandbox.store import Message, MessageStore, SenderQueue


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _magic_sender() -> SenderSpec:
    return SenderSpec(MAGIC_FROM_OK, "long_code", friendly_name="Magic test number")


class SandboxState:
    """One sandbox's state and the prelude every endpoint shares (concurrency limit, auth,
    latency, faults). Each Twilio API's endpoints are a subclass (`api_v2010`, ...), and the
    server's application class combines them, so they all share this one state."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = MessageStore(config)
        self.created = time.time() - 86400 * 30
        self.rng = random.Random(config.seed)
        self.inflight = 0
        self.hanging: set[asyncio.Future[None]] = set()
        self.auth_ok = frozenset(
            [_basic(config.account_sid, config.auth_token)]
            + [_basic(key, secret) for key, secret in config.api_keys.items()]
        )
        self.faults = config.faults
        self.has_faults = config.faults.any()
        self.speed = max(config.speedup, 1e-9)
        self.verified = frozenset(config.verified)
        self.opted_out = frozenset(config.opted_out)
        self.queues = self.store.queues
        magic = SenderQueue(_magic_sender(), 1.0 * self.speed)
        self.sending_queues: dict[str, SenderQueue] = {**self.queues, MAGIC_FROM_OK: magic}
        self.owned = frozenset(s.address for s in config.senders)
        #: Status callbacks: posted while the server runs (`Sandbox.start` starts it).
        self.callbacks = CallbackPoster(
            config.account_sid,
            config.auth_token,
            disorder=config.callback_disorder,
            rng_draw=random.Random(config.seed + 1).random,
        )
        self.pools = Pools(config, self.queues)
        #: Billed calls served so far (tests count them: a cached answer must not ask again).
        self.price_fetches = 0
        #: The filters of each Messages listing asked for (tests check what a sweep asks).
        self.message_listings: list[dict[str, str]] = []
        self.message_fetches = 0
        self.lookups_billed = 0
        #: (our number or the service SID, the person) pairs that replied an opt-out keyword
        #: (`campaigns.sandbox.inbound`): a create between them gets 21610.
        self.blocked: set[tuple[str, str]] = set()
        #: People the scripted replies already answered for (each answers once).
        self.scripted: set[str] = set()

    def after_create(self, message: Message) -> None:
        """Called with each message a create stored (the inbound API schedules replies)."""

    # ----------------------------------------------------------------- the common prelude
    def guarded(self, inner: Handler) -> Handler:
        """Wrap an endpoint with the concurrency limit, auth, the path SID check, latency and
        the faults that happen before any work."""
        config = self.config

        async def handler(request: web.Request) -> web.StreamResponse:
            self.inflight += 1
            try:
                if self.inflight > config.concurrency_limit:
                    return too_many(self.faults)
                header = request.headers.get("Authorization")
                # Paths of the 2010 API name the account; the newer APIs' paths do not.
                account = request.match_info.get("account", config.account_sid)
                if header not in self.auth_ok or account != config.account_sid:
                    response = error(20003, "Authenticate", 401)
                    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
                    return response
                if config.status != "active" and request.method == "POST":
                    return error(20005, "Account not active", 401)
                if config.latency_ms > 0:
                    await asyncio.sleep(self._latency())
                if self.has_faults:
                    early = await self._faults_before()
                    if early is not None:
                        return early
                return await inner(request)
            finally:
                self.inflight -= 1

        return handler

    def _latency(self) -> float:
        mean = self.config.latency_ms / 1000.0
        kind = self.config.latency_distribution
        if kind == "uniform":
            return self.rng.uniform(0.0, 2 * mean)
        if kind == "exponential":
            return self.rng.expovariate(1.0 / mean)
        return mean

    async def _faults_before(self) -> web.Response | None:
        faults, draw = self.faults, self.rng.random()
        if draw < faults.hang:
            await self._hang()
        draw -= faults.hang
        if draw < faults.rate_limit:
            return too_many(faults)
        draw -= faults.rate_limit
        if draw < faults.error_before:
            status = self.rng.choice((500, 503))
            text = "Internal Server Error" if status == 500 else "Service Unavailable"
            return error(20500 if status == 500 else 20503, text, status)
        return None

    async def _hang(self) -> None:
        """Never answer: wait until the client disconnects (cancelling us) or the stop."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.hanging.add(future)
        try:
            await future
        finally:
            self.hanging.discard(future)
        raise asyncio.CancelledError

    def release_hanging(self) -> None:
        """On stop: end every hanging request without an answer."""
        for future in list(self.hanging):
            if not future.done():
                future.set_result(None)
