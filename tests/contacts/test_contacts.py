"""campaigns.contacts: Excel-like files of every kind, row numbers, problems and warnings."""

from __future__ import annotations

import concurrent.futures
import hashlib
from pathlib import Path

import pytest

from campaigns.contacts import book as contacts
from campaigns.contacts import checking, reading
from campaigns.contacts.book import load_contacts
from campaigns.contacts.rows import Contact, ContactWarning, Problem
from campaigns.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


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
    book = load_contacts(path)  # a mobile column and an office one: the mobile is chosen
    assert book.phone_column == "Chosen Phone"
    assert book.contacts[0].phone == "+14155552671"
    assert book.contacts[0].fields["Chosen Phone From"] == "CELL PHONE"
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
    monkeypatch.setattr(checking, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(checking, "_CHUNK", 37)
    parallel = load_contacts(path)
    assert single.valid == 150 and single.duplicates == 1
    assert list(parallel.contacts) == list(single.contacts)
    assert parallel.problems == single.problems
    assert parallel.warnings == single.warnings


def test_workers_from_a_thread_use_a_fork_server(tmp_path: Path, monkeypatch) -> None:
    # As in the TUI: loaded on a worker thread, where forking would be unsafe.
    rows = "".join(f"P{i},+1 415 555 {2000 + i}\n" for i in range(60))
    path = write(tmp_path, f"Name,Phone\n{rows}P,bad\n".encode())
    monkeypatch.setattr(checking, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(checking, "_CHUNK", 25)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(checking._start_method).result() == "forkserver"
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


# --- files the sniffer and the parser must survive (issue 10) -------------------------------


def test_cr_only_file_reads_with_spreadsheet_rows(tmp_path: Path) -> None:
    # Old Mac line ends: a lone CR ends each row; a blank line is still a row; a CR inside a
    # quoted cell stays in the cell.
    data = b'Name,Phone\r"Ann\rLee",+14155552671\r\rBob,12345\rCid,+14155552672\r'
    book = load_contacts(write(tmp_path, data))
    assert (book.delimiter, book.valid, book.invalid, book.blank_rows) == (",", 2, 1, 1)
    assert [c.row for c in book.contacts] == [2, 5]
    assert book.contacts[0].fields["Name"] == "Ann\rLee"
    assert [(p.row, p.kind) for p in book.problems] == [(4, "invalid")]


def test_sep_line_ended_by_a_lone_cr(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"sep=;\rName;Phone\rAnn;+14155552671\r"))
    assert (book.delimiter, book.columns, book.contacts[0].row) == (";", ["Name", "Phone"], 2)


def test_a_field_over_128_kib_reads(tmp_path: Path) -> None:
    note = "x" * 200_000  # past the csv module's field limit (131072)
    data = f"Name;Note;Phone\nAnn;{note};+14155552671\nBob;short;+14155552672\n".encode()
    book = load_contacts(write(tmp_path, data))
    assert (book.delimiter, book.valid) == (";", 2)
    assert book.contacts[0].fields["Note"] == note
    assert book.contacts[1].row == 3


def test_a_file_without_line_breaks_gets_a_short_sentence(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot find the phone number column") as error:
        load_contacts(write(tmp_path, b"\x1b]0;x" + b"y" * 300_000))
    assert len(error.value.full()) < 400  # never the file itself
    assert "\x1b" not in error.value.full() and "\\x1b" in error.value.full()


def test_many_columns_are_listed_briefly(tmp_path: Path) -> None:
    header = ",".join(f"column number {i} " + "z" * 100 for i in range(500))
    with pytest.raises(InputError, match="and 488 more") as error:
        load_contacts(write(tmp_path, f"{header}\n".encode()))
    assert len(str(error.value)) < 12 * 50


@pytest.mark.parametrize(
    ("data", "named", "hint"),
    [
        (
            b"PK\x03\x04" + b"\x00" * 30 + b"data.csv",
            "a ZIP archive saved with a .csv name",
            "Unpack it",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 30 + b"word/document.xml",
            "a Word document (.docx) saved with a .csv name",
            "export them",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document", "export them"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "a gzip-compressed file", "Unpack it"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "an SQLite database", "export them"),
        (bytes(range(256)) * 40, "binary data, not text", "export them"),
    ],
)
def test_binary_files_are_named_not_read(
    tmp_path: Path, data: bytes, named: str, hint: str
) -> None:
    with pytest.raises(InputError) as error:
        load_contacts(write(tmp_path, data))
    message = error.value.full()
    assert f"is not a CSV file: it is {named}" in message
    assert hint in message
    assert len(message) < 500 and "\x00" not in message


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (
            b"PK\x03\x04" + b"\x00" * 30 + b"[Content_Types].xml xl/workbook.xml",
            "an Excel workbook (.xlsx)",
        ),
        (
            b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
            "an OpenDocument spreadsheet (.ods)",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an Excel 97-2003 workbook"),
    ],
)
def test_a_damaged_spreadsheet_is_named_not_read_as_text(
    tmp_path: Path, data: bytes, named: str
) -> None:
    with pytest.raises(InputError) as error:
        load_contacts(write(tmp_path, data))
    message = error.value.full()
    assert f"it is {named}" in message and "damaged or not complete" in message
    assert "save it again" in message and len(message) < 500 and "\x00" not in message


def test_random_bytes_get_a_sentence(tmp_path: Path) -> None:
    import random

    data = random.Random(10).randbytes(100_000)
    with pytest.raises(InputError, match="binary data, not text"):
        load_contacts(write(tmp_path, data))


def test_utf16_is_not_taken_for_binary(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, "Name\tPhone\nRenée\t+14155552671\n".encode("utf-16")))
    assert (book.encoding, book.valid, book.contacts[0].fields["Name"]) == ("utf-16", 1, "Renée")


# --- encodings by majority and NUL bytes ----------------------------------------------------


def test_one_cp1252_byte_in_a_utf8_file_excludes_only_its_row(tmp_path: Path) -> None:
    data = (
        "Name,Phone\nJosé,+14155552671\nZoë,+14155552672\n".encode()
        + b"Ren\xe9e,+14155552673\n"  # pasted from a Windows program
        + "Chloé,+14155552673\n".encode()  # same number, readable: this row is the one sent
    )
    book = load_contacts(write(tmp_path, data))
    assert book.encoding == "utf-8"
    assert [c.fields["Name"] for c in book.contacts] == ["José", "Zoë", "Chloé"]
    assert (book.valid, book.invalid, book.duplicates, book.rows) == (3, 1, 0, 4)
    (problem,) = book.problems
    assert (problem.row, problem.column, problem.kind) == (4, "Name", "encoding")
    assert problem.value == "Ren\ufffde"
    assert "byte 0xE9" in problem.reason and "'é'" in problem.reason
    assert "CSV UTF-8" in problem.reason


def test_bad_bytes_in_the_phone_cell_and_several_in_a_row(tmp_path: Path) -> None:
    data = "Name,Phone\nJosé Müller-Lüdenscheidt,+14155552671\n".encode()
    data += b"Ann\x81\x92,+1415555\xa02672\n"
    book = load_contacts(write(tmp_path, data))
    (problem,) = book.problems
    assert (problem.row, problem.kind) == (3, "encoding")
    assert "byte 0x81 (and 1 more such bytes)" in problem.reason
    assert "Windows-1252" not in problem.reason  # 0x81 means nothing there
    assert (book.valid, book.invalid) == (1, 1)


def test_a_file_mostly_cp1252_with_utf8_rows_is_refused_naming_them(tmp_path: Path) -> None:
    data = (
        b"Name,Phone\nRen\xe9e,+14155552671\nFran\xe7ois,+14155552672\nH\xe9l\xe8ne,+14155552673\n"
        + "José,+14155552674\n".encode()
    )
    with pytest.raises(InputError, match=r"mixes two encodings.*row 5 holds UTF-8") as error:
        load_contacts(write(tmp_path, data))
    assert "CSV UTF-8" in (error.value.hint or "")


def test_a_pure_cp1252_file_is_still_cp1252(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, b"Name,Phone\nRen\xe9e,+14155552671\n"))
    assert (book.encoding, book.contacts[0].fields["Name"], book.problems) == (
        "cp1252",
        "Renée",
        [],
    )


