"""lookups.twilio.com/v2 in the sandbox: Line Type Intelligence, one number or a batch.

- `GET /v2/PhoneNumbers/{PhoneNumber}?Fields=line_type_intelligence` answers Twilio's
  `LookupResponse` (`twilio_lookups_v2.json`): `valid`, `validation_errors`, the number's
  formats and, when asked, `line_type_intelligence` {`type`, `carrier_name`,
  `mobile_country_code`, `mobile_network_code`, `error_code`}. Every data package not asked
  for (or not simulated: caller name, SIM swap, ...) is null, as in the spec's examples.
- `POST /v2/batch/query` takes a JSON body `{"phone_numbers": [{"phone_number", "fields",
  "correlation_id", ...}]}` and answers `{"phone_numbers": [LookupBatchResponse, ...]}` in the
  request's order, echoing each `correlation_id`.

Deterministic per number: the type comes from `SandboxConfig.line_types` when the test names
one, else from phonenumbers' own type for the number (toll-free, premium, pager, voicemail...),
and where phonenumbers cannot tell (North America: "fixed line or mobile") from a hash of the
number: about 78% mobile, 12% landline, 5% non-fixed VoIP, 5% fixed VoIP.

Error cases, as Twilio documents them:
- an invalid number is `valid: false` with its `validation_errors` (TOO_SHORT, TOO_LONG,
  INVALID_COUNTRY_CODE, INVALID_LENGTH, INVALID_BUT_POSSIBLE, NOT_A_NUMBER) and no line type;
- a Canadian number without Twilio's approval for Canadian data (`canada_lookup` False, the
  default) answers `line_type_intelligence.error_code` 60601 and no type;
- carrier data is null for the types Twilio gives none for (personal, tollFree, premium,
  sharedCost, uan, voicemail, pager, unknown), and `mobile_network_code` for non-mobile types.
Assumed where Twilio documents nothing (the stricter side): an unknown `Fields` value and a
malformed batch are refused with 60200 (HTTP 400); a batch holds at most `BATCH_MAX` numbers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import phonenumbers
from aiohttp import web
from phonenumbers import PhoneNumberType, ValidationResult

from campaigns.sandbox.http import Resource, error, json_response
from campaigns.sandbox.pricing_v1 import COUNTRIES
from campaigns.sandbox.state import SandboxState

LOOKUPS_HOST = "https://lookups.twilio.com"
#: Numbers one batch request may hold (assumed: the spec names no limit).
BATCH_MAX = 100
#: The data packages the `Fields` parameter may name (the spec's list).
FIELDS = frozenset(
    {
        "validation",
        "caller_name",
        "sim_swap",
        "call_forwarding",
        "line_status",
        "line_type_intelligence",
        "identity_match",
        "reassigned_number",
        "sms_pumping_risk",
        "phone_number_quality_score",
        "pre_fill",
    }
)
#: Every data package key of a LookupResponse (null unless asked for and simulated).
_PACKAGES = (
    "caller_name",
    "sim_swap",
    "call_forwarding",
    "line_status",
    "line_type_intelligence",
    "identity_match",
    "reassigned_number",
    "sms_pumping_risk",
    "phone_number_quality_score",
    "pre_fill",
)
_BY_PHONENUMBERS_TYPE = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.TOLL_FREE: "tollFree",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "sharedCost",
    PhoneNumberType.VOIP: "nonFixedVoip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
#: Types Twilio gives no carrier data for.
_NO_CARRIER = frozenset(
    {"personal", "tollFree", "premium", "sharedCost", "uan", "voicemail", "pager", "unknown"}
)
#: The incumbent fixed-line carrier a landline or fixed VoIP number is named with.
_FIXED_LINE_CARRIERS = {
    "US": "Lumen Technologies",
    "CA": "Bell Canada",
    "GB": "BT",
    "DE": "Deutsche Telekom",
    "FR": "Orange France",
}
_VALIDATION_ERRORS = {
    ValidationResult.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    ValidationResult.TOO_SHORT: "TOO_SHORT",
    ValidationResult.TOO_LONG: "TOO_LONG",
    ValidationResult.INVALID_LENGTH: "INVALID_LENGTH",
}


def _draw(number: str) -> tuple[float, int]:
    """A share in [0, 1) and a small integer, both fixed for `number`."""
    digest = hashlib.blake2b(f"line-type:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest[:7], "big") / 2.0**56, digest[7]


def guessed_type(parsed: phonenumbers.PhoneNumber, e164: str) -> str:
    """The sandbox's line type of a valid number (without a configured one)."""
    kind = phonenumbers.number_type(parsed)
    known = _BY_PHONENUMBERS_TYPE.get(kind)
    if known is not None:
        return known
    if kind != PhoneNumberType.FIXED_LINE_OR_MOBILE:
        return "unknown"
    share, _ = _draw(e164)
    if share < 0.78:
        return "mobile"
    if share < 0.90:
        return "landline"
    return "nonFixedVoip" if share < 0.95 else "fixedVoip"


