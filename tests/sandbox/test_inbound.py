"""The sandbox's inbound messages and Twilio's default keyword handling, through the real SDK:
inbound Messages validate against the 2010 spec and list with the usual filters and paging;
an opt-out keyword makes later creates 21610 until START/YES/UNSTOP; keywords are whole
messages (a keyword inside a sentence is not one); Twilio's confirmations are outbound-reply
messages; scripted replies arrive after delivery.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.sandbox.inbound import CONFIRM_HELP, CONFIRM_OPT_IN, CONFIRM_OPT_OUT
from tests.sandbox.sdk import sdk_client
from tests.sandbox.test_spec_conformance import API, call, validate

PEOPLE = tuple(f"+1415555{n:04d}" for n in range(40))


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(verified=PEOPLE, speedup=1000.0)) as running:
        yield running


def _send(sb: Sandbox, to: str, *, service: bool = False) -> int | None:
    """Create one message; the error code, or None when it was accepted."""
    client = sdk_client(sb)
    try:
        if service:
            client.messages.create(to=to, messaging_service_sid=sb.messaging_service_sid, body="x")
        else:
            client.messages.create(to=to, from_=sb.phone_number, body="x")
    except TwilioRestException as exc:
        return int(exc.code)
    return None


def _text(sb: Sandbox, person: str, body: str) -> tuple[int, dict[str, object]]:
    return call(
        sb, "POST", "/_sandbox/inbound", {"From": person, "To": sb.phone_number, "Body": body}
    )


def test_inbound_message_validates_and_lists_by_to(sb: Sandbox) -> None:
    status, body = _text(sb, PEOPLE[0], "yes I'll come")
    assert status == 201
    validate(body, API + "/Messages/{Sid}.json", "get", "200")
    assert (body["direction"], body["status"], body["from"]) == ("inbound", "received", PEOPLE[0])
    assert body["date_sent"] is not None
    _send(sb, PEOPLE[1])  # an outbound message: not to our number, so not in the listing
    status, page = call(sb, "GET", API + f"/Messages.json?To={sb.phone_number.replace('+', '%2B')}")
    assert status == 200
    validate(page, API + "/Messages.json", "get", "200")
    assert [m["sid"] for m in page["messages"]] == [body["sid"]]


def test_inbound_paging_and_date_filter_through_the_sdk(sb: Sandbox) -> None:
    for n in range(25):
        sb.receive(PEOPLE[n], sb.phone_number, f"reply {n}")
    client = sdk_client(sb)
    since = datetime.now(UTC) - timedelta(minutes=1)
    got = client.messages.list(to=sb.phone_number, date_sent_after=since, page_size=10)
    assert len(got) == 25
    assert {m.direction for m in got} == {"inbound"}
    assert (
        client.messages.list(
            to=sb.phone_number, date_sent_after=datetime.now(UTC) + timedelta(minutes=1)
        )
        == []
    )


@pytest.mark.parametrize(
    ("body", "blocks"),
    [
        ("STOP", True),
        ("stop", True),
        ("  Stop  ", True),
        ("\tUnsubscribe\n", True),
        ("STOPALL", True),
        ("end", True),
        ("quit", True),
        ("revoke", True),
        ("optout", True),
        ("cancel", True),
        ("Stop.", True),  # assumed: one trailing . or ! (the stricter side)
        ("STOP PLEASE", False),  # Twilio: only single-word messages trigger the block
        ("please stop", False),
        ("stop texting me", False),
        ("STOP STOP", False),
        ("ST OP", False),
        ("OPT OUT", False),
        ("HELP", False),
        ("Stopp", False),
    ],
)
def test_opt_out_keyword_rules(sb: Sandbox, body: str, blocks: bool) -> None:
    person = PEOPLE[3]
    assert _send(sb, person) is None
    _text(sb, person, body)
    assert _send(sb, person) == (21610 if blocks else None)


def test_the_21610_loop_and_opt_in(sb: Sandbox) -> None:
    """STOP blocks the number and the Messaging Service; START lifts it; each keyword gets
    Twilio's confirmation as an outbound-reply message; HELP while opted out gets nothing."""
    person = PEOPLE[5]
    _text(sb, person, "STOP")
    assert _send(sb, person) == 21610
    assert _send(sb, person, service=True) == 21610
    _text(sb, person, "HELP")  # opted out: no help reply
    _text(sb, person, "start")
    assert _send(sb, person) is None
    assert _send(sb, person, service=True) is None
    _text(sb, person, "info")
    replies = [m for m in sb.messages(to=person) if m["direction"] == "outbound-reply"]
    assert [m["body"] for m in replies] == [CONFIRM_OPT_OUT, CONFIRM_OPT_IN, CONFIRM_HELP]
    assert {m["from"] for m in replies} <= {sb.phone_number, None}
    status, fetched = call(sb, "GET", API + f"/Messages/{replies[0]['sid']}.json")
    assert status == 200 and fetched["direction"] == "outbound-reply"
    validate(fetched, API + "/Messages/{Sid}.json", "get", "200")
    for word in ("YES", "UNSTOP"):
        _text(sb, person, "QUIT")
        assert _send(sb, person) == 21610
        _text(sb, person, word)
        assert _send(sb, person) is None


def test_control_endpoint_refuses_bad_input_and_needs_no_twilio_auth(sb: Sandbox) -> None:
    status, body = call(sb, "POST", "/_sandbox/inbound", {"From": "x", "To": sb.phone_number})
    assert (status, body["code"]) == (400, 21211)
    status, body = call(sb, "POST", "/_sandbox/inbound", {"From": PEOPLE[0], "To": "+19995550000"})
    assert (status, body["code"]) == (400, 21606)
    status, _ = call(
        sb,
        "POST",
        "/_sandbox/inbound",
        {"From": PEOPLE[0], "To": sb.phone_number, "Body": "hi"},
        auth=("nobody", "wrong"),
    )
    assert status == 201


def test_scripted_replies_arrive_after_delivery() -> None:
    config = SandboxConfig(
        verified=PEOPLE, speedup=1000.0, reply_share=1.0, reply_delay=2.0, seed=3
    )
    with Sandbox(config) as sb:
        client = sdk_client(sb)
        for person in PEOPLE[:12]:
            client.messages.create(to=person, from_=sb.phone_number, body="Party at 8")
        deadline = time.monotonic() + 5
        inbound: list[object] = []
        while time.monotonic() < deadline:
            inbound = client.messages.list(to=sb.phone_number)
            if len(inbound) >= 12:
                break
            time.sleep(0.02)
        assert len(inbound) >= 12
        bodies = {m.body for m in inbound}  # type: ignore[attr-defined]
        assert "STOP" in bodies and len(bodies) >= 3
