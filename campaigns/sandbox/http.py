"""The HTTP conventions every sandbox API shares: JSON answers, Twilio's error document,
form bodies, paging parameters, and the 404/405 answers in Twilio's shape."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus
from xml.sax.saxutils import escape as xml_escape

from aiohttp import web

from campaigns.sandbox import render
from campaigns.sandbox.config import Faults

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: One resource: its path and a handler per HTTP method.
Resource = tuple[str, dict[str, Handler]]
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
PAGE_MAX = 1000
PAGE_DEFAULT = 50


def json_response(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers=JSON_HEADERS)


def json_bytes(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=JSON_HEADERS)


def parse_form(raw: bytes) -> tuple[dict[str, str], int]:
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


def error(code: int, message: str, status: int) -> web.Response:
    return json_response(render.error_body(code, message, status), status)


def too_many(faults: Faults) -> web.Response:
    """The 429 answer (20429), with `Retry-After` when the faults ask for one."""
    response = error(20429, "Too Many Requests", 429)
    if faults.retry_after is not None:
        response.headers["Retry-After"] = f"{faults.retry_after:g}"
    return response


def not_allowed(methods: list[str]) -> Handler:
    """The handler for a method a real resource does not have: 20004, HTTP 405.

    Twilio also lists methods the sandbox does not implement (POST on the account and on
    IncomingPhoneNumbers): those get the same answer here, the stricter side.
    """
    allow = ", ".join(methods)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = error_for(request, 20004, "Method not allowed", 405)
        response.headers["Allow"] = allow
        return response

    return handler


async def not_found(request: web.Request) -> web.StreamResponse:
    return error_for(request, 20404, f"The requested resource {request.path} was not found", 404)


def error_for(request: web.Request, code: int, message: str, status: int) -> web.Response:
    """Twilio's error document in the format the client asked for.

    The 2010 API answers XML unless the path ends in `.json` (Twilio's "API responses"
    page: XML is the default). The twilio SDKs always send `Accept: application/json`, and
    the sandbox treats that as asking for JSON too. At Twilio a path without `.json` is the
    XML representation of the resource; the sandbox has none, so it answers 20404.
    """
    wants_json = request.path.endswith(".json") or "json" in request.headers.get("Accept", "")
    if wants_json:
        return error(code, message, status)
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


def paging(query: Any) -> tuple[int | None, int, str | None]:
    """(PageSize, Page, PageToken); PageSize None when it is not a number in 1..1000."""
    try:
        size = int(query.get("PageSize", PAGE_DEFAULT))
        number = max(0, int(query.get("Page", 0)))
    except ValueError:
        return None, 0, None
    if not 1 <= size <= PAGE_MAX:
        return None, 0, None
    return size, number, query.get("PageToken")
