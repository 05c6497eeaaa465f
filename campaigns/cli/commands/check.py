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
    from campaigns.pipeline.line_types import LineTypes

#: Problems and warnings listed in the readable report before "... and N more".
TEXT_LIMIT = 50

#: Characters of a problem cell the text report quotes at most (`--json` keeps the whole cell).
VALUE_LIMIT = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `check` subcommand."""
    from campaigns.cli.flags import add_credential_arguments, add_sheet_argument, region

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
    parser.add_argument(
        "--lookup",
        action="store_true",
        help="ask Twilio Lookup for each number's line type (billed per number; asks first, "
        "--yes does not; answers kept 90 days): landlines, fixed VoIP, toll-free, premium, "
        "pager and voicemail numbers would get no message",
    )
    parser.add_argument(
        "--yes", "-y", action="store_true", help="look up without asking (for scripts)"
    )
    parser.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the file and print the report; errors propagate as `InputError` (exit 1)."""
    from campaigns.cli import lookup
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.contacts.book import load_contacts
    from campaigns.untrusted import json_dumps

    if not lookup.usable(args, "check"):
        return EXIT_USAGE
    book = load_contacts(
        args.contacts, region=args.region, phone_column=args.phone_column, sheet=args.sheet
    )
    found = _look_up(args, book) if args.lookup else None
    if args.json:
        report = to_json(book)
        if found is not None:
            report["line_types"] = line_types_json(book, found)
        sys.stdout.write(json_dumps(report) + "\n")
    else:
        text = to_text(book)
        if found is not None:
            text += line_types_text(book, found)
        sys.stdout.write(text)
    return 0


def _look_up(args: argparse.Namespace, book: ContactBook) -> LineTypes | None:
    """The line types of the book's valid numbers, after asking (None: declined)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from campaigns.cli import lookup
    from campaigns.cli.flags import settings_from_args

    settings = settings_from_args(args)
    gateway = None
    if settings.credentials is not None:
        from campaigns.twilio.gateway import TwilioGateway

        gateway = TwilioGateway(settings)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    return lookup.look_up(
        lookup.require_gateway(gateway),
        db_path,
        (contact.phone for contact in book.contacts),
        yes=args.yes,
        now=datetime.now(UTC),
    )


def _line_type_rows(book: ContactBook, found: LineTypes) -> list[tuple[int, str, str, str]]:
    """(row, phone, type, reason) of every contact Lookup says cannot receive SMS."""
    from campaigns.audience.line_types import exclusion_reason

    rows = []
    for contact in book.contacts:
        line_type = found.by_number.get(contact.phone)
        if line_type is None:
            continue
        reason = exclusion_reason(line_type, found.fetched_at.get(contact.phone))
        if reason is not None:
            rows.append((contact.row, contact.phone, line_type.type or "", reason))
    return rows


def _line_type_counts(book: ContactBook, found: LineTypes) -> dict[str, int]:
    from collections import Counter

    counts = Counter(
        (found.by_number[c.phone].type or "unknown")
        for c in book.contacts
        if c.phone in found.by_number
    )
    return dict(sorted(counts.items()))


def line_types_json(book: ContactBook, found: LineTypes) -> dict[str, Any]:
    """The `line_types` key of the JSON report (only with --lookup)."""
    return {
        "looked_up": found.looked_up,
        "counts": _line_type_counts(book, found),
        "excluded": [
            {"row": row, "phone": phone, "type": kind, "reason": reason}
            for row, phone, kind, reason in _line_type_rows(book, found)
        ],
    }


def line_types_text(book: ContactBook, found: LineTypes) -> str:
    """The readable line-type part of the report (only with --lookup)."""
    from campaigns.untrusted import visible

    counts = ", ".join(f"{kind} {n}" for kind, n in _line_type_counts(book, found).items())
    rows = _line_type_rows(book, found)
    lines = ["", f"Line types (Twilio Lookup, {found.looked_up} looked up now): {counts}"]
    if rows:
        lines.append(f"  {len(rows)} would get no message:")
        for row, phone, _, reason in rows[:TEXT_LIMIT]:
            lines.append(f"  row {row}: {phone} {reason}")
        lines += _more(len(rows))
    return "\n".join(map(visible, lines)) + "\n"


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
