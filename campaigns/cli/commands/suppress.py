"""`smscast suppress add|remove|list|import|export`: the numbers smscast must never text.

The list lives in the campaign database (`--db`, else `SMSCAST_DB`, else the config file's
`db_path`, else the user data directory). Numbers may be written as a person writes them;
they are stored in E.164, those without a `+` country code read as `--region` numbers.

Exit status: 0 done; 1 a number or file that cannot be used (an import still adds its valid
rows, and exits 1 when some rows were not phone numbers); 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from campaigns.untrusted import json_dumps, visible

if TYPE_CHECKING:
    from campaigns.audience.suppression import SuppressionList


def _common() -> argparse.ArgumentParser:
    """The flags every action takes (given after the action: `suppress list --db X`)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("where the list lives")
    group.add_argument(
        "--db",
        dest="db_path",
        metavar="PATH",
        help="the smscast database (default: SMSCAST_DB, the config file, or the user data dir)",
    )
    group.add_argument(
        "--region",
        metavar="CC",
        help="country of numbers written without +country code (default: settings, US)",
    )
    group.add_argument(
        "--config", dest="config_path", metavar="FILE", help="config file to read settings from"
    )
    return common


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast suppress` and its actions (imports nothing heavy)."""
    parser = subparsers.add_parser(
        "suppress",
        help="manage the suppression list (opted-out numbers never texted)",
        description="Numbers on the suppression list are never texted. A recipient who replied "
        "STOP (Twilio error 21610) is added automatically, noting the campaign.",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(parser)
    )
    common = _common()
    add = actions.add_parser("add", parents=[common], help="put a number on the list")
    add.add_argument("number", metavar="NUMBER", help="e.g. +14155550100")
    add.add_argument("--reason", default="", metavar="TEXT", help="why (shown in the plan)")
    remove = actions.add_parser("remove", parents=[common], help="take a number off the list")
    remove.add_argument("number", metavar="NUMBER")
    listing = actions.add_parser("list", parents=[common], help="show the list")
    listing.add_argument("--json", action="store_true", help="print one JSON array")
    importing = actions.add_parser(
        "import",
        parents=[common],
        help="add the numbers of a CSV or a one-number-per-line file",
    )
    importing.add_argument("file", metavar="FILE")
    exporting = actions.add_parser(
        "export", parents=[common], help="write the list as a CSV (Excel-safe)"
    )
    exporting.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="output file (default: stdout)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one action on the suppression list."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.cli.flags import settings_from_args

    settings = settings_from_args(args)
    with SuppressionList(settings.db_path, region=settings.region) as suppressions:
        return _ACTIONS[args.action](suppressions, args)


def _add(suppressions: SuppressionList, args: argparse.Namespace) -> int:
    if suppressions.add(args.number, reason=args.reason):
        entry = suppressions.get(args.number)
        print(f"Added {visible(entry.phone if entry else args.number)} to the suppression list.")
    else:
        entry = suppressions.get(args.number)
        detail = f": {entry.sentence()}" if entry else ""
        print(visible(f"{entry.phone if entry else args.number} is already listed{detail}."))
    return 0


def _remove(suppressions: SuppressionList, args: argparse.Namespace) -> int:
    from campaigns.errors import InputError

    entry = suppressions.get(args.number)
    if entry is None or not suppressions.remove(entry.phone):
        raise InputError(
            f"{visible(args.number)} is not on the suppression list.",
            "See the list with 'smscast suppress list'.",
        )
    print(f"Removed {entry.phone} from the suppression list; it may be texted again.")
    return 0


def _list(suppressions: SuppressionList, args: argparse.Namespace) -> int:
    entries = suppressions.list()
    if args.json:
        print(
            json_dumps(
                [
                    {
                        "phone": e.phone,
                        "added_at": e.added_at.isoformat(),
                        "reason": e.reason,
                        "campaign_id": e.campaign_id,
                        "source": e.source,
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
        return 0
    if not entries:
        print("The suppression list is empty.")
        print("Add a number with 'smscast suppress add NUMBER'.", file=sys.stderr)
        return 0
    width = max(len(e.phone) for e in entries)
    for e in entries:
        print(visible(f"{e.phone:<{width}}  {e.sentence()}"))
    print(
        f"{_numbers(len(entries))} on the suppression list ({visible(suppressions.path)}).",
        file=sys.stderr,
    )
    return 0


def _import(suppressions: SuppressionList, args: argparse.Namespace) -> int:
    added, problems = suppressions.import_file(args.file)
    print(f"Added {_numbers(added)} to the suppression list from {visible(args.file)}.")
    for problem in problems:
        print(
            visible(
                f"  row {problem.row}: '{problem.value}' was not added: {problem.reason}"
                + (f" (did you mean {problem.suggestion}?)" if problem.suggestion else "")
            ),
            file=sys.stderr,
        )
    if problems:
        print(
            f"smscast: {len(problems)} rows of {visible(args.file)} are not phone numbers; "
            "the other numbers were added. Fix those rows and import the file again.",
            file=sys.stderr,
        )
        return 1
    return 0


def _export(suppressions: SuppressionList, args: argparse.Namespace) -> int:
    count = suppressions.export(args.output)
    if args.output != "-":
        print(f"Wrote {_numbers(count)} to {visible(args.output)}.", file=sys.stderr)
    return 0


def _numbers(count: int) -> str:
    return f"{count} number" if count == 1 else f"{count} numbers"


_ACTIONS = {
    "add": _add,
    "remove": _remove,
    "list": _list,
    "import": _import,
    "export": _export,
}
