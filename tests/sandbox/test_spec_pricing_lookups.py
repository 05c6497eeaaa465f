"""The sandbox's Pricing API (pricing.twilio.com/v1) and Lookup v2 (lookups.twilio.com/v2)
answers validate against Twilio's OpenAPI descriptions, vendored in `tests/sandbox/spec/` (the
same as `../shared/twilio/twilio_pricing_v1.json` and `twilio_lookups_v2.json`).

Two readings of the specs, each documented by Twilio itself, are applied before validating:
- the Pricing spec types prices `number` with `x-twilio.overrideType: string`: on the wire
  (and in the spec's own example) they are decimal strings;
- Lookup's data packages and their fields may be null: the spec's own examples show
  `line_type_intelligence: null` and `validation_errors: null`, and Twilio's Line Type
  Intelligence page says carrier fields are null for toll-free, premium, pager... numbers and
  `error_code` null when there is no error.
Beyond the schema, each answer carries exactly the properties the spec lists.
"""

from __future__ import annotations

import base64
import copy
import json
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from test_spec_conformance import ERROR_SCHEMA

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.sandbox.lookups_v2 import BATCH_MAX

SPEC_DIR = Path(__file__).parent / "spec"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "twilio"
PRICING = "twilio_pricing_v1.json"
LOOKUPS = "twilio_lookups_v2.json"


@cache
def spec(name: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / name).read_text())


