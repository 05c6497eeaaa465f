"""`smscast preview CONTACTS --template TEXT|@FILE`: each recipient's message, then totals.

For every valid contact (in file order, the first N with `--limit N`): the row, the number,
the encoding (and the characters that forced UCS-2), the segments and the estimated cost, then
the body. Then the rows that get no message or deserve a look, and the totals: messages,
segments, estimated cost, segments per message, and what Twilio's Smart Encoding would save.
`--json` prints one JSON object per recipient line (`row`, `to`, `body`, `encoding`,
`segments`, `cost`) and a last line `{"summary": {...}}`; `--limit` limits the recipient
lines, never the totals. Nothing is sent, and Twilio is never contacted.

Exit 0 whenever the file was read (even with bad rows), 1 when the file or the template
cannot be used (the CLI prints the error and a hint), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from campaigns.compose.plan import Plan, PlannedMessage
    from campaigns.contacts.book import ContactBook

#: Problems and warnings listed in the readable output before "... and N more".
TEXT_LIMIT = 50


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `preview` subcommand (imports nothing heavy)."""
    from campaigns.cli.flags import add_sheet_argument, region

    parser = subparsers.add_parser(
        "preview",
        help="show each recipient's message, its segments and the estimated cost",
        description="Render the template for every valid contact and show exactly what each "
        "person gets: encoding, segments, estimated cost, then the totals. Nothing is sent.",
        epilog="Example: smscast preview contacts.csv --template 'Hi {first_name|there}!'",
    )
    parser.add_argument("contacts", metavar="CONTACTS", help="the contacts file (CSV)")
    parser.add_argument(
        "--template",
        "-t",
        required=True,
        metavar="TEXT|@FILE",
        help="the message with {column} placeholders ({name|default} for empty cells, "
        "{{ }} for braces); @path reads it from a UTF-8 file",
    )
    parser.add_argument(
        "--limit",
        type=_limit,
        metavar="N",
        help="show only the first N recipients (the totals still count everyone)",
    )
    parser.add_argument(
        "--region",
        type=region,
        metavar="CC",
        help="country for numbers written without +country code (default: the config's, US)",
    )
    parser.add_argument(
        "--phone-column", metavar="NAME", help="the column holding the phone numbers"
    )
    add_sheet_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per recipient, then the summary"
    )
    parser.set_defaults(handler=run)


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {number}")
    return number


def run(args: argparse.Namespace) -> int:
    """Read the file, parse the template, plan, and print; errors raise `SmscastError`."""
    from campaigns.compose.plan import build_plan
    from campaigns.compose.template import Template, read_template_arg
    from campaigns.config.settings import load_settings
    from campaigns.contacts.book import load_contacts

    text = read_template_arg(args.template)
    settings = load_settings(region=args.region)
    book = load_contacts(
        args.contacts, region=settings.region, phone_column=args.phone_column, sheet=args.sheet
    )
    template = Template.parse(text, book.columns)
    plan = build_plan(book.contacts, template, settings.prices)
    shown = plan.messages if args.limit is None else plan.messages[: args.limit]
    if args.json:
        write_json(sys.stdout, book, plan, shown)
    else:
        write_text(sys.stdout, book, plan, shown)
    return 0


def write_json(out: TextIO, book: ContactBook, plan: Plan, shown: Iterable[PlannedMessage]) -> None:
    """One JSON line per shown recipient, then `{"summary": {...}}`."""
    from campaigns.untrusted import json_dumps as dumps

    for chunk in _chunks((dumps(message.to_json()) for message in shown), 2000):
        out.write("\n".join(chunk) + "\n")
    out.write(dumps({"summary": summary_json(book, plan)}) + "\n")


def summary_json(book: ContactBook, plan: Plan) -> dict[str, Any]:
    """The summary object: totals, plus the rows left out and the warnings."""
    return {
        **plan.summary.to_json(),
        "rows": book.rows,
        "skipped_rows": book.invalid + book.duplicates,
        "problems": [
            {"row": p.row, "column": p.column, "value": p.value, "kind": p.kind, "reason": p.reason}
            for p in plan.problems
        ],
        "warnings": [{"row": w.row, "kind": w.kind, "message": w.message} for w in plan.warnings],
    }


