"""Make the sample contacts as a workbook and a vCard: `sample_contacts.xlsx` and `.vcf`.

Usage: python scripts/make_sample_contacts.py [--out DIR]   (default: campaigns/pipeline/)

Both are written from `campaigns/pipeline/sample_contacts.csv`, the one source of the sample,
and ship beside it as package data (the demo's Contacts screen opens any of the three). They
hold the same people and numbers, written the way those programs write them:
- the workbook (XlsxWriter, as Excel saves it): sheet `Contacts`, a phone typed as plain
  digits is a number cell (as Excel makes it; `447911123457` then lost its `+`, which smscast
  suggests back), the appointment a real date-time cell; a second sheet `About` says where the
  file comes from;
- the vCard (3.0, CRLF lines, as Apple Contacts and Google export): one card per row, the
  number as `TEL;TYPE=CELL` (the London landline as `TYPE=WORK,VOICE`), a home number added
  to two cards so the choice of the mobile shows, the city as `ADR`.
Run it again after changing the CSV; tests/pipeline/test_sample_files.py checks that the
shipped files hold the CSV's numbers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "campaigns" / "pipeline" / "sample_contacts.csv"
#: A fixed creation date, so the workbook's properties do not change from run to run.
CREATED = dt.datetime(2026, 1, 1)
#: Cards that also get a home number (a landline), listed after the mobile.
HOME_NUMBERS = {"Maria": "+1 415 555 0199", "Lukas": "+49 30 901820"}
LANDLINES = {"+44 20 7946 0958"}


def read_sample(path: Path = SAMPLE) -> list[dict[str, str]]:
    """The sample's rows as dicts of its columns."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_workbook(rows: list[dict[str, str]], path: Path) -> None:
    """The rows as an .xlsx: sheet Contacts (typed cells), sheet About."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": "smscast sample contacts", "created": CREATED})
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = workbook.add_worksheet("Contacts")
    columns = list(rows[0])
    sheet.write_row(0, 0, columns, bold)
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value = row[column]
            if column == "Appointment" and value:
                sheet.write_datetime(r, c, dt.datetime.strptime(value, "%Y-%m-%d %H:%M"), when)
            elif value.isdigit():
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    sheet.set_column(0, len(columns) - 1, 18)
    about = workbook.add_worksheet("About")
    about.write(0, 0, "smscast's sample contacts, made by scripts/make_sample_contacts.py")
    workbook.close()


def _escape(text: str) -> str:
    """A vCard 3.0 text value: backslash, comma and semicolon escaped."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def write_vcard(rows: list[dict[str, str]], path: Path) -> None:
    """The rows as vCard 3.0 cards, one per row, in order."""
    lines: list[str] = []
    for row in rows:
        first, last = row["First Name"], row["Last Name"]
        full = " ".join(part for part in (first, last) if part)
        phone = row["Phone"]
        kind = "WORK,VOICE" if phone in LANDLINES else "CELL"
        lines += [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//smscast//sample contacts//EN",
            f"N:{_escape(last)};{_escape(first)};;;",
            f"FN:{_escape(full)}",
            f"TEL;TYPE={kind}:{phone}",
        ]
        if first in HOME_NUMBERS:
            lines.append(f"TEL;TYPE=HOME,VOICE:{HOME_NUMBERS[first]}")
        lines += [f"ADR;TYPE=HOME:;;;{_escape(row['City'])};;;", "END:VCARD"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE.parent, help="folder to write to")
    args = parser.parse_args()
    rows = read_sample()
    write_workbook(rows, args.out / "sample_contacts.xlsx")
    write_vcard(rows, args.out / "sample_contacts.vcf")
    print(f"wrote {len(rows)} contacts to {args.out}/sample_contacts.xlsx and .vcf")


if __name__ == "__main__":
    main()
