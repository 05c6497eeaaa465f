"""`smscast retry ID [--codes 30003,30008] [--send]`: a new campaign, linked to campaign ID,
to the people whose message failed in a way a second try can change.

Who: each person of ID whose outcome, combined across ID and the retries made from it, is
`failed` or `undelivered` with an error code worth a second try (`campaigns.twilio.errors`:
30003 handset unreachable, 30008 unknown, 30001 / 30036 queue overflow or expiry, ...); never
a delivered, opted-out, invalid, landline, blocked or filtered one. `--codes` keeps only some
of those codes. Everything else is as `smscast send` (`campaigns.cli.derived`, then
`campaigns.cli.launch` as for send): a dry run unless `--send`, the same template and sender
unless told otherwise, scheduling, `--lookup`, `--status-callback`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.pipeline.followups import DerivedSource
    from campaigns.store.journal import Journal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast retry` (imports nothing heavy)."""
    from campaigns.cli.derived import add_derived_arguments
    from campaigns.cli.main import EXIT_STATUS_HELP

    p = subparsers.add_parser(
        "retry",
        help="a new campaign to the recipients of one whose failure a second try can change",
        description="Plan a retry of campaign ID: only the recipients whose message failed "
        "with an error a second try can change (handset unreachable, unknown error, queue "
        "overflow). Nothing is sent without --send.",
        epilog="example: smscast retry 20261201-a1b2c3 --codes 30003 --send\n\n" + EXIT_STATUS_HELP,
    )
    p.add_argument(
        "--codes",
        metavar="CODE,...",
        help="only failures with these Twilio error codes (each one a second try can change)",
    )
    add_derived_arguments(p, template_help="the message (default: the earlier campaign's)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan (and with --send, send) the retry; returns the exit status."""
    from campaigns.cli.derived import run_derived
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.errors import InputError
    from campaigns.pipeline.followups import parse_codes, retry_source

    try:
        codes = parse_codes(args.codes) if args.codes is not None else None
    except InputError as error:  # a wrong flag: usage
        import sys

        sys.stderr.write(f"smscast retry: error: argument --codes: {error.full()}\n")
        return EXIT_USAGE

    def choose(journal: Journal, parent_id: str, region: str) -> DerivedSource:
        return retry_source(journal, parent_id, codes=codes, region=region)

    return run_derived(args, choose)
