"""Pilot tests: the app opens the files it exists for, and refuses the ones it cannot read.

A file past `PARALLEL_THRESHOLD` distinct numbers is checked in worker processes; inside the
running app `sys.stderr` is Textual's stand-in (fileno() -1), and multiprocessing's resource
tracker could not start from it. A pipe given as the contacts file would block the load (and
the quit) forever. Each test runs the real app, headless, with no Twilio account.
"""

from __future__ import annotations

import os
from multiprocessing import resource_tracker
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_support import sandbox_settings, until

from campaigns.contacts.checking import PARALLEL_THRESHOLD
from tui.app import SmscastApp

ROWS = 25_000


@pytest.fixture
def fresh_resource_tracker() -> None:
    """No resource tracker running yet, as in a freshly started `smscast FILE.csv` (an earlier
    test of this process may have started one, with pytest's real stderr)."""
    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is None:
        pytest.skip("this Python cannot stop its resource tracker")
    stop()


def big_file(folder: Path) -> Path:
    path = folder / "big.csv"
    lines = "".join(f"Person {i},+1415{2_000_000 + i:07d}\n" for i in range(ROWS))
    path.write_text("name,phone\n" + lines, encoding="utf-8")
    return path


def errors(app: SmscastApp) -> list[str]:
    """The error notifications the app has shown."""
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_the_app_opens_a_file_checked_in_worker_processes(
    tmp_path: Path, fresh_resource_tracker: None
) -> None:
    assert ROWS >= PARALLEL_THRESHOLD  # the workers' path, not the single-process one
    app = SmscastApp(settings=sandbox_settings(None, tmp_path), contacts_file=big_file(tmp_path))
    async with app.run_test() as pilot:
        assert await until(pilot, lambda: app.draft.book is not None or errors(app), 1200)
        assert errors(app) == []
        book = app.draft.book
        assert (book.rows, book.valid, book.invalid) == (ROWS, ROWS, 0)
        assert book.notes == []  # checked by the workers: no fallback was needed
        assert book.contacts[ROWS - 1].phone == f"+1415{2_000_000 + ROWS - 1:07d}"


async def test_a_pipe_typed_as_the_path_is_refused_and_the_app_still_quits(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    app = SmscastApp(settings=sandbox_settings(None, tmp_path))
    async with app.run_test() as pilot:
        await pilot.press("2", "o")
        app.screen.query_one("#path", Input).value = str(fifo)
        await pilot.press("enter")
        assert await until(pilot, lambda: errors(app))
        (message,) = errors(app)
        assert "pipe (FIFO), not a regular file" in message
        assert "saved" not in message.split("\n")[0]
        assert app.draft.book is None
        await pilot.press("ctrl+q")
    assert app.return_code == 0
