"""Drive `smscast demo` in a real terminal (tmux), from launch to a finished campaign.

    python benchmarks/drive_demo_tmux.py [--size 100x30] [--timeout 90] [--quiet]
                                         [--contacts FILE --review-only]

It starts `smscast demo` in a detached tmux session of exactly that size, on a private tmux
server (`tmux -L <unique name>`, no config file, no status line) so it never touches another
session, then types what a person would: look at the contacts and the account (waiting for
it to load: a filter toggled before then is reset to the account's default), open the
audience and toggle the verified-only filter off and on again (the counts change), open
Compose, then Review, type SEND and Enter, watch the campaign finish on the Send screen, wait
for one of the demo's scripted people to text back (the Send screen's reply count), open
Replies (8) and see the thread, and quit with ctrl+q. After each key it reads the screen with
`capture-pane -p` and waits (polling, with a deadline) for the text that proves the key
worked; it prints the screen at the key points.

Nothing outside a temporary directory is touched: HOME, the XDG directories, TMPDIR (where the
demo makes its private data directory) and SMSCAST_DB all point inside it, and Twilio
credentials are removed from the environment. The script checks the demo removed its data
directory on exit. The tmux server is killed in a `finally`.

It prints the time from launch to the first screen and to the finished campaign (the demo's
speed as a person sees it; noisy on a loaded machine). Exit status 0 when every step was
seen, 1 otherwise. `tests/e2e/test_demo_tmux.py` runs it under pytest.

`--contacts FILE` runs the demo on that file instead of the bundled sample (`smscast demo
FILE`; the sandbox verifies two thirds of its numbers), and prints how long each step took
from its key (the app at a million rows, issue 15); `--review-only` stops at Review, once it
offers SEND (the plan is ready), and quits there: a million-row campaign is not sent.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaigns.store.statuses import DISPLAY_ORDER, to_text

REPO = Path(__file__).resolve().parent.parent
POLL = 0.1
#: The recipient statuses the Send screen counts.
STATUSES = DISPLAY_ORDER
#: Printed by the shell after smscast exits, with the exit status.
EXIT_MARK = "[smscast exited with status]"


class DriveError(RuntimeError):
    """A step did not show what it should have; carries the last screen seen."""

    def __init__(self, message: str, screen: str) -> None:
        super().__init__(f"{message}\n--- last screen ---\n{screen}\n-------------------")
        self.screen = screen


@dataclass
class DriveResult:
    """What the run saw: the screens at the key points, the exit status and the timings."""

    size: tuple[int, int]
    screens: dict[str, str] = field(default_factory=dict)
    exit_status: int | None = None
    first_screen_seconds: float = 0.0
    finished_seconds: float = 0.0
    included: int = 0
    included_unfiltered: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    replies: int = 0  # on the Send screen's reply line, once one had arrived
    leftovers: list[str] = field(default_factory=list)
    #: Seconds each step took, from its key to the screen that proves it (in order).
    steps: dict[str, float] = field(default_factory=dict)


class Terminal:
    """One tmux session on a private server: send keys, read the screen."""

    def __init__(self, socket: str, size: tuple[int, int], workdir: Path) -> None:
        self.socket = socket
        self.size = size
        self.config = workdir / "tmux.conf"
        self.config.write_text(
            "set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n",
            encoding="utf-8",
        )

    def tmux(self, *args: str, check: bool = True) -> str:
        """Run a tmux command on this private server; its stdout."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        """Open the session running `command` (the pane stays after it exits)."""
        width, height = self.size
        exports = [f"{key}={value}" for key, value in env.items()]
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "demo",
            "-x",
            str(width),
            "-y",
            str(height),
            "-c",
            str(cwd),
            "--",
            "env",
            "-i",
            *exports,
            "sh",
            "-c",
            f'"$@"; echo "{EXIT_MARK} $?"',
            "sh",
            *command,
        )

    def keys(self, *keys: str, literal: bool = False) -> None:
        """Type keys (tmux names: Enter, C-q, Down...; `literal` sends text as is)."""
        self.tmux("send-keys", "-t", "demo", *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        """The visible screen as text."""
        return self.tmux("capture-pane", "-p", "-t", "demo", check=False)

    def dead_status(self) -> int | None:
        """The exit status of the program in the pane, or None while it runs.

        The command runs under `sh`, which echoes smscast's status (`EXIT_MARK`); tmux's own
        `pane_dead_status` and its "Pane is dead (status N)" line are the fallbacks (the
        status stays empty when the pane's pty closes before tmux reaps the process).
        """
        screen = self.screen()
        found = re.search(re.escape(EXIT_MARK) + r" (\d+)", screen) or re.search(
            r"Pane is dead \(status (\d+)", screen
        )
        if found:
            return int(found.group(1))
        out = self.tmux(
            "display-message", "-p", "-t", "demo", "#{pane_dead} #{pane_dead_status}", check=False
        ).split()
        if len(out) == 2 and out[0] == "1" and out[1].isdigit():
            return int(out[1])
        return None

    def wait(self, what: str, test: Callable[[str], object], timeout: float) -> str:
        """Poll the screen until `test(screen)` is true; the screen. DriveError at the deadline."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            if self.dead_status() is not None:
                raise DriveError(f"smscast exited while waiting for {what}", self.screen())
            time.sleep(POLL)
        raise DriveError(f"timed out after {timeout:.0f}s waiting for {what}", screen)

    def wait_exit(self, timeout: float) -> int:
        """Wait for smscast to exit; its exit status. DriveError at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.dead_status()
            if status is not None:
                return status
            time.sleep(POLL)
        raise DriveError(f"smscast did not exit within {timeout:.0f}s", self.screen())

    def wait_text(self, *texts: str, timeout: float) -> str:
        """Wait until every one of `texts` is on the screen."""
        return self.wait(
            " and ".join(map(repr, texts)), lambda s: all(t in s for t in texts), timeout
        )

    def close(self) -> None:
        """Kill the private tmux server (and smscast with it, if still running)."""
        self.tmux("kill-server", check=False)


def smscast_command(contacts: Path | None = None) -> list[str]:
    """`smscast demo [FILE]` from this interpreter (the console script if installed and no
    PYTHONPATH points elsewhere; else the module, so a worktree runs its own code)."""
    extra = [str(contacts)] if contacts is not None else []
    script = Path(sys.executable).parent / "smscast"
    if script.is_file() and not os.environ.get("PYTHONPATH"):
        return [str(script), "demo", *extra]
    return [sys.executable, "-m", "campaigns.cli.main", "demo", *extra]


def clean_env(home: Path, size: tuple[int, int]) -> dict[str, str]:
    """A minimal environment pointing every data location inside `home`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "TMPDIR": str(home / "tmp"),
        "SMSCAST_DB": str(home / "data" / "smscast.db"),
        "TERM": "tmux-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLUMNS": str(size[0]),
        "LINES": str(size[1]),
    }
    # PYTHONPATH too: a checkout under test (a worktree) runs its own code, not the installed one
    for name in ("VIRTUAL_ENV", "PYENV_VERSION", "PYENV_ROOT", "PYTHONPATH"):
        if name in os.environ:
            env[name] = os.environ[name]
    for folder in ("data", "config", "cache", "state", "tmp"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    return env


def footer(screen: str) -> str:
    """The last non-blank line of the screen (Textual's footer: the keys on offer)."""
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def number(pattern: str, screen: str) -> int:
    """The integer captured by `pattern` on the screen (0 when absent)."""
    found = re.search(pattern, screen)
    return int(found.group(1)) if found else 0


def status_counts(screen: str) -> dict[str, int]:
    """The counts by status at the top of the Send screen (`✓ delivered 12  ✗ undelivered 4`)."""
    words = "|".join(STATUSES)
    return {
        w: int(n)
        for w, n in re.findall(rf"\b({words}) (\d+)\b", "\n".join(screen.splitlines()[:6]))
    }


def drive(
    size: tuple[int, int] = (100, 30),
    timeout: float = 90.0,
    show: Callable[[str, str], None] | None = None,
    contacts: Path | None = None,
    review_only: bool = False,
) -> DriveResult:
    """Run the demo in tmux from launch to a finished campaign and back out; the result.

    `show(title, screen)` is called at each key point (printing, in the script).
    """
    result = DriveResult(size)
    home = Path(tempfile.mkdtemp(prefix="smscast-tmux-"))
    term = Terminal(f"smscast-drive-{os.getpid()}-{time.monotonic_ns()}", size, home)

    mark = [time.monotonic()]

    def keep(title: str, screen: str) -> None:
        result.screens[title] = screen
        result.steps[title] = time.monotonic() - mark[0]
        if show is not None:
            show(title, screen)

    def keys(*names: str, literal: bool = False) -> None:
        mark[0] = time.monotonic()
        term.keys(*names, literal=literal)

    name = contacts.name if contacts is not None else "sample_contacts.csv"

    try:
        env = clean_env(home, size)
        started = time.monotonic()
        mark[0] = started
        term.start(smscast_command(contacts), env, REPO)
        # 1. Contacts: the sample file read, its problems listed.
        screen = term.wait_text(f"{name}: encoding", " rows: ", timeout=timeout)
        result.first_screen_seconds = time.monotonic() - started
        keep("contacts (launch)", screen)
        # 2. Account: the sandbox's trial account, its sender and verified numbers.
        keys("1")
        screen = term.wait_text("Type: Trial", "Verified numbers (", timeout=timeout)
        keep("account", screen)
        # 3. Audience: counts; the verified-only filter off and on again recounts at once.
        keys("3")
        screen = term.wait(
            "the audience counted",
            lambda s: re.search(r"\d+ included \(", s) and "Verified numbers only" in s,
            timeout,
        )
        included = number(r"(\d+) included \(", screen)
        keep("audience", screen)
        keys("v")
        screen = term.wait(
            "more included with verified-only off",
            lambda s: number(r"(\d+) included \(", s) > included,
            timeout,
        )
        result.included_unfiltered = number(r"(\d+) included \(", screen)
        keep("audience, verified-only off", screen)
        keys("v")
        screen = term.wait(
            "the verified-only filter back on",
            lambda s: number(r"(\d+) included \(", s) == included,
            timeout,
        )
        result.included = included
        keys("x")
        screen = term.wait_text("verified", timeout=timeout)
        keep("audience, excluded tab", screen)
        # 4. Compose: the preview of the first contact's message and its segments.
        keys("4")
        screen = term.wait(
            "the compose preview",
            lambda s: re.search(r"Preview 1/\d+", s) and "segment" in s,
            timeout,
        )
        keep("compose", screen)
        # 5. Review: type SEND, Enter.
        keys("5")
        screen = term.wait_text("To send ", "type SEND", timeout=timeout)  # the plan is ready
        keep("review", screen)
        if review_only:  # the plan is ready (Review offers SEND): quit without sending
            keys("C-q")
            result.exit_status = term.wait_exit(timeout)
            result.leftovers = sorted(p.name for p in (home / "tmp").glob("smscast-demo-*"))
            return result
        keys("s")  # focus the confirmation (the footer drops the screen's letter keys)
        term.wait("the confirmation focused", lambda s: "s Confirm" not in footer(s), timeout)
        keys("SEND", literal=True)
        term.wait("SEND typed", lambda s: re.search(r"Confirm \(s\):\s+SEND\s*$", s, re.M), timeout)
        keys("Enter")
        # 6. Send: watch it go, then finish.
        screen = term.wait_text("Campaign ", "Status", timeout=timeout)
        keep("send (started)", screen)
        screen = term.wait(
            "the campaign to finish",
            lambda s: re.search(r"✓ finished|\bfinished\b", "\n".join(s.splitlines()[:6])),
            timeout,
        )
        result.finished_seconds = time.monotonic() - started
        screen = term.wait_text(f"{included}/{included}", timeout=timeout)
        keep("send (finished)", screen)
        result.counts = status_counts(screen)
        # 7. Replies: the demo's people answer seconds after delivery; the Send screen counts
        # them as they arrive (a toast quotes them), and 8 lists their threads.
        screen = term.wait("a reply to arrive", lambda s: number(r"Replies: (\d+)", s) > 0, timeout)
        result.replies = number(r"Replies: (\d+)", screen)
        keep("send (a reply arrived)", screen)
        keys("8")
        screen = term.wait(
            "the replies listed",
            lambda s: "Latest reply" in s and re.search(r"Campaign \S+: \d+ repl", s),
            timeout,
        )
        keep("replies", screen)
        # 8. History lists it; then quit cleanly.
        keys("7")
        screen = term.wait_text("finished", name, timeout=timeout)
        keep("history", screen)
        keys("C-q")
        result.exit_status = term.wait_exit(timeout)
        result.leftovers = sorted(p.name for p in (home / "tmp").glob("smscast-demo-*"))
    finally:
        term.close()
        shutil.rmtree(home, ignore_errors=True)
    return result


def parse_size(text: str) -> tuple[int, int]:
    """'100x30' -> (100, 30)."""
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError("give the size as COLUMNSxLINES, e.g. 80x24")
    return int(match.group(1)), int(match.group(2))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the drive and print the screens, the counts and the timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=(100, 30), help="COLUMNSxLINES")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per step")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--contacts", type=Path, help="a contacts file instead of the sample")
    parser.add_argument(
        "--review-only", action="store_true", help="stop at Review (the plan ready), not send"
    )
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tmux is not installed (apt-get install tmux).", file=sys.stderr)
        return 1

    def show(title: str, screen: str) -> None:
        if not args.quiet:
            print(f"=== {title} ".ljust(args.size[0], "="))
            print(screen.rstrip("\n"))

    try:
        result = drive(args.size, args.timeout, show, args.contacts, args.review_only)
    except DriveError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    width, height = result.size
    print(f"size {width}x{height}")
    print(f"launch to first screen: {result.first_screen_seconds:.1f} s")
    print(
        "each step, from its key: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.steps.items())
    )
    if not args.review_only:
        print(f"launch to finished campaign: {result.finished_seconds:.1f} s (includes the keys)")
    print(f"included {result.included} (verified-only off: {result.included_unfiltered})")
    print("final counts: " + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())))
    print(f"replies arrived: {result.replies} by the time the first was counted")
    print(f"exit status {result.exit_status}; demo data left behind: {result.leftovers or 'none'}")
    ok = result.exit_status == 0 and not result.leftovers
    sent = to_text(result.counts)
    ok = ok and (args.review_only or (sent == result.included and result.replies > 0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
