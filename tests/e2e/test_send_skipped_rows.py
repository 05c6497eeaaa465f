"""`smscast send --send` then `export`, against a sandbox: rows left out at planning (invalid,
duplicate, empty or blank message) are never texted and keep their original cells in the
export, with the reason."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from send_support import SMSCAST, run_cli, smscast_env

from campaigns.sandbox import Sandbox

ROWS = [
    ["phone", "name", "city"],
    ["+14155552601", "Ann", "SF"],
    ["12345", "Bad Number", "LA"],  # invalid
    ["+14155552601", "Ann Again", "NYC"],  # duplicate of row 2
    ["+14155552602", "", "Boston"],  # empty message
    ["+14155552603", " \u200b ", "DC"],  # blank message: spaces and a zero-width space
    ["+14155552604", "Dee", "SF"],
]


def test_skipped_rows_keep_their_cells_and_blank_bodies_are_not_sent(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(trial=False, speedup=1000.0, delivery_delay=0.05)
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(ROWS)
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    sent = run_cli(
        [
            *SMSCAST,
            "send",
            str(contacts),
            "--template",
            "{name}",
            "--quiet-hours",
            "off",
            "--track",
            "0",
            "--send",
            "--yes",
        ],
        env,
        tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    assert sorted(m["to"] for m in sb.messages()) == ["+14155552601", "+14155552604"]
    assert all(m["body"].strip() for m in sb.messages())

    exported = run_cli([*SMSCAST, "export", "-o", "-"], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    by_row = {row["Row"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert len(by_row) == len(ROWS) - 1  # everyone in the file
    for number, (_phone, name, city) in enumerate(ROWS[1:], start=2):
        row = by_row[str(number)]
        assert (row["name"], row["city"]) == (name, city)  # the original cells, also skipped
    assert by_row["3"]["Status"] == "skipped" and by_row["4"]["Status"] == "skipped"
    assert "duplicate of row 2" in by_row["4"]["Detail"]
    assert by_row["5"]["Status"] == "skipped" and "empty" in by_row["5"]["Detail"]
    assert by_row["6"]["Status"] == "skipped" and "blank text" in by_row["6"]["Detail"]
