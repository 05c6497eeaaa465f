"""`smscast send / resume / status / campaigns` as a person or a script runs them, against a
sandbox over loopback: dry run, confirmation rules, JSON-lines events, exit statuses, canary,
resume refusing changed inputs, Ctrl-C pausing cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J


def test_dry_run_send_json_and_followups(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    phones = [*numbers(12, 60_000), "12345"]
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    template = ["--template", "Hi {name}", "--quiet-hours", "off"]

    dry = run_cli([*SMSCAST, "send", str(contacts), *template], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "12 message(s)" in dry.stdout
    assert "row    14" in dry.stdout  # the invalid number, with its reason
    assert sb.messages() == []

    unconfirmed = run_cli([*SMSCAST, "send", str(contacts), *template, "--send"], env, tmp_path)
    assert unconfirmed.returncode == 2
    assert "--yes" in unconfirmed.stderr
    assert sb.messages() == []

    sent = run_cli(
        [
            *SMSCAST,
            "send",
            str(contacts),
            *template,
            "--send",
            "--yes",
            "--json",
            "--rate",
            "max",
            "--track",
            "10",
        ],
        env,
        tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    events = [json.loads(line) for line in sent.stdout.splitlines()]
    assert events[0]["event"] == "plan"
    cid = events[0]["campaign_id"]
    assert cid and all(e["event"] and e["campaign_id"] == cid for e in events)
    names = [e["event"] for e in events]
    assert {"campaign_started", "recipient_changed", "progress", "campaign_finished"} <= set(names)
    assert events[-1]["event"] == "campaign_finished"
    assert events[-1]["counts"] == {"delivered": 12, "skipped": 1}
    assert sorted(m["to"] for m in sb.messages()) == sorted(phones[:12])

    listed = run_cli([*SMSCAST, "campaigns", "--json"], env, tmp_path)
    assert listed.returncode == 0
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["campaign_id"], row["state"], row["total"]) == (cid, "finished", 12)

    status = run_cli([*SMSCAST, "status", cid, "--json"], env, tmp_path)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["counts"] == {"delivered": 12, "skipped": 1}
    with J.Journal.open(db) as journal:
        skipped = journal.recipients(cid, [J.SKIPPED])
        assert [(r.row, r.error_message) for r in skipped] == [(14, skipped[0].error_message)]
        assert skipped[0].error_message


def test_canary_pause_and_resume_refusing_changed_inputs(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05, failed_share=1.0)
    phones = numbers(6, 61_000)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)

    canary = run_cli(send_args(contacts, "--canary", "2", "--track", "10"), env, tmp_path)
    # headless: go on only if every canary message was delivered; here they all failed
    assert canary.returncode == 4, canary.stderr
    assert "Canary" in canary.stdout or "Canary" in canary.stderr
    assert len(sb.messages()) == 2

    original = contacts.read_bytes()
    contacts.write_bytes(original + b"Someone,+14155550123\n")
    changed = run_cli([*SMSCAST, "resume", "--yes"], env, tmp_path)
    assert changed.returncode == 1
    assert "changed since campaign" in changed.stderr
    contacts.write_bytes(original)
    other = run_cli([*SMSCAST, "resume", "--yes", "--template", "Another text"], env, tmp_path)
    assert other.returncode == 1 and "template differs" in other.stderr
    assert len(sb.messages()) == 2

    resumed = run_cli([*SMSCAST, "resume", "--yes", "--track", "10"], env, tmp_path)
    assert resumed.returncode == 3, resumed.stderr  # finished, with failed recipients
    assert sorted(m["to"] for m in sb.messages()) == sorted(phones)
    status = run_cli([*SMSCAST, "status", "--no-refresh"], env, tmp_path)
    assert "failed with" in status.stdout


def test_ctrl_c_pauses_cleanly_and_resume_finishes(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0)
    phones = numbers(40, 62_000)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    proc = subprocess.Popen(
        send_args(contacts, "--rate", "10", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    queued = 0
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("status") == "queued":
            queued += 1
            if queued == 5:
                proc.send_signal(signal.SIGINT)
                break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert '"campaign_paused"' in out
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert journal.campaign(cid).state == J.PAUSED
        counts = journal.counts(cid)
        assert J.INFLIGHT not in counts and counts.get(J.PENDING, 0) > 0
    resumed = run_cli([*SMSCAST, "resume", cid, "--yes", "--rate", "max"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(m["to"] for m in sb.messages()) == sorted(phones)
