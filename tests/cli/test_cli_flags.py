"""Usage errors exit 2 and name the flag: every value flag of `send` and `resume` is checked by
an argparse `type=` (campaigns/cli/flags.py), before any file is read or any request
is made. Numbers and times are ASCII digits only."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.cli import main as cli


@pytest.fixture
def contacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMSCAST_TWILIO_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SMSCAST_DB", str(tmp_path / "j.db"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.csv"
    path.write_text("phone,name\n+14155550100,Ann\n")
    return path


BAD_SEND_FLAGS = [
    ("--quiet-hours", "25:00-26:00"),
    ("--quiet-hours", "08:60-21:00"),
    ("--quiet-hours", "０８:００-２１:００"),
    ("--quiet-hours", "٠٨:٠٠-٢١:٠٠"),
    ("--quiet-hours", "soon"),
    ("--limit", "0"),
    ("--limit", "-3"),
    ("--limit", "١٠"),
    ("--canary", "-1"),
    ("--canary", "５"),
    ("--region", "XX"),
    ("--region", "USA"),
    ("--rate", "fast"),
    ("--rate", "-5"),
    ("--rate", "nan"),
    ("--rate", "١٠"),
    ("--concurrency", "0"),
    ("--concurrency", "ten"),
    ("--concurrency", "１０"),
    ("--track", "-1"),
    ("--track", "inf"),
    ("--track", "٥"),
    ("--timeout", "0"),
    ("--timeout", "-2"),
    ("--timeout", "nan"),
    ("--verified-only", "maybe"),
]


@pytest.mark.parametrize(("flag", "value"), BAD_SEND_FLAGS)
def test_send_bad_flag_value_exits_2_naming_it(
    contacts: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["send", str(contacts), "-t", "Hi {name}", flag, value])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--rate", "fast"), ("--concurrency", "0"), ("--track", "-1"), ("--timeout", "0")],
)
def test_resume_bad_flag_value_exits_2(
    contacts: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["resume", flag, value])
    assert done.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


def test_quiet_hours_usage_error_says_what_is_wrong(
    contacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["send", str(contacts), "-t", "Hi", "--quiet-hours", "25:00-26:00"])
    err = capsys.readouterr().err
    assert "25:00 is not a time of day" in err


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--quiet-hours", "22:00-06:00"),
        ("--quiet-hours", "off"),
        ("--limit", "1"),
        ("--canary", "0"),
        ("--region", "gb"),
        ("--rate", "2.5"),
        ("--rate", "max"),
        ("--track", "0"),
        ("--timeout", "0.5"),
    ],
)
def test_good_flag_values_are_accepted(
    contacts: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    """A dry run without credentials: the value passes the parser and the plan is shown."""
    assert cli.main(["send", str(contacts), "-t", "Hi {name}", flag, value]) == 0
    assert "dry run" in capsys.readouterr().out
