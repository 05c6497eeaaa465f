"""Twilio's JSON shapes: resources, list pages and error bodies, as the 2010-04-01 spec has them.

Every property the spec lists is present (nullable ones as null), with Twilio's types: counts
and prices are strings, dates RFC 2822, URIs relative to the API host.
"""

from __future__ import annotations

import time
from json.encoder import encode_basestring_ascii as _quote  # json.dumps' own string encoder
from typing import Any
from urllib.parse import urlencode

from campaigns.sandbox.config import SandboxConfig, SenderSpec, stable_sid
from campaigns.sandbox.store import Message

API = "/2010-04-01"
ERROR_DOCS = "https://www.twilio.com/docs/errors/"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_date_cache: dict[int, str] = {}


def rfc2822(moment: float | None) -> str | None:
    """`Thu, 24 Aug 2023 05:01:45 +0000` (locale-independent, cached per second)."""
    if moment is None:
        return None
    second = int(moment)
    text = _date_cache.get(second)
    if text is None:
        t = time.gmtime(second)
        text = (
            f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )
        if len(_date_cache) > 4096:
            _date_cache.clear()
        _date_cache[second] = text
    return text


def error_body(code: int, message: str, status: int) -> dict[str, Any]:
    """Twilio's error document: exactly code, message, more_info, status."""
    return {"code": code, "message": message, "more_info": f"{ERROR_DOCS}{code}", "status": status}


#: Statuses in which Twilio has not picked the sender from the pool yet: `from` is null (the
#: spec's cancelMessage example shows a canceled scheduled message with `from` null too).
_NO_SENDER_YET = frozenset({"accepted", "scheduled", "canceled"})


def message(m: Message, account_sid: str, now: float) -> dict[str, Any]:
    """The Message resource of `m` as of `now`."""
    status = m.status_at(now)
    done = status in ("sent", "delivered", "undelivered")
    error = m.error_code if status in ("failed", "undelivered") else None
    uri = f"{API}/Accounts/{account_sid}/Messages/{m.sid}"
    return {
        "body": m.body,
        "num_segments": str(m.segments),
        "direction": m.direction,
        "from": None if status in _NO_SENDER_YET else m.from_,
        "to": m.to,
        "date_updated": rfc2822(m.updated_at(now)),
        "price": f"{-m.price:.5f}" if done else None,
        "error_message": _DELIVERY_ERRORS.get(error) if error else None,
        "uri": uri + ".json",
        "account_sid": account_sid,
        "num_media": str(m.num_media),
        "status": status,
        "messaging_service_sid": m.service_sid,
        "sid": m.sid,
        "date_sent": rfc2822(m.sent_time(now)),
        "date_created": rfc2822(m.created),
        "error_code": error,
        "price_unit": "USD",
        "api_version": "2010-04-01",
        "subresource_uris": {
            "media": f"{uri}/Media.json",
            "feedback": f"{uri}/Feedback.json",
        },
    }


def _q(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def message_json(m: Message, account_sid: str, now: float) -> bytes:
    """`json.dumps(message(m, account_sid, now))`, built directly (the create/fetch fast path).

    A test checks that both give the same document.
    """
    status = m.status_at(now)
    done = status in ("sent", "delivered", "undelivered")
    error = m.error_code if status in ("failed", "undelivered") else None
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{m.sid}"
    return (
        f'{{"body": {_quote(m.body)}, "num_segments": "{m.segments}", '
        f'"direction": "{m.direction}", '
        f'"from": {"null" if status in _NO_SENDER_YET else _q(m.from_)}, '
        f'"to": {_quote(m.to)}, "date_updated": {_q(rfc2822(m.updated_at(now)))}, '
        f'"price": {_q(f"{-m.price:.5f}") if done else "null"}, '
        f'"error_message": {_q(_DELIVERY_ERRORS.get(error)) if error else "null"}, '
        f'"uri": "{uri}.json", "account_sid": "{account_sid}", "num_media": "{m.num_media}", '
        f'"status": "{status}", "messaging_service_sid": {_q(m.service_sid)}, '
        f'"sid": "{m.sid}", "date_sent": {_q(rfc2822(m.sent_time(now)))}, '
        f'"date_created": {_q(rfc2822(m.created))}, '
        f'"error_code": {"null" if error is None else error}, "price_unit": "USD", '
        f'"api_version": "2010-04-01", "subresource_uris": {{"media": "{uri}/Media.json", '
        f'"feedback": "{uri}/Feedback.json"}}}}'
    ).encode()


_DELIVERY_ERRORS: dict[int | None, str] = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30032: "Toll-Free Number Has Not Been Verified",
    30034: "Message from an Unregistered Number",
}


