"""Compare spreadsheet readers for contacts: python-calamine against openpyxl (.xlsx) and odfpy
(.ods), on speed and on fidelity, in one run.

Usage: python benchmarks/compare_spreadsheet_readers.py [--rows 50000]

Speed: one workbook of `--rows` contacts (XlsxWriter writes the .xlsx; pandas with odfpy the
.ods of a tenth of the rows, odfpy being slow to write too), read whole into a DataFrame by
each reader through pandas (`pd.read_excel(engine=...)`) and by calamine directly (what
`campaigns/contacts/spreadsheets.py` does). Fidelity: a small workbook with the cells a
contacts file has (a phone as a number cell, a phone with a lost `+`, a date-time, a formula
with its saved value, a float, a boolean), and what each reader gives for them; the answers
are printed side by side, nothing is asserted (the tests in tests/contacts/ check smscast's
own reading).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd


def write_speed_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Contacts")
    sheet.write_row(0, 0, ["First Name", "Last Name", "Phone", "City"])
    for r in range(1, rows + 1):
        sheet.write_string(r, 0, f"Name{r}")
        sheet.write_string(r, 1, "Smith")
        if r % 2:
            sheet.write_number(r, 2, 4155550000 + r)
        else:
            sheet.write_string(r, 2, f"+1 415 555 {r % 10000:04d}")
        sheet.write_string(r, 3, "Boston")
    workbook.close()


def write_fidelity_xlsx(path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Contacts")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["Phone", "Lost plus", "Visit", "Full Name", "Score", "VIP"])
    sheet.write_number(1, 0, 4155552671)
    sheet.write_number(1, 1, 447911123456)
    sheet.write_datetime(1, 2, dt.datetime(2026, 12, 1, 9, 30), when)
    sheet.write_formula(1, 3, '="Ana"&" "&"Silva"', None, "Ana Silva")
    sheet.write_number(1, 4, 0.1 + 0.2)
    sheet.write_boolean(1, 5, True)
    workbook.close()


def timed(label: str, read: object) -> float:
    start = time.perf_counter()
    frame = read()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"  {label:<38} {seconds:7.2f} s  ({len(frame):,} rows)")
    return seconds


def calamine_direct(path: Path) -> pd.DataFrame:
    from campaigns.contacts.reading import read_table

    return read_table(path).frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "speed.xlsx"
        write_speed_xlsx(xlsx, args.rows)
        print(f".xlsx, {args.rows:,} rows x 4 columns ({xlsx.stat().st_size / 1e6:.1f} MB):")
        base = timed("openpyxl (pandas read_excel)", lambda: pd.read_excel(xlsx, engine="openpyxl"))
        fast = timed("calamine (pandas read_excel)", lambda: pd.read_excel(xlsx, engine="calamine"))
        own = timed("calamine, smscast's reading (text)", lambda: calamine_direct(xlsx))
        print(f"  calamine: {base / fast:.1f}x openpyxl through pandas; smscast {base / own:.1f}x")

        ods_rows = max(1, args.rows // 10)
        ods = Path(tmp) / "speed.ods"
        pd.read_excel(xlsx, engine="calamine", nrows=ods_rows).to_excel(
            ods, engine="odf", index=False
        )
        print(f".ods, {ods_rows:,} rows x 4 columns ({ods.stat().st_size / 1e6:.1f} MB):")
        base = timed("odfpy (pandas read_excel)", lambda: pd.read_excel(ods, engine="odf"))
        fast = timed("calamine (pandas read_excel)", lambda: pd.read_excel(ods, engine="calamine"))
        print(f"  calamine is {base / fast:.1f}x odfpy")

        small = Path(tmp) / "fidelity.xlsx"
        write_fidelity_xlsx(small)
        print("fidelity, one row (what each reader gives for each cell):")
        for label, frame in (
            ("openpyxl", pd.read_excel(small, engine="openpyxl")),
            ("openpyxl, dtype=str", pd.read_excel(small, engine="openpyxl", dtype=str)),
            ("calamine", pd.read_excel(small, engine="calamine")),
            ("calamine, dtype=str", pd.read_excel(small, engine="calamine", dtype=str)),
            ("smscast (calamine + cell_text)", calamine_direct(small)),
        ):
            print(f"  {label:<32} {frame.iloc[0].tolist()!r}")


if __name__ == "__main__":
    main()
