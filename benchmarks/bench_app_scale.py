"""The app at a million contacts: open, toggle a filter, edit the template, against today's code.

    python benchmarks/bench_app_scale.py [--rows 1000000 100000] [--keys 5] [--no-baseline]
                                         [--baseline-commit 9414c3e]

For each size it writes a contacts CSV (`bench_contacts.generate`: four columns, distinct
numbers from nine countries in mixed formats), times `smscast check FILE` (wall time of the
command), then drives the real `SmscastApp` headless (`App.run_test`, 100x30, no Twilio
account, quiet hours on) in a fresh process, as a person would:

1. open the file: from the process's launch to the audience counted on screen (the Contacts
   counts come first), set against the `smscast check` time;
2. Audience (3), then the quiet-hours filter toggled (h) four times: each from the key to the
   new count on screen;
3. Compose (4): the first totals; then the template editor (ctrl+e) and `--keys` keystrokes,
   each from the key to the preview showing it, and to the totals of the new template on
   screen; then the same keys typed in one burst, to the totals.

Keys are given to the app as its terminal driver would (`send_key`), each timed from that
moment to the screen showing its effect. A heartbeat coroutine sleeps 10 ms in a loop all
along (the method of `bench_tui.py`) and records how late it wakes: the event-loop lag a
person feels as a frozen screen. Peak RSS is
the app process's own (`ru_maxrss`; the number-checking worker processes are printed apart).

The baseline, in the same run, is the same drive of the app as it was before issue 15 (the
commit `--baseline-commit`, extracted with `git archive` into a temporary folder): its
whole-recompute path (a list of `Contact`s per stage, a `PlannedMessage` per recipient at
every edit). It is slow at a million rows (minutes); `--no-baseline` skips it.

Targets at 1,000,000 contacts: open -> counts <= 1.3x `smscast check`; a filter toggle <=
0.5 s; a keystroke -> preview <= 50 ms, -> totals <= 2 s; loop lag p95 <= 50 ms; peak RSS
<= 1 GB. Noisy on a shared machine: run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HEARTBEAT = 0.010
SIZE = (100, 30)
POLL = 0.002
#: What each keystroke types into the template (a mark the preview must show).
MARK = "Zq"


# ------------------------------------------------------------------------ the child (one app)


def wait_for(condition: Callable[[], object], timeout: float = 600.0) -> Any:
    """Poll `condition` on the event loop (every `POLL` s) until it is true; its value."""

    async def poll() -> Any:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            value = condition()
            if value:
                return value
            await asyncio.sleep(POLL)
        raise TimeoutError(f"the app did not get there in {timeout:.0f} s")

    return poll()


def send_key(app: Any, key: str) -> None:
    """Give the app a key as the terminal driver does, and return at once.

    Not `pilot.press`: it then waits until the whole process is idle (Textual's
    `wait_for_idle` compares CPU time with wall time, and a worker thread computing counts as
    busy) up to a second, twice per key, which would be timed as the app's own delay.
    """
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


def text_of(app: Any, selector: str) -> str:
    """The text a Static shows now (on the visible screen)."""
    try:
        return str(app.screen.query_one(selector).content)
    except Exception:
        return ""


async def drive(path: str, launched: float, keys: int) -> dict[str, Any]:
    """Drive the app over `path`; the timings (seconds unless said) and the loop lags."""
    from campaigns.config.settings import load_settings
    from tui.app import SmscastApp

    data = Path(tempfile.mkdtemp(prefix="bench-app-scale-"))
    settings = load_settings(
        data_dir=data,
        db_path=data / "journal.db",
        config_path=data / "no-config.toml",
        env={},
        cwd=data,
    )
    lags: list[float] = []
    stop = asyncio.Event()

    async def heartbeat() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(HEARTBEAT)
            lags.append((time.perf_counter() - before - HEARTBEAT) * 1000)
            beats.append(time.perf_counter())

    beats: list[float] = []
    result: dict[str, Any] = {"phases": [("open", time.perf_counter())]}
    app = SmscastApp(settings=settings, contacts_file=path, quiet_hours=True)
    beat = asyncio.create_task(heartbeat())
    async with app.run_test(size=SIZE) as pilot:
        try:
            await _steps(app, pilot, result, launched, keys)
        except TimeoutError as error:
            raise TimeoutError(
                f"{error}; focus {app.focused}, template {app.draft.template_text!r}, preview "
                f"{text_of(app, '#preview')!r}, totals {text_of(app, '#totals')!r}"
            ) from None
        stop.set()
        await beat
        await pilot.press("ctrl+q")
    result["lags_ms"] = lags
    result["beats"] = beats
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_rss_mb"] = own / 1024
    result["children_peak_rss_mb"] = children / 1024
    return result


async def _steps(app: Any, pilot: Any, result: dict[str, Any], launched: float, keys: int) -> None:
    """The person's steps (see the docstring), timed into `result`."""
    if True:
        draft = app.draft
        await wait_for(lambda: " rows: " in text_of(app, "#file-summary"))
        result["open_to_contacts_counts"] = time.time() - launched
        await wait_for(lambda: draft.audience is not None)
        result["open_to_audience_counts"] = time.time() - launched
        result["valid"] = draft.book.valid
        result["phases"].append(("toggles", time.perf_counter()))
        await pilot.press("3")
        summary = await wait_for(
            lambda: re.search(r"\((\d+) deferred", text_of(app, "#audience-summary"))
        )
        deferred_on = int(summary.group(1))
        toggles = []
        for expected in (0, deferred_on, 0, deferred_on):
            started = time.perf_counter()
            send_key(app, "h")
            await wait_for(
                lambda want=expected: f"({want} deferred" in text_of(app, "#audience-summary")
            )
            toggles.append(time.perf_counter() - started)
        result["toggles"] = toggles
        result["deferred"] = deferred_on
        started = time.perf_counter()
        result["phases"].append(("first totals", started))
        await pilot.press("4")
        await wait_for(lambda: totals_shown(app))
        result["first_totals"] = time.perf_counter() - started
        await pilot.press("ctrl+e")
        result["phases"].append(("keys", time.perf_counter()))
        previews, totals = [], []
        for i in range(keys):
            shown = text_of(app, "#preview")
            old_plan = draft.plan
            started = time.perf_counter()
            send_key(app, MARK[i % 2])
            await wait_for(lambda s=shown: text_of(app, "#preview") not in ("", s))
            previews.append(time.perf_counter() - started)
            await wait_for(lambda p=old_plan: draft.plan is not p and totals_shown(app))
            totals.append(time.perf_counter() - started)
        result["key_to_preview"] = previews
        result["key_to_totals"] = totals
        started = time.perf_counter()
        result["phases"].append(("burst", started))
        old_plan = draft.plan
        for i in range(keys):  # as fast as a terminal delivers them
            send_key(app, MARK[i % 2])
        await wait_for(lambda: draft.plan is not old_plan and totals_shown(app))
        result["burst_to_totals"] = time.perf_counter() - started
        result["template_ok"] = MARK in draft.template_text


