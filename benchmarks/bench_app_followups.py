"""Benchmark: a retry and a follow-up made in the app from History, on a big campaign.

Usage: python benchmarks/bench_app_followups.py [--rows 100000]

The journal of `bench_followups.py` (a campaign of N recipients, 15% failed over four codes,
and one retry of its 30003s, half of them delivered on the second try). Times, in the same
run:
- baseline: `smscast retry ID` (the command line's dry run of the same retry: the people,
  the audience, the plan, the repeat check; process start included);
- the app (headless, 100x30, no account: the built-in prices): History's `t` on the
  campaign until Review shows the retry's plan; then `f` until the follow-up's choice of
  who shows its five counts.
No target was set: the app does the command line's work (in workers), so it is compared with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_followups import _build

from campaigns.config.settings import load_settings


async def _in_the_app(db: Path, root: str, folder: Path) -> tuple[float, float, int]:
    from textual.widgets import DataTable

    from tui.app import SmscastApp
    from tui.screens.follow_up import FollowUpDialog

    settings = load_settings(
        data_dir=folder, db_path=db, config_path=folder / "none.toml", env={}, cwd=folder
    )
    app = SmscastApp(settings=settings, db_path=db, quiet_hours=False)
    async with app.run_test(size=(100, 30)) as pilot:

        async def until(condition: object) -> None:
            while not condition():  # type: ignore[operator]
                await pilot.pause(0.01)

        await pilot.press("7")
        table = app.screen.query_one("#campaigns", DataTable)
        await until(lambda: table.row_count == 2)
        table.move_cursor(row=table.get_row_index(root))
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("t")
        await until(lambda: app.current_mode == "review" and app.draft.plan is not None)
        retry = time.perf_counter() - start
        planned = app.draft.plan.summary.messages if app.draft.plan is not None else 0
        await pilot.press("7")
        await until(lambda: app.current_mode == "history")
        table = app.screen.query_one("#campaigns", DataTable)
        table.move_cursor(row=table.get_row_index(root))
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("f")
        await until(lambda: isinstance(app.screen, FollowUpDialog) and app.screen.choices)
        choices = time.perf_counter() - start
    return retry, choices, planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = folder / "bench.db"
        root = _build(db, args.rows)
        print(f"{args.rows:,} recipients and one retry")
        env = {**os.environ, "HOME": str(folder)}
        for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY"):
            env.pop(key, None)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "campaigns.cli.main", "retry", root, "--db", str(db)],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        baseline = time.perf_counter() - start
        said = next((line for line in done.stdout.splitlines() if "Retry of" in line), "")
        print(f"  baseline: smscast retry (dry run)   {baseline:6.2f} s   {said[:70]}")
        if done.returncode != 0:
            print(f"  (exit {done.returncode}: {done.stderr.strip()[:200]})")
        retry, choices, planned = asyncio.run(_in_the_app(db, root, folder))
        print(
            f"  app: t -> Review's plan            {retry:6.2f} s   {planned:,} messages "
            f"({retry / baseline:.2f}x the baseline)"
        )
        print(f"  app: f -> the choice of who         {choices:6.2f} s")


if __name__ == "__main__":
    main()
