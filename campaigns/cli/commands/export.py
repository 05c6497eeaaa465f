"""`smscast export [ID] [-o FILE]`: a campaign's results as a CSV that opens cleanly in Excel.

One row per recipient: the contact's original columns, then the row number, E.164 number,
status, message SID, error code and its meaning, segments, price and times (see
`campaigns.store.report` for how cells are made Excel-safe). Without an ID, the latest campaign.
`-o -` writes to standard output; the default file is `smscast-<ID>.csv`. Only a regular file
(or a new one) is written, atomically; a device, FIFO or folder is refused (exit 1). On a
terminal, `-o -` shows control characters in cells as escapes (`\\x1b`); into a pipe or a
file the cells are written as they are (they are the person's data), Excel-safe either way.

Exit status: 0 written; 1 no such campaign or journal, or the file cannot be written; 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast export` (imports nothing heavy)."""
    parser = subparsers.add_parser(
        "export",
        help="write a campaign's results as a CSV for Excel",
        description="Write one row per recipient: the original columns, the E.164 number, "
        "status, message SID, error code and meaning, segments, price and times. The file is "
        "UTF-8 with a BOM, formula-safe, and readable only by you (mode 0600).",
    )
    parser.add_argument(
        "campaign_id", nargs="?", metavar="ID", help="campaign id or prefix (default: latest)"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="output file, '-' for stdout (default: smscast-ID.csv)",
    )
    parser.add_argument(
        "--db",
        dest="db_path",
        metavar="PATH",
        help="the smscast database (default: SMSCAST_DB, the config file, or the user data dir)",
    )
    parser.add_argument(
        "--config", dest="config_path", metavar="FILE", help="config file to read settings from"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Export the chosen campaign; errors a person can fix raise `SmscastError` (exit 1)."""
    from campaigns.cli.flags import settings_from_args
    from campaigns.errors import InputError
    from campaigns.pipeline.campaign import export_campaign, export_file_name
    from campaigns.store.journal import Journal

    settings = settings_from_args(args)
    db_path = Path(settings.db_path)
    if not db_path.exists():
        raise InputError(
            f"No campaign journal at {db_path}: nothing has been sent from here yet.",
            "Send a campaign with 'smscast send', or point --db at the right database.",
        )
    with Journal.open(db_path, read_only=True) as journal:
        campaign = journal.campaign(args.campaign_id) if args.campaign_id else journal.latest()
        output = args.output or export_file_name(campaign.id)
        count = export_campaign(journal, campaign.id, output)
    if output != "-":
        from campaigns.untrusted import visible

        print(
            f"Exported {count} recipients of campaign {campaign.id} to {visible(output)}.",
            file=sys.stderr,
        )
    return 0
