"""Error translation: whatever the SDK, requests or aiohttp raised, as the
`campaigns.twilio.errors.TwilioFailure` the engine acts on.

- an error answer from Twilio: classified by its code and HTTP status (`from_twilio_error`),
  its message carrying the code and Twilio's words, a 429's `Retry-After` kept;
- no connection at all (refused, DNS): `TransientError`, nothing was sent;
- a send that timed out, or whose connection broke after the request was written:
  `AmbiguousError`, the message may exist (reconcile with `messages_to` before resending);
- the same trouble on a read (fetch, list): `TransientError`, reads are safe to repeat.

Every text is scrubbed of the auth token / API secret (`campaigns.secrets.scrub`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.response import Response

from campaigns.secrets import scrub
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.errors import (
    AmbiguousError,
    TransientError,
    TwilioFailure,
    describe,
    from_twilio_error,
)
from campaigns.twilio.http_clients import last_response
from campaigns.twilio.http_transport import ConnectError, ProtocolError, TransportError


def api_host(base_url: str | None) -> str:
    """The host (and port) errors name: never a URL's user name or password."""
    if not base_url:
        return "api.twilio.com"
    netloc = urlsplit(base_url).netloc
    return scrub(netloc.rpartition("@")[2])


_SDK_PREFIX = re.compile(r"^Unable to (create|fetch|update|delete) (record|page)(: )?")


def retry_after_seconds(response: Response | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is one."""
    if response is None or not response.headers:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_body(response: Response) -> tuple[int | None, str]:
    """Twilio's code and message from an error answer's JSON body (None, "" if unreadable)."""
    try:
        body = json.loads(response.text)
    except (TypeError, ValueError):
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    message = body.get("message") or body.get("detail") or body.get("title") or ""
    return (code if isinstance(code, int) else None), str(message)


class Translator:
    """Turns whatever the SDK, requests or aiohttp raised into a `TwilioFailure`."""

    def __init__(self, credentials: Credentials, host: str) -> None:
        self._secret = credentials.password
        self._host = host

    def scrub(self, text: str) -> str:
        """`text` with the secret, any URL userinfo and token-like strings masked
        (`campaigns.secrets.scrub`; defence in depth: Twilio never echoes the secret, but a
        URL or library message might)."""
        return scrub(text, (self._secret,))

    def failure(self, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        failure = self._classify(exc, sending=sending, what=what)
        if not sending and isinstance(failure, AmbiguousError):
            # A read that failed in flight changed nothing: it is safe to repeat.
            failure = TransientError(
                failure.message,
                "smscast will try again.",
                code=failure.code,
                status=failure.status,
                twilio_message=failure.twilio_message,
            )
        return failure

    def from_answer(
        self,
        status: int | None,
        code: int | None,
        text: str,
        response: Response | None,
        what: str = "",
        sending: bool = True,
    ) -> TwilioFailure:
        """Our class for an error answer, its message carrying the code and Twilio's words."""
        text = self.scrub(_SDK_PREFIX.sub("", text or "").strip())
        if code == status:  # the SDK puts the HTTP status where a body had no code
            code = None
        base = from_twilio_error(status, code, text)
        message, hint = base.message, base.hint
        if describe(code) is None and status == 404:
            message = f"Twilio found nothing while {what} (HTTP 404)."
            hint = "Check the SID, and that it belongs to this account (and the base URL)."
        elif describe(code) is None and not isinstance(base, (TransientError, AmbiguousError)):
            message = f"Twilio refused the request while {what} (HTTP {status})."
        elif not sending and isinstance(base, AmbiguousError):
            message = f"Twilio answered with a server error ({status}) while {what}."
        if code is not None:
            message += f" (Twilio error {code}" + (f": {text})" if text else ")")
        elif text:
            message += f" (Twilio: {text})"
        kwargs: dict[str, Any] = {"code": code, "status": status, "twilio_message": text}
        if isinstance(base, TransientError):
            kwargs["retry_after"] = retry_after_seconds(response) if status == 429 else None
        return type(base)(message, hint, **kwargs)

    def _classify(self, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        response = last_response.get()
        if isinstance(exc, TwilioFailure):
            return exc
        if isinstance(exc, TwilioRestException):
            code = exc.code if isinstance(exc.code, int) else None
            return self.from_answer(exc.status, code, str(exc.msg or ""), response, what, sending)
        if isinstance(exc, TwilioServiceException):
            text = exc.detail or exc.title or ""
            return self.from_answer(exc.status, exc.code, str(text), response, what, sending)
        if isinstance(exc, TwilioException):
            page = exc.args[1] if len(exc.args) > 1 else None
            if isinstance(page, Response):
                code, text = _error_body(page)
                return self.from_answer(page.status_code, code, text, page, what, sending)
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        if isinstance(
            exc,
            (
                ConnectError,
                aiohttp.ConnectionTimeoutError,
                aiohttp.ClientConnectorError,
                requests.ConnectTimeout,
            ),
        ) or _never_connected(exc):
            reason = self.scrub(str(exc)) or type(exc).__name__
            return TransientError(
                f"Could not connect to Twilio ({self._host}) while {what} ({reason})"
                + ("; nothing was sent." if sending else "."),
                "Check the network connection; smscast tries again.",
            )
        if isinstance(exc, (TimeoutError, requests.Timeout)):
            return self._network("No answer from Twilio in time", exc, sending=sending, what=what)
        if isinstance(exc, (ProtocolError, UnicodeDecodeError)):
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        if isinstance(
            exc, (TransportError, aiohttp.ClientError, requests.RequestException, OSError)
        ):
            return self._network("The connection to Twilio broke", exc, sending=sending, what=what)
        if isinstance(exc, ValueError):  # a 2xx body that is not the JSON expected
            return self._network(
                "Twilio sent an answer smscast cannot read", exc, sending=sending, what=what
            )
        raise exc

    def _network(self, lead: str, exc: BaseException, *, sending: bool, what: str) -> TwilioFailure:
        detail = self.scrub(str(exc)) or type(exc).__name__
        if sending:
            return AmbiguousError(
                f"{lead} while {what}: the message may or may not have been created ({detail}).",
                "smscast checks with Twilio before sending to this recipient again.",
            )
        return TransientError(f"{lead} while {what} ({detail}).", "smscast will try again.")


def _never_connected(exc: BaseException) -> bool:
    """True for a requests ConnectionError raised before any byte left (refused, DNS)."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NewConnectionError",
            "NameResolutionError",
            "Connection refused",
            "Failed to resolve",
        )
    )
