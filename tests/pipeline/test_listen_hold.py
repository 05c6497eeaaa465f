"""The listener looks at its desk's held receipts on a timer: a callback posted over HTTP for
a message whose send the journal has not recorded yet is answered 200 "held", applied once
the row gets the SID, and told to the log (`on_answer`: `smscast listen` prints a line);
one held past the limit is dropped with a line too."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from engine_support import campaign, numbers, open_journal

from campaigns.errors import JournalError
from campaigns.pipeline.listen import ReceiptServer
from campaigns.sandbox.callbacks import signature
from campaigns.send.callbacks import CAMPAIGN_PARAM, ISSUED_PARAM, Answer, ReceiptDesk
from campaigns.store import journal as J
from campaigns.twilio.signatures import SignatureCheck

TOKEN = "the-auth-token"


async def post(url: str, sid: str) -> tuple[int, str]:
    form = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+14152000000"}
    headers = {"X-Twilio-Signature": signature(TOKEN, url, form)}
    async with aiohttp.ClientSession() as http, http.post(url, data=form, headers=headers) as r:
        return r.status, await r.text()


async def until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def test_the_listener_applies_a_held_receipt_once_the_send_is_recorded(
    tmp_path: Path,
) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(2))
    told: list[Answer] = []
    with J.Journal.open(journal.path) as desk_journal:
        desk = ReceiptDesk(desk_journal, SignatureCheck(TOKEN).valid, hold_seconds=0.5)
        server = ReceiptServer(desk, on_answer=told.append, held_interval=0.05)
        await server.start()
        try:
            query = urlencode({CAMPAIGN_PARAM: cid, ISSUED_PARAM: int(time.time())})
            url = f"{server.url}/receipts?{query}"
            early, never = "SM" + "1" * 32, "SM" + "2" * 32
            assert await post(url, early) == (
                200,
                f"held: {early} (delivered) is not recorded yet\n",
            )
            assert (await post(url, never))[0] == 200
            journal.apply(cid, [J.Outcome(2, "queued", sid=early)])  # the engine's commit
            await until(lambda: journal.status_of(cid, 2) == "delivered")
            await until(lambda: any("dropped" in a.text for a in told))
        finally:
            await server.stop()
    later = [a.text for a in told if a.later]
    assert later == [
        f"held {early}: queued -> delivered",
        f"dropped the held receipt of {never} (delivered): no row had its SID after 0.5 s; "
        "the sweeps read it",
    ]
    assert journal.counts(cid) == {"delivered": 1, "pending": 1}


class _FlakyDesk(ReceiptDesk):
    """A desk whose journal is busy for its first two rounds of held receipts."""

    rounds = 0

    def apply_held(self) -> list[Answer]:
        self.rounds += 1
        if self.rounds <= 2:
            raise JournalError("The journal is busy.", "database is locked")
        return super().apply_held()


async def test_a_failing_round_of_held_receipts_does_not_stop_the_timer(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(1))
    with J.Journal.open(journal.path) as desk_journal:
        desk = _FlakyDesk(desk_journal, SignatureCheck(TOKEN).valid)
        server = ReceiptServer(desk, held_interval=0.02)
        await server.start()
        try:
            query = urlencode({CAMPAIGN_PARAM: cid, ISSUED_PARAM: int(time.time())})
            early = "SM" + "3" * 32
            assert (await post(f"{server.url}/receipts?{query}", early))[0] == 200
            journal.apply(cid, [J.Outcome(2, "queued", sid=early)])  # row 2: the first data row
            # Applied by a later round, after the two that failed.
            await until(lambda: journal.status_of(cid, 2) == "delivered")
            assert desk.rounds > 2
        finally:
            await server.stop()  # the failures were the rounds', not the stop's
