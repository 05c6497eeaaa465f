"""Status callbacks end to end: the sandbox posts signed callbacks (its own HMAC, not the
SDK's) to `campaigns.pipeline.listen.ReceiptServer`, whose desk checks them with the SDK's
`RequestValidator` and records them; forged, unsigned, stale, replayed and misdirected ones
change nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from engine_support import campaign, gateway_for, numbers, open_journal

from campaigns.cli.main import main
from campaigns.config.settings import load_settings
from campaigns.errors import InputError
from campaigns.pipeline.listen import ReceiptServer, check_callback_setup
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.sandbox.callbacks import signature
from campaigns.send.callbacks import CAMPAIGN_PARAM, ISSUED_PARAM, ReceiptDesk
from campaigns.send.engine import Engine, EngineOptions
from campaigns.store import journal as J
from campaigns.twilio.signatures import SignatureCheck

FAST = {"trial": False, "speedup": 1000.0, "accept_delay": 0.01}


async def _wait_final(journal: J.Journal, cid: str, count: int) -> dict[str, int]:
    deadline = time.monotonic() + 15
    while True:
        counts = journal.counts(cid)
        if sum(counts.get(s, 0) for s in J.FINAL_STATUSES) == count:
            return counts
        assert time.monotonic() < deadline, counts
        await asyncio.sleep(0.05)


async def test_signed_callbacks_out_of_order_are_recorded_forward_only(tmp_path: Path) -> None:
    config = SandboxConfig(
        **FAST, delivery_delay=300.0, undelivered_share=0.25, callback_disorder=0.5
    )  # type: ignore[arg-type]
    with Sandbox(config) as sandbox:
        journal = open_journal(tmp_path)
        cid = campaign(journal, numbers(40, 7000), sender="55501")
        with J.Journal.open(journal.path) as desk_journal:
            desk = ReceiptDesk(desk_journal, SignatureCheck(sandbox.auth_token).valid)
            answers = []
            server = ReceiptServer(desk, on_answer=answers.append)
            await server.start()
            try:
                # No tracking at all: only the callbacks can record the receipts.
                options = EngineOptions(
                    concurrency=10, track_seconds=0, status_callback=server.url + "/receipts"
                )
                result = await Engine(gateway_for(sandbox), journal, cid, options).run(
                    lambda e: None
                )
                assert result.state == "finished"
                await _wait_final(journal, cid, 40)
                await asyncio.sleep(0.3)  # the late `sent` callbacks too
            finally:
                await server.stop()
        twilio = {m["sid"]: m["status"] for m in sandbox.messages()}
        assert {r.sid: r.status for r in journal.recipients(cid)} == twilio
        log = sandbox.callback_log
        first_final: dict[str, int] = {}
        late = []
        for index, (sid, status, _) in enumerate(log):
            if status != "sent":
                first_final.setdefault(sid, index)
            elif sid in first_final:
                late.append(sid)
        assert late  # some `sent` callbacks came after the final one ...
        assert all(code == 200 for _, _, code in log)  # none refused
        assert any(a.text.startswith("no change") for a in answers)  # ... and changed nothing
        undelivered = [r for r in journal.recipients(cid) if r.status == "undelivered"]
        assert undelivered and all(r.error_code for r in undelivered)


async def test_forged_unsigned_stale_replayed_and_foreign_callbacks_change_nothing(
    tmp_path: Path,
) -> None:
    with Sandbox(SandboxConfig(**FAST, delivery_delay=1e9)) as sandbox:  # type: ignore[arg-type]
        journal = open_journal(tmp_path)
        mine = campaign(journal, numbers(2, 7100), sender="55501")
        other = campaign(journal, numbers(2, 7200), sender="55501")
        for cid in (mine, other):
            options = EngineOptions(concurrency=2, track_seconds=0)
            await Engine(gateway_for(sandbox), journal, cid, options).run(lambda e: None)
        sid = journal.recipients(mine)[0].sid
        foreign = journal.recipients(other)[0].sid
        assert sid and foreign
        desk = ReceiptDesk(journal, SignatureCheck(sandbox.auth_token).valid)
        server = ReceiptServer(desk)
        await server.start()
        try:

            def url(cid: str, issued: float) -> str:
                query = urlencode({CAMPAIGN_PARAM: cid, ISSUED_PARAM: int(issued)})
                return f"{server.url}/receipts?{query}"

            def form(message: str) -> dict[str, str]:
                return {"MessageSid": message, "MessageStatus": "delivered", "To": "+1"}

            async def post(
                target: str, data: dict[str, str], token: str = "", key: str = ""
            ) -> tuple[int, str]:
                headers = {"I-Twilio-Idempotency-Token": "t-" + data["MessageSid"]}
                if token:
                    headers["X-Twilio-Signature"] = signature(token, target, data)
                if key:
                    headers["X-Twilio-Signature"] = key
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(target, data=data, headers=headers) as answer,
                ):
                    return answer.status, await answer.text()

            now = time.time()
            good = url(mine, now)
            assert (await post(good, form(sid)))[0] == 403  # unsigned
            assert (await post(good, form(sid), token="not-the-token"))[0] == 403  # forged
            tampered = {**form(sid), "MessageStatus": "undelivered"}
            signed_other = signature(sandbox.auth_token, good, form(sid))
            assert (await post(good, tampered, key=signed_other))[0] == 403  # altered
            stale = url(mine, now - 41 * 86400)  # callbacks.MAX_AGE is 40 days
            assert (await post(stale, form(sid), token=sandbox.auth_token))[0] == 403
            # Signed, but the message is the other campaign's: 404, nobody changes.
            assert (await post(good, form(foreign), token=sandbox.auth_token))[0] == 404
            assert journal.counts(mine) == journal.counts(other) == {"queued": 2}
            # The real thing, then replayed: recorded once, the replay changes nothing.
            assert await post(good, form(sid), token=sandbox.auth_token) == (
                200,
                "queued -> delivered\n",
            )
            assert await post(good, form(sid), token=sandbox.auth_token) == (
                200,
                "already received\n",
            )
            assert journal.counts(mine) == {"queued": 1, "delivered": 1}
            assert journal.counts(other) == {"queued": 2}
        finally:
            await server.stop()


def test_the_sandbox_retries_a_callback_it_could_not_deliver(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sb = sandbox_factory(**FAST, delivery_delay=10.0)
    from tests.sandbox.sdk import sdk_client

    # Nothing listens on port 9 (discard): each callback is tried, then retried twice.
    sdk_client(sb).messages.create(
        to="+14155550100",
        from_="55501",
        body="hi",
        status_callback="http://127.0.0.1:9/receipts#rc=2",
    )
    deadline = time.monotonic() + 10
    while len(sb.callback_log) < 6:  # sent and delivered, three tries each
        assert time.monotonic() < deadline, sb.callback_log
        time.sleep(0.05)
    assert [code for _, _, code in sb.callback_log] == [0] * 6


def test_an_api_key_only_setup_is_told_callbacks_need_the_auth_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    args = [
        "listen",
        "--port",
        "8099",
        "--db",
        str(tmp_path / "j.db"),
        "--account-sid",
        "AC" + "0" * 32,
        "--api-key",
        "SK" + "1" * 32,
        "--api-secret",
        "s3cret-value",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "auth token" in err and "TWILIO_AUTH_TOKEN" in err and "s3cret-value" not in err
    with pytest.raises(SystemExit) as usage:  # a bad URL is a usage error
        main(["send", "c.csv", "--template", "Hi", "--status-callback", "ftp://host/x"])
    assert usage.value.code == 2 and "http" in capsys.readouterr().err
    with pytest.raises(InputError, match="http"):
        check_callback_setup(load_settings(), "ftp://host/x")
