"""campaigns.contacts: Excel-like files of every kind, row numbers, problems and warnings."""

from __future__ import annotations

import concurrent.futures
import hashlib
from pathlib import Path

import pytest

from campaigns import contacts
from campaigns.contacts import Contact, ContactWarning, Problem, load_contacts
from campaigns.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, data: bytes, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_plain_utf8_comma(tmp_path: Path) -> None:
    path = write(tmp_path, b"Name,Phone,Zip\nAnn,(415) 555-2671,02134\nBob,+44 7400 123456,007\n")
    book = load_contacts(path)
    assert (book.encoding, book.delimiter, book.phone_column) == ("utf-8", ",", "Phone")
    assert book.columns == ["Name", "Phone", "Zip"]
    assert (book.rows, book.valid, book.invalid, book.duplicates) == (2, 2, 0, 0)
    assert book.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert book.region == "US"
    assert list(book.contacts) == [
        Contact(
            2,
            "+14155552671",
            {"Name": "Ann", "Phone": "(415) 555-2671", "Zip": "02134"},
            ("America/Los_Angeles",),
        ),
        Contact(
            3,
            "+447400123456",
            {"Name": "Bob", "Phone": "+44 7400 123456", "Zip": "007"},
            book.contacts[1].timezones,
        ),
    ]
    assert "Europe/London" in book.contacts[1].timezones


def test_utf8_bom_semicolons_and_trimmed_headers(tmp_path: Path) -> None:
    data = "\ufeff First Name ; Mobile Number ;City\nZoë;+49 151 23456789;Köln\n".encode()
    book = load_contacts(write(tmp_path, data))
    assert (book.encoding, book.delimiter) == ("utf-8-sig", ";")
    assert book.columns == ["First Name", "Mobile Number", "City"]
    assert book.phone_column == "Mobile Number"
    assert book.contacts[0].fields["First Name"] == "Zoë"
    assert book.contacts[0].fields["City"] == "Köln"


def test_cp1252_fallback(tmp_path: Path) -> None:
    # Excel's "CSV" on Windows: cp1252, semicolons in many locales; é = 0xE9, ’ = 0x92.
    data = (
        b"Pr\xe9nom;T\xe9l\xe9phone;Tel\n"
        b"Ren\xe9e;x;+33 6 12 34 56 78\n"
        b"D\x92Arcy;y;+33 7 81 23 45 67\n"
    )
    book = load_contacts(write(tmp_path, data))
    assert (book.encoding, book.delimiter, book.phone_column) == ("cp1252", ";", "Tel")
    assert book.columns == ["Prénom", "Téléphone", "Tel"]
    assert [c.fields["Prénom"] for c in book.contacts] == ["Renée", "D’Arcy"]


def test_utf16_unicode_text_with_tabs(tmp_path: Path) -> None:
    # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated, CRLF.
    text = "Name\tPhone\r\nJosé\t+52 55 1234 5678\r\nÅsa\t+34 612 345 678\r\n"
    book = load_contacts(write(tmp_path, b"\xff\xfe" + text.encode("utf-16-le"), "u.txt"))
    assert (book.encoding, book.delimiter) == ("utf-16", "\t")
    assert [c.phone for c in book.contacts] == ["+525512345678", "+34612345678"]
    assert book.contacts[0].fields["Name"] == "José"


def test_pipe_delimiter_and_explicit_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, b"name|cell\nA|+1 415 555 2671\n")
    assert load_contacts(path).delimiter == "|"
    book = load_contacts(path, delimiter="|", encoding="utf-8")
    assert book.valid == 1


def test_row_numbers_survive_blank_lines_and_multiline_quotes(tmp_path: Path) -> None:
    data = (
        b"Name,Phone,Note\n"  # row 1
        b'Ann,+1 415 555 2671,"a, b"\n'  # row 2
        b"\n"  # row 3: blank, skipped
        b'Bob,+44 7400 123456,"line one\nline two, still Bob"\n'  # row 4 (two lines)
        b",,\n"  # row 5: empty cells only, skipped
        b'"Cid\r\nJr.",not a number,x\n'  # row 6 (two lines)
        b"   \n"  # row 7: whitespace only, skipped
        b"Dee,,y\n"  # row 8: no phone
        b"Eve,+1 415 555 2672,z\n"  # row 9
    )
    book = load_contacts(write(tmp_path, data))
    assert [c.row for c in book.contacts] == [2, 4, 9]
    assert book.contacts[1].fields["Note"] == "line one\nline two, still Bob"
    assert book.contacts[0].fields["Note"] == "a, b"
    assert [(p.row, p.kind) for p in book.problems] == [(6, "invalid"), (8, "missing")]
    assert book.blank_rows == 3
    assert (book.rows, book.valid, book.invalid, book.duplicates) == (5, 3, 2, 0)