def _inline(schema: Any, components: dict[str, Any]) -> Any:
    """`schema` with every $ref resolved, every property nullable, and string-on-the-wire
    numbers (`overrideType: string`) typed as strings."""
    if isinstance(schema, list):
        return [_inline(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = components[schema["$ref"].rsplit("/", 1)[1]]
        return _inline(target, components)
    out = {key: _inline(value, components) for key, value in schema.items()}
    if out.get("x-twilio", {}).get("overrideType") == "string":
        out["type"] = "string"
    if "properties" in out:
        out["properties"] = {
            name: {**prop, "nullable": True} for name, prop in out["properties"].items()
        }
    return out


def response_schema(name: str, path: str, method: str) -> dict[str, Any]:
    operation = spec(name)["paths"][path][method]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return _inline(copy.deepcopy(schema), spec(name)["components"]["schemas"])


def validate(document: Any, name: str, path: str, method: str) -> None:
    schema = response_schema(name, path, method)
    OAS30Validator(schema).validate(document)
    assert set(document) == set(schema["properties"]), set(document) ^ set(schema["properties"])


def call(
    sb: Sandbox, method: str, path: str, body: Any = None, password: str | None = None
) -> tuple[int, Any]:
    token = base64.b64encode(f"{sb.account_sid}:{password or sb.auth_token}".encode()).decode()
    request = urllib.request.Request(
        sb.base_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": "Basic " + token,
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as failure:
        return failure.code, json.loads(failure.read())


@pytest.fixture(scope="module")
def sb() -> Any:
    config = SandboxConfig(line_types={"+14155550150": "landline", "+14155550151": "pager"})
    with Sandbox(config) as running:
        yield running


@pytest.mark.parametrize("name", [PRICING, LOOKUPS])
def test_vendored_specs_equal_the_shared_ones(name: str) -> None:
    if not (SHARED / name).exists():
        pytest.skip("the shared folder is not beside this checkout")
    assert (SPEC_DIR / name).read_bytes() == (SHARED / name).read_bytes()


@pytest.mark.parametrize("iso", ["US", "GB", "DE"])
def test_messaging_country_validates_and_has_a_range(sb: Sandbox, iso: str) -> None:
    status, body = call(sb, "GET", f"/v1/Messaging/Countries/{iso}")
    assert status == 200
    validate(body, PRICING, "/v1/Messaging/Countries/{IsoCountry}", "get")
    assert body["iso_country"] == iso and body["price_unit"] == "USD"
    prices = {float(p["current_price"]) for c in body["outbound_sms_prices"] for p in c["prices"]}
    assert len(prices) > 1, "carriers differ, so a country has a range"
    for carrier in body["outbound_sms_prices"]:
        assert set(carrier) == {"carrier", "mcc", "mnc", "prices"}
        for price in carrier["prices"]:
            assert isinstance(price["current_price"], str)


def test_unpriced_country_and_bad_auth_are_twilio_errors(sb: Sandbox) -> None:
    status, body = call(sb, "GET", "/v1/Messaging/Countries/ZZ")
    assert (status, body["code"]) == (404, 20404)
    OAS30Validator(ERROR_SCHEMA).validate(body)
    status, body = call(sb, "GET", "/v1/Messaging/Countries/US", password="wrong")
    assert (status, body["code"]) == (401, 20003)
    status, body = call(sb, "GET", "/v2/PhoneNumbers/+14155550100", password="wrong")
    assert (status, body["code"]) == (401, 20003)


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+14155550150", "landline"),  # configured
        ("+14155550151", "pager"),  # configured, no carrier data
        ("+18005550100", "tollFree"),  # phonenumbers' own type
        ("+442071838750", "landline"),
        ("+447400123456", "mobile"),
    ],
)
def test_line_type_lookup_validates(sb: Sandbox, number: str, kind: str) -> None:
    status, body = call(sb, "GET", f"/v2/PhoneNumbers/{number}?Fields=line_type_intelligence")
    assert status == 200
    validate(body, LOOKUPS, "/v2/PhoneNumbers/{PhoneNumber}", "get")
    info = body["line_type_intelligence"]
    assert body["valid"] is True and info["type"] == kind and info["error_code"] is None
    if kind in ("pager", "tollFree"):
        assert info["carrier_name"] is None and info["mobile_country_code"] is None
    if kind == "mobile":
        assert info["carrier_name"] and info["mobile_network_code"]


def test_lookup_error_cases(sb: Sandbox) -> None:
    path = "/v2/PhoneNumbers/{}?Fields=line_type_intelligence"
    status, body = call(sb, "GET", path.format("+1415555"))
    assert status == 200
    validate(body, LOOKUPS, "/v2/PhoneNumbers/{PhoneNumber}", "get")
    assert body["valid"] is False and body["validation_errors"] == ["TOO_SHORT"]
    assert body["line_type_intelligence"] is None
    status, body = call(sb, "GET", path.format("+16135550123"))  # Canada, not approved
    validate(body, LOOKUPS, "/v2/PhoneNumbers/{PhoneNumber}", "get")
    assert body["line_type_intelligence"]["error_code"] == 60601
    assert body["line_type_intelligence"]["type"] is None
    status, body = call(sb, "GET", "/v2/PhoneNumbers/+14155550100?Fields=line_kind")
    assert (status, body["code"]) == (400, 60200)
    OAS30Validator(ERROR_SCHEMA).validate(body)


def test_lookup_without_fields_is_free(sb: Sandbox) -> None:
    before = sb.lookups_billed
    status, body = call(sb, "GET", "/v2/PhoneNumbers/+14155550100")
    assert status == 200 and body["line_type_intelligence"] is None
    assert sb.lookups_billed == before


def test_batch_query_validates_in_order(sb: Sandbox) -> None:
    numbers = ["+14155550150", "+1415555", "+18005550100", "+14155550100"]
    request = {
        "phone_numbers": [
            {"phone_number": n, "fields": ["line_type_intelligence"], "correlation_id": f"c{i}"}
            for i, n in enumerate(numbers)
        ]
    }
    status, body = call(sb, "POST", "/v2/batch/query", request)
    assert status == 200
    schema = response_schema(LOOKUPS, "/v2/batch/query", "post")
    OAS30Validator(schema).validate(body)
    item_props = set(schema["properties"]["phone_numbers"]["items"]["properties"])
    for item in body["phone_numbers"]:
        assert set(item) <= item_props, set(item) - item_props
    assert [i["correlation_id"] for i in body["phone_numbers"]] == ["c0", "c1", "c2", "c3"]
    kinds = [(i["line_type_intelligence"] or {}).get("type") for i in body["phone_numbers"]]
    assert kinds[0] == "landline" and kinds[1] is None and kinds[2] == "tollFree"


def test_batch_query_refuses_what_it_cannot_answer(sb: Sandbox) -> None:
    too_many = {"phone_numbers": [{"phone_number": "+14155550100"}] * (BATCH_MAX + 1)}
    for body in (too_many, {"phone_numbers": []}, {"numbers": ["+14155550100"]}):
        status, answer = call(sb, "POST", "/v2/batch/query", body)
        assert (status, answer["code"]) == (400, 60200)
        OAS30Validator(ERROR_SCHEMA).validate(answer)
    status, answer = call(sb, "GET", "/v2/batch/query")
    assert (status, answer["code"]) == (405, 20004)
