"""Every sandbox answer smscast relies on validates against Twilio's OpenAPI description
(vendored in `tests/sandbox/spec/`, the same as `../shared/twilio/twilio_api_v2010.json`):
resources, list pages and error bodies.

Beyond the schema (which allows anything nullable), each resource carries exactly the
properties the spec lists, dates are RFC 2822 and list pages have one records key.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from openapi_schema_validator import OAS30Validator

from campaigns.sandbox import Sandbox, SandboxConfig

SPEC_PATH = Path(__file__).parent / "spec" / "twilio_api_v2010.json"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "twilio" / "twilio_api_v2010.json"

API = "/2010-04-01/Accounts/{AccountSid}"
RFC2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$"
)
META = {
    "end",
    "first_page_uri",
    "next_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "start",
    "uri",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
}


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    operation = spec()["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return {**schema, "components": spec()["components"]}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return spec()["components"]["schemas"][ref.rsplit("/", 1)[1]]


def check_resource(resource: dict[str, Any], schema: dict[str, Any]) -> None:
    props = resolve(schema)["properties"]
    assert set(resource) == set(props), set(resource) ^ set(props)
    for name, prop in props.items():
        if prop.get("format") == "date-time-rfc-2822" and resource[name] is not None:
            assert RFC2822.match(resource[name]), (name, resource[name])


def validate(document: Any, path: str, method: str, status: str) -> None:
    schema = response_schema(path, method, status)
    OAS30Validator(schema).validate(document)
    if "properties" in schema and any(k not in META for k in schema["properties"]):
        key = next(k for k in schema["properties"] if k not in META)
        assert set(document) == META | {key}  # exactly one records key
        assert document[key], "validate pages that hold records"
        for record in document[key]:
            check_resource(record, schema["properties"][key]["items"])
    else:
        check_resource(document, schema)


def call(
    sb: Sandbox,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[int, Any]:
    user, password = auth or (sb.account_sid, sb.auth_token)
    request = urllib.request.Request(
        sb.base_url + path.format(AccountSid=sb.account_sid),
        data=urlencode(form).encode() if form is not None else None,
        method=method,
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            "Accept": "application/json",  # as every twilio SDK sends it
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def sb() -> Any:
    config = SandboxConfig(
        verified=tuple(f"+1415555{n:04d}" for n in range(5)),
        speedup=1000.0,
        failed_share=0.3,
        undelivered_share=0.3,
        seed=4,
    )
    with Sandbox(config) as running:
        yield running


def test_account(sb: Sandbox) -> None:
    status, body = call(sb, "GET", API + ".json")
    assert status == 200
    validate(body, "/2010-04-01/Accounts/{Sid}.json", "get", "200")


@pytest.mark.parametrize(
    "path",
    [
        API + "/IncomingPhoneNumbers.json?PageSize=2",
        API + "/OutgoingCallerIds.json?PageSize=2",
        API + "/SMS/ShortCodes.json",
    ],
)
def test_static_lists_every_page(sb: Sandbox, path: str) -> None:
    spec_path = path.split("?")[0]
    pages = 0
    while path:
        status, body = call(sb, "GET", path)
        assert status == 200
        validate(body, spec_path, "get", "200")
        pages += 1
        path = body["next_page_uri"]
    assert pages >= (1 if "ShortCodes" in spec_path else 2)


def test_messages_create_fetch_and_list(sb: Sandbox) -> None:
    created = []
    for n in range(5):
        status, body = call(
            sb,
            "POST",
            API + "/Messages.json",
            {"To": f"+1415555{n:04d}", "From": sb.phone_number, "Body": "hi"},
        )
        assert status == 201
        validate(body, API + "/Messages.json", "post", "201")
        created.append(body["sid"])
    status, body = call(
        sb,
        "POST",
        API + "/Messages.json",
        {"To": "+14155550000", "MessagingServiceSid": sb.messaging_service_sid, "Body": "svc"},
    )
    assert (status, body["status"]) == (201, "accepted")
    validate(body, API + "/Messages.json", "post", "201")
    time.sleep(0.05)  # speedup 1000: every message reaches its final status
    statuses = set()
    for sid in created:
        status, body = call(sb, "GET", API + f"/Messages/{sid}.json")
        assert status == 200
        validate(body, API + "/Messages/{Sid}.json", "get", "200")
        statuses.add(body["status"])
    assert len(statuses) >= 2  # delivered and failed/undelivered resources both validate
    path = API + "/Messages.json?PageSize=2"
    while path:
        status, body = call(sb, "GET", path)
        assert status == 200
        validate(body, API + "/Messages.json", "get", "200")
        path = body["next_page_uri"]


def test_cancel_redact_and_delete(sb: Sandbox) -> None:
    """The update answers (cancel a scheduled message, redact a final one) are Message
    resources as the spec has them; delete answers 204 with no body."""
    send_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    status, body = call(
        sb,
        "POST",
        API + "/Messages.json",
        {
            "To": "+14155550001",
            "MessagingServiceSid": sb.messaging_service_sid,
            "Body": "later",
            "ScheduleType": "fixed",
            "SendAt": send_at,
        },
    )
    assert (status, body["status"]) == (201, "scheduled")
    validate(body, API + "/Messages.json", "post", "201")
    one = API + "/Messages/{Sid}.json"
    cancel = {"Status": "canceled"}
    status, canceled = call(sb, "POST", API + f"/Messages/{body['sid']}.json", cancel)
    assert (status, canceled["status"]) == (200, "canceled")
    validate(canceled, one, "post", "200")
    form = {"To": "+14155550002", "From": sb.phone_number, "Body": "x"}
    status, body = call(sb, "POST", API + "/Messages.json", form)
    sid = body["sid"]
    time.sleep(0.05)  # speedup 1000: the message reaches its final status
    status, redacted = call(sb, "POST", API + f"/Messages/{sid}.json", {"Body": ""})
    assert (status, redacted["body"]) == (200, "")
    validate(redacted, one, "post", "200")
    request = urllib.request.Request(
        sb.base_url + API.format(AccountSid=sb.account_sid) + f"/Messages/{sid}.json",
        method="DELETE",
        headers={
            "Authorization": "Basic "
            + base64.b64encode(f"{sb.account_sid}:{sb.auth_token}".encode()).decode()
        },
    )
    with urllib.request.urlopen(request) as response:
        assert (response.status, response.read()) == (204, b"")


@pytest.mark.parametrize(
    ("method", "path", "form", "auth", "status"),
    [
        (
            "POST",
            API + "/Messages.json",
            {"To": "+1415", "From": "+15017122661", "Body": "x"},
            None,
            400,
        ),
        ("GET", API + "/Messages/SM00000000000000000000000000000000.json", None, None, 404),
        ("GET", API + "/Messages.json?PageSize=1001", None, None, 400),
        ("GET", API + ".json", None, ("AC" + "0" * 32, "nope"), 401),
        ("GET", API + "/Calls.json", None, None, 404),
        ("GET", API + "/Messages", None, None, 404),
        ("PUT", API + "/Messages.json", {}, None, 405),
        (
            "POST",
            API + "/Messages/SM00000000000000000000000000000000.json",
            {"Status": "canceled"},
            None,
            404,
        ),
        (
            "POST",
            API + "/Messages.json",
            {"To": "+14155550001", "From": "+15017122661", "Body": "x", "ValidityPeriod": "0"},
            None,
            400,
        ),
    ],
)
def test_error_bodies(
    sb: Sandbox,
    method: str,
    path: str,
    form: dict[str, str] | None,
    auth: tuple[str, str] | None,
    status: int,
) -> None:
    got, body = call(sb, method, path, form, auth)
    assert got == status
    OAS30Validator(ERROR_SCHEMA).validate(body)
    assert body["status"] == status


def test_the_vendored_spec_is_the_shared_one() -> None:
    """The copy in the repo must be the contract in ../shared (when that folder is there)."""
    if not SHARED_SPEC.exists():
        pytest.skip("../shared is not beside this checkout")
    assert SPEC_PATH.read_bytes() == SHARED_SPEC.read_bytes()
