"""Benchmark: receiving status callbacks on the engine's event loop (the app's listener).

One run, two listeners over the same journal (a campaign of `--rows` messages, 100,000, every
row with its SID, as during a big send): N signed callbacks (`--callbacks`, 5,000; 20 posted
at a time, the sandbox's own concurrency) are posted to each, while a ticker on the same event
loop measures how late it runs (the engine's loop in the app: a late tick is a late send):
1. the desk on the event loop (before: `ReceiptDesk.receive` called in the request handler);
2. the desk on its own thread (now: `ReceiptServer`'s one desk thread).
Every callback is for a SID of the campaign and moves it forward (queued -> delivered), so each
is a compare-and-set write with its fsync. Printed for each: callbacks per second, and the
loop's lag (p50, p99, max). Also the cost of a look at held receipts at that size: a read of
the campaign's SIDs, against the write mark that now decides whether to read them.

Usage: python benchmarks/bench_callbacks.py [--rows 100000] [--callbacks 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from campaigns.pipeline.listen import ReceiptServer
from campaigns.sandbox.callbacks import signature
from campaigns.send.callbacks import CAMPAIGN_PARAM, ISSUED_PARAM, ReceiptDesk
from campaigns.store import journal as J
from campaigns.twilio.signatures import SignatureCheck

TOKEN = "bench-auth-token"
CONCURRENT = 20


class InlineServer(ReceiptServer):
    """The listener as it was: the desk's journal work on the event loop."""

    async def _handle(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        url = f"{self.url}{request.path_qs}"
        answer = self.desk.receive(url, form, request.headers)
        return web.Response(status=answer.status, text=answer.text + "\n")


def make_journal(path: Path, rows: int) -> str:
    journal = J.Journal.open(path)
    recipients = [
        J.NewRecipient(i + 2, f"+1415{2_000_000 + i:07d}", "Hi", 1, 0.0079, {}) for i in range(rows)
    ]
    cid = journal.create_campaign(
        template="Hi",
        source_name="bench.csv",
        source_sha256="0" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        recipients=recipients,
        settings={},
    )
    journal.apply(cid, [J.Outcome(i + 2, "queued", sid=f"SM{i:032x}") for i in range(rows)])
    journal.close()
    return cid


async def run(server: ReceiptServer, cid: str, first: int, count: int) -> tuple[float, list[float]]:
    """Post `count` callbacks (SIDs from `first`); (seconds, the ticker's lags)."""
    await server.start()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    query = urlencode({CAMPAIGN_PARAM: cid, ISSUED_PARAM: int(time.time())})
    url = f"{server.url}/receipts?{query}"
    queue = list(range(first, first + count))
    tick = asyncio.ensure_future(ticker())
    began = time.perf_counter()
    async with aiohttp.ClientSession() as http:

        async def poster() -> None:
            while queue:
                i = queue.pop()
                form = {"MessageSid": f"SM{i:032x}", "MessageStatus": "delivered", "To": "+1"}
                headers = {"X-Twilio-Signature": signature(TOKEN, url, form)}
                async with http.post(url, data=form, headers=headers) as answer:
                    assert answer.status == 200, await answer.text()

        await asyncio.gather(*(poster() for _ in range(CONCURRENT)))
    elapsed = time.perf_counter() - began
    done.set()
    await tick
    await server.stop()
    return elapsed, lags


def show(name: str, count: int, elapsed: float, lags: list[float]) -> None:
    ms = sorted(lag * 1000 for lag in lags)
    p99 = ms[int(len(ms) * 0.99) - 1] if ms else 0.0
    print(
        f"{name:34}{count / elapsed:>10,.0f}/s  loop lag p50 {statistics.median(ms):6.2f} ms"
        f"  p99 {p99:7.2f} ms  max {ms[-1]:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--callbacks", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        cid = make_journal(path, args.rows)
        n = min(args.callbacks, args.rows // 2)
        results = []
        for name, kind, first in (
            ("desk on the loop (before)", InlineServer, 0),
            ("desk on its own thread (now)", ReceiptServer, n),
        ):
            with J.Journal.open(path) as journal:
                desk = ReceiptDesk(journal, SignatureCheck(TOKEN).valid)
                elapsed, lags = asyncio.run(run(kind(desk), cid, first, n))
                assert journal.counts(cid).get("delivered", 0) == first + n
            results.append((name, elapsed, lags))
        print(f"{n:,} signed callbacks, journal of {args.rows:,} rows, {CONCURRENT} at a time")
        for name, elapsed, lags in results:
            show(name, n, elapsed, lags)
        with J.Journal.open(path) as journal:
            began = time.perf_counter()
            for _ in range(5):
                journal.sids(cid)
            read = (time.perf_counter() - began) / 5
            began = time.perf_counter()
            for _ in range(1000):
                journal.write_mark()
            mark = (time.perf_counter() - began) / 1000
        print(
            f"a look at held receipts: read {args.rows:,} SIDs {read * 1000:.1f} ms "
            f"(before: each second while one is held); write mark {mark * 1e6:.1f} us "
            "(now: the SIDs are read only when it moved)"
        )


if __name__ == "__main__":
    main()
