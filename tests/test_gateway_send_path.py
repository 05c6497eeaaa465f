"""The send path's lean parts: the form encoder matches what aiohttp's FormData sent before, a
body with awkward characters reaches the sandbox intact through the real SDK, the relaxed
garbage collector is restored when the last session closes, and the engine's lean journal read
agrees with the full one."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from campaigns import journal as J
from campaigns.sandbox import Sandbox
from campaigns.settings import Credentials
from campaigns.twilio_gateway import TwilioGateway, form_encode

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
