"""The send path's lean parts: the form encoder matches what aiohttp's FormData sent before, a
body with awkward characters reaches the sandbox intact through the real SDK, the fast create
reads an answer exactly as the SDK's MessageInstance does, the lean HTTP pool is used unless a
proxy is configured, the relaxed garbage collector is restored when the last session closes, and
the engine's lean journal read agrees with the full one."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.base import deserialize

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J
from campaigns.twilio.convert import rfc2822
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway
from campaigns.twilio.http_clients import form_encode

FROM = "+15017122661"

AWKWARD = [
    "",
    " ",
    "plain",
    "Hello 1, this is smscast.",
    "a+b=c&d=e%f/g?h#i~j_k.l-m",
    "café 😀 € ü ß 漢字",
    "line\nbreak\ttab\r\n",
    "\u2028\u00a0\x00\x7f",
]


def test_form_encode_is_exactly_urlencode() -> None:
    rng = random.Random(4)
    alphabet = [chr(c) for c in range(0x250)] + ["😀", "€", "漢", "\U0010ffff"]
    cases: list[dict[str, object]] = [{"Body": text, "To": "+14155550100"} for text in AWKWARD]
    for _ in range(500):
        cases.append(
            {
                "".join(rng.choices(alphabet, k=rng.randint(0, 4))): "".join(
                    rng.choices(alphabet, k=rng.randint(0, 30))
                )
                for _ in range(rng.randint(0, 5))
            }
        )
    # Non-string values and lists go the way urlencode(doseq=True) takes them.
    cases.append({"MediaUrl": ["https://x.test/a b.png", "https://x.test/é"], "Empty": []})
    cases.append({"ValidityPeriod": 3600, "SmartEncoded": "true", "MaxPrice": 0.5, "X": None})
    for data in cases:
        assert form_encode(data) == urlencode(list(data.items()), doseq=True), data


async def test_awkward_bodies_arrive_intact(sandbox: Sandbox) -> None:
    gateway = TwilioGateway(
        Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
        base_url=sandbox.base_url,
    )
    bodies = [text for text in AWKWARD if text.strip("\x00")]
    async with gateway.async_session() as session:
        sent = [await session.send(to="+14155550100", body=b, from_=FROM) for b in bodies]
    stored = {m["sid"]: m["body"] for m in sandbox.messages()}
    for record, body in zip(sent, bodies, strict=True):
        # The trial sandbox prefixes bodies like Twilio does; the text itself is intact.
        assert stored[record.sid].endswith(body)
        assert record.body == stored[record.sid]
    gateway.close()


async def test_the_fast_create_reads_answers_as_the_sdk_does(sandbox: Sandbox) -> None:
    """`send` without extras skips the SDK's MessageInstance; with an extra it goes through
    `messages.create_async`. Both must give the same record for the same kind of answer."""
    gateway = TwilioGateway(
        Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
        base_url=sandbox.base_url,
    )
    async with gateway.async_session() as session:
        fast = await session.send(to="+14155550100", body="same text", from_=FROM)
        # smart_encoded=False changes nothing in the message, but takes the SDK's own path.
        sdk = await session.send(
            to="+14155550101", body="same text", from_=FROM, smart_encoded=False
        )
        service = await session.send(
            to="+14155550102", body="same text", messaging_service_sid=sandbox.messaging_service_sid
        )
    gateway.close()
    assert fast.sid != sdk.sid and fast.sid.startswith("SM")
    for field in ("body", "status", "num_segments", "price", "error_code", "price_unit"):
        assert getattr(fast, field) == getattr(sdk, field), field
    assert (fast.to, fast.from_, sdk.to) == ("+14155550100", FROM, "+14155550101")
    for record in (fast, sdk):
        assert record.date_created is not None and record.date_created.tzinfo is not None
        assert type(record.num_segments) is int
    assert service.messaging_service_sid == sandbox.messaging_service_sid
    stored = {m["sid"]: m for m in sandbox.messages()}
    assert stored[fast.sid]["body"] == stored[sdk.sid]["body"]


@pytest.mark.parametrize(
    "text",
    [
        "Mon, 30 Nov 2026 02:57:55 +0000",
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "Sat, 29 Feb 2028 23:59:59 +0000",
        "Tue, 5 Mar 2024 09:08:07 GMT",
    ],
)
def test_message_dates_read_as_the_sdk_reads_them(text: str) -> None:
    assert rfc2822(text) == deserialize.rfc2822_datetime(text)


def test_other_date_shapes_and_junk() -> None:
    assert rfc2822("Mon, 30 Nov 2026 04:57:55 +0200") == datetime(
        2026, 11, 30, 2, 57, 55, tzinfo=UTC
    )
    for junk in (None, "", "yesterday", "Mon, 31 Feb 2026 02:57:55 +0000", 12):
        assert rfc2822(junk) is None


async def test_the_lean_pool_unless_a_proxy_is_configured(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with TwilioGateway(creds, base_url=sandbox.base_url).async_session() as session:
        assert session.transport == "lean"  # loopback never goes through a proxy
    async with TwilioGateway(creds).async_session() as session:  # api.twilio.com
        assert session.transport == "aiohttp"
    assert session.transport == ""
    monkeypatch.delenv("HTTPS_PROXY")
    for name in ("https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with TwilioGateway(creds).async_session() as session:
        assert session.transport == "lean"


async def test_relaxed_gc_is_restored_after_nested_sessions(sandbox: Sandbox) -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gateway = TwilioGateway(
        Credentials(sandbox.account_sid, sandbox.account_sid, sandbox.auth_token),
        base_url=sandbox.base_url,
    )
    async with gateway.async_session():
        assert gc.get_threshold()[0] >= 20_000
        async with gateway.async_session():
            assert gc.get_threshold()[0] >= 20_000
        assert gc.get_threshold()[0] >= 20_000  # the outer session is still open
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen  # what the TUI froze stays frozen
    gateway.close()


def test_send_rows_match_recipients(tmp_path: Path) -> None:
    journal = J.Journal.open(tmp_path / "j.db")
    later = datetime.now(UTC) + timedelta(hours=2)
    cid = journal.create_campaign(
        template="t",
        source_name="s.csv",
        source_sha256="0" * 64,
        sender=FROM,
        messaging_service_sid=None,
        settings={},
        recipients=[
            J.NewRecipient(2, "+14155550100", "one", 1, 0.01, {"n": "1"}),
            J.NewRecipient(3, "+14155550101", "two", 2, 0.02, not_before=later),
            J.NewRecipient(4, "+14155550102", "three", 1, 0.01, status=J.SKIPPED),
        ],
    )
    journal.apply(cid, [J.Outcome(2, "queued", sid="SM" + "1" * 32)])
    full = journal.recipients(cid)
    lean = journal.send_rows(cid)
    assert [(r.row, r.to, r.body, r.segments, r.status, r.sid, r.not_before) for r in full] == [
        (r.row, r.to, r.body, r.segments, r.status, r.sid, r.not_before) for r in lean
    ]
    assert lean[1].not_before == later
    journal.close()