def test_crlf_blank_lines_count_as_rows(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"Name,Phone\r\nA,+1 415 555 2671\r\n\r\nB,bad\r\n\r\n"))
    assert ([p.row for p in book.problems], book.blank_rows, book.rows) == ([4], 2, 2)


def test_excel_sep_line(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"sep=;\r\nName;Phone\r\nA;bad\r\n"))
    assert (book.delimiter, book.columns) == (";", ["Name", "Phone"])
    assert [p.row for p in book.problems] == [2]


def test_leading_blank_lines_do_not_hide_the_header(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"\n\r\nPhone\n+1 415 555 2671\nbad\n"))
    assert book.columns == ["Phone"]
    assert [p.row for p in book.problems] == [3]


def test_every_problem_kind_with_reason_and_suggestion(tmp_path: Path) -> None:
    data = (
        b"Name,Phone\n"
        b"Ann,4.15555E+09\n"  # 2: Excel showed it as a figure
        b"Bob,447911123456\n"  # 3: lost +
        b"Cid,\n"  # 4: missing
        b"Dee,+1 415 555 01\n"  # 5: too short
        b"Eve,+999 1234567\n"  # 6: bad country code
        b"Fay,(415) 555-2671\n"  # 7: ok
        b"Gus,+1 415-555-2671\n"  # 8: duplicate of 7, other format
        b"Hal,415 555 2671\n"  # 9: duplicate of 7 again
    )
    book = load_contacts(write(tmp_path, data))
    by_row = {p.row: p for p in book.problems}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 8, 9]
    assert by_row[2].kind == "scientific-notation" and "destroyed" in by_row[2].reason
    assert by_row[3] == Problem(
        3, "Phone", "447911123456", "invalid", "too long for a US number", "+447911123456"
    )
    assert (by_row[4].kind, by_row[4].value) == ("missing", "")
    assert "too short" in by_row[5].reason
    assert "country code" in by_row[6].reason
    assert by_row[8].kind == "duplicate" and "row 7" in by_row[8].reason
    assert by_row[9].kind == "duplicate" and "row 7" in by_row[9].reason
    assert by_row[8].value == "+1 415-555-2671"
    assert (book.rows, book.valid, book.invalid, book.duplicates) == (8, 1, 5, 2)
    assert book.rows == book.valid + book.invalid + book.duplicates
    assert [c.row for c in book.contacts] == [7]


def test_lost_trunk_zero_with_region(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"Telefono\n612345678\n06 1234 5679\n"), region="it")
    assert book.region == "IT"
    assert book.problems == [
        Problem(2, "Telefono", "612345678", "invalid", book.problems[0].reason, "+390612345678")
    ]
    assert [c.phone for c in book.contacts] == ["+390612345679"]


def test_warnings_landline_and_shared_number(tmp_path: Path) -> None:
    data = (
        b"First Name,Last Name,Phone\n"
        b"Sophie,Taylor,+44 20 7946 0958\n"  # 2: GB landline
        b"Ann,Lee,+1 415 555 2671\n"  # 3
        b"Bob,Lee,(415) 555-2671\n"  # 4: same number, other name
        b"ann,lee,415.555.2671\n"  # 5: same number, same name (case aside)
    )
    book = load_contacts(write(tmp_path, data))
    assert book.warnings == [
        ContactWarning(2, "landline", book.warnings[0].message),
        ContactWarning(3, "shared-number", book.warnings[1].message),
    ]
    assert "landline" in book.warnings[0].message and "+442079460958" in book.warnings[0].message
    shared = book.warnings[1].message
    assert "Ann Lee" in shared and "Bob Lee" in shared and "row 4" in shared
    # Warnings exclude no one: the landline row is a contact.
    assert [c.row for c in book.contacts] == [2, 3]
    assert book.duplicates == 2


@pytest.mark.parametrize(
    "header",
    ["Phone_Number", " phone-number ", "PHONE  NUMBER", "Mobile.No", "Téléphone", "msisdn"],
)
def test_phone_header_spellings(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"Name,{header},Note\nA,+1 415 555 2671,x\n".encode())
    assert load_contacts(path).phone_column == header.strip()


