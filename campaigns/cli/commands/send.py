"""`smscast send CONTACTS --template TEXT|@FILE`: plan a campaign, and with `--send` send it.

Without `--send` this is a DRY RUN: the contacts are read, filtered (invalid and duplicate
numbers, the suppression list, verified numbers on a trial account, senders not registered
for US traffic (A2P 10DLC, toll-free verification), quiet hours) and rendered,
and the plan is shown (who is excluded and why, segments, cost). Nothing is created at Twilio;
the only requests are read-only look-ups (account type, verified numbers) when credentials are
configured. Without credentials the verified-numbers filter cannot be applied and the dry run
says so (`--verified-only on` then is an error); `--send` always needs credentials.

With `--send`: the summary, a confirmation on a terminal (`--yes` for scripts; without a
terminal and without `--yes` it is a usage error, exit 2), then the campaign is stored in the
journal and sent with a progress bar on stderr (or JSON-lines events with `--json`).
If the journal holds the same campaign (this contacts file and template, not over or ended
within a day: `campaigns.pipeline.repeats`), `--send` refuses before asking, pointing to `smscast
resume ID`, and the dry run warns; `--new-campaign` starts another one anyway.
Exit: 0 all sent (or a dry run), 1 error, 2 usage, 3 over with recipients who did not get the
message, 4 paused (resumable); see `campaigns.cli.main.EXIT_STATUS_HELP`.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.pipeline.campaign import PlannedCampaign
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.pipeline.repeats import Repeat


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast send` (imports nothing heavy)."""
    from campaigns.cli.flags import (
        add_credential_arguments,
        add_engine_arguments,
        add_new_campaign_argument,
        add_sheet_argument,
        positive_int,
        quiet_hours,
        region,
    )
    from campaigns.cli.launch import add_launch_arguments
    from campaigns.cli.main import EXIT_STATUS_HELP

    p = subparsers.add_parser(
        "send",
        help="plan a campaign (dry run), or send it with --send",
        description="Plan a campaign from a contacts CSV and a template: who is excluded and "
        "why, segments and cost. Nothing is sent without --send.",
        epilog="example: smscast send contacts.csv --template 'Hi {first_name}!' --send\n\n"
        + EXIT_STATUS_HELP,
    )
    p.add_argument("contacts", metavar="CONTACTS.csv", help="the contacts file")
    p.add_argument(
        "--template",
        "-t",
        required=True,
        metavar="TEXT|@FILE",
        help="the message, with {column} placeholders; @path reads it from a file",
    )
    sender = p.add_mutually_exclusive_group()
    sender.add_argument("--from", dest="from_number", metavar="NUMBER", help="sender number")
    sender.add_argument(
        "--messaging-service",
        dest="messaging_service_sid",
        metavar="MG...",
        help="send through a Messaging Service instead of one number",
    )
    p.add_argument("--send", action="store_true", help="really send (default: dry run)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="only the first N recipients")
    p.add_argument(
        "--verified-only",
        default="auto",
        choices=("auto", "on", "off"),
        help="text only verified numbers (auto: on for trial accounts)",
    )
    p.add_argument(
        "--quiet-hours",
        type=quiet_hours,
        default="08:00-21:00",
        metavar="HH:MM-HH:MM|off",
        help="the recipient's local sending window (default 08:00-21:00); others are deferred",
    )
    add_launch_arguments(p)
    add_new_campaign_argument(p)
    p.add_argument(
        "--region", type=region, metavar="CC", help="country of numbers without +code (e.g. US)"
    )
    p.add_argument("--phone-column", metavar="NAME", help="the column holding the numbers")
    add_sheet_argument(p)
    add_engine_arguments(p)
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan (and with --send, send) the campaign; returns the exit status. The rules are the
    pipeline's (`campaigns.pipeline.campaign`, `campaigns.pipeline.sender`): this parses the
    flags and plans the file; `campaigns.cli.launch` does the rest as for a retry."""
    from datetime import UTC, datetime

    from campaigns.cli import launch
    from campaigns.cli import sending as _sending
    from campaigns.cli.flags import settings_from_args
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.compose.template import Template, read_template_arg
    from campaigns.contacts.book import load_contacts
    from campaigns.pipeline import campaign as pipeline
    from campaigns.pipeline.sender import configured_sender

    settings = settings_from_args(args)
    if not launch.flags_usable(args, "send"):
        return EXIT_USAGE
    request = launch.launch_request(args, settings)
    render = _sending.Renderer(json_mode=args.json, out=sys.stdout, err=sys.stderr)

    book = load_contacts(
        args.contacts, region=settings.region, phone_column=args.phone_column, sheet=args.sheet
    )
    template = Template.parse(read_template_arg(args.template), book.columns)
    filters = pipeline.AudienceFilters(
        verified_only=args.verified_only, quiet_hours=args.quiet_hours, limit=args.limit
    )
    account = pipeline.check_account(settings, sending=args.send, verified_only=args.verified_only)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    now = datetime.now(UTC)

    def plan(line_types: LineTypes | None = None, refresh_prices: bool = False) -> PlannedCampaign:
        return pipeline.plan_campaign(
            book,
            template,
            filters,
            settings=settings,
            db_path=db_path,
            account=account,
            now=now,
            line_types=line_types,
            refresh_prices=refresh_prices,
        )

    how = launch.Launch(
        command="send",
        sender=configured_sender(settings),
        replan=plan,
        repeat_hint=functools.partial(_repeat_hint, args=args),
        dry_run_hint="--canary 5 to try five first",
    )
    return launch.launch(
        args,
        plan(refresh_prices=args.refresh_prices),
        how,
        request=request,
        account=account,
        db_path=db_path,
        now=now,
        render=render,
    )


def _repeat_hint(repeat: Repeat, args: argparse.Namespace) -> str:
    """The way on from a repeated campaign, on the command line."""
    assert repeat.campaign is not None
    cid = repeat.campaign.id
    if args.new_campaign:
        return "Starting a new campaign anyway (--new-campaign)."
    if repeat.resumable:
        return (
            f"Go on with it: smscast resume {cid} (it texts only those not texted yet); or "
            "add --new-campaign to start another campaign anyway."
        )
    return f"'smscast export {cid}' lists who got it; add --new-campaign to send it again anyway."
