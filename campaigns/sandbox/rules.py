"""What Twilio checks when a message is created: the error codes, their texts, the magic test
numbers, number validity (cached per string) and segment counts (cached per body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from campaigns.compose.segments import analyze

MAX_BODY_CHARS = 1600
#: At most this many `MediaUrl` per message (21623).
MAX_MEDIA = 10
#: `ValidityPeriod` bounds in seconds (21624; the spec's CreateMessageRequest).
VALIDITY_SECONDS = (1, 36000)
#: A scheduled message's `SendAt` must be more than MIN and at most MAX seconds ahead when the
#: request arrives. Twilio's current 35114 page (https://www.twilio.com/docs/api/errors/35114):
#: "between 15 minutes and 35 days before the scheduled send time"; an older reading of the
#: error pages said 300 s, and the support FAQ 7 days. The sandbox takes the stricter side of
#: each edge: exactly 15 minutes ahead is refused (35114), exactly 35 days is accepted. Past
#: 35 days is 35115 here (its error page); the 35114 page lists that cause too, so smscast
#: treats both codes alike.
SCHEDULE_WINDOW = (900, 35 * 86400)
TRIAL_PREFIX = "Sent from your Twilio trial account - "

#: Magic From numbers (Twilio's test credentials): +15005550006 passes, the others fail.
MAGIC_FROM_OK = "+15005550006"
MAGIC_FROM: dict[str, int] = {"+15005550001": 21212, "+15005550007": 21606, "+15005550008": 21611}
#: Magic To numbers and the create error each one gives.
MAGIC_TO: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A create refused with Twilio's HTTP status, code and message."""

    status: int
    code: int
    message: str


def refusal(code: int, number: str = "", status: int = 400) -> Refusal:
    """The refusal for `code`, with Twilio's wording (`number` fills the blanks)."""
    texts = {
        21211: f"Invalid 'To' Phone Number: {number}",
        21266: "'To' and 'From' numbers cannot be the same",
        21212: f"The 'From' number {number} is not a valid phone number, shortcode, "
        "or alphanumeric sender ID.",
        21408: f"Permission to send an SMS has not been enabled for the region indicated by "
        f"the 'To' number: {number}",
        21602: "Message body is required.",
        21603: "A 'From' phone number is required.",
        21604: "A 'To' phone number is required.",
        21606: f"The 'From' phone number provided ({number}) is not a valid message-capable "
        "Twilio phone number for this destination/account.",
        21609: f"Invalid StatusCallback url: {number}",
        21608: f"The number {number} is unverified. Trial accounts cannot send messages to "
        "unverified numbers; verify it at twilio.com/user/account/phone-numbers/verified, "
        "or purchase a Twilio number to send messages to unverified numbers.",
        21610: "Attempt to send to unsubscribed recipient",
        21611: "This 'From' number has exceeded the maximum number of queued messages",
        21612: f"The 'To' phone number: {number}, is not currently reachable using the 'From' "
        "phone number via SMS.",
        21614: f"'To' number {number} is not a valid mobile number",
        21617: "The concatenated message body exceeds the 1600 character limit.",
        21623: "Number of media files exceeds allowed limit (10).",
        21624: f"Invalid validity period value: {number}. It must be an integer from 1 to 36000.",
        21701: f"The Messaging Service Sid {number} is invalid.",
        35111: "SendAt is required when ScheduleType is fixed.",
        35114: "SendAt must be at least 15 minutes in the future when Twilio receives the request.",
        35115: "SendAt cannot be more than 35 days in the future.",
        35118: "MessagingServiceSid is required to schedule a message.",
    }
    return Refusal(status, code, texts[code])


def _us_fixed_line() -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("US")
    assert metadata is not None and metadata.fixed_line is not None
    pattern = metadata.fixed_line.national_number_pattern
    assert pattern is not None
    return re.compile(pattern)


#: A 10-digit US number matching this has a known type, so it is valid and its region is US.
_US_FIXED_LINE = _us_fixed_line()


@lru_cache(maxsize=65536)
def number_region(number: str) -> str | None:
    """The region code of a valid E.164 number, or None when Twilio would call it invalid."""
    if not number.startswith("+") or len(number) < 8:
        return None
    # Fast path for US numbers (most traffic): a 10-digit national number matching the US
    # fixed-line pattern is what is_valid_number + region_code_for_number call "US" (US is the
    # main region of country code 1); a test compares both on random numbers.
    if len(number) == 12 and number.startswith("+1") and _US_FIXED_LINE.fullmatch(number[2:]):
        return "US"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.region_code_for_number(parsed)


def is_e164(number: str) -> bool:
    """`+` then digits only: the form the Messages API documents for `To`.

    Written with spaces, dashes, dots or brackets ("+1 (415) 555-0100") a number is refused
    with 21211 instead of being normalised. Twilio's current pages (errors 21211, 60703) ask
    for E.164 and list separators as a cause of the error; whether the Messages API quietly
    normalises such a number is not documented, so the sandbox takes the stricter side: a
    test that passes here cannot fail at Twilio for the number's format.
    """
    return len(number) > 1 and number[0] == "+" and number[1:].isdigit()


def looks_like_sender(address: str) -> bool:
    """A From Twilio could own: an E.164 number, a 5-6 digit short code, or an alphanumeric ID."""
    if address.isdigit():
        return 5 <= len(address) <= 6
    if address.startswith("+"):
        return number_region(address) is not None
    return 1 <= len(address) <= 11 and address.isalnum() and not address.isdigit()


_segments_cache: dict[str, int] = {}


def segments(body: str) -> int:
    """Segments of `body` by campaigns' segment rules (cached: bodies repeat in a campaign)."""
    cached = _segments_cache.get(body)
    if cached is not None:
        return cached
    count = max(1, analyze(body).segments) if body else 1
    if len(_segments_cache) > 20000:
        _segments_cache.clear()
    _segments_cache[body] = count
    return count
