"""Fault runs: `smscast send` against a sandbox process injecting each fault mode (429 storms,
5xx before and after creation, dropped connections, hangs, and all at once). No recipient is
texted twice, none is lost, and every failure is recorded with its code."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, sandbox_process, send_args, smscast_env, write_contacts

from campaigns.sandbox.rules import MAGIC_TO
from campaigns.store import journal as J

RECIPIENTS = 300

FAULTS = {
    "429-storm": ["--429-share", "0.5"],
    "5xx-before": ["--5xx-before-share", "0.2"],
    "5xx-after": ["--5xx-after-share", "0.2"],
    "drop-after": ["--drop-after-share", "0.2"],
    "hang": ["--hang-share", "0.05"],
    "all": [
        "--429-share",
        "0.1",
        "--5xx-before-share",
        "0.05",
        "--5xx-after-share",
        "0.05",
        "--drop-after-share",
        "0.05",
        "--hang-share",
        "0.02",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(FAULTS))
def test_fault_run_sends_exactly_once(tmp_path: Path, mode: str) -> None:
    flags = ["--latency-ms", "5", "--speedup", "1000", "--seed", "5", *FAULTS[mode]]
    with sandbox_process(*flags) as sb:
        phones = [*numbers(RECIPIENTS, 50_000), *sorted(MAGIC_TO)]
        contacts = write_contacts(tmp_path / "contacts.csv", phones)
        db = tmp_path / "smscast.db"
        env = smscast_env(sb, tmp_path, db)
        run = subprocess.run(
            send_args(contacts, "--rate", "max", "--concurrency", "20", "--timeout", "1"),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
            check=False,
        )
        # A storm may pause the campaign (exit 4): resuming must finish it, never duplicate.
        runs = 0
        while run.returncode == 4 and runs < 5:
            runs += 1
            run = subprocess.run(
                # unknown outcomes pause it too: --retry-unknown asks Twilio again first
                [*SMSCAST, "resume", "--yes", "--track", "0", "--timeout", "1", "--retry-unknown"],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=300,
                check=False,
            )
        assert run.returncode == 3, (mode, run.returncode, run.stderr[-3000:])  # magic fail
        messages = sb.messages()

    by_to = Counter(m["to"] for m in messages)
    assert [p for p in phones if by_to[p] > 1] == []
    assert [p for p in phones[:RECIPIENTS] if by_to[p] != 1] == []
    assert all(by_to[p] == 0 for p in MAGIC_TO)
    with J.Journal.open(db) as journal:
        cid = journal.latest().id
        assert journal.campaign(cid).state == J.FINISHED
        rows = {r.to: r for r in journal.recipients(cid)}
        sids = {m["to"]: m["sid"] for m in messages}
        for phone in phones[:RECIPIENTS]:
            assert rows[phone].status in J.SENT_STATUSES and rows[phone].sid == sids[phone]
        for phone, code in MAGIC_TO.items():
            assert (rows[phone].status, rows[phone].error_code) == ("failed", code)
            assert rows[phone].error_message
