"""SIGTERM and SIGHUP (a closed SSH session) mid-send pause the campaign as Ctrl-C does: exit 4,
the campaign `paused` (never left `running`), and `smscast resume` texts everyone else, each
recipient exactly once, counted from the sandbox's own message list."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from send_support import (
    SMSCAST,
    numbers,
    run_cli,
    sandbox_process,
    send_args,
    smscast_env,
    write_contacts,
)

from campaigns.store import journal as J

PEOPLE = 300
#: Latency and a small concurrency: the send takes seconds, so the signal lands mid-send.
SEND_FLAGS = ("--rate", "max", "--concurrency", "4")


@pytest.fixture(scope="module")
def sb():
    with sandbox_process("--latency-ms", "40", "--speedup", "1000") as process:
        yield process


def _setup(tmp_path: Path, sb, start: int) -> tuple[list[str], Path, dict[str, str], Path]:
    phones = numbers(PEOPLE, start)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    return phones, contacts, smscast_env(sb, tmp_path, db), db


def _resume_and_check(sb, phones: list[str], env: dict[str, str], tmp_path: Path, db: Path):
    with J.Journal.open(db) as journal:
        campaign = journal.latest()
        counts = journal.counts(campaign.id)
    assert campaign.state == J.PAUSED, campaign
    assert counts.get(J.PENDING), counts  # the signal landed mid-send
    resumed = run_cli([*SMSCAST, "resume", "--yes", "--track", "0"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    by_to = Counter(m["to"] for m in sb.messages())
    assert {p: by_to[p] for p in phones} == dict.fromkeys(phones, 1)
    return campaign


def test_sigterm_mid_send_pauses_and_resume_texts_everyone_once(sb, tmp_path: Path) -> None:
    phones, contacts, env, db = _setup(tmp_path, sb, 0)
    proc = subprocess.Popen(
        send_args(contacts, *SEND_FLAGS, "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    accepted = 0
    for line in proc.stdout:  # wait until some recipients are texted
        event = json.loads(line)
        if event.get("event") == "recipient_changed" and event.get("sid"):
            accepted += 1
            if accepted == 20:
                break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err[-2000:]
    assert "Traceback" not in err
    paused = [json.loads(x) for x in out.splitlines() if '"campaign_paused"' in x]
    assert paused and "SIGTERM" in paused[0]["reason"], paused
    campaign = _resume_and_check(sb, phones, env, tmp_path, db)
    assert "SIGTERM" in (campaign.state_reason or "")


def test_sighup_a_closed_terminal_pauses_and_resume_texts_everyone_once(sb, tmp_path: Path) -> None:
    """A real hang-up: smscast runs on a pseudo-terminal as its controlling terminal, and the
    terminal goes away (as when an SSH session drops) in the middle of the send."""
    phones, contacts, env, db = _setup(tmp_path, sb, PEOPLE)
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes smscast
        os.chdir(tmp_path)
        args = send_args(contacts, *SEND_FLAGS)
        os.execvpe(args[0], args, env)
    seen = b""
    deadline = time.monotonic() + 60
    while b"msg/s" not in seen or seen.count(b"msg/s") < 3:  # the progress bar is moving
        assert time.monotonic() < deadline, seen[-2000:]
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    os.close(master)  # the terminal is gone: the kernel sends SIGHUP to smscast
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 4
    campaign = _resume_and_check(sb, phones, env, tmp_path, db)
    assert "terminal was closed" in (campaign.state_reason or "")
