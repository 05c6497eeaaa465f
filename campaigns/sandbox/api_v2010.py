"""api.twilio.com/2010-04-01 in the sandbox: the account, its numbers and caller IDs, Messages.

The create path is kept lean (precomputed auth headers, cached number checks and segment
counts) so the sandbox is never what limits a benchmark.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from campaigns.compose.segments import smart_encode
from campaigns.sandbox import render
from campaigns.sandbox.config import new_sid
from campaigns.sandbox.http import (
    Resource,
    error,
    json_bytes,
    json_response,
    paging,
    parse_form,
)
from campaigns.sandbox.rules import (
    MAGIC_FROM,
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
from campaigns.sandbox.state import SandboxState
from campaigns.sandbox.store import Message

#: The 2010 API's paths start with the account.
BASE = "/2010-04-01/Accounts/{account}"
_QUEUE_PICKUP = 0.05  # seconds (at speedup 1) a new message stays `queued` on an idle sender
#: Statuses after which Twilio is done with a message (it may be deleted). Twilio's own words,
#: not `campaigns.store.statuses` (see the docstring of `campaigns.sandbox.store`).
_FINAL = frozenset({"delivered", "undelivered", "failed", "canceled"})
#: Statuses in which a body may be redacted: once the message left (or never will).
_REDACTABLE = _FINAL | {"sent"}


class Api2010(SandboxState):
    """The endpoints of api.twilio.com/2010-04-01 the sandbox serves."""

    def api_v2010_resources(self) -> list[Resource]:
        """This API's resources (the server adds 404/405 answers around them)."""
        base = BASE
        return [
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

    async def account(self, request: web.Request) -> web.StreamResponse:
        return json_response(render.account(self.config, self.created))

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
        size, number, token = paging(query)
        if size is None:
            return error(20001, "Invalid PageSize", 400)
        start = number * size
        if token:
            anchor = next((i for i, r in enumerate(rows) if r["sid"] == token[2:]), None)
            if anchor is not None:
                start = anchor + 1
        chunk = rows[start : start + size]
        more = start + size < len(rows)
        filters = {filter_param: wanted} if wanted is not None else {}
        return json_response(
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
        self.message_fetches += 1
        message = self.store.get(request.match_info["sid"])
        if message is None:
            return error(20404, f"The requested resource {request.path} was not found", 404)
        return json_bytes(render.message_json(message, self.config.account_sid, time.time()))

    async def list_messages(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        size, number, token = paging(query)
        if size is None:
            return error(20001, "Invalid PageSize", 400)
        try:
            match = _message_filter(query)
        except ValueError as exc:
            return error(20001, str(exc), 400)
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
        self.message_listings.append(filters)
        return json_response(
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
        form, media = parse_form(await request.read())
        outcome = self._create(form, media)
        if isinstance(outcome, Refusal):
            return error(outcome.code, outcome.message, outcome.status)
        self.store.add(outcome)
        if outcome.status_callback:
            self.callbacks.schedule(outcome)
        self.after_create(outcome)
        body = render.message_json(outcome, self.config.account_sid, outcome.created)
        if self.has_faults:
            faults, draw = self.faults, self.rng.random()
            if draw < faults.error_after:
                return error(20500, "Internal Server Error", 500)
            if draw - faults.error_after < faults.drop_after:
                transport = request.transport
                if transport is not None:
                    transport.abort()
                raise asyncio.CancelledError
        return json_bytes(body, 201)

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
        if not service and sender.startswith("MG") and len(sender) == 34:
            service, sender = sender, ""  # an MG SID in From names the service (Twilio's docs)
        region = number_region(to) if is_e164(to) else None
        if service:
            # With a Messaging Service, From (if given) must be a sender of its pool: Twilio
            # keeps the service (messaging_service_sid, `accepted` first) and sends from that
            # number; without From, Twilio picks from the pool (`pools`).
            if service not in self.pools.services:
                return refusal(21701, service)
            if sender:
                queue = self.queues.get(sender)
                if queue is None or queue not in self.pools.pool(service):
                    return refusal(21606, sender)
            else:
                picked = self.pools.pick(service, to, region or "") if region else None
                queue = picked or next(iter(self.pools.pool(service)), None)
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
        if region is None:
            return refusal(21211, to)
        if to == sender:
            return refusal(21266)
        if config.trial and to not in self.verified:
            return refusal(21608, to)
        if to in self.opted_out or (service or queue.spec.address, to) in self.blocked:
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
            # a message due in a week does not block today's traffic). The window was checked
            # on the real clock (as Twilio does); the wait until SendAt honours `speedup`
            # like every other delay, so a demo's schedule 20 minutes out goes in 20 s at 60x.
            send_at = now + (send_at - now) / self.speed
            accepted_until = send_at + config.accept_delay / self.speed
            start = accepted_until + _QUEUE_PICKUP / self.speed
            sent = start + count / queue.rate
        else:
            accepted_until = now + config.accept_delay / self.speed if service else now
            start, sent = queue.enqueue(count, accepted_until + _QUEUE_PICKUP / self.speed)
        status, error = config.outcome(to)
        blocked = self.pools.blocked(queue.spec, region)
        if blocked is not None:
            # Accepted (201) and charged, then refused by the carriers for want of US
            # registration: undelivered with 30034 / 30032 (`campaigns.sandbox.pools`).
            status, error = "undelivered", blocked
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
            final_at=sent + self._receipt_delay() / self.speed,
            outcome=status,
            error_code=error,
            price=price,
            service_sid=service or None,
            scheduled_until=send_at,
            status_callback=form.get("StatusCallback", ""),
        )

    def _receipt_delay(self) -> float:
        """Seconds (at speedup 1) from `sent` to this message's receipt."""
        low, high = self.config.delivery_delay, self.config.delivery_delay_max
        if high <= low or low <= 0:
            return low
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    # ------------------------------------------------- one message: update and delete
    def _existing(self, request: web.Request) -> Message | web.Response:
        message = self.store.get(request.match_info["sid"])
        if message is None:
            return error(20404, f"The requested resource {request.path} was not found", 404)
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
        form, _ = parse_form(await request.read())
        now = time.time()
        has_status, has_body = "Status" in form, "Body" in form
        if has_status == has_body:
            return error(30400, "Provide either Status=canceled or an empty Body.", 400)
        status = message.status_at(now)
        if has_status:
            if form["Status"] != "canceled":
                return error(30400, f"Invalid Status: {form['Status']}", 400)
            if status != "scheduled":
                # 30409 "This message cannot be canceled" (Twilio's error page); its HTTP
                # status is not documented: 400, as for Twilio's other request errors.
                return error(30409, "This message cannot be canceled", 400)
            message.canceled_at = now
        else:
            if form["Body"] != "":
                return error(30400, "To redact a message, Body must be empty.", 400)
            if status not in _REDACTABLE:
                # Undocumented: Twilio redacts "post-flight" records (the spec's example is a
                # `sent` message); before that the sandbox refuses (assumed code 30400).
                return error(30400, f"A message that is {status} cannot be redacted yet.", 400)
            message.body = ""
        return json_bytes(render.message_json(message, self.config.account_sid, now))

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
            return error(20009, "Cannot delete this resource before it is complete", 409)
        self.store.delete(message)
        return web.Response(status=204)


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
    SendAt (35111), ISO 8601 in UTC, more than 15 minutes and at most 35 days ahead
    (35114/35115: `rules.SCHEDULE_WINDOW`).
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

    Dates compare `date_sent`, as Twilio documents ("Filter by Message `sent_date`"), and both
    bounds are inclusive (`<=` / `>=`). A message that has not been sent yet (accepted,
    scheduled, queued, sending, or failed before it left: `date_sent` null) matches NO date
    filter. Twilio documents nothing about those; its docs speak only of the sent date and
    its users report (twilio/twilio-java#442) that a message just created is missing from a
    DateSent listing for a while. Hiding them is the stricter side: a client that sweeps by
    DateSent must place a not-yet-sent message some other way (or later), and one that
    reconciles must not filter by date at all. A date-time value is honoured to the second
    (the spec types the filters `date-time`; the docs show whole days, also accepted).
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
        when = message.sent_time(time.time())
        if when is None:
            return False
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
