"""`smscast demo` driven in a real terminal: tmux `send-keys` and `capture-pane`, from launch to
a finished campaign and a clean exit. Skipped where tmux is not installed.

The tmux server runs on its own socket (`-L`), so it never touches anyone else's sessions, and
HOME / XDG directories point into `tmp_path`, so the demo cannot see or write the person's data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """One tmux window on a private server."""

    def __init__(self, socket: str, session: str) -> None:
        self.socket, self.session = socket, session

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )
        return result.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.session, key)
            time.sleep(0.2)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, tries: int = 300) -> str:
        """The screen once it shows `text` (polled, bounded); fails with the last screen."""
        screen = ""
        for _ in range(tries):
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"never showed {text!r}; the screen was:\n{screen}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    socket = f"smscast-test-{os.getpid()}"
    term = Terminal(socket, "demo")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    assignments = " ".join(f"{k}='{v}'" for k, v in env.items())
    command = (
        f"cd '{REPO}' && env -i {assignments} '{sys.executable}' -m campaigns.cli demo; "
        "echo SMSCAST-EXIT=$?; sleep 60"
    )
    term.tmux("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", command)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_demo_in_a_real_terminal_from_launch_to_a_finished_campaign(terminal: Terminal) -> None:
    screen = terminal.wait_for("sample_contacts.csv: encoding")
    assert "▶2 Contacts" in screen
    terminal.keys("3")
    screen = terminal.wait_for("included (")
    assert "Verified numbers only" in screen and "excluded" in screen
    terminal.keys("5")
    terminal.wait_for("type SEND below")
    terminal.keys("s", "S", "E", "N", "D", "Enter")
    screen = terminal.wait_for("finished", tries=600)
    assert "▶6 Send" in screen
    assert "delivered" in screen
    assert "100%" in screen
    terminal.keys("C-q")
    screen = terminal.wait_for("SMSCAST-EXIT=")
    assert "SMSCAST-EXIT=0" in screen
    assert "Traceback" not in screen
