"""A Google Contacts export saved as an .xlsx, sent for real (the SDK against the sandbox over
loopback): each person is texted once, on the number labelled mobile (never the home one),
and the export says which column and label each number came from."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from send_support import SMSCAST, run_cli, smscast_env

from campaigns.sandbox import Sandbox

HEADER = ["First Name", "Last Name", "Labels", "Phone 1 - Label", "Phone 1 - Value",
          "Phone 2 - Label", "Phone 2 - Value"]  # fmt: skip
ROWS = [
    ["Ana", "Silva", "* myContacts", "Home", "+1 415 555 0100", "Mobile", "+1 415 555 0101"],
    ["Ben", "Jones", "* myContacts", "Mobile", 14155550102, "Work", "+1 415 555 0103"],
    ["Cleo", "Ng", "* myContacts", "Work Fax", "+1 415 555 0104", "", ""],
]


def test_a_google_export_in_a_workbook_texts_each_mobile_once(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "contacts"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    path = tmp_path / "google.xlsx"
    workbook.save(path)

    sb = sandbox_factory(trial=False, speedup=1000.0)
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    sent = run_cli(
        [*SMSCAST, "send", str(path), "--sheet", "contacts", "--template", "Hi {first_name}",
         "--send", "--yes", "--quiet-hours", "off", "--track", "0"],
        env,
        tmp_path,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert sorted((m["to"], m["body"]) for m in sb.messages()) == [
        ("+14155550101", "Hi Ana"),
        ("+14155550102", "Hi Ben"),  # a number cell, read as its digits
    ]
    listed = run_cli([*SMSCAST, "campaigns", "--json"], env, tmp_path)
    (campaign,) = [json.loads(line) for line in listed.stdout.splitlines()]
    cid = campaign["campaign_id"]
    exported = run_cli([*SMSCAST, "export", cid, "-o", "-"], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    from_column = {r["First Name"]: r["Chosen Phone From"] for r in rows}
    assert from_column["Ana"] == "Phone 2 - Value (Mobile)"
    assert from_column["Ben"] == "Phone 1 - Value (Mobile)"
    assert from_column["Cleo"] == ""  # a fax only: no message, and the export says why
