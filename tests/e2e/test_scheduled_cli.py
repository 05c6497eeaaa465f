"""`smscast resume` follows messages Twilio holds as `scheduled` until they are delivered,
as it does `queued` or `sent` ones, instead of saying the campaign has nothing left to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J


def test_resume_follows_scheduled_messages_to_delivery(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    contacts = write_contacts(tmp_path / "contacts.csv", numbers(3, 63_000))
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    sent = run_cli(send_args(contacts), env, tmp_path)  # --track 0: statuses stay as answered
    assert sent.returncode == 0, sent.stderr
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        rows = journal.recipients(cid)
        assert all(r.sid for r in rows)
        # As Twilio answers for a message held until its SendAt time.
        journal.apply(cid, outcomes=[J.Outcome(r.row, "scheduled") for r in rows])
        journal.set_state(cid, J.PAUSED, reason="Paused with Ctrl-C.")

    resumed = run_cli([*SMSCAST, "resume", cid, "--yes", "--track", "30"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "nothing left to send" not in resumed.stdout
    with J.Journal.open(db) as journal:
        assert journal.counts(cid) == {"delivered": 3}
        assert journal.campaign(cid).state == J.FINISHED
    assert len(sb.messages()) == 3  # followed, never sent again
