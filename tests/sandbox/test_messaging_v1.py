"""messaging.twilio.com/v1 in the sandbox: every answer validates against Twilio's spec
(`spec/twilio_messaging_v1.json`), each registration state decides what a US-bound message
becomes, and a create through a service picks its sender as Twilio's sender selection does.

All through the real twilio SDK (or plain HTTP for the raw documents) over loopback.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from registration_support import (
    CA,
    GB,
    MG_FAILED,
    MG_MIXED,
    MG_NONE,
    MG_PENDING,
    MG_REGISTERED,
    SERVICES,
    US,
    US_212,
    registration_config,
)
from sandbox.test_spec_conformance import ERROR_SCHEMA, call
from sandbox.test_strict_api import until_final
from twilio.rest import Client

from campaigns.sandbox import Sandbox, SandboxConfig

SPEC_PATH = Path(__file__).parent / "spec" / "twilio_messaging_v1.json"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_messaging_v1.json"
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def _schema(path: str) -> dict[str, Any]:
    operation = spec()["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return {**schema, "components": spec()["components"]}


def _properties(ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[1]
    found: dict[str, Any] = spec()["components"]["schemas"][name]
    if "oneOf" in found:  # Usa2p: the first (v1) shape, the one the sandbox serves
        return _properties(found["oneOf"][0])
    return dict(found["properties"])


def validate_page(document: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """A v1 list page: the schema, exactly the records key and `meta`, every record with
    exactly the spec's properties and ISO 8601 dates. Returns the records."""
    schema = _schema(path)
    OAS30Validator(schema).validate(document)
    key = next(k for k in schema["properties"] if k != "meta")
    assert set(document) == {key, "meta"} and document["meta"]["key"] == key
    for record in document[key]:
        props = _properties(schema["properties"][key]["items"])
        assert set(record) == set(props), set(record) ^ set(props)
        for name in ("date_created", "date_updated"):
            assert record[name] is None or re.match(ISO, record[name])
    records: list[dict[str, Any]] = document[key]
    return records


@pytest.fixture(scope="module")
def sb() -> Any:
    with Sandbox(registration_config()) as running:
        yield running


def client_for(sb: Sandbox) -> Client:
    client = Client(sb.account_sid, sb.auth_token, account_sid=sb.account_sid)
    client.edge = None
    client.region = None
    client.api.base_url = sb.base_url
    client.messaging.base_url = sb.base_url
    return client


def test_vendored_spec_is_the_shared_one() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip("../shared is not beside this checkout")
    assert SPEC_PATH.read_bytes() == SHARED_SPEC.read_bytes()


def test_services_and_their_pools_validate_on_every_page(sb: Sandbox) -> None:
    path, pages, seen = "/v1/Services?PageSize=2", 0, []
    while path:
        status, body = call(sb, "GET", path.removeprefix(sb.base_url))
        assert status == 200
        seen += validate_page(body, "/v1/Services")
        pages += 1
        path = body["meta"]["next_page_url"]
    assert pages == 3 and [s["sid"] for s in seen] == [s.sid for s in SERVICES]
    assert {s["sid"]: s["us_app_to_person_registered"] for s in seen}[MG_REGISTERED] is True
    status, one = call(sb, "GET", f"/v1/Services/{MG_PENDING}")
    assert status == 200
    OAS30Validator(
        {
            **spec()["paths"]["/v1/Services/{Sid}"]["get"]["responses"]["200"]["content"][
                "application/json"
            ]["schema"],
            "components": spec()["components"],
        }
    ).validate(one)
    assert one["us_app_to_person_registered"] is False
    for sub in ("PhoneNumbers", "ShortCodes", "AlphaSenders"):
        status, body = call(sb, "GET", f"/v1/Services/{MG_MIXED}/{sub}")
        assert status == 200
        records = validate_page(body, "/v1/Services/{ServiceSid}/" + sub)
        assert records, sub
        assert all(r["service_sid"] == MG_MIXED for r in records)
    status, body = call(sb, "GET", f"/v1/Services/{MG_MIXED}/PhoneNumbers")
    assert {r["phone_number"]: r["country_code"] for r in body["phone_numbers"]} == {
        "+16045550123": "CA",
        "+18445550101": "US",
    }


@pytest.mark.parametrize(
    ("service", "campaign_status"),
    [
        (MG_REGISTERED, "VERIFIED"),
        (MG_PENDING, "IN_PROGRESS"),
        (MG_FAILED, "FAILED"),
        (MG_NONE, None),
    ],
)
def test_a2p_campaign_of_each_state(sb: Sandbox, service: str, campaign_status: str | None) -> None:
    status, body = call(sb, "GET", f"/v1/Services/{service}/Compliance/Usa2p")
    assert status == 200
    records = validate_page(body, "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p")
    assert [r["campaign_status"] for r in records] == ([campaign_status] if campaign_status else [])


def test_toll_free_verifications_of_each_state(sb: Sandbox) -> None:
    status, body = call(sb, "GET", "/v1/Tollfree/Verifications")
    assert status == 200
    records = validate_page(body, "/v1/Tollfree/Verifications")
    assert {r["tollfree_phone_number"]: r["status"] for r in records} == {
        "+18445550100": "TWILIO_APPROVED",
        "+18445550101": "IN_REVIEW",
        "+18445550102": "TWILIO_REJECTED",
    }  # never submitted: no record at all
    numbers = {n.phone_number: n.sid for n in client_for(sb).incoming_phone_numbers.list()}
    wanted = numbers["+18445550102"]
    status, body = call(sb, "GET", f"/v1/Tollfree/Verifications?TollfreePhoneNumberSid={wanted}")
    assert [r["status"] for r in validate_page(body, "/v1/Tollfree/Verifications")] == [
        "TWILIO_REJECTED"
    ]