def account(config: SandboxConfig, created: float) -> dict[str, Any]:
    """The Account resource. `auth_token` is null: the sandbox never echoes a secret."""
    sid = config.account_sid
    base = f"{API}/Accounts/{sid}"
    subresources = (
        "addresses",
        "conferences",
        "signing_keys",
        "transcriptions",
        "connect_apps",
        "sip",
        "authorized_connect_apps",
        "usage",
        "keys",
        "applications",
        "recordings",
        "short_codes",
        "calls",
        "notifications",
        "incoming_phone_numbers",
        "queues",
        "messages",
        "outgoing_caller_ids",
        "available_phone_numbers",
        "balance",
    )
    paths = {
        "short_codes": "SMS/ShortCodes",
        "incoming_phone_numbers": "IncomingPhoneNumbers",
        "outgoing_caller_ids": "OutgoingCallerIds",
        "available_phone_numbers": "AvailablePhoneNumbers",
        "connect_apps": "ConnectApps",
        "signing_keys": "SigningKeys",
        "authorized_connect_apps": "AuthorizedConnectApps",
    }
    return {
        "auth_token": None,
        "date_created": rfc2822(created),
        "date_updated": rfc2822(created),
        "friendly_name": config.friendly_name,
        "owner_account_sid": sid,
        "sid": sid,
        "status": config.status,
        "subresource_uris": {
            name: f"{base}/{paths.get(name, name.capitalize())}.json" for name in subresources
        },
        "type": "Trial" if config.trial else "Full",
        "uri": f"{base}.json",
    }


def incoming_number(spec: SenderSpec, account_sid: str, created: float) -> dict[str, Any]:
    """An IncomingPhoneNumber resource for a long code or toll-free sender."""
    sid = stable_sid("PN", account_sid, spec.address)
    date = rfc2822(created)
    return {
        "account_sid": account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": "2010-04-01",
        "beta": False,
        "capabilities": {"mms": spec.mms, "sms": spec.sms, "voice": spec.voice, "fax": False},
        "date_created": date,
        "date_updated": date,
        "friendly_name": spec.friendly_name or spec.address,
        "identity_sid": None,
        "phone_number": spec.address,
        "origin": "twilio",
        "sid": sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
        "status_callback": None,
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"{API}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_url": None,
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": "tollfree" if spec.kind == "toll_free" else "local",
    }


def short_code(spec: SenderSpec, account_sid: str, created: float) -> dict[str, Any]:
    """A ShortCode resource (`SMS/ShortCodes.json`): short codes are not IncomingPhoneNumbers."""
    sid = stable_sid("SC", account_sid, spec.address)
    date = rfc2822(created)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "date_created": date,
        "date_updated": date,
        "friendly_name": spec.friendly_name or spec.address,
        "short_code": spec.address,
        "sid": sid,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
        "uri": f"{API}/Accounts/{account_sid}/SMS/ShortCodes/{sid}.json",
    }


def caller_id(number: str, account_sid: str, created: float) -> dict[str, Any]:
    """An OutgoingCallerId resource (a verified number)."""
    sid = stable_sid("PN", account_sid, "verified", number)
    date = rfc2822(created)
    return {
        "sid": sid,
        "date_created": date,
        "date_updated": date,
        "friendly_name": number,
        "account_sid": account_sid,
        "phone_number": number,
        "uri": f"{API}/Accounts/{account_sid}/OutgoingCallerIds/{sid}.json",
    }


def page(
    key: str,
    records: list[dict[str, Any]],
    *,
    path: str,
    query: dict[str, str],
    page_number: int,
    page_size: int,
    next_token: str | None,
    previous_token: str | None,
) -> dict[str, Any]:
    """A list page: Twilio's meta keys plus exactly one records key."""

    def uri(number: int, token: str | None) -> str:
        params = dict(query)
        params["PageSize"] = str(page_size)
        params["Page"] = str(number)
        if token is not None:
            params["PageToken"] = token
        return f"{path}?{urlencode(params)}"

    start = page_number * page_size
    current = dict(query)
    current["PageSize"] = str(page_size)
    current["Page"] = str(page_number)
    return {
        "end": start + max(len(records) - 1, 0),
        "first_page_uri": uri(0, None),
        key: records,
        "next_page_uri": uri(page_number + 1, next_token) if next_token else None,
        "page": page_number,
        "page_size": page_size,
        "previous_page_uri": uri(page_number - 1, previous_token) if page_number > 0 else None,
        "start": start,
        "uri": f"{path}?{urlencode(current)}",
    }
