"""Status callbacks in the sandbox: Twilio posts a message's status changes to the URL the
message was created with (`StatusCallback`), signed with the account's auth token.

What is posted follows Twilio's documentation ("Outbound Message Status in Status Callbacks",
the Messaging webhook request parameters, "Webhooks security", "Webhooks connection
overrides"):
- no callback for the initial status (`queued`, or `accepted` with a Messaging Service); one
  for each change after it: `queued` (a Messaging Service message given its sender), `sent` or
  `failed`, then `delivered` / `undelivered`;
- form parameters `MessageSid`, `SmsSid`, `AccountSid`, `From`, `To`, `MessageStatus`,
  `SmsStatus`, `ApiVersion`, `MessagingServiceSid` (with a service), `ErrorCode` (a failed or
  undelivered message), `RawDlrDoneDate` (with a delivery receipt);
- `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the auth token, of the URL followed
  by every POST parameter's name and value in name order (computed here with hashlib: the
  sandbox never imports the SDK, so smscast's validator, which is the SDK's, is checked
  against an independent implementation); `I-Twilio-Idempotency-Token`, the same for each
  retry of one callback;
- retries: the URL's fragment may carry connection overrides (`#rc=3&rp=5xx`): `rc` retries
  (default 1), on `rp` (`ct`: the connection failed, the default; `4xx`, `5xx`, `all`). The
  fragment is not part of the request nor of the signed URL (assumed; Twilio documents it as
  instructions to itself);
- Twilio does not promise order: `callback_disorder` (a share of messages, seeded) delivers the
  `sent` callback after the final one, as real deliveries sometimes arrive.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import heapq
import hmac
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp

from campaigns.sandbox.store import Message

#: The parallel posts at most (Twilio's own limit is undocumented; a listener sees bursts).
_CONCURRENT_POSTS = 20
_POST_TIMEOUT = 15.0  # Twilio's default total timeout for a webhook (`tt`: 15,000 ms)


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's `X-Twilio-Signature` of a form POST to `url` (its documented algorithm)."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def connection_overrides(url: str) -> tuple[str, int, frozenset[str]]:
    """(the URL without its fragment, retries, retry policy) from `#rc=..&rp=..`."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.fragment))
    try:
        retries = max(0, min(5, int(options.get("rc", "1"))))
    except ValueError:
        retries = 1
    policy = frozenset(options.get("rp", "ct").split(","))
    return urlunsplit(parts._replace(fragment="")), retries, policy


@dataclass(frozen=True, slots=True)
class _Post:
    message: Message
    status: str


class CallbackPoster:
    """The queue of callbacks due and the one task that posts them."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        disorder: float,
        rng_draw: Callable[[], float],
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.disorder = disorder
        self._draw = rng_draw
        self._heap: list[tuple[float, int, _Post]] = []
        self._count = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._gate = asyncio.Semaphore(_CONCURRENT_POSTS)
        self._posts: set[asyncio.Task[None]] = set()
        #: What was posted, for tests: (sid, status, HTTP status or 0 for no answer).
        self.log: list[tuple[str, str, int]] = []

    def schedule(self, message: Message) -> None:
        """The callbacks of a new message that carries a StatusCallback URL."""
        events: list[tuple[float, str]] = []
        if message.service_sid:
            events.append((message.accepted_until, "queued"))
        if message.outcome == "failed":
            events.append((message.sent_at, "failed"))
        else:
            sent_due = message.sent_at
            if self.disorder and self._draw() < self.disorder:
                sent_due = message.final_at + 0.05  # the `sent` one arrives last
            events.append((sent_due, "sent"))
            events.append((message.final_at, message.outcome))
        for due, status in events:
            heapq.heappush(self._heap, (due, next(self._count), _Post(message, status)))
        self._wake.set()

    def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=_POST_TIMEOUT, sock_connect=5.0)
        )
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for post in list(self._posts):
            post.cancel()
        await asyncio.gather(*self._posts, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            now = time.time()
            while self._heap and self._heap[0][0] <= now:
                _, _, post = heapq.heappop(self._heap)
                task = asyncio.get_running_loop().create_task(self._deliver(post))
                self._posts.add(task)
                task.add_done_callback(self._posts.discard)
            wait = self._heap[0][0] - now if self._heap else 3600.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.001, wait))

    def form(self, message: Message, status: str) -> dict[str, str]:
        """The form parameters of one callback."""
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "AccountSid": self.account_sid,
            "From": message.from_,
            "To": message.to,
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }
        if message.service_sid:
            params["MessagingServiceSid"] = message.service_sid
        if status in ("failed", "undelivered") and message.error_code:
            params["ErrorCode"] = str(message.error_code)
        if status in ("delivered", "undelivered"):
            done = datetime.fromtimestamp(message.final_at, UTC)
            params["RawDlrDoneDate"] = done.strftime("%y%m%d%H%M")
        return params

    async def _deliver(self, post: _Post) -> None:
        message = post.message
        if message.deleted or not message.status_callback:
            return
        url, retries, policy = connection_overrides(message.status_callback)
        params = self.form(message, post.status)
        headers = {
            "X-Twilio-Signature": signature(self.auth_token, url, params),
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
            "User-Agent": "TwilioProxy/1.1",
        }
        assert self._session is not None
        async with self._gate:
            for attempt in range(retries + 1):
                failure = ""
                try:
                    async with self._session.post(url, data=params, headers=headers) as answer:
                        await answer.read()
                        code = answer.status
                except (aiohttp.ClientError, OSError, TimeoutError):
                    code, failure = 0, "ct"
                self.log.append((message.sid, post.status, code))
                if 200 <= code < 400:
                    return
                if not failure:
                    failure = "4xx" if 400 <= code < 500 else "5xx"
                if attempt < retries and ("all" in policy or failure in policy):
                    await asyncio.sleep(min(2.0, 0.2 * 2**attempt))
                    continue
                return
