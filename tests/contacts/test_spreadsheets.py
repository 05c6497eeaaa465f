"""Spreadsheets read directly, as their owner sees them: .xlsx, .xlsm, .xls and .ods built here
with the programs' own writers (openpyxl, XlsxWriter, odfpy through pandas, xlwt), never a
committed binary.

Number cells keep their digits (never a float), a lost `+` is a suggestion as in a CSV,
formulas read as their saved values, the sheet is chosen (`sheet=`, default: the first with
data), a title above the header and a merged two-row header are handled and said so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from campaigns.cli.main import main
from campaigns.contacts.book import load_contacts
from campaigns.contacts.spreadsheets import cell_text, column_letter
from campaigns.errors import InputError


def _openpyxl_book(path: Path) -> Path:
    """An empty first sheet, then `Contacts` (number and text phones), then `Leads`."""
    from openpyxl import Workbook

    workbook = Workbook()
    assert workbook.active is not None
    workbook.active.title = "Cover"
    contacts = workbook.create_sheet("Contacts")
    contacts.append(["First Name", "Phone", "Visit", "Score"])
    contacts.append(["Maria", 4155552671, dt.datetime(2026, 12, 1, 9, 30), 0.1 + 0.2])
    contacts.append(["Olivia", "+44 7400 123456", dt.date(2026, 12, 3), 3])
    contacts.append(["Grace", 447911123457, None, 1e20])  # lost its "+" in Excel
    contacts.append(["Noah", 4155550132.0, dt.time(13, 0), True])  # a float cell
    leads = workbook.create_sheet("Leads")
    leads.append(["Name", "Mobile"])
    leads.append(["Liam", "+1 604 555 2290"])
    workbook.save(path)
    return path


def test_xlsx_number_cells_are_their_digits_and_a_lost_plus_is_suggested(tmp_path: Path) -> None:
    book = load_contacts(_openpyxl_book(tmp_path / "book.xlsx"))
    assert (book.file_format, book.sheet) == ("Excel workbook (.xlsx)", "Contacts")
    assert book.first_row == 2 and book.phone_column == "Phone"
    fields = {c.fields["First Name"]: dict(c.fields) for c in book.contacts}
    assert fields["Maria"]["Phone"] == "4155552671"  # never "4155552671.0" or "4.16E+09"
    assert fields["Noah"]["Phone"] == "4155550132"
    assert fields["Maria"]["Visit"] == "2026-12-01 09:30"
    assert fields["Olivia"]["Visit"] == "2026-12-03"
    assert fields["Noah"]["Visit"] == "13:00"
    assert fields["Maria"]["Score"] == "0.3" and fields["Noah"]["Score"] == "TRUE"
    assert [c.phone for c in book.contacts] == ["+14155552671", "+447400123456", "+14155550132"]
    (problem,) = book.problems
    assert (problem.row, problem.value, problem.suggestion) == (4, "447911123457", "+447911123457")


def test_sheet_by_name_or_number_and_a_missing_one_lists_the_sheets(tmp_path: Path) -> None:
    path = _openpyxl_book(tmp_path / "book.xlsx")
    assert load_contacts(path, sheet="leads").sheet == "Leads"
    book = load_contacts(path, sheet="3")
    assert (book.sheet, book.phone_column, book.contacts[0].phone) == (
        "Leads",
        "Mobile",
        "+16045552290",
    )
    with pytest.raises(InputError) as error:
        load_contacts(path, sheet="Customers")
    message = error.value.full()
    assert "no sheet 'Customers'" in message
    assert "1: 'Cover', 2: 'Contacts', 3: 'Leads'" in message and "--sheet" in message
    with pytest.raises(InputError, match="is empty"):
        load_contacts(path, sheet=1)


def test_formulas_read_as_their_saved_values_and_uncomputed_ones_are_said(tmp_path: Path) -> None:
    import xlsxwriter
    from openpyxl import Workbook

    path = tmp_path / "formulas.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("People")
    sheet.write_row(0, 0, ["First", "Last", "Full Name", "Phone"])
    sheet.write_row(1, 0, ["Ana", "Silva"])
    sheet.write_formula(1, 2, '=A2&" "&B2', None, "Ana Silva")  # Excel saves the result
    sheet.write_formula(1, 3, '="+1415555"&"2671"', None, "+14155552671")
    workbook.close()
    book = load_contacts(path)
    assert book.contacts[0].fields["Full Name"] == "Ana Silva"
    assert book.contacts[0].phone == "+14155552671"
    assert not any("formula" in note for note in book.notes)

    raw = tmp_path / "never-computed.xlsx"
    written = Workbook()
    assert written.active is not None
    written.active.append(["Name", "Phone", "Greeting"])
    written.active.append(["Bo", "+14155552671", '="Hi "&A2'])  # openpyxl computes nothing
    written.save(raw)
    book = load_contacts(raw)
    assert book.contacts[0].fields["Greeting"] == ""
    assert any("1 formula cell(s)" in note and "save it again" in note for note in book.notes)


def test_a_title_and_a_merged_two_row_header_are_read_and_said(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "report.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Export")
    sheet.merge_range("A1:D1", "Customer list, December", None)
    sheet.merge_range("A3:A4", "Name", None)
    sheet.merge_range("B3:C3", "Phone", None)
    sheet.write_row(3, 1, ["Mobile", "Home"])
    sheet.write_row(4, 0, ["Maria", "+1 415 555 2671", "+1 415 555 0199", "SF"])
    sheet.write_row(5, 0, ["Wei", "", "+1 646 555 3198", "NYC"])  # column D has no header
    workbook.close()
    book = load_contacts(path)
    assert book.columns[:4] == ["Name", "Phone Mobile", "Phone Home", "Column D"]
    assert book.first_row == 5  # the contacts start on the spreadsheet's row 5
    assert [(c.row, c.phone) for c in book.contacts] == [(5, "+14155552671"), (6, "+16465553198")]
    assert book.contacts[1].fields["Chosen Phone From"] == "Phone Home"  # no mobile on row 6
    notes = " ".join(book.notes)
    assert "hold a title ('Customer list, December')" in notes and "the header is row 3" in notes
    assert "Rows 3 and 4 form the header" in notes and "Column D" in notes


def test_a_table_placed_lower_right_keeps_its_row_numbers(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "offset.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(2, 1, ["Name", "Phone", ""])  # the header on row 3, from column B
    sheet.write_row(3, 1, ["Ana", 4155552671, "x"])
    sheet.write_row(4, 1, ["Bo", "not a number"])
    workbook.close()
    book = load_contacts(path)
    assert book.first_row == 4 and [c.row for c in book.contacts] == [4]
    assert [(p.row, p.value) for p in book.problems] == [(5, "not a number")]
    assert book.columns == ["Name", "Phone", "Column D"]


def test_ods_xls_and_xlsm_are_read_too(tmp_path: Path) -> None:
    import pandas as pd
    import xlwt
    from openpyxl import Workbook

    ods = tmp_path / "contacts.ods"
    frame = pd.DataFrame({"Name": ["Ana", "Ben"], "Phone": [4155552671, "+44 7911 123456"]})
    frame.to_excel(ods, engine="odf", index=False, sheet_name="Kontakte")
    book = load_contacts(ods)
    assert (book.file_format, book.sheet) == ("OpenDocument spreadsheet (.ods)", "Kontakte")
    assert [c.phone for c in book.contacts] == ["+14155552671", "+447911123456"]
    assert book.contacts[0].fields["Phone"] == "4155552671"

    xls = tmp_path / "old.xls"
    legacy = xlwt.Workbook()
    sheet = legacy.add_sheet("Sheet1")
    for r, row in enumerate([["Name", "Cell"], ["Ana", 4155552671.0], ["Ben", "07911 123456"]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    legacy.save(str(xls))
    book = load_contacts(xls, region="GB")
    assert book.file_format == "Excel 97-2003 workbook (.xls)"
    assert [c.phone for c in book.contacts] == ["+447911123456"]
    assert book.problems[0].value == "4155552671"  # a US number in a GB file: invalid there

    xlsm = tmp_path / "macros.xlsm"
    written = Workbook()
    assert written.active is not None
    written.active.append(["Phone"])
    written.active.append([4155552671])
    written.save(xlsm)
    book = load_contacts(xlsm)
    assert book.file_format == "Excel macro-enabled workbook (.xlsm)" and book.valid == 1


def test_a_spreadsheet_with_no_data_and_a_csv_with_sheet_are_sentences(tmp_path: Path) -> None:
    from openpyxl import Workbook

    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    with pytest.raises(InputError, match="has no data in any sheet"):
        load_contacts(empty)
    csv = tmp_path / "c.csv"
    csv.write_text("Phone\n+14155552671\n")
    with pytest.raises(InputError, match="--sheet names a sheet of a spreadsheet"):
        load_contacts(csv, sheet="1")


def test_check_reports_format_sheet_and_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    path = _openpyxl_book(tmp_path / "book.xlsx")
    assert main(["check", str(path), "--sheet", "Contacts", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "Excel workbook (.xlsx)" and report["sheet"] == "Contacts"
    assert report["phone_column"] == "Phone" and report["name_columns"] == ["First Name"]
    assert report["layout"] is None and report["first_row"] == 2
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Excel workbook (.xlsx), sheet 'Contacts'" in out and "phone column 'Phone'" in out
    assert main(["check", str(path), "--sheet", "Nope"]) == 1
    assert "no sheet 'Nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4155552671.0, "4155552671"),
        (447911123456, "447911123456"),
        (0.30000000000000004, "0.3"),
        (1.5, "1.5"),
        (False, "FALSE"),
        (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02 03:04:05"),
        (dt.datetime(2026, 1, 2), "2026-01-02"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_cell_text(value: object, shown: str) -> None:
    assert cell_text(value) == shown


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
