"""`smscast send --send --canary N` on a real terminal: it asks before sending, sends N, shows
their outcome and asks before the rest. Driven on a pseudo-terminal (stdlib `os.openpty`),
answering the second question both ways; every count is read from the sandbox's own list."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J

#: How long to wait for a prompt before declaring the program stuck (a hang guard only).
STUCK = 90.0


class Terminal:
    """A program on a pseudo-terminal: stdin, stdout and stderr are all the terminal, as when
    a person runs it. `expect` reads until a pattern shows; `answer` types a line."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True
        )
        os.close(slave)
        self.transcript = ""

    def _read(self, until: float) -> bool:
        """Read what is there (waiting until `until` at most); False once the terminal closed."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every process holding the terminal has exited
            return False
        if not chunk:
            return False
        self.transcript += chunk.decode("utf-8", "replace")
        return True

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait for `pattern` (a regex) in what the program has written so far."""
        deadline = time.monotonic() + STUCK
        while True:
            found = re.search(pattern, self.transcript)
            if found:
                return found
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(
                    f"never saw {pattern!r}; the terminal shows:\n{self.transcript}"
                )

    def answer(self, text: str) -> None:
        os.write(self.master, (text + "\r").encode())

    def finish(self) -> int:
        """Read until the program exits; its exit status."""
        deadline = time.monotonic() + STUCK
        while self._read(deadline) and time.monotonic() < deadline:
            pass
        try:
            return self.proc.wait(timeout=STUCK)
        finally:
            os.close(self.master)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.parametrize("go_on", [True, False], ids=["answer-yes", "answer-no"])
def test_canary_on_a_terminal_asks_before_the_rest(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, go_on: bool
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    phones = numbers(6, 63_000 if go_on else 64_000)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    args = [
        *SMSCAST,
        "send",
        str(contacts),
        "--template",
        "Hello {name}, this is smscast.",
        "--send",
        "--canary",
        "2",
        "--quiet-hours",
        "off",
        "--rate",
        "max",
        "--track",
        "30",
    ]
    term = Terminal(args, env, tmp_path)
    try:
        term.expect(r"Send 6 message\(s\).*\[y/N\]")
        assert sb.messages() == []  # nothing leaves before the person says yes
        term.answer("y")

        term.expect(r"Send to the rest\? \[y/N\]")
        canary = term.transcript[term.transcript.index("Canary:") :]
        assert "2 delivered" in canary
        for phone in phones[:2]:
            assert re.search(rf"{re.escape(phone)}\s+delivered", canary), canary
        # The canary went first and alone: the other four wait for the answer.
        assert sorted(m["to"] for m in sb.messages()) == sorted(phones[:2])

        term.answer("y" if go_on else "n")
        status = term.finish()
    finally:
        term.kill()

    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        state, counts = journal.campaign(cid).state, journal.counts(cid)
    sent = Counter(m["to"] for m in sb.messages())
    if go_on:
        assert status == 0, term.transcript
        assert sent == Counter(phones)  # everyone, exactly once
        assert (state, counts) == (J.FINISHED, {"delivered": 6})
        return

    assert status == 4, term.transcript  # paused: resumable
    assert sent == Counter(phones[:2])
    assert state == J.PAUSED and counts == {"delivered": 2, J.PENDING: 4}
    assert f"smscast resume {cid}" in term.transcript
    resumed = subprocess.run(
        [*SMSCAST, "resume", "--yes", "--track", "30"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert Counter(m["to"] for m in sb.messages()) == Counter(phones)