def _carrier(kind: str, region: str, e164: str) -> tuple[str | None, str | None, str | None]:
    """(carrier_name, mobile_country_code, mobile_network_code) for a number of `kind`."""
    if kind in _NO_CARRIER:
        return None, None, None
    _, pick = _draw(e164)
    table = COUNTRIES.get(region)
    if kind == "mobile":
        if table is None:
            return f"{region} Mobile", None, None
        carrier = table.carriers[pick % len(table.carriers)]
        return carrier.name, carrier.mcc, carrier.mnc
    if kind == "nonFixedVoip":
        return "Bandwidth/13 - Bandwidth.com - SVR", "313", None
    fixed = _FIXED_LINE_CARRIERS.get(region, f"{table.name if table else region} Telecom")
    name = fixed if kind == "landline" else f"{fixed} Digital Voice"
    return name, table.carriers[0].mcc if table is not None else None, None


class LookupsV2(SandboxState):
    """The endpoints of lookups.twilio.com/v2 the sandbox serves."""

    def lookups_v2_resources(self) -> list[Resource]:
        """This API's resources (the server adds 404/405 answers around them)."""
        return [
            ("/v2/PhoneNumbers/{number}", {"GET": self.fetch_phone_number}),
            ("/v2/batch/query", {"POST": self.batch_query}),
        ]

    async def fetch_phone_number(self, request: web.Request) -> web.StreamResponse:
        fields = [f.strip() for f in request.query.get("Fields", "").split(",") if f.strip()]
        unknown = [f for f in fields if f not in FIELDS]
        if unknown:
            return error(60200, f"Invalid parameter: Fields ({unknown[0]})", 400)
        number = request.match_info["number"]
        result = self.look_up(number, fields, request.query.get("CountryCode"))
        result["url"] = f"{LOOKUPS_HOST}/v2/PhoneNumbers/{result['phone_number'] or number}"
        return json_response(result)

    async def batch_query(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return error(60200, "Invalid parameter: the body must be a JSON document", 400)
        items = body.get("phone_numbers") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return error(60200, "Invalid parameter: phone_numbers", 400)
        if len(items) > BATCH_MAX:
            return error(
                60200, f"Invalid parameter: phone_numbers holds more than {BATCH_MAX}", 400
            )
        answers = []
        for item in items:
            number = item.get("phone_number") if isinstance(item, dict) else None
            if not isinstance(number, str) or not number:
                return error(60200, "Invalid parameter: phone_number", 400)
            fields = item.get("fields") or []
            if not isinstance(fields, list) or any(f not in FIELDS for f in fields):
                return error(60200, "Invalid parameter: fields", 400)
            answer = self.look_up(number, fields, item.get("country_code"))
            correlation = item.get("correlation_id")
            if isinstance(correlation, str):
                answer = {"correlation_id": correlation, **answer}
            answers.append(answer)
        return json_response({"phone_numbers": answers})

    def look_up(self, number: str, fields: list[str], country_code: str | None) -> dict[str, Any]:
        """The LookupResponse body of `number` (without `url`), for the `fields` asked."""
        empty: dict[str, Any] = dict.fromkeys(_PACKAGES)
        invalid: dict[str, Any] = {
            "calling_country_code": None,
            "country_code": None,
            "phone_number": number,
            "national_format": None,
            "valid": False,
            "validation_errors": ["NOT_A_NUMBER"],
            **empty,
        }
        try:
            parsed = phonenumbers.parse(
                number, None if number.startswith("+") else country_code or "US"
            )
        except phonenumbers.NumberParseException:
            return invalid
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if not phonenumbers.is_valid_number(parsed):
            reason = phonenumbers.is_possible_number_with_reason(parsed)
            return {
                **invalid,
                "phone_number": e164,
                "validation_errors": [_VALIDATION_ERRORS.get(reason, "INVALID_BUT_POSSIBLE")],
            }
        region = phonenumbers.region_code_for_number(parsed) or ""
        result: dict[str, Any] = {
            "calling_country_code": str(parsed.country_code),
            "country_code": region,
            "phone_number": e164,
            "national_format": phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.NATIONAL
            ),
            "valid": True,
            "validation_errors": None,  # as the spec's examples of a valid number
            **empty,
        }
        if "line_type_intelligence" in fields:
            self.lookups_billed += 1
            result["line_type_intelligence"] = self._line_type(parsed, e164, region)
        return result

    def _line_type(
        self, parsed: phonenumbers.PhoneNumber, e164: str, region: str
    ) -> dict[str, Any]:
        if region == "CA" and not self.config.canada_lookup:
            return {
                "mobile_country_code": None,
                "mobile_network_code": None,
                "carrier_name": None,
                "type": None,
                "error_code": 60601,
            }
        kind = self.config.line_types.get(e164) or guessed_type(parsed, e164)
        name, mcc, mnc = _carrier(kind, region, e164)
        return {
            "mobile_country_code": mcc,
            "mobile_network_code": mnc,
            "carrier_name": name,
            "type": kind,
            "error_code": None,
        }