def totals_shown(app: Any) -> bool:
    """The Compose totals line shows the draft's plan."""
    plan = app.draft.plan
    if plan is None:
        return False
    return f"Totals: {plan.summary.messages} messages" in text_of(app, "#totals")


def child(path: str, launched: float, keys: int) -> None:
    result = asyncio.run(drive(path, launched, keys))
    print(json.dumps(result))


# ------------------------------------------------------------------------------- the parent


def run_child(path: Path, keys: int, code_dir: Path) -> dict[str, Any]:
    """One drive in a fresh process with `code_dir` first on the path (this tree or the
    baseline's)."""
    env = dict(os.environ, PYTHONPATH=str(code_dir))
    launched = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(launched), str(keys)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=code_dir,
    )
    if done.returncode != 0:
        raise SystemExit(f"the drive failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_seconds(path: Path) -> float:
    """Wall time of `smscast check FILE` (this tree), as a person runs it."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "campaigns.cli.main", "check", str(path)],
        env=env,
        capture_output=True,
        check=False,
        cwd=REPO,
    )
    return time.perf_counter() - started


def baseline_tree(commit: str, folder: Path) -> Path:
    """The app's code at `commit` (campaigns/ and tui/), extracted into `folder`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "campaigns", "tui"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def p95(values: list[float]) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def phase_lags(r: dict[str, Any]) -> str:
    """Loop lag p95 / max per phase of the drive."""
    marks = [*r["phases"], ("end", float("inf"))]
    parts = []
    for (name, start), (_, end) in itertools.pairwise(marks):
        lags = [lag for at, lag in zip(r["beats"], r["lags_ms"], strict=True) if start <= at < end]
        parts.append(f"{name} p95 {p95(lags):.0f} max {max(lags or [0]):.0f}")
    return "  loop lag (ms) by phase: " + "; ".join(parts)


def line(name: str, r: dict[str, Any], check: float) -> str:
    lags = r["lags_ms"]
    return (
        f"{name:<9} open->counts {r['open_to_audience_counts']:6.2f} s"
        f" ({r['open_to_audience_counts'] / check:4.2f}x check;"
        f" contacts {r['open_to_contacts_counts']:5.2f} s)"
        f" | toggle max {max(r['toggles']):6.3f} s"
        f" | first totals {r['first_totals']:6.2f} s"
        f" | key->preview max {max(r['key_to_preview']) * 1000:7.1f} ms"
        f" | key->totals max {max(r['key_to_totals']):6.2f} s, burst {r['burst_to_totals']:6.2f} s"
        f" | lag p50 {statistics.median(lags or [0]):5.1f} p95 {p95(lags):6.1f}"
        f" max {max(lags or [0]):7.1f} ms"
        f" | peak RSS {r['peak_rss_mb']:6.0f} MB (checkers {r['children_peak_rss_mb']:.0f} MB)"
    )


def details(r: dict[str, Any]) -> str:
    """Each toggle and keystroke, in order."""

    def each(values: list[float], scale: float = 1.0) -> str:
        return " ".join(f"{v * scale:.{0 if scale > 1 else 2}f}" for v in values)

    return (
        f"  toggles (s): {each(r['toggles'])}; key->preview (ms): "
        f"{each(r['key_to_preview'], 1000)}; key->totals (s): {each(r['key_to_totals'])}"
    )


def verdict(r: dict[str, Any], check: float) -> str:
    checks = {
        "open<=1.3x check": r["open_to_audience_counts"] <= 1.3 * check,
        "toggle<=0.5s": max(r["toggles"]) <= 0.5,
        "key->preview<=50ms": max(r["key_to_preview"]) <= 0.050,
        "key->totals<=2s": max(r["key_to_totals"]) <= 2.0,
        "lag p95<=50ms": p95(r["lags_ms"]) <= 50.0,
        "RSS<=1GB": r["peak_rss_mb"] <= 1024,
    }
    return "  targets: " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in checks.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 100_000])
    parser.add_argument("--keys", type=int, default=5, help="keystrokes timed one by one")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-commit", default="9414c3e")
    parser.add_argument("--child", nargs=3, metavar=("FILE", "LAUNCHED", "KEYS"))
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], float(args.child[1]), int(args.child[2]))
        return 0
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_contacts import generate

    with tempfile.TemporaryDirectory(prefix="bench-app-scale-") as folder:
        base = None
        if not args.no_baseline:
            base = baseline_tree(args.baseline_commit, Path(folder) / "baseline")
        for rows in args.rows:
            path = Path(folder) / f"contacts-{rows}.csv"
            generate(path, rows)
            check = check_seconds(path)
            size = path.stat().st_size / 1e6
            print(f"{rows:,} contacts ({size:.0f} MB): smscast check {check:.2f} s")
            now = run_child(path, args.keys, REPO)
            print(line("now", now, check))
            print(details(now))
            print(phase_lags(now))
            print(verdict(now, check))
            if base is not None:
                before = run_child(path, min(args.keys, 3), base)
                print(line(f"{args.baseline_commit}", before, check))
                print(details(before))
                print(phase_lags(before))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
