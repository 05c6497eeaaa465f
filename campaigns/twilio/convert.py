"""Conversions: what Twilio answers (the SDK's resources, or a Message's JSON) as the values
of `campaigns.twilio.models`, and the facts read off a number (its sender kind, E.164).

No SDK import: the SDK's instances are read by their attributes. Message dates are parsed
here (`rfc2822`), exactly as the SDK's `deserialize.rfc2822_datetime` parses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import phonenumbers

from campaigns.twilio.limits import segments_per_second
from campaigns.twilio.models import MessageRecord, Receipt, Sender, VerifiedNumbers


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


_dates: dict[str, datetime | None] = {}


def rfc2822(text: Any) -> datetime | None:
    """A Message date ("Mon, 30 Nov 2026 02:57:55 +0000") as an aware UTC datetime, as the
    SDK's `deserialize.rfc2822_datetime` gives it; Twilio's usual shape is read directly, any
    other through `email.utils`. None when absent or unreadable. Memoised: dates have whole
    seconds, so a campaign's thousands of answers share a few hundred of them."""
    if not text or not isinstance(text, str):
        return None
    found = _dates.get(text, _dates)
    if found is not _dates:
        return found  # type: ignore[return-value]
    if len(_dates) >= 4096:
        _dates.clear()
    moment = _dates[text] = _parse_rfc2822(text)
    return moment


def _parse_rfc2822(text: str) -> datetime | None:
    parts = text.split(" ")
    if len(parts) == 6 and parts[5] in ("+0000", "GMT", "UTC") and parts[1].isdigit():
        clock = parts[4].split(":")
        month = _MONTHS.get(parts[2])
        if month and len(clock) == 3 and all(p.isdigit() for p in clock) and parts[3].isdigit():
            try:
                return datetime(
                    int(parts[3]),
                    month,
                    int(parts[1]),
                    int(clock[0]),
                    int(clock[1]),
                    int(clock[2]),
                    tzinfo=UTC,
                )
            except ValueError:
                return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def record_from_payload(payload: dict[str, Any]) -> MessageRecord:
    """A MessageRecord from a Message resource's JSON, read as the SDK's MessageInstance reads
    it (the send path's fast path: no SDK instance is built)."""
    return MessageRecord(
        sid=payload.get("sid") or "",
        to=payload.get("to") or "",
        from_=payload.get("from"),
        body=payload.get("body") or "",
        status=str(payload.get("status") or ""),
        num_segments=_int_or_none(payload.get("num_segments")),
        price=_str_or_none(payload.get("price")),
        error_code=_int_or_none(payload.get("error_code")),
        error_message=payload.get("error_message"),
        date_created=rfc2822(payload.get("date_created")),
        date_sent=rfc2822(payload.get("date_sent")),
        date_updated=rfc2822(payload.get("date_updated")),
        price_unit=payload.get("price_unit"),
        messaging_service_sid=payload.get("messaging_service_sid"),
        direction=payload.get("direction"),
    )


def receipt_from_payload(payload: dict[str, Any]) -> Receipt:
    """A `Receipt` from a Message resource's JSON (a list page's item) or a status callback's
    form (its `MessageSid`, `MessageStatus`, `ErrorCode`, `From` keys are read too)."""
    return Receipt(
        sid=payload.get("sid") or payload.get("MessageSid") or "",
        status=str(payload.get("status") or payload.get("MessageStatus") or ""),
        error_code=_int_or_none(payload.get("error_code", payload.get("ErrorCode"))),
        error_message=payload.get("error_message"),
        price=_str_or_none(payload.get("price")),
        num_segments=_int_or_none(payload.get("num_segments")),
        from_=payload.get("from") or payload.get("From"),
    )


def receipt_from_record(record: MessageRecord) -> Receipt:
    """The `Receipt` part of a fetched message."""
    return Receipt(
        sid=record.sid,
        status=record.status,
        error_code=record.error_code,
        error_message=record.error_message,
        price=record.price,
        num_segments=record.num_segments,
        from_=record.from_,
    )


def record_from_sdk(message: Any) -> MessageRecord:
    """A MessageRecord from the SDK's MessageInstance."""
    return MessageRecord(
        sid=message.sid,
        to=message.to,
        from_=message.from_,
        body=message.body or "",
        status=str(message.status or ""),
        num_segments=_int_or_none(message.num_segments),
        price=message.price,
        error_code=_int_or_none(message.error_code),
        error_message=message.error_message,
        date_created=message.date_created,
        date_sent=message.date_sent,
        date_updated=message.date_updated,
        price_unit=message.price_unit,
        messaging_service_sid=message.messaging_service_sid,
        direction=_str_or_none(message.direction),
    )


def sender_kind(address: str) -> str:
    """ "short_code", "toll_free" or "long_code", from the number itself."""
    digits = address.lstrip("+")
    if digits.isdigit() and len(digits) <= 8 and not address.startswith("+"):
        return "short_code"
    try:
        number = phonenumbers.parse(address if address.startswith("+") else "+" + digits)
    except phonenumbers.NumberParseException:
        return "short_code" if digits.isdigit() and len(digits) <= 8 else "long_code"
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE:
        return "toll_free"
    return "long_code"


def number_country(address: str) -> str:
    """The region code of a number ("US", "CA", "PR", ...); short codes are taken as US ones
    (the account lists no country for them); "" when the number says nothing."""
    if sender_kind(address) == "short_code":
        return "US"
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(address)) or ""
    except phonenumbers.NumberParseException:
        return ""


def sender_from_number(number: Any) -> Sender:
    """A Sender from an IncomingPhoneNumber (capabilities a dict) or a Messaging Service's
    PhoneNumber / ShortCode (capabilities a list such as ["SMS", "Voice"], `country_code`)."""
    capabilities = number.capabilities or {}
    if isinstance(capabilities, list):
        sms = "SMS" in capabilities or "sms" in capabilities
    else:
        sms = bool(capabilities.get("sms") or capabilities.get("SMS"))
    address = str(getattr(number, "phone_number", None) or getattr(number, "short_code", ""))
    kind = sender_kind(address)
    return Sender(
        address=address,
        kind=kind,
        sms=sms,
        segments_per_second=segments_per_second(address, kind),
        friendly_name=getattr(number, "friendly_name", None) or "",
        sid=number.sid or "",
        country=getattr(number, "country_code", None) or number_country(address),
    )


def normalize_verified(entries: Iterable[tuple[str, str]]) -> VerifiedNumbers:
    """E.164 numbers from (sid, phone_number) pairs; malformed entries skipped with a warning."""
    numbers: set[str] = set()
    warnings: list[str] = []
    for sid, raw in entries:
        text = (raw or "").strip()
        try:
            parsed = phonenumbers.parse(text, None if text.startswith("+") else "US")
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_possible_number(parsed):
            warnings.append(
                f"Skipped verified caller ID {sid or '?'}: {text!r} is not a phone number."
            )
            continue
        numbers.add(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return VerifiedNumbers(frozenset(numbers), warnings)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def records_since(records: Iterable[Any], since: datetime) -> list[MessageRecord]:
    """The records created at or after `since`. Twilio's dates have whole seconds, so `since`
    is floored to its second: a message created 0.3 s after `since` must not be missed."""
    since = _aware(since).replace(microsecond=0)
    out = []
    for message in records:
        record = record_from_sdk(message)
        if record.date_created is None or _aware(record.date_created) >= since:
            out.append(record)
    return out
