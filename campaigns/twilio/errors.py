"""What Twilio's errors mean for a bulk send: the classes the engine acts on, and the plain
sentence (meaning + what to do) for every code a bulk sender meets.

This module does not import twilio: the gateway translates SDK exceptions into these classes,
and the engine, journal, report and TUI only ever see these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from campaigns.errors import SmscastError

ErrorKind = Literal["fatal", "permanent", "transient", "ambiguous"]


@dataclass(frozen=True)
class ErrorInfo:
    """One Twilio error code: what it means, what to do, and how the engine treats it.

    `kind` is how the engine treats the *request* within a run; `second_try` says whether a
    message that ENDED with this code (failed or undelivered) may well arrive if the same
    message is sent again later: what `smscast retry` texts again. Only codes whose cause is
    a passing state of the handset, the carrier or the queue are; never an opt-out, an invalid
    number, a landline, a block, a spam filter or the content (the same template would fail
    the same way). A code not in this table is not retried (the stricter side).
    """

    code: int
    kind: ErrorKind
    meaning: str
    advice: str
    second_try: bool = False


_CODES: tuple[ErrorInfo, ...] = (
    ErrorInfo(
        20003,
        "fatal",
        "Twilio rejected the credentials (authentication failed).",
        "Check the account SID and auth token (or API key and secret), then resume.",
    ),
    ErrorInfo(
        20005,
        "fatal",
        "The Twilio account is not active.",
        "Reactivate the account in the Twilio Console, then resume.",
    ),
    ErrorInfo(
        20429,
        "transient",
        "Too many concurrent requests to Twilio (rate limited).",
        "Nothing to do: smscast slows down and retries automatically.",
        second_try=True,
    ),
    ErrorInfo(
        21211,
        "permanent",
        "The 'To' number is not a valid phone number.",
        "Correct the number in the contacts file.",
    ),
    ErrorInfo(
        21212,
        "fatal",
        "The 'From' number is not a valid phone number or short code.",
        "Choose one of the account's SMS-capable numbers with --from.",
    ),
    ErrorInfo(
        21408,
        "permanent",
        "Sending to this country or region is not enabled.",
        "Enable the country in Console > Messaging > Settings > Geo permissions.",
    ),
    ErrorInfo(21602, "permanent", "The message body is missing.", "Give the template some text."),
    ErrorInfo(
        21603,
        "fatal",
        "No sender: the message has neither a 'From' number nor a Messaging Service.",
        "Choose a sender with --from or --messaging-service.",
    ),
    ErrorInfo(
        21604,
        "permanent",
        "The 'To' number is missing.",
        "Fill in the phone number for this contact.",
    ),
    ErrorInfo(
        21606,
        "fatal",
        "The 'From' number is not an SMS-capable number of this account.",
        "Choose one of the numbers `smscast account` lists with --from.",
    ),
    ErrorInfo(
        21608,
        "permanent",
        "The number is not verified, and trial accounts may text verified numbers only.",
        "Verify it in Console > Phone Numbers > Verified Caller IDs, or upgrade the account.",
    ),
    ErrorInfo(
        21610,
        "permanent",
        "The recipient has opted out (replied STOP).",
        "Nothing: the number is now on the suppression list and will be skipped.",
    ),
    ErrorInfo(
        21611,
        "transient",
        "The sender's message queue is full.",
        "smscast retries this recipient after a pause; use a lower --rate or more senders.",
        second_try=True,
    ),
    ErrorInfo(
        21612,
        "permanent",
        "Twilio cannot route a message between these two numbers.",
        "Try another sender, or check the number's country and type.",
    ),
    ErrorInfo(
        21614,
        "permanent",
        "The number is not a mobile number (it cannot receive SMS).",
        "Use a mobile number for this contact.",
    ),
    ErrorInfo(
        21617, "permanent", "The message body is over 1,600 characters.", "Shorten the template."
    ),
    ErrorInfo(
        21619,
        "permanent",
        "The message has no body, media or content.",
        "Give the template some text.",
    ),
    ErrorInfo(
        21701,
        "fatal",
        "The Messaging Service SID is not one of this account's services.",
        "Choose a service that `smscast account` lists, with --messaging-service.",
    ),
    ErrorInfo(
        30001,
        "permanent",
        "The sender's queue overflowed before the message went out.",
        "Resend later at a lower --rate.",
        second_try=True,
    ),
    ErrorInfo(
        30002, "fatal", "The Twilio account is suspended.", "Contact Twilio support, then resume."
    ),
    ErrorInfo(
        30003,
        "permanent",
        "The handset is unreachable (off or out of coverage).",
        "Try again later; the number itself is fine.",
        second_try=True,
    ),
    ErrorInfo(
        30004,
        "permanent",
        "The message was blocked by the carrier or the recipient.",
        "Remove the contact or reach them another way.",
    ),
    ErrorInfo(
        30005,
        "permanent",
        "Unknown destination handset (the number may not exist).",
        "Check the number with the contact.",
    ),
    ErrorInfo(
        30006,
        "permanent",
        "Landline or unreachable carrier.",
        "Use a mobile number for this contact.",
    ),
    ErrorInfo(
        30007,
        "permanent",
        "The carrier filtered the message as spam.",
        "Reword the template, register the sender (A2P 10DLC / toll-free verification).",
    ),
    ErrorInfo(
        30008,
        "permanent",
        "Unknown delivery error.",
        "Try again later; if it repeats, contact Twilio support.",
        second_try=True,
    ),
    ErrorInfo(
        30036,
        "permanent",
        "The message expired in the queue (validity period).",
        "Send at a lower --rate so the queue drains in time.",
        second_try=True,
    ),
    # Scheduling (https://www.twilio.com/docs/messaging/features/message-scheduling and the
    # error pages): smscast checks the window itself with a margin (`send.schedule`), so
    # 35114/35115 at send time mean a clock off by minutes; the dispatcher then keeps the
    # row here and sends it when due instead of failing it.
    ErrorInfo(
        30409,
        "permanent",
        "The message can no longer be canceled: it is not scheduled any more.",
        "Nothing: it had already left (or was canceled); its status says which.",
    ),
    ErrorInfo(
        35111,
        "fatal",
        "A scheduled message needs SendAt.",
        "This is a bug in smscast: please report it.",
    ),
    ErrorInfo(
        35114,
        "permanent",
        "Twilio schedules only between 15 minutes and 35 days ahead.",
        "smscast keeps the message and sends it when it is due.",
    ),
    ErrorInfo(
        35115,
        "permanent",
        "Twilio schedules at most 35 days ahead.",
        "smscast keeps the message and sends it when it is due.",
    ),
    ErrorInfo(
        35118,
        "fatal",
        "Twilio schedules messages only through a Messaging Service.",
        "Schedule with --messaging-service MG..., or let smscast wait and send it.",
    ),
)

ERROR_CODES: dict[int, ErrorInfo] = {info.code: info for info in _CODES}

#: The codes a message may end with and still arrive when sent again later (`second_try`):
#: 30003 (handset off or out of coverage), 30008 (unknown: Twilio's page for it says to try
#: again), 30001 and 30036 (the queue overflowed or the message expired in it), 20429 and
#: 21611 (rate limit, full queue: nothing was sent). Twilio's pages for each code:
#: https://www.twilio.com/docs/api/errors/30003 (and /30001, /30008, /30036, ...).
SECOND_TRY_CODES: frozenset[int] = frozenset(c.code for c in _CODES if c.second_try)


def worth_a_second_try(code: int | None) -> bool:
    """True when a message that ended with `code` may arrive if sent again (`second_try`);
    False for a code smscast does not know, and for a failure without one."""
    info = describe(code)
    return info is not None and info.second_try


def describe(code: int | None) -> ErrorInfo | None:
    """The plain-language entry for a Twilio error code, or None when we do not know it."""
    return ERROR_CODES.get(code) if code is not None else None


class TwilioFailure(SmscastError):
    """A request to Twilio that did not succeed, classified for the engine.

    `code` is Twilio's error code (None for network trouble), `status` the HTTP status
    (None when no answer came), `twilio_message` Twilio's own text. `str(e)` is our sentence;
    `hint` what to do.
    """

    kind: ClassVar[ErrorKind]

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        code: int | None = None,
        status: int | None = None,
        twilio_message: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.code = code
        self.status = status
        self.twilio_message = twilio_message


class FatalError(TwilioFailure):
    """The whole run must stop (credentials, sender, suspended account)."""

    kind = "fatal"


class PermanentError(TwilioFailure):
    """This recipient cannot be sent to; record it and go on with the others."""

    kind = "permanent"


class TransientError(TwilioFailure):
    """Nothing was created; retrying later is always safe (429, refused connection)."""

    kind = "transient"

    def __init__(self, *args: object, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AmbiguousError(TwilioFailure):
    """The request may have created the message (timeout, 5xx, lost connection): reconcile
    before resending, never resend blindly."""

    kind = "ambiguous"


_KIND_CLASS: dict[ErrorKind, type[TwilioFailure]] = {
    "fatal": FatalError,
    "permanent": PermanentError,
    "transient": TransientError,
    "ambiguous": AmbiguousError,
}


def from_twilio_error(
    status: int | None, code: int | None, twilio_message: str = ""
) -> TwilioFailure:
    """Classify an error answer from Twilio (HTTP status + error code) into our classes."""
    info = describe(code)
    if info is not None:
        kind: ErrorKind = info.kind
        sentence, advice = info.meaning, info.advice
    elif status == 429:
        kind, sentence, advice = (
            "transient",
            "Twilio rate-limited the request (HTTP 429).",
            "Nothing to do: smscast slows down and retries.",
        )
    elif status in (401, 403):
        kind, sentence, advice = (
            "fatal",
            f"Twilio refused the request (HTTP {status}).",
            "Check the credentials and the account's permissions.",
        )
    elif status is not None and status >= 500:
        kind, sentence, advice = (
            "ambiguous",
            f"Twilio answered with a server error ({status});"
            " the message may or may not have been created.",
            "smscast checks with Twilio before sending again.",
        )
    else:
        kind, sentence, advice = (
            "permanent",
            f"Twilio refused the message (HTTP {status}, code {code}).",
            "See Twilio's error page for this code.",
        )
    cls = _KIND_CLASS[kind]
    return cls(sentence, advice, code=code, status=status, twilio_message=twilio_message)