def test_phone_column_aliases_and_flag(tmp_path: Path) -> None:
    path = write(tmp_path, b"Name,  CELL PHONE ,Office Tel\nA,+1 415 555 2671,+1 212 555 7842\n")
    assert load_contacts(path).phone_column == "CELL PHONE"
    book = load_contacts(path, phone_column=" office tel")
    assert book.phone_column == "Office Tel"
    assert book.contacts[0].phone == "+12125557842"


def test_unknown_phone_column_flag_lists_columns(tmp_path: Path) -> None:
    path = write(tmp_path, b"Name,Digits\nA,1\n")
    with pytest.raises(InputError) as err:
        load_contacts(path, phone_column="Mobile")
    assert "'Name', 'Digits'" in str(err.value)
    assert "--phone-column" in err.value.full()


def test_no_phone_column_lists_columns_and_names_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, b"Name,Digits,City\nA,1,B\n")
    with pytest.raises(InputError) as err:
        load_contacts(path)
    assert "'Name', 'Digits', 'City'" in str(err.value)
    assert "--phone-column" in err.value.full()


def test_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot read"):
        load_contacts(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="empty"):
        load_contacts(write(tmp_path, b"", "empty.csv"))
    with pytest.raises(InputError, match="not a readable table"):
        load_contacts(write(tmp_path, b"Name,Phone\nA,1,2,3\n", "ragged.csv"))
    with pytest.raises(InputError, match="Cannot read the file as ascii"):
        load_contacts(write(tmp_path, "Phone\né\n".encode(), "x.csv"), encoding="ascii")


def test_header_only_file(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"Phone,Name\n"))
    assert (book.rows, book.valid, len(book.contacts), book.problems) == (0, 0, 0, [])


def test_lazy_contacts_sequence(tmp_path: Path) -> None:
    rows = "".join(f"P{i},+1 415 555 {2600 + i}\n" for i in range(30))
    book = load_contacts(write(tmp_path, f"Name,Phone\n{rows}".encode()))
    seq = book.contacts
    assert len(seq) == 30
    assert seq[-1] == seq[29]
    assert seq[-1].row == 31
    assert [c.row for c in seq[2:5]] == [4, 5, 6]
    assert [c.fields["Name"] for c in seq] == [f"P{i}" for i in range(30)]
    with pytest.raises(IndexError):
        seq[30]


def test_worker_processes_give_the_same_book(tmp_path: Path, monkeypatch) -> None:
    lines = ["First Name,Phone"]
    for i in range(300):
        phone = [
            f"+1 415 555 {1000 + i}",
            f"(212) 555-{1000 + i}",
            f"+44 7400 {100000 + i}",
            "bad",
            f"4.1555{i}E+09",
            "",
        ][i % 6]
        lines.append(f"N{i % 7},{phone}")
    lines.append("X,+1 415 555 1000")  # a duplicate of row 2
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())
    single = load_contacts(path)
    monkeypatch.setattr(contacts, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(contacts, "_CHUNK", 37)
    parallel = load_contacts(path)
    assert single.valid == 150 and single.duplicates == 1
    assert list(parallel.contacts) == list(single.contacts)
    assert parallel.problems == single.problems
    assert parallel.warnings == single.warnings


def test_workers_from_a_thread_use_a_fork_server(tmp_path: Path, monkeypatch) -> None:
    # As in the TUI: loaded on a worker thread, where forking would be unsafe.
    rows = "".join(f"P{i},+1 415 555 {2000 + i}\n" for i in range(60))
    path = write(tmp_path, f"Name,Phone\n{rows}P,bad\n".encode())
    monkeypatch.setattr(contacts, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(contacts, "_CHUNK", 25)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(contacts._start_method).result() == "forkserver"
        book = pool.submit(load_contacts, path).result(timeout=120)
    assert (book.valid, book.invalid) == (60, 1)
    assert book.contacts[59].phone == "+14155552059"


def test_unknown_region_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Unknown region 'XX'"):
        load_contacts(write(tmp_path, b"Phone\n1\n"), region="XX")


def test_sample_contacts_file() -> None:
    book = load_contacts(ROOT / "sample_contacts.csv")
    assert 20 <= book.rows <= 30
    assert (book.invalid, book.duplicates) == (1, 1)
    assert book.problems[0].suggestion is not None
    assert sum(1 for c in book.contacts if not c.fields["First Name"].strip()) == 1
    regions = {contacts.region_of(c.phone) for c in book.contacts}
    assert {"US", "CA", "GB", "DE", "FR", "AU", "IN", "BR", "MX"} <= regions
    assert "Appointment" in book.columns