def test_unknown_service_is_a_twilio_404(sb: Sandbox) -> None:
    status, body = call(sb, "GET", "/v1/Services/MG" + "9" * 32 + "/PhoneNumbers")
    assert status == 404 and body["code"] == 20404
    OAS30Validator(ERROR_SCHEMA).validate(body)


def test_compliance_unreadable_is_403_but_services_still_list() -> None:
    config = SandboxConfig(compliance_readable=False)
    with Sandbox(config) as sb:
        assert call(sb, "GET", "/v1/Services")[0] == 200
        for path in (
            f"/v1/Services/{sb.messaging_service_sid}/Compliance/Usa2p",
            "/v1/Tollfree/Verifications",
        ):
            status, body = call(sb, "GET", path)
            assert status == 403
            OAS30Validator(ERROR_SCHEMA).validate(body)


# ------------------------------------------------- what registration does to a message
@pytest.mark.parametrize(
    ("sender", "to", "code"),
    [
        ("+15017122661", US, None),  # registered long code
        ("+15017122670", US, 30034),  # campaign pending
        ("+15017122671", US, 30034),  # campaign failed
        ("+15017122672", US, 30034),  # service without a campaign
        ("+15017122673", US, 30034),  # in no service
        ("+15017122673", "+17875550123", 30034),  # Puerto Rico is covered too
        ("+15017122673", CA, None),  # Canada is not covered by 10DLC
        ("+18445550100", US, None),  # toll-free approved
        ("+18445550101", US, 30032),  # toll-free pending
        ("+18445550102", US, 30032),  # toll-free rejected
        ("+18445550103", US, 30032),  # toll-free never submitted
        ("+18445550103", CA, 30032),  # toll-free verification covers Canada
        ("+18445550103", GB, None),
        ("55501", US, None),  # short codes are approved on their own
    ],
)
def test_registration_decides_us_delivery(
    sb: Sandbox, sender: str, to: str, code: int | None
) -> None:
    client = client_for(sb)
    message = client.messages.create(to=to, from_=sender, body="hello")
    assert message.status == "queued"  # Twilio accepts it: the block comes later
    final = until_final(client, message.sid)
    if code is None:
        assert (final.status, final.error_code) == ("delivered", None)
    else:
        assert (final.status, final.error_code) == ("undelivered", code)
        assert final.price is not None  # charged all the same


# ------------------------------------------------------------------- sender selection
def _final_from(client: Client, service: str, to: str) -> tuple[str, Any]:
    message = client.messages.create(to=to, messaging_service_sid=service, body="hi")
    assert (message.status, message.from_) == ("accepted", None)
    final = until_final(client, message.sid)
    return final.from_, final


def test_mixed_pool_picks_by_country_and_type(sb: Sandbox) -> None:
    client = client_for(sb)
    sender, final = _final_from(client, MG_MIXED, US)
    assert sender == "55501" and final.status == "delivered"  # the short code first
    assert _final_from(client, MG_MIXED, CA)[0] == "+16045550123"  # geomatch: the country
    sender, final = _final_from(client, MG_MIXED, US_212)
    assert sender == "55501"


def test_area_code_geomatch_long_codes_before_toll_free_and_sticky(sb: Sandbox) -> None:
    client = client_for(sb)
    assert _final_from(client, MG_REGISTERED, US_212)[0] == "+12125550123"
    picks = [_final_from(client, MG_REGISTERED, f"+1415555{n:04d}")[0] for n in range(10, 16)]
    # No 415 number: the pool's US long codes share the load (least busy first), and the
    # toll-free number is not used while a long code of the country is there.
    assert set(picks) <= {"+15017122661", "+15017122662", "+12125550123"}
    assert len(set(picks)) >= 2
    again = [_final_from(client, MG_REGISTERED, f"+1415555{n:04d}")[0] for n in range(10, 16)]
    assert again == picks  # sticky sender: each recipient keeps their number


def test_pool_spreads_a_burst_over_its_senders(sb: Sandbox) -> None:
    """Six messages at once through a pool of three US long codes: two each (the pool's
    throughput is the sum of its senders')."""
    client = client_for(sb)
    sids = [
        client.messages.create(
            to=f"+1415555{n:04d}", messaging_service_sid=MG_REGISTERED, body="burst"
        ).sid
        for n in range(20, 26)
    ]
    time.sleep(0.02)
    senders = Counter(until_final(client, sid).from_ for sid in sids)
    assert sorted(senders.values()) == [2, 2, 2], senders


def test_a_from_outside_the_pool_is_refused(sb: Sandbox) -> None:
    from twilio.base.exceptions import TwilioRestException

    client = client_for(sb)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(
            to=US, from_="+15017122673", messaging_service_sid=MG_REGISTERED, body="x"
        )
    assert raised.value.code == 21606


def test_an_mg_sid_in_from_sends_through_the_service(sb: Sandbox) -> None:
    client = client_for(sb)
    message = client.messages.create(to=CA, from_=MG_MIXED, body="x")
    assert (message.status, message.messaging_service_sid) == ("accepted", MG_MIXED)
    assert until_final(client, message.sid).from_ == "+16045550123"
