"""The sandbox HTTP server: Twilio's 2010-04-01 endpoints smscast uses, on aiohttp.web.

`Sandbox` runs in the caller's event loop (`await sb.start()` / `await sb.stop()`) or on a
background thread (`with Sandbox(cfg) as sb:`). It binds 127.0.0.1 only. The create path is
kept lean (precomputed auth headers, cached number checks and segment counts) so the sandbox
is never what limits a benchmark.

Over 500 lines as one module for now: one aiohttp application whose handlers share the
sandbox's state and the lean create path. The seam when Twilio APIs are added is one module
per API (api_v2010, messaging_v1, pricing_v1, lookups_v2), as the design plans.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import unquote_plus, urlsplit
from xml.sax.saxutils import escape as xml_escape

from aiohttp import web

from campaigns.compose.segments import smart_encode
from campaigns.sandbox import render
from campaigns.sandbox.config import Faults, SandboxConfig, SenderSpec, new_sid
from campaigns.sandbox.rules import (
    MAGIC_FROM,
    MAGIC_FROM_OK,
    MAGIC_TO,
    MAX_BODY_CHARS,
    MAX_MEDIA,
    SCHEDULE_WINDOW,
    TRIAL_PREFIX,
    VALIDITY_SECONDS,
    Refusal,
    is_e164,
    looks_like_sender,
    number_region,
    refusal,
    segments,
)
from campaigns.sandbox.store import Message, MessageStore, SenderQueue

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_PAGE_MAX = 1000
_PAGE_DEFAULT = 50
_QUEUE_PICKUP = 0.05  # seconds (at speedup 1) a new message stays `queued` on an idle sender
#: Statuses after which Twilio is done with a message (it may be deleted). Twilio's own words,
#: not `campaigns.store.statuses` (see the docstring of `campaigns.sandbox.store`).
_FINAL = frozenset({"delivered", "undelivered", "failed", "canceled"})
#: Statuses in which a body may be redacted: once the message left (or never will).
_REDACTABLE = _FINAL | {"sent"}


def _json(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers=_JSON)


def _json_bytes(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=_JSON)


def _form(raw: bytes) -> tuple[dict[str, str], int]:
    """A form-encoded body -> (fields, number of MediaUrl); quicker than parse_qsl."""
    form: dict[str, str] = {}
    media = 0
    for part in raw.decode("utf-8", "replace").split("&"):
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if value.startswith("%2B") and "%" not in value[3:] and "+" not in value:
            value = "+" + value[3:]  # an E.164 number, the common case
        elif "%" in value or "+" in value:
            value = unquote_plus(value)
        if key == "MediaUrl":
            media += 1
        elif key:
            form[key] = value
    return form, media


def _error(code: int, message: str, status: int) -> web.Response:
    return _json(render.error_body(code, message, status), status)


def _too_many(faults: Faults) -> web.Response:
    """The 429 answer (20429), with `Retry-After` when the faults ask for one."""
    response = _error(20429, "Too Many Requests", 429)
    if faults.retry_after is not None:
        response.headers["Retry-After"] = f"{faults.retry_after:g}"
    return response


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class _App:
    """Request handling for one sandbox: state, auth, faults and the endpoints."""

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

    # ----------------------------------------------------------------- the common prelude
    def guarded(self, inner: Handler) -> Handler:
        """Wrap an endpoint with the concurrency limit, auth, the path SID check, latency and
        the faults that happen before any work."""
        config = self.config

        async def handler(request: web.Request) -> web.StreamResponse:
            self.inflight += 1
            try:
                if self.inflight > config.concurrency_limit:
                    return _too_many(self.faults)
                header = request.headers.get("Authorization")
                if header not in self.auth_ok or (
                    request.match_info.get("account") != config.account_sid
                ):
                    response = _error(20003, "Authenticate", 401)
                    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
                    return response
                if config.status != "active" and request.method == "POST":
                    return _error(20005, "Account not active", 401)
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
            return _too_many(faults)
        draw -= faults.rate_limit
        if draw < faults.error_before:
            status = self.rng.choice((500, 503))
            text = "Internal Server Error" if status == 500 else "Service Unavailable"
            return _error(20500 if status == 500 else 20503, text, status)
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

    # ---------------------------------------------------------------------- endpoints
    async def account(self, request: web.Request) -> web.StreamResponse:
        return _json(render.account(self.config, self.created))

    async def incoming_numbers(self, request: web.Request) -> web.StreamResponse:
        sid = self.config.account_sid
        rows = [
            render.incoming_number(s, sid, self.created)
            for s in self.config.senders
            if s.kind != "short_code"
        ]
        return self._static_page(
            request, "incoming_phone_numbers", rows, "PhoneNumber", "phone_number"
        )

    async def short_codes(self, request: web.Request) -> web.StreamResponse:
        sid = self.config.account_sid
        rows = [
            render.short_code(s, sid, self.created)
            for s in self.config.senders
            if s.kind == "short_code"
        ]
        return self._static_page(request, "short_codes", rows, "ShortCode", "short_code")

    async def caller_ids(self, request: web.Request) -> web.StreamResponse:
        sid = self.config.account_sid
        rows = [render.caller_id(n, sid, self.created) for n in self.config.verified]
        return self._static_page(
            request, "outgoing_caller_ids", rows, "PhoneNumber", "phone_number"
        )

    def _static_page(
        self,
        request: web.Request,
        key: str,
        rows: list[dict[str, Any]],
        filter_param: str,
        field: str,
    ) -> web.StreamResponse:
        query = request.query
        wanted = query.get(filter_param)
        if wanted is not None:
            rows = [r for r in rows if r[field] == wanted]
        size, number, token = _paging(query)
        if size is None:
            return _error(20001, "Invalid PageSize", 400)
        start = number * size
        if token:
            anchor = next((i for i, r in enumerate(rows) if r["sid"] == token[2:]), None)
            if anchor is not None:
                start = anchor + 1
        chunk = rows[start : start + size]
        more = start + size < len(rows)
        filters = {filter_param: wanted} if wanted is not None else {}
        return _json(
            render.page(
                key,
                chunk,
                path=request.path,
                query=filters,
                page_number=number,
                page_size=size,
                next_token="PA" + chunk[-1]["sid"] if more and chunk else None,
                previous_token=None,
            )
        )

    async def fetch_message(self, request: web.Request) -> web.StreamResponse:
        message = self.store.get(request.match_info["sid"])
        if message is None:
            return _error(20404, f"The requested resource {request.path} was not found", 404)
        return _json_bytes(render.message_json(message, self.config.account_sid, time.time()))

    async def list_messages(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        size, number, token = _paging(query)
        if size is None:
            return _error(20001, "Invalid PageSize", 400)
        try:
            match = _message_filter(query)
        except ValueError as exc:
            return _error(20001, str(exc), 400)
        to = query.get("To")
        after = token[2:] if token and token.startswith("PA") else None
        records: list[Message] = []
        skip = 0 if after else number * size
        for message in self.store.newest_first(to, after):
            if not match(message):
                continue
            if skip:
                skip -= 1
                continue
            records.append(message)
            if len(records) > size:
                break
        more = len(records) > size
        records = records[:size]
        now, sid = time.time(), self.config.account_sid
        filters = {
            k: query[k] for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if k in query
        }
        return _json(
            render.page(
                "messages",
                [render.message(m, sid, now) for m in records],
                path=request.path,
                query=filters,
                page_number=number,
                page_size=size,
                next_token="PA" + records[-1].sid if more else None,
                previous_token=None,
            )
        )

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        form, media = _form(await request.read())
        outcome = self._create(form, media)
        if isinstance(outcome, Refusal):
            return _error(outcome.code, outcome.message, outcome.status)
        self.store.add(outcome)
        body = render.message_json(outcome, self.config.account_sid, outcome.created)
        if self.has_faults:
            faults, draw = self.faults, self.rng.random()
            if draw < faults.error_after:
                return _error(20500, "Internal Server Error", 500)
            if draw - faults.error_after < faults.drop_after:
                transport = request.transport
                if transport is not None:
                    transport.abort()
                raise asyncio.CancelledError
        return _json_bytes(body, 201)

    def _create(self, form: dict[str, str], media: int) -> Message | Refusal:
        """Validate a create as Twilio does and build the message (not yet stored)."""
        config = self.config
        to = form.get("To", "").strip()
        sender = form.get("From", "").strip()
        service = form.get("MessagingServiceSid", "").strip()
        text = form.get("Body", "")
        if not to:
            return refusal(21604)
        if not sender and not service:
            return refusal(21603)
        if not text and not media and not form.get("ContentSid"):
            return refusal(21602)
        if len(text) > MAX_BODY_CHARS:
            return refusal(21617)
        if media or "ValidityPeriod" in form or "StatusCallback" in form:
            problem = _parameter_problem(form, media)
            if problem is not None:
                return problem
        now = time.time()
        send_at = 0.0
        if "ScheduleType" in form:
            scheduled = _scheduled_send_at(form, service, now)
            if isinstance(scheduled, Refusal):
                return scheduled
            send_at = scheduled
        if service:
            # With a Messaging Service, From (if given) must be a sender of its pool: Twilio
            # keeps the service (messaging_service_sid, `accepted` first) and sends from that
            # number. The sandbox's one service holds every SMS-capable sender it owns.
            if service != config.messaging_service_sid:
                return refusal(21701, service)
            if sender:
                queue = self.queues.get(sender)
                if queue is None:
                    return refusal(21606, sender)
            else:
                queue = min(self.queues.values(), key=lambda q: q.next_free, default=None)
                if queue is None:
                    return refusal(21606, service)
        else:
            code = MAGIC_FROM.get(sender)
            if code is not None:
                return refusal(code, sender)
            queue = self.sending_queues.get(sender)
            if queue is None:
                if not looks_like_sender(sender):
                    return refusal(21212, sender)
                return refusal(21606, sender)
        code = MAGIC_TO.get(to)
        if code is not None:
            return refusal(code, to)
        region = number_region(to) if is_e164(to) else None
        if region is None:
            return refusal(21211, to)
        if to == sender:
            return refusal(21266)
        if config.trial and to not in self.verified:
            return refusal(21608, to)
        if to in self.opted_out:
            return refusal(21610, to)
        if queue.backlog(now) * self.speed > config.max_queue_seconds:
            return refusal(21611, queue.spec.address)
        if text and "SmartEncoded" in form and form["SmartEncoded"].lower() == "true":
            # Twilio swaps look-alikes (curly quotes, dashes, odd spaces) for GSM-7 characters
            # and stores, counts and prices the swapped text; only when asked (a translate).
            text = smart_encode(text)
        if config.trial and config.trial_prefix and text:
            text = TRIAL_PREFIX + text
        count = segments(text) if text else 1
        if send_at:
            # A scheduled message waits without holding its sender: it is queued at SendAt
            # (sending then is estimated from the sender's rate, not booked on its queue, so
            # a message due in a week does not block today's traffic).
            accepted_until = send_at + config.accept_delay / self.speed
            start = accepted_until + _QUEUE_PICKUP / self.speed
            sent = start + count / queue.rate
        else:
            accepted_until = now + config.accept_delay / self.speed if service else now
            start, sent = queue.enqueue(count, accepted_until + _QUEUE_PICKUP / self.speed)
        status, error = config.outcome(to)
        price = config.prices.get(region, config.default_price) * count
        return Message(
            sid=new_sid("MM" if media else "SM"),
            to=to,
            from_=queue.spec.address,
            body=text,
            segments=count,
            num_media=media,
            created=now,
            accepted_until=accepted_until,
            start=start,
            sent_at=sent,
            final_at=sent + config.delivery_delay / self.speed,
            outcome=status,
            error_code=error,
            price=price,
            service_sid=service or None,
            scheduled_until=send_at,
        )

    # ------------------------------------------------- one message: update and delete
    def _existing(self, request: web.Request) -> Message | web.Response:
        message = self.store.get(request.match_info["sid"])
        if message is None:
            return _error(20404, f"The requested resource {request.path} was not found", 404)
        return message

    async def update_message(self, request: web.Request) -> web.StreamResponse:
        """`POST Messages/{Sid}.json`: cancel a scheduled message or redact a body.

        The request takes exactly one of `Status=canceled` or `Body=` (empty); anything else
        is 30400, as Twilio's error page lists (both at once, neither, another Status, a
        non-empty Body).
        """
        message = self._existing(request)
        if isinstance(message, web.Response):
            return message
        form, _ = _form(await request.read())
        now = time.time()
        has_status, has_body = "Status" in form, "Body" in form
        if has_status == has_body:
            return _error(30400, "Provide either Status=canceled or an empty Body.", 400)
        status = message.status_at(now)
        if has_status:
            if form["Status"] != "canceled":
                return _error(30400, f"Invalid Status: {form['Status']}", 400)
            if status != "scheduled":
                # 30409 "This message cannot be canceled" (Twilio's error page); its HTTP
                # status is not documented: 400, as for Twilio's other request errors.
                return _error(30409, "This message cannot be canceled", 400)
            message.canceled_at = now
        else:
            if form["Body"] != "":
                return _error(30400, "To redact a message, Body must be empty.", 400)
            if status not in _REDACTABLE:
                # Undocumented: Twilio redacts "post-flight" records (the spec's example is a
                # `sent` message); before that the sandbox refuses (assumed code 30400).
                return _error(30400, f"A message that is {status} cannot be redacted yet.", 400)
            message.body = ""
        return _json_bytes(render.message_json(message, self.config.account_sid, now))

    async def delete_message(self, request: web.Request) -> web.StreamResponse:
        """`DELETE Messages/{Sid}.json`: 204, or 20009 while the message is not final.

        Twilio refuses to delete a message it has not finished with (error 20009 "Cannot
        delete this resource before it is complete"), `sent` included until the receipt
        arrives (its support, quoted in code-dot-org/code-dot-org#11188: "Cannot delete
        message in state SENT"). The HTTP status of 20009 is undocumented: 409 assumed.
        """
        message = self._existing(request)
        if isinstance(message, web.Response):
            return message
        if message.status_at(time.time()) not in _FINAL:
            return _error(20009, "Cannot delete this resource before it is complete", 409)
        self.store.delete(message)
        return web.Response(status=204)

    def build(self) -> web.Application:
        """The aiohttp application with every route.

        Each resource answers its own methods; any other method on it is 20004 (HTTP 405),
        and any other path is 20404 (HTTP 404), both in Twilio's error document, never
        aiohttp's plain text. The sandbox serves the JSON representations only (`.json`).
        """
        app = web.Application()
        base = "/2010-04-01/Accounts/{account}"
        g = self.guarded
        resources: list[tuple[str, dict[str, Handler]]] = [
            (base + "/Messages.json", {"GET": self.list_messages, "POST": self.create_message}),
            (
                base + "/Messages/{sid}.json",
                {
                    "GET": self.fetch_message,
                    "POST": self.update_message,
                    "DELETE": self.delete_message,
                },
            ),
            (base + ".json", {"GET": self.account}),
            (base + "/IncomingPhoneNumbers.json", {"GET": self.incoming_numbers}),
            (base + "/SMS/ShortCodes.json", {"GET": self.short_codes}),
            (base + "/OutgoingCallerIds.json", {"GET": self.caller_ids}),
        ]
        for path, methods in resources:
            resource = app.router.add_resource(path)
            for method, handler in methods.items():
                resource.add_route(method, g(handler))
            resource.add_route("*", g(_not_allowed(sorted(methods))))
        app.router.add_route("*", base + "/{tail:.*}", g(_not_found))
        app.router.add_route("*", "/{tail:.*}", _not_found)
        return app


def _not_allowed(methods: list[str]) -> Handler:
    """The handler for a method a real resource does not have: 20004, HTTP 405.

    Twilio also lists methods the sandbox does not implement (POST on the account and on
    IncomingPhoneNumbers): those get the same answer here, the stricter side.
    """
    allow = ", ".join(methods)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = _error_for(request, 20004, "Method not allowed", 405)
        response.headers["Allow"] = allow
        return response

    return handler


async def _not_found(request: web.Request) -> web.StreamResponse:
    return _error_for(request, 20404, f"The requested resource {request.path} was not found", 404)


def _error_for(request: web.Request, code: int, message: str, status: int) -> web.Response:
    """Twilio's error document in the format the client asked for.

    The 2010 API answers XML unless the path ends in `.json` (Twilio's "API responses"
    page: XML is the default). The twilio SDKs always send `Accept: application/json`, and
    the sandbox treats that as asking for JSON too. At Twilio a path without `.json` is the
    XML representation of the resource; the sandbox has none, so it answers 20404.
    """
    wants_json = request.path.endswith(".json") or "json" in request.headers.get("Accept", "")
    if wants_json:
        return _error(code, message, status)
    document = render.error_body(code, message, status)
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse><RestException>"
        f"<Code>{code}</Code><Message>{xml_escape(message)}</Message>"
        f"<MoreInfo>{document['more_info']}</MoreInfo><Status>{status}</Status>"
        "</RestException></TwilioResponse>"
    )
    return web.Response(
        body=body.encode(), status=status, headers={"Content-Type": "application/xml"}
    )


def _magic_sender() -> SenderSpec:
    return SenderSpec(MAGIC_FROM_OK, "long_code", friendly_name="Magic test number")


def _paging(query: Any) -> tuple[int | None, int, str | None]:
    """(PageSize, Page, PageToken); PageSize None when it is not a number in 1..1000."""
    try:
        size = int(query.get("PageSize", _PAGE_DEFAULT))
        number = max(0, int(query.get("Page", 0)))
    except ValueError:
        return None, 0, None
    if not 1 <= size <= _PAGE_MAX:
        return None, 0, None
    return size, number, query.get("PageToken")


def _parameter_problem(form: dict[str, str], media: int) -> Refusal | None:
    """The create parameters Twilio checks for form before anything else (None = fine)."""
    if media > MAX_MEDIA:
        return refusal(21623)
    validity = form.get("ValidityPeriod")
    if validity is not None:
        low, high = VALIDITY_SECONDS
        if not (validity.isascii() and validity.isdigit() and low <= int(validity) <= high):
            return refusal(21624, validity)
    callback = form.get("StatusCallback")
    if callback and not _is_callback_url(callback):
        return refusal(21609, callback)
    return None


def _is_callback_url(url: str) -> bool:
    """An absolute http(s) URL with a host name; the spec adds "underscores are not allowed"."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return all(c.isalnum() or c in ".-[]:" for c in host) and host.isascii()


def _scheduled_send_at(form: dict[str, str], service: str, now: float) -> float | Refusal:
    """SendAt (epoch) of a `ScheduleType=fixed` create, 0.0 when not scheduled.

    Scheduling needs a Messaging Service (35118: one old support page says Twilio drops the
    schedule without one; its current error page refuses, and refusing is the stricter side),
    SendAt (35111), ISO 8601 in UTC, more than 300 s and at most 35 days ahead (35114/35115).
    A SendAt without ScheduleType is ignored (assumed: ScheduleType is what asks for it).
    """
    kind = form.get("ScheduleType", "")
    if kind != "fixed":  # the spec's only value; the code Twilio gives otherwise is assumed
        return Refusal(400, 35111, f"Invalid ScheduleType: {kind}; the only value is fixed.")
    if not service:
        return refusal(35118)
    text = form.get("SendAt", "").strip()
    if not text:
        return refusal(35111)
    try:
        moment, _ = _parse_when(text)
    except ValueError:
        return refusal(35111)
    low, high = SCHEDULE_WINDOW
    if moment - now <= low:
        return refusal(35114)
    if moment - now > high:
        return refusal(35115)
    return moment


def _parse_when(text: str) -> tuple[float, bool]:
    """A DateSent value (`YYYY-MM-DD` or ISO 8601 datetime) -> (epoch, is_whole_day)."""
    from datetime import UTC, datetime

    text = text.strip()
    if len(text) == 10:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return day.timestamp(), True
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp(), False


def _message_filter(query: Any) -> Callable[[Message], bool]:
    """The predicate for From / DateSent / DateSent< / DateSent> (To is indexed).

    Dates compare `date_sent`, or `date_created` while a message has not been sent yet, and
    both bounds are inclusive, as Twilio documents (`<=` / `>=`).
    """
    sender = query.get("From")
    bounds: list[tuple[str, float, bool]] = []
    for key in ("DateSent", "DateSent<", "DateSent>"):
        if key in query:
            try:
                moment, whole_day = _parse_when(query[key])
            except ValueError:
                raise ValueError(f"Invalid {key}: {query[key]}") from None
            bounds.append((key, moment, whole_day))

    def match(message: Message) -> bool:
        if sender is not None and message.from_ != sender:
            return False
        if not bounds:
            return True
        when = message.sent_time(time.time()) or message.created
        for key, moment, whole_day in bounds:
            if key == "DateSent":  # the whole UTC day (the SDK sends the date at midnight)
                day = moment - moment % 86400
                if not day <= when < day + 86400:
                    return False
            elif key == "DateSent<":
                if when >= (moment + 86400 if whole_day else moment + 1e-6):
                    return False
            elif when < moment:
                return False
        return True

    return match


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
        """The sandbox's Messaging Service (every SMS-capable sender)."""
        return self.config.messaging_service_sid

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
        # The loop's Server (aiohttp types it AbstractServer, which has no `sockets`): the only
        # way to learn an ephemeral port.
        server = cast("asyncio.Server | None", site._server)
        bound = server.sockets[0].getsockname()[1] if server is not None else port
        self.base_url = f"http://{host}:{bound}"

    async def stop(self) -> None:
        """Stop serving; hanging requests end without an answer."""
        self._app.release_hanging()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
            self._thread.join()
            self._thread = None
            self._loop = None
