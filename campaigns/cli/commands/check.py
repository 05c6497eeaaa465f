"""`smscast check CONTACTS`: read a contacts file and report what would be sent to whom.

Prints counts, the problems by row (with reasons and suggested repairs) and the warnings, or
with `--json` exactly one JSON object. Exit 0 whenever the file was read, even with bad rows;
1 when it cannot be used at all (the CLI prints the error); 2 for usage errors (argparse).
pandas and phonenumbers are imported in `run` only, so `smscast --help` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaigns.contacts.book import ContactBook

#: Problems and warnings listed in the readable report before "... and N more".
TEXT_LIMIT = 50

#: Characters of a problem cell the text report quotes at most (`--json` keeps the whole cell).
VALUE_LIMIT = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `check` subcommand."""
    from campaigns.cli.flags import add_sheet_argument, region

    parser = subparsers.add_parser(
        "check",
        help="check a contacts file: valid numbers, problems by row, warnings",
        description="Read a contacts CSV the way the spreadsheet meant it and report, row by "
        "row, which numbers cannot be used and why. Nothing is sent.",
    )
    parser.add_argument("contacts", metavar="CONTACTS", help="the contacts file (CSV)")
    parser.add_argument(
        "--region",
        default="US",
        type=region,
        metavar="CC",
        help="country for numbers written without +country code (default: US)",
    )
    parser.add_argument(
        "--phone-column", metavar="NAME", help="the column holding the phone numbers"
    )
    add_sheet_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the file and print the report; errors propagate as `InputError` (exit 1)."""
    from campaigns.contacts.book import load_contacts
    from campaigns.untrusted import json_dumps

    book = load_contacts(
        args.contacts, region=args.region, phone_column=args.phone_column, sheet=args.sheet
    )
    if args.json:
        sys.stdout.write(json_dumps(to_json(book)) + "\n")
    else:
        sys.stdout.write(to_text(book))
    return 0


def to_json(book: ContactBook) -> dict[str, Any]:
    """The report as a JSON-ready dict (keys documented in the README)."""
    return {
        "file": str(book.path),
        "sha256": book.sha256,
        "format": book.file_format,
        "sheet": book.sheet,
        "layout": book.layout,
        "encoding": book.encoding,
        "delimiter": book.delimiter,
        "region": book.region,
        "columns": book.columns,
        "phone_column": book.phone_column,
        "phone_sources": [{"source": s.source, "rows": s.rows} for s in book.phone_sources],
        "name_columns": book.name_columns,
        "first_row": book.first_row,
        "rows": book.rows,
        "valid": book.valid,
        "invalid": book.invalid,
        "duplicates": book.duplicates,
        "blank_rows": book.blank_rows,
        "problems": [
            {
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "kind": p.kind,
                "reason": p.reason,
                **({"suggestion": p.suggestion} if p.suggestion else {}),
            }
            for p in book.problems
        ],
        "warnings": [{"row": w.row, "kind": w.kind, "message": w.message} for w in book.warnings],
        "notes": list(book.notes),
    }


def to_text(book: ContactBook) -> str:
    """The readable report; every line goes through `visible` (file names, headers, cells and
    the reasons quoting them are untrusted: an escape sequence must not reach the terminal)."""
    from campaigns.contacts.summary import describe_columns, describe_source
    from campaigns.untrusted import excerpt, visible

    lines = [
        f"{book.path}: {book.rows} {_plural(book.rows, 'row')}; {describe_source(book)}; "
        f"default region {book.region}",
        *[f"  {line}" for line in describe_columns(book)],
        f"  {book.valid} valid, {book.invalid} invalid, {book.duplicates} "
        f"{_plural(book.duplicates, 'duplicate')}"
        + (
            f" ({book.blank_rows} blank {_plural(book.blank_rows, 'row')} skipped)"
            if book.blank_rows
            else ""
        ),
    ]
    if book.problems:
        lines += ["", f"Problems ({len(book.problems)}), these rows get no message:"]
        for problem in book.problems[:TEXT_LIMIT]:
            # a cell can be a 200 KB paste: the report quotes a short, visible excerpt of it
            value = f" '{excerpt(problem.value, VALUE_LIMIT)}'" if problem.value else ""
            lines.append(f"  row {problem.row}:{value} {problem.kind}: {problem.reason}")
            if problem.suggestion:
                lines.append(
                    f"      did you mean {problem.suggestion}? Fix the file if so "
                    "(smscast never changes a number by itself)"
                )
        lines += _more(len(book.problems))
    if book.warnings:
        lines += ["", f"Warnings ({len(book.warnings)}), these rows are still included:"]
        for warning in book.warnings[:TEXT_LIMIT]:
            lines.append(f"  row {warning.row}: {warning.kind}: {warning.message}")
        lines += _more(len(book.warnings))
    lines += [f"  {note}" for note in book.notes]
    if not book.problems and not book.warnings:
        lines += ["", "No problems found."]
    return "\n".join(map(visible, lines)) + "\n"


def _more(count: int) -> list[str]:
    if count <= TEXT_LIMIT:
        return []
    return [f"  ... and {count - TEXT_LIMIT} more (use --json for the full list)"]


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"
