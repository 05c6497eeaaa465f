"""`smscast export [ID] -o FILE` through the real console entry point, on a real journal."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest

from campaigns.cli.main import main
from campaigns.store.journal import Journal, NewRecipient, Outcome


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path with no real config, environment or .env."""
    monkeypatch.chdir(tmp_path)
    for name in ("SMSCAST_DB", "SMSCAST_DATA_DIR", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "no-config.toml"))
    return tmp_path


def smscast(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit_info:
        return int(exit_info.code or 0)


def make_campaign(db: Path, names: list[str], *, secret: str = "") -> str:
    """A campaign with one delivered and one opted-out recipient per pair of names."""
    with Journal.open(db) as journal:
        campaign_id = journal.create_campaign(
            template="Hi {name}",
            source_name="contacts.csv",
            source_sha256="0" * 64,
            sender="+15005550006",
            messaging_service_sid=None,
            settings={"columns": ["name", "phone"], "note": secret},
            recipients=[
                NewRecipient(
                    row=i + 2,
                    to=f"+1415555{i:04d}",
                    body=f"Hi {name}",
                    segments=1,
                    cost=0.0083,
                    fields={"name": name, "phone": f"+1 415 555 {i:04d}"},
                )
                for i, name in enumerate(names)
            ],
        )
        journal.apply(
            campaign_id,
            outcomes=[
                Outcome(2, "delivered", sid="SM" + "a" * 32, price="-0.00790", segments=1),
                Outcome(3, "failed", error_code=21610, error_message="unsubscribed recipient"),
            ],
        )
    return campaign_id


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_latest_campaign_to_a_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = env / "smscast.db"
    make_campaign(db, ["Old", "Older"])
    newest = make_campaign(db, ["=cmd|' /C calc'!A0", "Bea"], secret="tok_SECRET_123")
    target = env / "out.csv"
    assert smscast("export", "-o", str(target), "--db", str(db)) == 0
    assert f"campaign {newest}" in capsys.readouterr().err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert b"tok_SECRET_123" not in raw  # nothing from the campaign's settings is exported
    rows = table(raw.decode("utf-8-sig"))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0", "Bea"]
    first, second = rows
    assert first["E.164"] == "'+14155550000" and first["Status"] == "delivered"
    assert first["Message SID"] == "SM" + "a" * 32 and first["Price"] == "-0.00790"
    assert second["Status"] == "failed" and second["Error code"] == "21610"
    assert "opted out" in second["Error meaning"]


def test_export_by_id_prefix_to_stdout(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = env / "smscast.db"
    first = make_campaign(db, ["Ann", "Bob"])
    make_campaign(db, ["Cy", "Di"])
    capsys.readouterr()
    assert smscast("export", first[:-1], "-o", "-", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert not out.startswith("\ufeff")
    assert [r["name"] for r in table(out)] == ["Ann", "Bob"]


def test_default_file_name_is_the_campaign_id(env: Path) -> None:
    db = env / "smscast.db"
    campaign_id = make_campaign(db, ["Ann", "Bob"])
    assert smscast("export", "--db", str(db)) == 0
    assert (env / f"smscast-{campaign_id}.csv").exists()


def test_unknown_campaign_exits_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = env / "smscast.db"
    make_campaign(db, ["Ann", "Bob"])
    assert smscast("export", "nope", "--db", str(db)) == 1
    assert "No campaign 'nope'" in capsys.readouterr().err


def test_no_journal_exits_1_without_creating_one(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = env / "missing.db"
    assert smscast("export", "--db", str(db)) == 1
    assert "No campaign journal" in capsys.readouterr().err
    assert not db.exists()


def test_empty_journal_exits_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = env / "smscast.db"
    Journal.open(db).close()
    assert smscast("export", "--db", str(db)) == 1
    assert "No campaigns yet" in capsys.readouterr().err


def test_usage_error_exits_2(env: Path) -> None:
    assert smscast("export", "--no-such-flag") == 2
