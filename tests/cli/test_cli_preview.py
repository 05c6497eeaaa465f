"""`smscast preview`: per-recipient messages, totals, JSON lines, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaigns.cli.main import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main

CSV = (
    "First Name,Phone,City\n"
    "Ana,+1 415 555 2671,San Francisco\n"
    ",(415) 555-2672,\n"
    "Bea,+44 20 7946 0958,London\n"
    "Bad,12,Nowhere\n"
    "Ana again,+14155552671,Duplicate\n"
    "Zoë,+49 151 12345678,Berlin\n"
)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real config file, .env or credentials: default prices and region US."""
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_text_preview_shows_each_message_and_totals(
    contacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(
        capsys, "preview", str(contacts), "--template", "Hi {first_name}, see you in {city|town}!"
    )
    assert status == EXIT_OK, err
    assert "6 rows, 4 messages to send (2 rows with unusable numbers left out" in out
    assert (
        "row 2  +14155552671  GSM-7  1 segment  ~$0.0083\n    Hi Ana, see you in San Francisco!"
        in out
    )
    assert "row 3  +14155552672" in out and "    Hi , see you in town!" in out
    assert "row 7  +4915112345678  UCS-2 (because of ë)  1 segment" in out  # ë is not GSM-7
    assert "Warnings (1)" in out and "row 3: empty-field: 'First Name' is empty" in out
    assert "Total: 4 messages, 4 segments, estimated cost $0." in out
    assert "an estimate" in out
    assert "Segments per message: 1: 4 messages" in out


def test_ucs2_and_long_messages_are_explained(
    contacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = "“Hello” {first_name|friend}… " + "x" * 70
    status, out, _ = run(capsys, "preview", str(contacts), "-t", template)
    assert status == EXIT_OK
    assert "UCS-2 (because of “ ” …)  2 segments" in out
    assert "Segments per message: 2: 4 messages" in out
    assert "4 messages use UCS-2" in out
    assert "Smart Encoding would send 5 segments instead of 8" in out  # Zoë stays UCS-2


def test_json_lines_and_summary(contacts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "preview", str(contacts), "-t", "Hi {first_name|there} " + "y" * 152, "--json"
    )
    assert status == EXIT_OK
    lines = [json.loads(line) for line in out.splitlines()]
    recipients, summary = lines[:-1], lines[-1]["summary"]
    assert [r["row"] for r in recipients] == [2, 3, 4, 7]
    assert set(recipients[0]) == {"row", "to", "body", "encoding", "segments", "cost"}
    assert recipients[1]["body"] == "Hi there " + "y" * 152  # 161 characters
    assert recipients[1]["segments"] == 2 and recipients[1]["cost"] == pytest.approx(2 * 0.0083)
    assert recipients[2]["to"] == "+442079460958"
    assert recipients[2]["segments"] == 1 and recipients[2]["cost"] == pytest.approx(0.0524)
    assert recipients[3]["encoding"] == "UCS-2" and recipients[3]["segments"] == 3
    assert summary["messages"] == 4 and summary["segments"] == 7
    assert summary["histogram"] == {"1": 2, "2": 1, "3": 1}
    assert summary["cost"] == pytest.approx(sum(r["cost"] for r in recipients))
    assert summary["currency"] == "USD" and summary["estimate"] is True
    assert summary["rows"] == 6 and summary["skipped_rows"] == 2
    assert summary["warnings"] == []


def test_limit_shortens_the_listing_not_the_totals(
    contacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "preview", str(contacts), "-t", "Hi", "--json", "--limit", "1")
    assert status == EXIT_OK
    lines = out.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["summary"]["messages"] == 4

    status, out, _ = run(capsys, "preview", str(contacts), "-t", "Hi", "--limit", "2")
    assert status == EXIT_OK
    assert out.count("\nrow ") == 2
    assert "... and 2 more (shown: the first 2)" in out


def test_template_from_file_and_prices_from_config(
    contacts: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[prices]\nUS = 0.02\ndefault = 0.5\n", encoding="utf-8")
    monkeypatch.setenv("SMSCAST_CONFIG", str(config))
    message = tmp_path / "message.txt"
    message.write_text("Hello {first_name|you}\nfrom {{smscast}}\n", encoding="utf-8")
    status, out, _ = run(capsys, "preview", str(contacts), "-t", f"@{message}", "--json")
    assert status == EXIT_OK
    first = json.loads(out.splitlines()[0])
    assert first["body"] == "Hello Ana\nfrom {smscast}"
    assert first["cost"] == 0.02
    last = json.loads(out.splitlines()[-2])
    assert last["to"] == "+4915112345678" and last["cost"] == 0.0903


def test_body_too_long_is_reported_and_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "phone,note\n+14155552671,short\n+14155552672," + "z" * 1700 + "\n", encoding="utf-8"
    )
    status, out, _ = run(capsys, "preview", str(path), "-t", "{note}")
    assert status == EXIT_OK
    assert "Problems (1), these rows get no message:" in out
    assert "row 3: body-too-long" in out
    assert "Total: 1 message, 1 segment" in out


def test_phone_column_and_region_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "uk.csv"
    path.write_text("name;handy\nAmy;020 7946 0958\n", encoding="utf-8")
    status, out, _ = run(
        capsys, "preview", str(path), "-t", "Hi {name}", "--phone-column", "handy",
        "--region", "gb", "--json",
    )  # fmt: skip
    assert status == EXIT_OK
    assert json.loads(out.splitlines()[0])["to"] == "+442079460958"


def test_unknown_placeholder_is_exit_1_with_suggestion(
    contacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "preview", str(contacts), "-t", "Hi {frist_name}")
    assert status == EXIT_ERROR
    assert out == ""
    assert "{frist_name}" in err and "{first_name}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "template", ["Hi {first_name.upper}", "Hi {first_name!r}", "Hi {", "Hi }", "   "]
)
def test_bad_templates_are_exit_1(
    contacts: Path, capsys: pytest.CaptureFixture[str], template: str
) -> None:
    status, _, err = run(capsys, "preview", str(contacts), "-t", template)
    assert status == EXIT_ERROR
    assert err.startswith("smscast: ") and "Traceback" not in err


def test_missing_files_are_exit_1(
    contacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "preview", str(tmp_path / "nope.csv"), "-t", "Hi")
    assert status == EXIT_ERROR and "nope.csv" in err
    status, _, err = run(capsys, "preview", str(contacts), "-t", f"@{tmp_path / 'nope.txt'}")
    assert status == EXIT_ERROR and "nope.txt" in err


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["-t", "Hi", "--limit", "-1"],
        ["-t", "Hi", "--limit", "x"],
        ["-t", "Hi", "--region", "XX"],
    ],
)
def test_usage_errors_are_exit_2(
    contacts: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    status, _, err = run(capsys, "preview", str(contacts), *extra)
    assert status == EXIT_USAGE
    assert "usage:" in err


def test_sample_contacts_preview(capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[2] / "sample_contacts.csv"
    status, out, _ = run(capsys, "preview", str(sample), "-t", "Hi {first_name|there}!", "--json")
    assert status == EXIT_OK
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert summary["messages"] >= 15
    assert summary["messages"] + summary["skipped_rows"] == summary["rows"]
