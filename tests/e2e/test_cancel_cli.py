"""Ending and guarding a campaign from the command line, against a sandbox over loopback:
`smscast cancel` (exit 3, not resumable afterwards), one run per campaign at a time (the run
lock), a second Ctrl-C stopping at once, and a canary that covers everyone ends with the
campaign's real exit status."""

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
    """A campaign as Ctrl-C leaves it: the first two rows sent (by hand, below), the rest
    pending, one row `inflight` as a crash leaves it."""
    recipients = [
        J.NewRecipient(i + 2, number, f"Hello {i}", 1, 0.0079, {"phone": number})
        for i, number in enumerate(to)
    ]
    cid = journal.create_campaign(
        template="Hello {i}",
        source_name="gone.csv",
        source_sha256="0" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={},
        recipients=recipients,
    )
    journal.set_state(cid, J.PAUSED, reason="Paused with Ctrl-C.")
    return cid


def test_cancel_ends_the_campaign_for_good(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    to = numbers(8, 65_000)
    with J.Journal.open(db) as journal:
        cid = _paused_campaign(journal, to)
        # Row 3's request left just before a crash: Twilio has it, the journal says inflight.
        journal.apply(cid, intents=[J.Intent(3, J.now_utc())])
    from twilio.rest import Client

    client = Client(sb.account_sid, sb.auth_token)
    client.api.base_url = sb.base_url
    client.edge = client.region = None
    client.messages.create(to=to[1], from_="+15017122661", body="Hello 1")

    refused = run_cli([*SMSCAST, "cancel", cid], env, tmp_path)  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr

    canceled = run_cli([*SMSCAST, "cancel", "--yes", "--json"], env, tmp_path)  # no ID: this one
    assert canceled.returncode == 3, canceled.stderr  # over, with recipients not texted
    events = [json.loads(line) for line in canceled.stdout.splitlines()]
    assert all(e["event"] and e["campaign_id"] == cid for e in events)
    assert events[-1]["event"] == "campaign_finished" and events[-1]["canceled"] is True
    with J.Journal.open(db) as journal:
        assert journal.campaign(cid).state == J.CANCELED
        by_row = {r.row: r for r in journal.recipients(cid)}
    # The in-flight row was looked up, found and recorded: never forgotten, never resent.
    assert by_row[3].status != J.CANCELED and by_row[3].sid
    assert {r.status for row, r in by_row.items() if row != 3} == {J.CANCELED}
    assert Counter(m["to"] for m in sb.messages()) == Counter([to[1]])

    resumed = run_cli([*SMSCAST, "resume", cid, "--yes"], env, tmp_path)
    assert resumed.returncode == 1 and "cannot be resumed" in resumed.stderr
    again = run_cli([*SMSCAST, "cancel", cid, "--yes"], env, tmp_path)
    assert again.returncode == 1 and "already canceled" in again.stderr
    assert len(sb.messages()) == 1

    export = run_cli([*SMSCAST, "export", cid, "-o", "-"], env, tmp_path)
    assert export.returncode == 0
    assert export.stdout.count(",canceled,") == 7


def test_cancel_with_everyone_texted_exits_0(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    with J.Journal.open(db) as journal:
        cid = _paused_campaign(journal, numbers(2, 65_100))
        journal.apply(cid, [J.Outcome(2, "delivered", sid="SM" + "1" * 32)])
        journal.apply(cid, [J.Outcome(3, "sent", sid="SM" + "2" * 32)])
    canceled = run_cli([*SMSCAST, "cancel", cid, "--yes"], env, tmp_path)
    assert canceled.returncode == 0, canceled.stderr
    assert "canceled" in canceled.stdout
    assert sb.messages() == []


def test_a_campaign_being_sent_cannot_be_resumed_or_canceled_elsewhere(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    with J.Journal.open(db) as journal:
        cid = _paused_campaign(journal, numbers(5, 65_200))
        with journal.run_lock(cid):  # as a running `smscast send` (or the app) holds it
            for command in (["resume", cid, "--yes"], ["cancel", cid, "--yes"]):
                busy = run_cli([*SMSCAST, *command], env, tmp_path)
                assert busy.returncode == 1, busy.stderr
                assert "being sent by another smscast" in busy.stderr
                assert "Traceback" not in busy.stderr
            assert sb.messages() == []
            assert journal.counts(cid) == {J.PENDING: 5}
        resumed = run_cli([*SMSCAST, "resume", cid, "--yes", "--track", "0"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert len(sb.messages()) == 5


def test_a_canary_of_everyone_ends_with_the_campaigns_status(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # Every message fails: headless, the canary would stop; but no one is left to ask about.
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05, failed_share=1.0)
    phones = numbers(3, 65_300)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    sent = run_cli(send_args(contacts, "--canary", "3", "--track", "10"), env, tmp_path)
    assert sent.returncode == 3, sent.stderr  # finished with failed recipients, not paused
    with J.Journal.open(db) as journal:
        campaign = journal.latest()
        assert campaign.state == J.FINISHED
        assert journal.counts(campaign.id) == {"failed": 3}
    assert sorted(m["to"] for m in sb.messages()) == sorted(phones)


def test_a_second_ctrl_c_stops_at_once_and_resume_reconciles(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # Each request takes a second: the first Ctrl-C waits for those in flight, the second
    # abandons them (left `inflight` in the journal, for resume to look up).
    sb = sandbox_factory(trial=False, speedup=1000.0, latency_ms=1000)
    phones = numbers(10, 65_400)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    proc = subprocess.Popen(
        send_args(contacts, "--rate", "max", "--concurrency", "3", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:
        if json.loads(line).get("status") == "inflight":
            proc.send_signal(signal.SIGINT)
            break
    for line in proc.stderr:  # as a person would: read the message, press Ctrl-C again
        if line.startswith("Pausing"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    paused = [json.loads(line) for line in out.splitlines() if '"campaign_paused"' in line]
    assert paused and paused[-1]["kind"] == "stop"
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert journal.campaign(cid).state == J.PAUSED
        assert journal.counts(cid).get(J.INFLIGHT, 0) > 0

    resumed = run_cli([*SMSCAST, "resume", "--yes", "--track", "0"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert Counter(m["to"] for m in sb.messages()) == Counter(phones)  # nobody twice
    with J.Journal.open(db) as journal:
        assert J.INFLIGHT not in journal.counts(cid)
