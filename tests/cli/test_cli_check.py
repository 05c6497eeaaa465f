"""`smscast check`: readable report, --json, exit codes, and no textual/twilio import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from campaigns.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_contacts.csv"


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A semicolon, cp1252 file with every kind of problem and warning."""
    path = tmp_path / "messy.csv"
    path.write_bytes(
        b"Pr\xe9nom;Nom;Portable\n"
        b"Ren\xe9e;Lee;+1 415 555 2671\n"  # 2 ok
        b"Bob;Lee;(415) 555-2671\n"  # 3 duplicate of 2, other name
        b"Cid;X;4.15555E+09\n"  # 4 scientific notation
        b"\n"  # 5 blank
        b"Dee;Y;447911123456\n"  # 6 lost +
        b"Eve;Z;\n"  # 7 missing
        b"Sophie;Taylor;+44 20 7946 0958\n"  # 8 landline
    )
    return path


def test_text_report(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(messy)]) == 0
    out = capsys.readouterr().out
    assert "6 rows; Windows-1252, semicolon-separated; default region US" in out
    assert "\n  phone column 'Portable'\n  name columns: 'Prénom', 'Nom'\n" in out
    assert "2 valid, 3 invalid, 1 duplicate (1 blank row skipped)" in out
    assert "row 3: '(415) 555-2671' duplicate: duplicate of row 2" in out
    assert "row 4: '4.15555E+09' scientific-notation:" in out
    assert "row 6: '447911123456' invalid: too long for a US number" in out
    assert "did you mean +447911123456?" in out
    assert "row 7: missing: no phone number" in out
    assert "row 8: landline:" in out
    assert "row 2: shared-number:" in out


def test_json_report(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(messy), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    report = json.loads(out)
    assert {
        "rows",
        "valid",
        "invalid",
        "duplicates",
        "phone_column",
        "encoding",
        "delimiter",
        "problems",
        "warnings",
    } <= set(report)
    assert (report["rows"], report["valid"], report["invalid"], report["duplicates"]) == (
        6,
        2,
        3,
        1,
    )
    assert report["rows"] == report["valid"] + report["invalid"] + report["duplicates"]
    assert (report["phone_column"], report["encoding"], report["delimiter"]) == (
        "Portable",
        "cp1252",
        ";",
    )
    assert report["columns"] == ["Prénom", "Nom", "Portable"]
    problems = {p["row"]: p for p in report["problems"]}
    assert problems[6] == {
        "row": 6,
        "column": "Portable",
        "value": "447911123456",
        "kind": "invalid",
        "reason": "too long for a US number",
        "suggestion": "+447911123456",
    }
    assert "suggestion" not in problems[4]
    assert [p["kind"] for p in report["problems"]] == [
        "duplicate",
        "scientific-notation",
        "invalid",
        "missing",
    ]
    assert [(w["row"], w["kind"]) for w in report["warnings"]] == [
        (2, "shared-number"),
        (8, "landline"),
    ]


def test_sample_file_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SAMPLE), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["invalid"], report["duplicates"]) == (1, 1)
    assert report["encoding"] == "utf-8"


def test_region_and_phone_column_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gb.csv"
    path.write_text("Name,Home,Work\nA,07400 123456,x\n", encoding="utf-8")
    assert main(["check", str(path), "--phone-column", "home", "--region", "gb", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["phone_column"], report["region"], report["valid"]) == ("Home", "GB", 1)


def test_unusable_file_exits_1_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "missing.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("smscast: Cannot read")
    assert "Traceback" not in err

    path = tmp_path / "nophone.csv"
    path.write_text("Name,City\nA,B\n", encoding="utf-8")
    assert main(["check", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "'Name', 'City'" in captured.err and "--phone-column" in captured.err


@pytest.mark.parametrize(
    "argv", [["check"], ["check", "x.csv", "--region", "XX"], ["check", "x.csv", "--nope"]]
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_console_script_in_a_subprocess(messy: Path) -> None:
    script = Path(sys.executable).with_name("smscast")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "campaigns.cli.main"]
    result = subprocess.run(
        [*command, "check", str(messy), "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] == 2


def test_check_imports_neither_textual_nor_twilio(messy: Path) -> None:
    code = (
        "import sys\n"
        "from campaigns.cli.main import main\n"
        f"assert main(['check', {str(messy)!r}, '--json']) == 0\n"
        "heavy = sorted(m for m in ('textual', 'twilio') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert "HEAVY []" in result.stderr, result.stderr
    assert result.returncode == 0


def test_check_refuses_a_fifo_and_binary_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait for one forever
    assert main(["check", str(fifo)]) == 1
    err = capsys.readouterr().err
    assert "is a pipe (FIFO), not a regular file" in err and "Traceback" not in err

    workbook = tmp_path / "export.csv"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml xl/workbook.xml")
    assert main(["check", str(workbook), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "it is an Excel workbook (.xlsx), but damaged or not complete" in captured.err
    assert "Traceback" not in captured.err


def test_check_json_lists_encoding_and_nul_problems_in_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "Name,Phone\nJosé,+14155552671\nZoë,+14155552672\n".encode()
        + b"Ren\xe9e,+14155552673\nNul\x00,+14155552674\n"
    )
    assert main(["check", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["encoding"], report["rows"], report["valid"], report["invalid"]) == (
        "utf-8",
        4,
        2,
        2,
    )
    assert [(p["row"], p["kind"]) for p in report["problems"]] == [(4, "encoding"), (5, "nul")]
    assert set(report["problems"][0]) == {"row", "column", "value", "kind", "reason"}
    assert report["problems"][0]["value"] == "Ren\ufffde"


def test_a_huge_cell_is_quoted_as_a_short_excerpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 200 KB paste in the phone column was printed whole in the report."""
    path = tmp_path / "c.csv"
    path.write_text("name,phone\nAnn,+14155550100\nBob," + "9" * 200_000 + "\n", encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("  row 3:"))
    assert len(line) < 300 and "…" in line
