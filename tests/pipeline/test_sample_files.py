"""The sample contacts ship as CSV, .xlsx and .vcf: the same people and numbers in all three,
and the two made files are what `scripts/make_sample_contacts.py` makes from the CSV now."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from campaigns.contacts.book import load_contacts
from campaigns.pipeline.demo import demo_numbers, sample_contacts_path

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_contacts", ROOT / "scripts" / "make_sample_contacts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_three_samples_hold_the_same_contacts() -> None:
    csv = sample_contacts_path()
    assert csv is not None
    books = {s: load_contacts(csv.with_suffix(s)) for s in (".csv", ".xlsx", ".vcf")}
    numbers = {s: [c.phone for c in book.contacts] for s, book in books.items()}
    assert numbers[".csv"] == numbers[".xlsx"] == numbers[".vcf"] and len(numbers[".csv"]) == 23
    first_names = {s: [c.fields["First Name"] for c in b.contacts] for s, b in books.items()}
    assert first_names[".csv"] == first_names[".xlsx"] == first_names[".vcf"]
    # the workbook's number cell lost its "+", as Excel does: the same suggestion as the CSV's
    suggestions = {s: [p.suggestion for p in b.problems if p.suggestion] for s, b in books.items()}
    assert suggestions[".csv"] == suggestions[".xlsx"] == suggestions[".vcf"] == ["+447911123457"]
    assert books[".xlsx"].contacts[0].fields["Appointment"] == "2026-12-01 09:30"
    # the demo's verified numbers come out the same whichever sample it is given
    assert demo_numbers(csv.with_suffix(".vcf")) == demo_numbers(csv)


def test_the_shipped_files_are_what_the_script_makes(tmp_path: Path) -> None:
    script = _script()
    rows = script.read_sample()
    script.write_vcard(rows, tmp_path / "s.vcf")
    script.write_workbook(rows, tmp_path / "s.xlsx")
    csv = sample_contacts_path()
    assert csv is not None
    assert (tmp_path / "s.vcf").read_bytes() == csv.with_suffix(".vcf").read_bytes()
    made, shipped = load_contacts(tmp_path / "s.xlsx"), load_contacts(csv.with_suffix(".xlsx"))
    assert [dict(c.fields) for c in made.contacts] == [dict(c.fields) for c in shipped.contacts]
