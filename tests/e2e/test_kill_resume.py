"""KILL TEST: `kill -9` a real `smscast send` at a random moment, then `smscast resume`.

One sandbox process (with latency) serves every trial; each trial texts 2,000 distinct numbers
from a subprocess, is killed with SIGKILL at a random moment while sending, and is resumed.
At the end every recipient of every trial must have exactly one message, counted from the
sandbox's own message list, and the journal must hold each one's SID.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, sandbox_process, send_args, smscast_env, write_contacts

from campaigns.store import journal as J

TRIALS = 20
RECIPIENTS = 2_000


@pytest.mark.slow
def test_kill_nine_then_resume_texts_everyone_exactly_once(tmp_path: Path) -> None:
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    trials: list[tuple[list[str], Path]] = []
    killed_mid_send = 0
    with sandbox_process(
        "--latency-ms", "20", "--concurrency-limit", "200", "--speedup", "1000"
    ) as sb:
        for trial in range(TRIALS):
            home = tmp_path / f"t{trial}"
            home.mkdir()
            db = home / "smscast.db"
            phones = numbers(RECIPIENTS, trial * RECIPIENTS)
            contacts = write_contacts(home / "contacts.csv", phones)
            env = smscast_env(sb, home, db)
            proc = subprocess.Popen(
                send_args(contacts, "--rate", "max", "--concurrency", "50", "--json"),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
                cwd=home,
            )
            assert proc.stdout is not None
            started = False
            for line in proc.stdout:  # wait until the campaign is under way
                if json.loads(line).get("event") == "campaign_started":
                    started = True
                    break
            # Keep reading its events (a full pipe would freeze it), kill it at a random moment.
            drain = threading.Thread(target=proc.stdout.read, daemon=True)
            drain.start()
            time.sleep(rng.uniform(0.0, 1.2))
            proc.kill()
            proc.wait()
            drain.join()
            proc.stdout.close()
            assert started, f"trial {trial}: the send never started (seed {seed})"
            with J.Journal.open(db) as journal:
                counts = journal.counts(journal.latest().id)
            killed_mid_send += bool(counts.get(J.PENDING) or counts.get(J.INFLIGHT))
            resumed = subprocess.run(
                [*SMSCAST, "resume", "--yes", "--track", "0", "--json"],
                capture_output=True,
                text=True,
                env=env,
                cwd=home,
                timeout=120,
                check=False,
            )
            assert resumed.returncode == 0, (trial, seed, resumed.stderr[-2000:])
            trials.append((phones, db))

        messages = sb.messages()
    by_to = Counter(m["to"] for m in messages)
    sids = {m["to"]: m["sid"] for m in messages}
    for trial, (phones, db) in enumerate(trials):
        duplicates = [p for p in phones if by_to[p] > 1]
        lost = [p for p in phones if by_to[p] == 0]
        assert not duplicates and not lost, (trial, seed, duplicates[:5], lost[:5])
        with J.Journal.open(db) as journal:
            cid = journal.latest().id
            assert journal.campaign(cid).state == J.FINISHED
            rows = journal.recipients(cid)
            assert len(rows) == RECIPIENTS
            for r in rows:
                assert r.status in J.SENT_STATUSES, (trial, r)
                assert r.sid == sids[r.to], (trial, r)
    # The test means something only if most kills landed mid-send.
    assert killed_mid_send >= TRIALS // 2, (killed_mid_send, seed)
