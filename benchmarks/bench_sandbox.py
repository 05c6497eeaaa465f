"""How many message creates per second the sandbox answers (target: at least 3,000/s).

The server runs in its own process (`python -m campaigns sandbox --full`); this process is the
client: raw aiohttp, 100 requests in flight, form-encoded POSTs with HTTP Basic auth like the
twilio SDK sends, a distinct To number per message (as in a campaign). The baseline in the same
run is an empty aiohttp handler served and loaded the same way (the ceiling of this setup).

    python benchmarks/bench_sandbox.py [--requests 20000] [--inflight 100]

Numbers are noisy on a shared machine: run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SID = "AC" + "b" * 32
TOKEN = "c" * 32
FROM = "+15017122661"


def _start(argv: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Start a server process and wait for its `READY <url>` line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("READY "):
            return proc, line.split()[1]
    raise RuntimeError(f"server did not start: {argv}")


def _serve_hello() -> None:
    """The baseline server: aiohttp with one empty handler, same bind and settings."""
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b"{}", status=201, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", hello)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"READY http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    base_url: str, requests: int, inflight: int, server_pid: int
) -> tuple[float, float, dict[int, int]]:
    """Send `requests` creates with `inflight` in flight; returns (seconds, status counts)."""
    url = f"{base_url}/2010-04-01/Accounts/{SID}/Messages.json"
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    headers = {
        "Authorization": auth,
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    bodies = [
        urlencode(
            {
                "To": f"+1415{2000000 + i:07d}",
                "From": FROM,
                "Body": f"Hi {i}, your order is ready for pickup.",
            }
        ).encode()
        for i in range(requests)
    ]
    statuses: dict[int, int] = {}
    next_index = 0
    connector = aiohttp.TCPConnector(limit=inflight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal next_index
            while next_index < requests:
                body = bodies[next_index]
                next_index += 1
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1

        # warm-up (connections, caches of the server) outside the measurement
        warm = min(500, requests)
        saved, requests_total = requests, warm
        requests = requests_total
        await asyncio.gather(*(worker() for _ in range(inflight)))
        requests, next_index, statuses = saved, warm, {}
        started, cpu = time.perf_counter(), _cpu_seconds(server_pid)
        await asyncio.gather(*(worker() for _ in range(inflight)))
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds(server_pid) - cpu
    return elapsed, cpu, statuses


def _measure(argv: list[str], label: str, requests: int, inflight: int) -> tuple[float, float]:
    """(requests per second, server CPU microseconds per request)."""
    proc, base_url = _start(argv)
    try:
        elapsed, cpu, statuses = asyncio.run(_load(base_url, requests, inflight, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    done = sum(statuses.values())
    rate, cpu_us = done / elapsed, cpu / done * 1e6
    print(
        f"{label:<34} {rate:>7,.0f} req/s  server CPU {cpu_us:5.0f} µs/req "
        f"(= {1e6 / cpu_us:,.0f}/s per core)  [{done:,} in {elapsed:.2f} s, {statuses}]"
    )
    return rate, cpu_us


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--inflight", type=int, default=100)
    parser.add_argument("--serve-hello", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello:
        _serve_hello()
        return 0
    print(
        f"{args.requests:,} POST Messages.json, {args.inflight} in flight, "
        f"server and client in separate processes (2 shared cores: noisy)"
    )
    hello, hello_cpu = _measure(
        [sys.executable, __file__, "--serve-hello"],
        "baseline: empty aiohttp handler",
        args.requests,
        args.inflight,
    )
    server = [sys.executable, "-m", "campaigns", "sandbox", "--full"]
    server += ["--account-sid", SID, "--auth-token", TOKEN]
    server += ["--speedup", "1000", "--concurrency-limit", "1000"]
    sandbox, sandbox_cpu = _measure(server, "sandbox: create message", args.requests, args.inflight)
    print(
        f"sandbox / baseline: {sandbox / hello:.0%} of the throughput; "
        f"{sandbox_cpu - hello_cpu:.0f} µs more server CPU per request than the empty handler"
    )
    print(
        f"target >= 3,000 creates/s: {'met' if sandbox >= 3000 else 'NOT met'} "
        f"({sandbox:,.0f}/s measured; the sandbox's own CPU allows {1e6 / sandbox_cpu:,.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
