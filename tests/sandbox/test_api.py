"""The sandbox through the real twilio SDK: create, fetch, list and paging, account, senders,
caller IDs, auth, every create error code and each magic number."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from campaigns.sandbox import Sandbox
from campaigns.sandbox.rules import TRIAL_PREFIX
from tests.sandbox.sdk import sdk_client

TO = "+14155550100"


def create_error(client: Client, **kwargs: object) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(**kwargs)
    return info.value


def test_create_and_fetch(sandbox: Sandbox) -> None:
    client = sdk_client(sandbox)
    message = client.messages.create(to=TO, from_=sandbox.phone_number, body="Hello")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.body == TRIAL_PREFIX + "Hello"
    assert (message.to, message.from_, message.num_segments) == (TO, sandbox.phone_number, "1")
    assert message.price is None and message.error_code is None
    assert message.direction == "outbound-api" and message.account_sid == sandbox.account_sid
    fetched = client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.body) == (message.sid, message.body)
    assert [m["sid"] for m in sandbox.messages()] == [message.sid]
    assert sandbox.messages(to="+14155550101") == []


def test_full_account_has_no_prefix_and_counts_segments(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False)
    client = sdk_client(sb)
    long_body = "x" * 161
    message = client.messages.create(to="+33612345678", from_=sb.phone_number, body=long_body)
    assert message.body == long_body and message.num_segments == "2"
    emoji = client.messages.create(to=TO, from_=sb.phone_number, body="hi 😀" * 20)
    assert emoji.num_segments == "2"  # UCS-2: 100 code units > 70


def test_fetch_unknown_sid_is_404(sandbox: Sandbox) -> None:
    with pytest.raises(TwilioRestException) as info:
        sdk_client(sandbox).messages("SM" + "0" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


def test_list_pages_filters_and_order(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False)
    client = sdk_client(sb)
    mine = [
        client.messages.create(to=TO, from_=sb.phone_number, body=f"m{i}").sid for i in range(7)
    ]
    other = client.messages.create(to="+14155550101", from_="+18445550100", body="other").sid
    listed = client.messages.list(to=TO, page_size=3)  # three pages
    assert [m.sid for m in listed] == mine[::-1]  # newest first
    assert {m.sid for m in client.messages.list(page_size=2)} == {*mine, other}
    assert [m.sid for m in client.messages.list(from_="+18445550100")] == [other]
    page = client.messages.page(to=TO, page_size=3)
    assert len(list(page)) == 3 and page.next_page_url is not None
    assert "PageToken=PA" in page.next_page_url
    assert len(client.messages.list(to=TO, limit=4)) == 4


def test_list_date_filters(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False, speedup=20.0)
    client = sdk_client(sb)
    before = datetime.now(UTC) - timedelta(seconds=1)
    sid = client.messages.create(to=TO, from_=sb.phone_number, body="dated").sid
    # Not sent yet (date_sent null): no date filter matches it, To and From still do.
    assert client.messages(sid).fetch().date_sent is None
    assert client.messages.list(to=TO, date_sent_after=before) == []
    assert client.messages.list(date_sent=datetime.now(UTC).date()) == []
    assert [m.sid for m in client.messages.list(from_=sb.phone_number)] == [sid]
    for _ in range(200):
        if client.messages(sid).fetch().date_sent is not None:
            break
        time.sleep(0.01)
    assert [m.sid for m in client.messages.list(to=TO, date_sent_after=before)] == [sid]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert client.messages.list(to=TO, date_sent_after=later) == []
    assert [m.sid for m in client.messages.list(date_sent_before=later)] == [sid]
    assert client.messages.list(date_sent_before=before - timedelta(days=2)) == []
    today = datetime.now(UTC).date()
    assert [m.sid for m in client.messages.list(date_sent=today)] == [sid]
    assert client.messages.list(date_sent=today - timedelta(days=3)) == []


def test_account_trial_and_full(sandbox_factory) -> None:
    trial = sandbox_factory(friendly_name="Acme")
    account = sdk_client(trial).api.v2010.accounts(trial.account_sid).fetch()
    assert (account.type, account.status, account.friendly_name) == ("Trial", "active", "Acme")
    assert account.auth_token is None
    full = sandbox_factory(trial=False)
    assert sdk_client(full).api.v2010.accounts(full.account_sid).fetch().type == "Full"


def test_senders_and_short_codes(sandbox: Sandbox) -> None:
    client = sdk_client(sandbox)
    numbers = {n.phone_number: n for n in client.incoming_phone_numbers.list(page_size=2)}
    assert set(numbers) == {"+15017122661", "+15017122662", "+18445550100", "+15017122699"}
    assert numbers["+15017122661"].capabilities["sms"] is True
    assert numbers["+15017122699"].capabilities["sms"] is False
    assert [c.short_code for c in client.short_codes.list()] == ["55501"]
    assert client.incoming_phone_numbers.list(phone_number="+18445550100")[0].sid.startswith("PN")


def test_caller_ids_across_pages(sandbox_factory) -> None:
    numbers = tuple(f"+1415555{n:04d}" for n in range(23))
    sb = sandbox_factory(verified=numbers)
    listed = sdk_client(sb).outgoing_caller_ids.list(page_size=5)
    assert [c.phone_number for c in listed] == list(numbers)
    assert len({c.sid for c in listed}) == 23


def test_auth(sandbox_factory) -> None:
    key, secret = "SK" + "1" * 32, "s3cret"
    sb = sandbox_factory(api_keys={key: secret})
    assert sdk_client(sb, key, secret).messages.create(to=TO, from_=sb.phone_number, body="k")
    for username, password in (
        (sb.account_sid, "wrong"),
        (key, "wrong"),
        ("AC" + "0" * 32, secret),
    ):
        error = create_error(
            sdk_client(sb, username, password), to=TO, from_=sb.phone_number, body="x"
        )
        assert (error.status, error.code) == (401, 20003)
    other = Client(sb.account_sid, sb.auth_token, account_sid="AC" + "9" * 32)
    other.api.base_url, other.edge, other.region = sb.base_url, None, None
    error = create_error(other, to=TO, from_=sb.phone_number, body="x")
    assert (error.status, error.code) == (401, 20003)
    assert sb.messages() != [] and len(sb.messages()) == 1


def test_suspended_account_refuses_sends(sandbox_factory) -> None:
    sb = sandbox_factory(status="suspended")
    client = sdk_client(sb)
    assert client.api.v2010.accounts(sb.account_sid).fetch().status == "suspended"
    error = create_error(client, to=TO, from_=sb.phone_number, body="x")
    assert (error.status, error.code) == (401, 20005)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "", "from_": "+15017122661", "body": "x"}, 21604),
        ({"to": TO, "body": "x"}, 21603),
        ({"to": TO, "from_": "+15017122661"}, 21602),
        ({"to": TO, "from_": "+15017122661", "body": "x" * 1601}, 21617),
        ({"to": "+1415", "from_": "+15017122661", "body": "x"}, 21211),
        ({"to": "4155550100", "from_": "+15017122661", "body": "x"}, 21211),
        ({"to": TO, "from_": "+15017122699", "body": "x"}, 21606),  # voice only
        ({"to": TO, "from_": "+12025550199", "body": "x"}, 21606),  # not ours
        ({"to": TO, "from_": "not a number!", "body": "x"}, 21212),
        ({"to": "+14155559999", "from_": "+15017122661", "body": "x"}, 21608),  # unverified
        ({"to": "+14155550102", "from_": "+15017122661", "body": "x"}, 21610),  # opted out
        ({"to": TO, "messaging_service_sid": "MG" + "0" * 32, "body": "x"}, 21701),
        # magic numbers
        ({"to": "+15005550001", "from_": "+15017122661", "body": "x"}, 21211),
        ({"to": "+15005550002", "from_": "+15017122661", "body": "x"}, 21612),
        ({"to": "+15005550003", "from_": "+15017122661", "body": "x"}, 21408),
        ({"to": "+15005550004", "from_": "+15017122661", "body": "x"}, 21610),
        ({"to": "+15005550009", "from_": "+15017122661", "body": "x"}, 21614),
        ({"to": TO, "from_": "+15005550001", "body": "x"}, 21212),
        ({"to": TO, "from_": "+15005550007", "body": "x"}, 21606),
        ({"to": TO, "from_": "+15005550008", "body": "x"}, 21611),
    ],
)
def test_create_errors(sandbox_factory, fields: dict[str, str], code: int) -> None:
    sb = sandbox_factory(opted_out=("+14155550102",))
    error = create_error(sdk_client(sb), **fields)
    assert (error.status, error.code) == (400, code)
    assert error.uri.endswith("/Messages.json")
    assert sb.messages() == []


def test_body_at_the_limit_and_magic_from_pass(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False)
    client = sdk_client(sb)
    assert client.messages.create(to=TO, from_=sb.phone_number, body="x" * 1600).status == "queued"
    magic = client.messages.create(to=TO, from_="+15005550006", body="magic")
    assert magic.from_ == "+15005550006"
    media = client.messages.create(to=TO, from_=sb.phone_number, media_url=["https://e.x/a.png"])
    assert media.sid.startswith("MM") and media.num_media == "1"


def test_queue_full_gives_21611(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False, max_queue_seconds=3.5)
    client = sdk_client(sb)
    for _ in range(4):
        client.messages.create(to=TO, from_=sb.phone_number, body="x")
    error = create_error(client, to=TO, from_=sb.phone_number, body="x")
    assert (error.status, error.code) == (400, 21611)
    # Another sender still has room.
    assert client.messages.create(to=TO, from_="+18445550100", body="x").status == "queued"


def test_messaging_service(sandbox: Sandbox) -> None:
    client = sdk_client(sandbox)
    message = client.messages.create(
        to=TO, messaging_service_sid=sandbox.messaging_service_sid, body="svc"
    )
    assert message.status == "accepted" and message.from_ is None
    assert message.messaging_service_sid == sandbox.messaging_service_sid
    stored = sandbox.messages()[0]
    assert stored["messaging_service_sid"] == sandbox.messaging_service_sid


async def test_async_client_create_fetch_list(sandbox: Sandbox) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = Client(sandbox.account_sid, sandbox.auth_token, http_client=http)
        client.api.base_url, client.edge, client.region = sandbox.base_url, None, None
        created = await client.messages.create_async(
            to=TO, from_=sandbox.phone_number, body="async"
        )
        fetched = await client.messages(created.sid).fetch_async()
        listed = await client.messages.list_async(to=TO, page_size=1)
        with pytest.raises(TwilioRestException) as info:
            await client.messages.create_async(to="+15005550001", from_="+15017122661", body="x")
    assert fetched.sid == created.sid and [m.sid for m in listed] == [created.sid]
    assert info.value.code == 21211


def test_raw_errors_have_twilio_shape(sandbox: Sandbox) -> None:
    import urllib.error
    import urllib.request

    url = f"{sandbox.base_url}/2010-04-01/Accounts/{sandbox.account_sid}/Messages.json"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Basic")
    body = json.loads(info.value.read())
    assert body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
