"""`smscast suppress ...` through the real console entry point: output and exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from campaigns.audience.suppression import SuppressionList
from campaigns.cli.main import main


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private database; no real config file, environment or .env is read."""
    monkeypatch.chdir(tmp_path)
    for name in ("SMSCAST_DB", "SMSCAST_DATA_DIR", "SMSCAST_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "no-config.toml"))
    return tmp_path / "smscast.db"


def smscast(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit_info:  # argparse usage errors and --help
        return int(exit_info.code or 0)


def test_add_list_remove(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert smscast("suppress", "add", "(415) 555-0100", "--reason", "asked", "--db", str(db)) == 0
    assert "Added +14155550100" in capsys.readouterr().out
    assert smscast("suppress", "add", "+14155550100", "--db", str(db)) == 0
    assert "already listed" in capsys.readouterr().out
    assert smscast("suppress", "list", "--db", str(db)) == 0
    captured = capsys.readouterr()
    assert "+14155550100" in captured.out and "added by hand: asked" in captured.out
    assert "1 number on the suppression list" in captured.err
    assert smscast("suppress", "remove", "415-555-0100", "--db", str(db)) == 0
    assert "Removed +14155550100" in capsys.readouterr().out
    assert smscast("suppress", "remove", "+14155550100", "--db", str(db)) == 1
    assert "not on the suppression list" in capsys.readouterr().err
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_list_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SuppressionList(db) as suppressions:
        suppressions.record_opt_out("+15005550004", "20261125-abcdef")
    assert smscast("suppress", "list", "--json", "--db", str(db)) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["phone"] == "+15005550004"
    assert entry["source"] == "opt-out" and entry["campaign_id"] == "20261125-abcdef"


def test_empty_list(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert smscast("suppress", "list", "--db", str(db)) == 0
    assert "empty" in capsys.readouterr().out
    assert smscast("suppress", "list", "--json", "--db", str(db)) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_db_defaults_to_smscast_db_env(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSCAST_DB", str(db))
    assert smscast("suppress", "add", "+14155550100") == 0
    with SuppressionList(db) as suppressions:
        assert "+14155550100" in suppressions


def test_an_invalid_number_exits_1(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert smscast("suppress", "add", "hello", "--db", str(db)) == 1
    err = capsys.readouterr().err
    assert "not a valid phone number" in err and "Traceback" not in err


def test_import_reports_bad_rows_and_exits_1(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("+14155550100\n+14155550101\n", encoding="utf-8")
    assert smscast("suppress", "import", str(good), "--db", str(db)) == 0
    assert "Added 2 numbers" in capsys.readouterr().out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("phone,name\n+14155550102,a\nnope,b\n", encoding="utf-8")
    assert smscast("suppress", "import", str(mixed), "--db", str(db)) == 1
    captured = capsys.readouterr()
    assert "Added 1 number " in captured.out
    assert "row 3: 'nope'" in captured.err and "the other numbers were added" in captured.err
    assert smscast("suppress", "import", str(tmp_path / "missing.csv"), "--db", str(db)) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_export_to_stdout_and_to_a_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    smscast("suppress", "add", "+14155550100", "--db", str(db))
    capsys.readouterr()
    assert smscast("suppress", "export", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert out.startswith("phone,added_at,reason,campaign_id,source\r\n'+14155550100,")
    target = tmp_path / "list.csv"
    assert smscast("suppress", "export", "-o", str(target), "--db", str(db)) == 0
    assert "Wrote 1 number to" in capsys.readouterr().err
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "argv",
    [
        ("suppress",),
        ("suppress", "frobnicate"),
        ("suppress", "add"),
        ("suppress", "list", "--no-such-flag"),
    ],
)
def test_usage_errors_exit_2(db: Path, argv: tuple[str, ...]) -> None:
    assert smscast(*argv) == 2
