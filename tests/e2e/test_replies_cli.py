"""`smscast replies`, `smscast reply`, and the reply counts in `status`, `campaigns` and
`export`, as a person runs them against the sandbox (people text back through its control
endpoint). Reply bodies are untrusted: an escape sequence in one never reaches the terminal."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from send_support import SMSCAST, numbers, run_cli, send_args, smscast_env, write_contacts

from campaigns.sandbox import Sandbox

HOSTILE = "\x1b]0;pwned\x07\x1b[2JWho is this?\r\nreally"


@pytest.mark.slow  # eleven smscast processes, ~8 s
def test_replies_reply_and_the_counts(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    people = numbers(4, 70_000)
    contacts = write_contacts(tmp_path / "contacts.csv", people)
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    sent = run_cli(send_args(contacts), env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    sb.receive(people[0], sb.phone_number, "STOP")
    sb.receive(people[1], sb.phone_number, HOSTILE)
    sb.receive(people[2], sb.phone_number, "stop texting me")

    listed = run_cli([*SMSCAST, "replies", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {line["kind"] for line in lines} == {"opt-out", "reply", "possible-opt-out"}
    by_from = {line["from"]: line for line in lines}
    assert by_from[people[1]]["body"] == HOSTILE  # escaped in JSON, decoded back intact
    assert by_from[people[0]]["row"] == 2 and by_from[people[0]]["to"] == sb.phone_number
    assert by_from[people[0]]["received_at"].endswith("Z")
    cid = by_from[people[0]]["campaign_id"]
    assert {"sid", "body", "received_at", "campaign_id", "row"} <= set(by_from[people[0]])

    shown = run_cli([*SMSCAST, "replies", cid, "--no-refresh"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\\x1b" in shown.stdout
    assert "OPTED OUT" in shown.stdout and "--confirm" in shown.stdout
    only = run_cli(
        [*SMSCAST, "replies", "--no-refresh", "--kind", "opt-out", "--json"], env, tmp_path
    )
    assert [json.loads(x)["from"] for x in only.stdout.splitlines()] == [people[0]]

    # A reply to the person who asked; the same text again is refused; an opted-out person is
    # never texted.
    answer = [*SMSCAST, "reply", cid, "3", "--body", "It's Ana from the club"]
    first = run_cli(answer, env, tmp_path)
    assert first.returncode == 0, first.stderr
    texts = [m for m in sb.messages(to=people[1]) if m["body"].endswith("It's Ana from the club")]
    assert len(texts) == 1
    twice = run_cli(answer, env, tmp_path)
    assert twice.returncode == 1 and "already sent" in twice.stderr
    refused = run_cli([*SMSCAST, "reply", cid, "2", "--body", "sorry"], env, tmp_path)
    assert refused.returncode == 1 and "suppression list" in refused.stderr
    assert not [m for m in sb.messages(to=people[0]) if m["body"].endswith("sorry")]

    status = run_cli([*SMSCAST, "status", cid, "--json", "--no-refresh"], env, tmp_path)
    assert json.loads(status.stdout)["replies"]["opted_out"] == 1
    listing = run_cli([*SMSCAST, "campaigns", "--json"], env, tmp_path)
    row = json.loads(listing.stdout.splitlines()[0])
    assert (row["replies"], row["opted_out"]) == (3, 1)
    exported = run_cli([*SMSCAST, "export", cid, "-o", "-"], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "\x1b" not in exported.stdout
    table = {
        r["E.164"].lstrip("'"): r
        for r in csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")))
    }
    assert (
        table[people[0]]["Opted out"] == "yes" and table[people[0]]["Last reply kind"] == "opt-out"
    )
    assert table[people[1]]["Replies"] == "1" and table[people[3]]["Replies"] == "0"

    # A dry run started after the STOP already leaves that person out.
    dry = run_cli(
        [
            *SMSCAST,
            "send",
            str(contacts),
            "--template",
            "Again {name}",
            "--quiet-hours",
            "off",
            "--new-campaign",
        ],
        env,
        tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert "opted out" in dry.stdout + dry.stderr
