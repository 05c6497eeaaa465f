"""Foreseeable ways to text people twice, from the command line against a sandbox over
loopback: two `smscast resume` of one campaign through two names of the journal, and `smscast
send` run again (after Ctrl-C, or after it finished) on the same file and template."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J


def _paused_campaign(journal: J.Journal, to: list[str]) -> str:
    """A campaign as Ctrl-C leaves it before anyone was texted: every row pending."""
    cid = journal.create_campaign(
        template="Hello {i}",
        source_name="gone.csv",
        source_sha256="0" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={},
        recipients=[
            J.NewRecipient(i + 2, number, f"Hello {i}", 1, 0.0079, {"phone": number})
            for i, number in enumerate(to)
        ],
    )
    journal.set_state(cid, J.PAUSED, reason="Paused with Ctrl-C.")
    return cid


def test_two_resumes_through_a_symlink_text_no_one_twice(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """The run lock was keyed on the journal's path as typed: a second `resume` through a
    symlink took a lock of its own and sent the same pending rows again."""
    sb = sandbox_factory(trial=False, speedup=1000.0)
    db = tmp_path / "smscast.db"
    link = tmp_path / "link.db"
    link.symlink_to(db)
    env = smscast_env(sb, tmp_path, db)
    to = numbers(60, 66_000)
    with J.Journal.open(db) as journal:
        cid = _paused_campaign(journal, to)
    # 10 a second: the first run is still sending when the second starts.
    first = subprocess.Popen(
        [*SMSCAST, "resume", cid, "--yes", "--track", "0", "--rate", "10", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert first.stdout is not None and first.stderr is not None
    for line in first.stdout:
        if json.loads(line).get("event") == "recipient_changed":
            break
    second = run_cli(
        [*SMSCAST, "resume", cid, "--yes", "--track", "0", "--db", str(link)], env, tmp_path
    )
    _, err = first.communicate(timeout=60)
    twice = [n for n, count in Counter(m["to"] for m in sb.messages()).items() if count > 1]
    assert twice == []
    assert Counter(m["to"] for m in sb.messages()) == Counter(to)  # everyone, once
    assert first.returncode == 0, err
    assert second.returncode == 1, second.stderr
    assert "being sent by another smscast" in second.stderr
    assert "Traceback" not in second.stderr


def test_send_again_after_ctrl_c_points_to_resume_and_sends_nothing(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """Re-running `send` after Ctrl-C started a new campaign and texted all 53 people who
    had already got the message."""
    sb = sandbox_factory(trial=False, speedup=1000.0)
    to = numbers(12, 66_100)
    contacts = write_contacts(tmp_path / "contacts.csv", to)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    first = subprocess.Popen(  # 4 a second, Ctrl-C once 3 are out
        send_args(contacts, "--rate", "4", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert first.stdout is not None
    out = 0
    for line in first.stdout:
        out += json.loads(line).get("status") == "queued"
        if out == 3:
            first.send_signal(signal.SIGINT)
            break
    _, err = first.communicate(timeout=60)
    assert first.returncode == 4, err
    with J.Journal.open(db) as journal:
        (campaign,) = journal.campaigns()
        texted = sum(journal.counts(campaign.id).get(s, 0) for s in J.TEXTED_STATUSES)
    assert campaign.state == J.PAUSED and 3 <= texted < 12
    assert len(sb.messages()) == texted

    fast = ("--rate", "max")
    again = run_cli(send_args(contacts, *fast), env, tmp_path)
    assert again.returncode == 1, again.stderr
    assert f"Campaign {campaign.id} already sends this template" in again.stderr
    assert f"paused, {texted} of 12 texted, {12 - texted} still to send" in again.stderr
    assert f"smscast resume {campaign.id}" in again.stderr and "--new-campaign" in again.stderr
    assert "Traceback" not in again.stderr
    assert len(sb.messages()) == texted  # nothing sent
    dry = run_cli([a for a in send_args(contacts) if a != "--send"], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert f"smscast resume {campaign.id}" in dry.stdout and "dry run" in dry.stdout

    resumed = run_cli([*SMSCAST, "resume", campaign.id, "--yes", "--track", "0"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert Counter(m["to"] for m in sb.messages()) == Counter(to)

    # Finished minutes ago: a new run would text all 12 a second time; refused, then on purpose.
    finished = run_cli(send_args(contacts, *fast), env, tmp_path)
    assert finished.returncode == 1, finished.stderr
    assert "12 of the 12 you are about to text would get the message a second time" in (
        finished.stderr
    )
    assert len(sb.messages()) == 12
    forced = run_cli(send_args(contacts, "--new-campaign", *fast), env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "would get the message a second time" in forced.stdout  # said, then done
    assert len(sb.messages()) == 24

    # Another template to the same people: not the same campaign, but they were just texted.
    other = [a for a in send_args(contacts) if a != "--send"]
    other[other.index("--template") + 1] = "Another message."
    warned = run_cli(other, env, tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert "12 of the 12 you are about to text were texted in the last 24 hours" in (warned.stdout)
