"""`smscast demo` in a real terminal: tmux, `send-keys`, `capture-pane`, launch to finish.

Runs `benchmarks/drive_demo_tmux.py` (a private tmux server, a temporary HOME) at 100x30 and
at 80x24, and checks what a person would have seen: the audience recounted when the filter
was toggled, the campaign finished with every included contact sent, a scripted reply
arriving and listed on Replies (8), History listing it, and a clean exit that left no demo
data behind. Skipped only when tmux is not installed.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "benchmarks" / "drive_demo_tmux.py"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def load_driver() -> ModuleType:
    """The driver script as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("drive_demo_tmux", DRIVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_demo_from_launch_to_a_finished_campaign(size: tuple[int, int]) -> None:
    driver = load_driver()
    result = driver.drive(size, timeout=90.0)

    assert result.exit_status == 0
    assert result.leftovers == []  # the demo removed its private data directory
    # the verified-only filter excluded some contacts, and turning it off recounted at once
    assert 0 < result.included < result.included_unfiltered
    # every included contact got a message that reached a final status; the rest were skipped
    sent = {status: n for status, n in result.counts.items() if status != "skipped"}
    assert sum(sent.values()) == result.included
    assert set(sent) <= {"delivered", "undelivered", "failed"}
    assert sent.get("delivered", 0) > 0
    finished = result.screens["send (finished)"]
    assert f"{result.included}/{result.included}" in finished
    # a scripted person texted back: counted on Send, listed on Replies with the kind
    assert result.replies > 0
    arrived = result.screens["send (a reply arrived)"]
    assert re.search(r"Replies: \d+", arrived)
    replies = result.screens["replies"]
    assert "▶8 Replies" in replies and "Latest reply" in replies
    assert re.search(r"\b(opt-out|opt-in|help|possible-opt-out|reply)\b", replies)
    history = result.screens["history"]
    assert "finished" in history and "sample_contacts.csv" in history
    # nothing on any screen looks like a traceback
    for title, screen in result.screens.items():
        assert "Traceback" not in screen, title