def test_a_bad_byte_in_the_header_is_refused(tmp_path: Path) -> None:
    data = b"Pr\xe9nom,Phone\n" + "José,+14155552671\n".encode()
    with pytest.raises(InputError, match=r"header row \(row 1\).*Pr\ufffdnom"):
        load_contacts(write(tmp_path, data))


def test_nul_bytes_are_a_problem_of_their_row(tmp_path: Path) -> None:
    data = b"Name,Phone\nAnn\x00,+14155552671\nBob,+14155552672\nCid,+1415555\x002673\n"
    book = load_contacts(write(tmp_path, data))
    assert [c.fields["Name"] for c in book.contacts] == ["Bob"]
    assert [(p.row, p.column, p.kind) for p in book.problems] == [
        (2, "Name", "nul"),
        (4, "Phone", "nul"),
    ]
    assert all("\x00" not in c.fields["Name"] for c in book.contacts)
    assert book.rows == book.valid + book.invalid + book.duplicates == 3


# --- files that are not files ---------------------------------------------------------------


def _in_thread(function, *args):
    """Run `function` on a thread (bounded wait, so a hang fails instead of blocking)."""
    import threading

    result: list[object] = []

    def run() -> None:
        try:
            result.append(function(*args))
        except BaseException as exc:  # handed to the test
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the read did not end"
    return result[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # a writer that never closes: a read would never end
    try:
        os.write(writer, b"Name,Phone\nAnn,+14155552671\n")
        error = _in_thread(load_contacts, fifo)
    finally:
        os.close(writer)
    assert isinstance(error, InputError)
    assert "is a pipe (FIFO), not a regular file" in str(error)


def test_devices_and_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="character device"):
        load_contacts("/dev/zero")
    with pytest.raises(InputError, match="is a directory"):
        load_contacts(tmp_path)


def test_a_file_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_CONTACTS_BYTES", 1000)
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        load_contacts(write(tmp_path, b"Name,Phone\n" + b"Ann,+14155552671\n" * 100))


# --- worker processes that cannot start -----------------------------------------------------


class _NoFileDescriptor:
    """What Textual puts in `sys.stderr` while an app runs: writable, fileno() -1."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def test_workers_that_cannot_start_fall_back_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's condition: loading on a thread (so workers come from a fork server), no
    # resource tracker yet, and a stderr without a file descriptor for it.
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is None:
        pytest.skip("this Python cannot stop its resource tracker")
    stop()
    rows = checking.PARALLEL_THRESHOLD + 10
    body = "".join(f"P{i},+1415{2_000_000 + i:07d}\n" for i in range(rows))
    path = write(tmp_path, f"Name,Phone\n{body}".encode())
    monkeypatch.setattr("sys.stderr", _NoFileDescriptor())
    book = _in_thread(load_contacts, path)
    monkeypatch.undo()
    assert not isinstance(book, BaseException), book
    assert (book.valid, book.invalid) == (rows, 0)
    (note,) = book.notes
    assert note.startswith("The numbers were checked in one process (slower)")
    assert "ValueError" in note
