"""`smscast retry` and `smscast follow-up` from the command line, against sandboxes over
loopback, counted in the sandbox's own message list: exactly the people a second try can
reach (once each), nobody opted out since, the repeat refused, lineage and the combined
outcome in `smscast campaigns`, a follow-up to those who did not reply (replies people sent
through the sandbox, collected first) with the file's columns; and a crash while the retry
campaign is being created leaves nothing half-made and texts nobody twice."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.audience.suppression import SuppressionList
from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store import journal as J

#: The sandbox ends failures with 30003, 30005, 30006 or 30007: only 30003 (the handset
#: was unreachable) is worth a second try.
CONFIG = SandboxConfig(trial=False, speedup=1000.0, undelivered_share=0.4, failed_share=0.2, seed=5)


def _first_campaign(sb: Sandbox, tmp_path: Path, count: int, start: int) -> tuple[str, Path]:
    """Send a campaign of `count` people through `sb` (receipts awaited); its id."""
    db = tmp_path / "smscast.db"
    contacts = write_contacts(tmp_path / "people.csv", numbers(count, start))
    done = run_cli(
        send_args(contacts, "--track", "30", "--rate", "max"),
        smscast_env(sb, tmp_path, db),
        tmp_path,
    )
    assert done.returncode == 3, done.stderr  # some did not get it
    with J.Journal.open(db) as journal:
        return journal.latest().id, db


def _retryable(db: Path, cid: str) -> dict[str, int]:
    """The parent's people a retry must text: number -> row (failed/undelivered, 30003)."""
    with J.Journal.open(db) as journal:
        return {
            r.to: r.row
            for r in journal.recipients(cid)
            if r.status in ("failed", "undelivered") and r.error_code == 30003
        }