def write_text(out: TextIO, book: ContactBook, plan: Plan, shown: Iterable[PlannedMessage]) -> None:
    """The readable preview. Cells, the file name and the template are untrusted: every
    quoted value goes through `visible`, and each body line is shown that way too (what is
    SENT stays the person's text; a "control-character" warning says what it will do)."""
    from campaigns.compose.segments import analyze
    from campaigns.untrusted import visible

    summary = plan.summary
    skipped = book.invalid + book.duplicates
    out.write(
        f"{visible(book.path)}: {book.rows} {_plural(book.rows, 'row')}, "
        f"{summary.messages} {_plural(summary.messages, 'message')} to send"
        + (
            f" ({skipped} {_plural(skipped, 'row')} with unusable numbers left out: "
            "see 'smscast check')"
            if skipped
            else ""
        )
        + "\n"
    )
    count = 0
    for message in shown:
        count += 1
        encoding = message.encoding
        if encoding != "GSM-7":
            because = " ".join(map(visible, analyze(message.body).non_gsm[:5]))
            encoding = f"{encoding} (because of {because})"
        out.write(
            f"\nrow {message.row}  {message.to}  {encoding}  {message.segments} "
            f"{_plural(message.segments, 'segment')}  "
            f"~{_money(message.cost, summary.currency)}\n"
        )
        for line in message.body.split("\n"):
            out.write(f"    {visible(line.rstrip(chr(13)))}\n")
    if count < summary.messages:
        out.write(f"\n... and {summary.messages - count} more (shown: the first {count})\n")
    if plan.problems:
        out.write(f"\nProblems ({len(plan.problems)}), these rows get no message:\n")
        for problem in plan.problems[:TEXT_LIMIT]:
            out.write(f"  row {problem.row}: {problem.kind}: {visible(problem.reason)}\n")
        out.write(_more(len(plan.problems)))
    if plan.warnings:
        out.write(f"\nWarnings ({len(plan.warnings)}), these rows are still included:\n")
        for warning in plan.warnings[:TEXT_LIMIT]:
            out.write(f"  row {warning.row}: {warning.kind}: {visible(warning.message)}\n")
        out.write(_more(len(plan.warnings)))
    out.write(_totals(plan))


def _totals(plan: Plan) -> str:
    summary = plan.summary
    lines = [
        "",
        f"Total: {summary.messages:,} {_plural(summary.messages, 'message')}, "
        f"{summary.segments:,} {_plural(summary.segments, 'segment')}, estimated cost "
        f"{_money(summary.cost, summary.currency)}",
        "  (an estimate from the price table; Twilio's price is on each message once sent)",
    ]
    if summary.histogram:
        parts = ", ".join(
            f"{segments}: {count:,} {_plural(count, 'message')}"
            for segments, count in summary.histogram.items()
        )
        lines.append(f"Segments per message: {parts}")
    if summary.ucs2_messages:
        line = (
            f"{summary.ucs2_messages:,} {_plural(summary.ucs2_messages, 'message')} "
            "use UCS-2 (70 characters per segment instead of 160)"
        )
        if summary.smart_segments < summary.segments:
            line += (
                f"; Twilio's Smart Encoding would send {summary.smart_segments:,} segments "
                f"instead of {summary.segments:,}"
            )
        lines.append(line)
    return "\n".join(lines) + "\n"


def _money(amount: float, currency: str) -> str:
    number = f"{amount:,.2f}" if amount >= 1 else f"{amount:.4f}"
    return f"${number}" if currency == "USD" else f"{number} {currency}"


def _more(count: int) -> str:
    if count <= TEXT_LIMIT:
        return ""
    return f"  ... and {count - TEXT_LIMIT} more (use --json for the full list)\n"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _chunks(items: Iterable[str], size: int) -> Iterable[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
