"""Make the README's screenshots: SVGs of the main screens of `smscast demo`, at 100x30.

    python docs/make_screenshots.py [--out docs/screenshots] [--size 100x30]

It starts the demo exactly as `smscast demo` does (`campaigns.pipeline.demo.DemoEnvironment`: the
built-in sandbox's trial account, `sample_contacts.csv`, a private temporary journal), runs
the app headless (`App.run_test`) and walks through it by keyboard: Contacts, Audience
(excluded tab), Compose, Review with SEND typed, Send while the campaign is going out and once
it has finished, then History. Sending is paced (a few messages a second) so the "while
sending" picture shows a campaign part-way. Each screen is saved with
`App.export_screenshot` as `<out>/<NN>-<name>.svg`; the files written are printed.

Campaign ids and message SIDs are whatever the run produced (they are not fixed, unlike the
snapshot tests' pictures in `tests/tui/__snapshots__/`).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere in a source checkout
    sys.path.insert(0, str(REPO))

#: Segments a second while the screenshots are taken (the demo itself sends unpaced).
SCREENSHOT_RATE = 4.0
#: The "while sending" picture is taken once this share of recipients has an answer.
MID_SEND_SHARE = 0.4


async def until(pilot: Any, what: str, condition: Callable[[], object], tries: int = 1200) -> None:
    """Let the app run until `condition()` holds (bounded by `tries` pauses of 50 ms)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise RuntimeError(f"the app never reached: {what}")


async def settle(pilot: Any) -> None:
    """Let refreshes and animations finish; no blinking cursor in the pictures."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.pause()


async def shoot(app: Any, size: tuple[int, int], out: Path) -> list[Path]:
    """Walk through the demo app and save the screens; the files written, in order."""
    written: list[Path] = []

    async with app.run_test(size=size) as pilot:

        async def save(name: str) -> None:
            await settle(pilot)
            path = out / f"{len(written) + 1:02d}-{name}.svg"
            path.write_text(app.export_screenshot(title="smscast demo"), encoding="utf-8")
            written.append(path)

        async def go(key: str, mode: str) -> None:
            await pilot.press(key)
            await until(pilot, f"the {mode} screen", lambda: app.current_mode == mode)

        draft = app.draft
        await until(
            pilot,
            "the account, contacts, audience and plan",
            lambda: None not in (draft.account, draft.book, draft.audience, draft.plan),
        )
        await go("2", "contacts")
        await save("contacts")
        await go("3", "audience")
        await pilot.press("x")  # the excluded contacts, with their reasons
        await save("audience")
        await pilot.press("i")
        await go("4", "compose")
        await save("compose")
        await go("5", "review")
        await pilot.press("s", *"SEND")
        await save("review")
        await pilot.press("enter")
        await until(pilot, "the campaign starting", lambda: app.runner is not None)
        screen = app.send_screen

        def answered() -> int:
            counts = screen.counts if screen is not None else {}
            return sum(n for s, n in counts.items() if s not in ("pending", "inflight", "skipped"))

        await until(
            pilot,
            "the campaign part-way",
            lambda: screen is not None and answered() >= MID_SEND_SHARE * len(draft.plan.messages),
        )
        await save("send-running")
        await until(
            pilot,
            "the campaign finished",
            lambda: screen is not None and screen.state == "finished" and not draft.sending,
        )
        await save("send-finished")
        await go("7", "history")
        await until(pilot, "History listing the campaign", lambda: bool(draft.history))
        await save("history")
        await pilot.press("ctrl+q")
    return written


def parse_size(text: str) -> tuple[int, int]:
    """'100x30' -> (100, 30)."""
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError("give the size as COLUMNSxLINES, e.g. 100x30")
    return int(match.group(1)), int(match.group(2))


def main(argv: list[str] | None = None) -> int:
    """Start the demo, take the screenshots, print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--size", type=parse_size, default=(100, 30), help="COLUMNSxLINES")
    args = parser.parse_args(argv)

    from campaigns.pipeline.demo import DemoEnvironment
    from campaigns.send.engine import EngineOptions
    from tui.app import SmscastApp

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("[0-9][0-9]-*.svg"):
        old.unlink()
    with DemoEnvironment.start() as env:
        app = SmscastApp(
            settings=env.settings,
            contacts_file=env.contacts_file,
            db_path=env.settings.db_path,
            demo=True,
            engine_options=EngineOptions(rate=SCREENSHOT_RATE, concurrency=2),
        )
        written = asyncio.run(shoot(app, args.size, args.out))
    for path in written:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