@pytest.mark.slow
def test_retry_then_follow_up_text_exactly_their_subsets(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    first = sandbox_factory(CONFIG)
    cid, db = _first_campaign(first, tmp_path, 40, 71_000)
    expected = _retryable(db, cid)
    assert 3 <= len(expected) < 40
    opted_out = sorted(expected)[0]  # replied STOP since: never texted again
    with SuppressionList(db, region="US") as suppression:
        suppression.add(opted_out, reason="asked on the phone")
    env = smscast_env(first, tmp_path, db)

    dry = run_cli([*SMSCAST, "retry", cid[:12]], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert f"Retry of {cid}: {len(expected)} of its 40 recipient(s) chosen" in dry.stdout
    assert "This was a dry run" in dry.stdout
    assert len(first.messages()) == 40  # nothing sent

    # Later, the same account: this time most handsets are back.
    second = sandbox_factory(
        dataclasses.replace(first.config, seed=6, undelivered_share=0.3, failed_share=0.0)
    )
    env = smscast_env(second, tmp_path, db)
    sent = run_cli(
        [*SMSCAST, "retry", cid, "--send", "--yes", "--track", "30", "--rate", "max"], env, tmp_path
    )
    assert sent.returncode in (0, 3), sent.stderr
    texted = Counter(m["to"] for m in second.messages())
    assert texted == Counter(set(expected) - {opted_out})  # exactly those, once each
    with J.Journal.open(db) as journal:
        (retry,) = journal.children(cid)
        assert (retry.kind, retry.template, retry.sender) == (
            "retry",
            "Hello {name}, this is smscast.",
            "+15017122661",
        )
        rows = {r.to: r for r in journal.recipients(retry.id)}
        assert {n: r.row for n, r in rows.items()} == expected  # the file's rows, kept
        assert rows[opted_out].status == J.SKIPPED
        assert "asked on the phone" in str(rows[opted_out].error_message)
        parent_counts = journal.counts(cid)
        retry_counts = journal.counts(retry.id)

    again = run_cli([*SMSCAST, "retry", cid, "--send", "--yes"], env, tmp_path)
    assert again.returncode == 1
    assert f"Campaign {retry.id} is a retry of {cid} already" in again.stderr
    assert f"smscast retry {retry.id}" in again.stderr
    assert len(second.messages()) == sum(texted.values())  # refused: nobody texted again

    listed = run_cli([*SMSCAST, "campaigns", "--json"], env, tmp_path)
    by_id = {row["campaign_id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert (by_id[retry.id]["parent_id"], by_id[retry.id]["kind"]) == (cid, "retry")
    chain = by_id[cid]["chain"]
    assert chain["campaigns"] == [cid, retry.id]
    assert chain["people"] == 40  # each person once
    delivered = parent_counts.get("delivered", 0) + retry_counts.get("delivered", 0)
    assert chain["counts"].get("delivered", 0) == delivered
    assert retry_counts.get("delivered", 0) > 0  # the second try reached some
    text = run_cli([*SMSCAST, "campaigns"], env, tmp_path).stdout
    assert f"  retry of {cid}" in text and "with its 1 retry: 40 people" in text

    # Two of the people the message reached (on either try) answer; a nudge to those who did
    # not: replies are collected from Twilio first, and the template has the file's columns.
    with J.Journal.open(db) as journal:
        reached = {
            r.to: r.fields["name"]
            for c in (cid, retry.id)
            for r in journal.recipients(c)
            if r.status == "delivered"
        }
    answered = sorted(reached)[:2]
    second.receive(answered[0], second.phone_number, "Yes, I'll come")
    second.receive(answered[1], second.phone_number, "START")
    follow_up = [*SMSCAST, "follow-up", cid, "-t", "Still coming, {name}?", "--rate", "max"]
    opted_in = run_cli([*follow_up, "--who", "opted-in"], env, tmp_path)
    assert opted_in.returncode == 0, opted_in.stderr
    assert f"Follow-up of {cid}: 1 of its 40 recipient(s) chosen" in opted_in.stdout
    before = {m["sid"] for m in second.messages()}
    nudge = run_cli(
        [
            *follow_up,
            "--who",
            "no-reply",
            "--send",
            "--yes",
            "--track",
            "0",
            "--quiet-hours",
            "off",
        ],
        env,
        tmp_path,
    )
    assert nudge.returncode == 0, nudge.stderr
    new = [m for m in second.messages() if m["sid"] not in before]
    silent = {n: name for n, name in reached.items() if n not in answered}
    assert Counter(m["to"] for m in new) == Counter(list(silent))  # each once
    assert {m["to"]: m["body"] for m in new} == {
        n: f"Still coming, {name}?" for n, name in silent.items()
    }


#: Runs `smscast retry` with the journal's create killed (SIGKILL, no clean-up) after it has
#: written some of the retry's rows inside its transaction: a crash at the worst moment.
_CRASH = """
import os, signal, sys
from campaigns.store import journal as J
create = J.Journal.create_campaign
def crashing(self, **fields):
    def rows():
        for index, row in enumerate(fields["recipients"]):
            if index == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            yield row
    return create(self, **{**fields, "recipients": rows()})
J.Journal.create_campaign = crashing
from campaigns.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_crash_while_creating_a_retry_leaves_nothing_half_made_and_texts_no_one_twice(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(CONFIG)
    cid, db = _first_campaign(sb, tmp_path, 30, 72_000)
    expected = _retryable(db, cid)
    assert len(expected) >= 3
    env = smscast_env(sb, tmp_path, db)
    before = Counter(m["to"] for m in sb.messages())

    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASH,
            "retry",
            cid,
            "--send",
            "--yes",
            "--track",
            "0",
            "--rate",
            "max",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr
    with J.Journal.open(db) as journal:
        assert [c.id for c in journal.campaigns()] == [cid]  # no campaign half-made
        count = journal._db.execute("SELECT COUNT(*) FROM recipients").fetchone()[0]
        assert count == 30  # the parent's rows only
    assert Counter(m["to"] for m in sb.messages()) == before  # nobody texted

    done = run_cli(
        [*SMSCAST, "retry", cid, "--send", "--yes", "--track", "0", "--rate", "max"], env, tmp_path
    )
    assert done.returncode in (0, 3), done.stderr
    again = run_cli(
        [*SMSCAST, "retry", cid, "--send", "--yes", "--track", "0", "--rate", "max"], env, tmp_path
    )
    assert again.returncode == 1 and "already" in again.stderr
    after = Counter(m["to"] for m in sb.messages())
    assert after - before == Counter(list(expected))  # each once, on the retry that was made
