"""`smscast follow-up ID --who delivered|failed|replied|no-reply|opted-in --template TEXT`:
a new campaign, linked to campaign ID, to that subset of its recipients.

The template sees the contacts file's original columns (they are kept with each recipient).
`--who` is read from each person's outcome combined across ID and its retries
(`campaigns.audience.subsets`); the three reply choices read the replies people sent. Everything
else is as `smscast send` (`campaigns.cli.derived`, then `campaigns.cli.launch` as for send):
the audience filters, the dry run (the plan) unless `--send`, `--canary`, scheduling
(`--at`, `--at-local`), `--lookup`, `--status-callback`, the repeat check.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.audience.subsets import ReplyIndex
    from campaigns.pipeline.followups import DerivedSource
    from campaigns.store.journal import Journal
    from campaigns.twilio.gateway import TwilioGateway


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast follow-up` (imports nothing heavy)."""
    from campaigns.cli.derived import add_derived_arguments
    from campaigns.cli.main import EXIT_STATUS_HELP

    p = subparsers.add_parser(
        "follow-up",
        help="a new campaign to a subset of an earlier one's recipients",
        description="Plan a follow-up of campaign ID to the recipients --who names, with a new "
        "template (the contacts file's columns are available). Nothing is sent without --send.",
        epilog="example: smscast follow-up 20261201-a1b2c3 --who delivered "
        "--template 'Thanks {name}!' --send\n\n" + EXIT_STATUS_HELP,
    )
    p.add_argument(
        "--who",
        required=True,
        choices=("delivered", "failed", "replied", "no-reply", "opted-in"),
        help="the earlier campaign's recipients to text",
    )
    add_derived_arguments(
        p,
        template_help="the message, with {column} placeholders; @path "
        "reads it from a file (required)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan (and with --send, send) the follow-up; returns the exit status."""
    from campaigns.cli.derived import run_derived
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.pipeline.followups import JournalReplies, follow_up_source

    if not args.template:
        import sys

        sys.stderr.write(
            "smscast follow-up: error: the follow-up is a new message: give it with "
            "--template TEXT (or @FILE).\n"
        )
        return EXIT_USAGE

    gateway = _gateway(args)

    def choose(journal: Journal, parent_id: str, region: str) -> DerivedSource:
        def replies(journal: Journal) -> ReplyIndex:
            # with credentials, Twilio is asked for new replies first (opt-outs recorded)
            return JournalReplies(journal, gateway, region)

        return follow_up_source(journal, parent_id, who=args.who, replies=replies, region=region)

    return run_derived(args, choose)


def _gateway(args: argparse.Namespace) -> TwilioGateway | None:
    """A gateway when credentials are configured (to collect replies first), else None."""
    from campaigns.cli.flags import settings_from_args

    settings = settings_from_args(args)
    if settings.credentials is None:
        return None
    from campaigns.twilio.gateway import TwilioGateway

    return TwilioGateway(settings)
