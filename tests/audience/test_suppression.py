"""The suppression list: CRUD, E.164 normalisation, import with bad rows, export, 0600, and
living in the journal's database file."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.audience.suppression import (
    SOURCE_IMPORT,
    SOURCE_MANUAL,
    SOURCE_OPT_OUT,
    Suppression,
    SuppressionList,
)
from campaigns.errors import InputError
from campaigns.store.journal import SCHEMA_VERSION, Journal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def suppressions(tmp_path: Path):
    with SuppressionList(tmp_path / "data" / "smscast.db") as opened:
        yield opened


def test_add_contains_remove(suppressions: SuppressionList) -> None:
    assert "+14155550100" not in suppressions
    assert suppressions.add("(415) 555-0100", reason="asked") is True
    assert "+14155550100" in suppressions
    assert "415 555 0100" in suppressions  # any written form
    assert 14155550100 not in suppressions  # type: ignore[operator]
    assert suppressions.numbers() == frozenset({"+14155550100"})
    assert len(suppressions) == 1
    assert suppressions.remove("+14155550100") is True
    assert suppressions.remove("+14155550100") is False
    assert "+14155550100" not in suppressions and len(suppressions) == 0


def test_adding_twice_keeps_the_first_entry(suppressions: SuppressionList) -> None:
    assert suppressions.add("+14155550100", reason="first") is True
    assert suppressions.add("+1 415 555 0100", reason="second") is False
    (entry,) = suppressions.list()
    assert entry.reason == "first" and entry.source == SOURCE_MANUAL


def test_an_invalid_number_is_refused_with_a_sentence(suppressions: SuppressionList) -> None:
    with pytest.raises(InputError) as info:
        suppressions.add("12345")
    assert "12345" in str(info.value) and "not a valid phone number" in str(info.value)
    assert "+14155550100" in (info.value.hint or "")
    assert len(suppressions) == 0


def test_region_applies_to_national_numbers(tmp_path: Path) -> None:
    with SuppressionList(tmp_path / "s.db", region="GB") as gb:
        gb.add("07400 123456")
        assert gb.numbers() == frozenset({"+447400123456"})


def test_opt_out_entry_says_when_and_which_campaign(suppressions: SuppressionList) -> None:
    assert suppressions.record_opt_out("+15005550004", "20261125-abcdef") is True
    entry = suppressions.get("+15005550004")
    assert entry is not None
    assert entry.source == SOURCE_OPT_OUT and entry.campaign_id == "20261125-abcdef"
    assert "21610" in entry.reason
    assert entry.added_at.tzinfo is not None
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert entry.sentence() == f"opted out: replied STOP on {today} (campaign 20261125-abcdef)"
    assert suppressions.entries() == {"+15005550004": entry}


def test_sentences_for_manual_and_imported_entries() -> None:
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    manual = Suppression("+14155550100", when, "asked by phone", None, SOURCE_MANUAL)
    imported = Suppression("+14155550100", when, "", None, SOURCE_IMPORT)
    assert manual.sentence() == (
        "on the suppression list since 2026-11-20 (added by hand: asked by phone)"
    )
    assert imported.sentence() == "on the suppression list since 2026-11-20 (imported)"


def test_database_file_is_created_0600_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "smscast.db"
    with SuppressionList(path) as suppressions:
        suppressions.add("+14155550100")
        assert mode(path) == 0o600
        wal = Path(f"{path}-wal")
        assert wal.exists() and mode(wal) == 0o600
        assert mode(path.parent) == 0o700
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_shares_the_file_with_the_journal_opened_first(tmp_path: Path) -> None:
    path = tmp_path / "smscast.db"
    with Journal.open(path):
        pass
    with SuppressionList(path) as suppressions:
        suppressions.add("+14155550100")
    with Journal.open(path) as journal:
        assert journal.campaigns() == []
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"campaigns", "recipients", "suppressions"} <= tables
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_shares_the_file_with_the_journal_opened_second(tmp_path: Path) -> None:
    path = tmp_path / "smscast.db"
    with SuppressionList(path) as suppressions:
        suppressions.add("+14155550100")
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone() == (0,)  # not ours to set
        with Journal.open(path) as journal:  # the journal migrates the file it finds
            assert journal.campaigns() == []
        assert "+14155550100" in suppressions
    assert mode(path) == 0o600


# -- import and export ---------------------------------------------------------------------


def test_import_csv_with_bad_rows(suppressions: SuppressionList, tmp_path: Path) -> None:
    source = tmp_path / "stops.csv"
    source.write_text(
        "Name;Mobile;Note\n"
        "Ann;+1 415 555 0100;\n"
        "Bob;12345;\n"
        "Cy;(212) 555-0101;\n"
        ";;\n"
        "Di;4.15555E+09;\n"
        "Ed;+1 415 555 0100;\n",
        encoding="utf-8",
    )
    added, problems = suppressions.import_file(source)
    assert added == 2
    assert suppressions.numbers() == frozenset({"+14155550100", "+12125550101"})
    assert [(p.row, p.value, p.kind) for p in problems] == [
        (3, "12345", "invalid"),
        (6, "4.15555E+09", "scientific-notation"),
    ]
    assert all(p.column == "Mobile" and p.reason for p in problems)
    entry = suppressions.get("+12125550101")
    assert entry is not None and entry.source == SOURCE_IMPORT
    assert entry.reason == "imported from stops.csv"


def test_import_one_number_per_line(suppressions: SuppressionList, tmp_path: Path) -> None:
    source = tmp_path / "stops.txt"
    source.write_bytes(
        b"\xef\xbb\xbf# numbers that replied STOP elsewhere\r\n"
        b"+14155550100\r\n\r\n415-555-0102\r\nnot a number\r\n"
    )
    added, problems = suppressions.import_file(source)
    assert added == 2
    assert [(p.row, p.value) for p in problems] == [(5, "not a number")]


def test_import_headerless_csv_uses_the_first_column(
    suppressions: SuppressionList, tmp_path: Path
) -> None:
    source = tmp_path / "plain.csv"
    source.write_text("+14155550100,Ann\n+14155550101,Bob\n", encoding="utf-8")
    assert suppressions.import_file(source) == (2, [])


def test_import_of_a_missing_file_is_an_input_error(
    suppressions: SuppressionList, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="Cannot read"):
        suppressions.import_file(tmp_path / "nope.csv")


def test_export_round_trips_and_is_safe(suppressions: SuppressionList, tmp_path: Path) -> None:
    suppressions.add("+14155550100", reason='=HYPERLINK("http://evil.example","x")')
    suppressions.record_opt_out("+12125550101", "20261125-abcdef")
    target = tmp_path / "out.csv"
    assert suppressions.export(target) == 2
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert mode(target) == 0o600
    text = data.decode("utf-8-sig")
    assert "'+14155550100" in text and "'=HYPERLINK" in text
    with SuppressionList(tmp_path / "other.db") as other:
        assert other.import_file(target) == (2, [])
        assert other.numbers() == suppressions.numbers()
        entry = other.get("+14155550100")
        assert entry is not None and entry.reason.startswith("=HYPERLINK")


def test_import_finds_the_phone_column_by_the_contacts_rules(
    suppressions: SuppressionList, tmp_path: Path
) -> None:
    """`phone_number` (snake case, second column) is found as in contacts files."""
    source = tmp_path / "stops.csv"
    source.write_text("name,phone_number\nAda,+14155550100\n", encoding="utf-8")
    added, problems = suppressions.import_file(source)
    assert (added, problems) == (1, [])
    assert "+14155550100" in suppressions


def test_import_reads_excel_unicode_text(suppressions: SuppressionList, tmp_path: Path) -> None:
    """Excel's "Unicode text" (UTF-16 with BOM, tab-separated) imports like a CSV."""
    source = tmp_path / "stops.txt"
    source.write_bytes("Name\tMobile\nZoë\t+14155550100\n".encode("utf-16"))
    added, problems = suppressions.import_file(source)
    assert (added, problems) == (1, [])
    assert "+14155550100" in suppressions


def test_import_reads_a_cr_only_csv(suppressions: SuppressionList, tmp_path: Path) -> None:
    source = tmp_path / "stops.csv"
    source.write_bytes(b"Name,Phone\rAnn,+14155550100\rBob,12345\rCy,+14155550101\r")
    added, problems = suppressions.import_file(source)
    assert added == 2
    assert [(p.row, p.value) for p in problems] == [(3, "12345")]


def test_import_refuses_pipes_and_binary_files(
    suppressions: SuppressionList, tmp_path: Path
) -> None:
    import os

    fifo = tmp_path / "stops.csv"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait forever
    with pytest.raises(InputError, match=r"is a pipe \(FIFO\), not a regular file"):
        suppressions.import_file(fifo)
    archive = tmp_path / "stops.zip.csv"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputError, match=r"it is a ZIP archive saved with a \.csv name"):
        suppressions.import_file(archive)
    assert len(suppressions) == 0
