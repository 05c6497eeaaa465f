"""What `smscast retry` and `smscast follow-up` share: their flags and their one flow.

Both make a new campaign from an earlier one (`campaigns.pipeline.followups`) and then behave
exactly like `smscast send`, through the same `campaigns.cli.launch`: a DRY RUN unless `--send`
(the plan, who was chosen and why the others were not), the same audience filters (defaults:
the parent's sending window and verified-only choice; the suppression list always), the same
canary, scheduling (`--at`, `--at-local`), `--lookup`, `--status-callback`, confirmation,
repeat protection (by parent: `--new-campaign` to override), progress and exit statuses. The
parent's template and sender are used unless `--template`, `--from` or `--messaging-service`
say otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.pipeline.campaign import PlannedCampaign
    from campaigns.pipeline.followups import DerivedSource
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.pipeline.repeats import Repeat
    from campaigns.pipeline.sender import SenderChoice
    from campaigns.store.journal import Campaign, Journal

#: Chooses the new campaign's people: (journal, parent id, region) -> its source.
Chooser = Callable[["Journal", str, str], "DerivedSource"]


def add_derived_arguments(p: argparse.ArgumentParser, *, template_help: str) -> None:
    """The flags of a retry or follow-up (`send`'s, with the parent's values as defaults)."""
    from campaigns.cli.flags import (
        add_credential_arguments,
        add_engine_arguments,
        add_new_campaign_argument,
        positive_int,
        quiet_hours,
        region,
    )
    from campaigns.cli.launch import add_launch_arguments

    p.add_argument("campaign_id", metavar="ID", help="the earlier campaign (an id or its prefix)")
    p.add_argument("--template", "-t", metavar="TEXT|@FILE", help=template_help)
    sender = p.add_mutually_exclusive_group()
    sender.add_argument(
        "--from",
        dest="from_number",
        metavar="NUMBER",
        help="sender number (default: the earlier campaign's sender)",
    )
    sender.add_argument(
        "--messaging-service",
        dest="messaging_service_sid",
        metavar="MG...",
        help="send through a Messaging Service instead",
    )
    p.add_argument("--send", action="store_true", help="really send (default: dry run)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="only the first N recipients")
    p.add_argument(
        "--verified-only",
        default=None,
        choices=("auto", "on", "off"),
        help="text only verified numbers (default: as the earlier campaign)",
    )
    p.add_argument(
        "--quiet-hours",
        type=quiet_hours,
        default=None,
        metavar="HH:MM-HH:MM|off",
        help="the recipient's local sending window (default: as the earlier campaign)",
    )
    add_launch_arguments(p)
    add_new_campaign_argument(
        p,
        help="start a new campaign even though the same retry or follow-up of ID (this "
        "template) exists already, not over or ended recently; without it, --send refuses "
        "and says how to go on with that one",
    )
    p.add_argument(
        "--region",
        type=region,
        metavar="CC",
        help="country of numbers without +code (default: as the earlier campaign)",
    )
    add_engine_arguments(p)
    add_credential_arguments(p)


def run_derived(args: argparse.Namespace, choose: Chooser) -> int:
    """Plan (and with --send, send) a retry or follow-up; the exit status as `send`'s."""
    from datetime import UTC, datetime

    from campaigns.cli import launch
    from campaigns.cli import sending as _sending
    from campaigns.cli.flags import settings_from_args
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.compose.template import Template, read_template_arg
    from campaigns.pipeline import campaign as pipeline
    from campaigns.pipeline.followups import (
        RepliesUnavailable,
        ended_parent,
        parent_filters,
        parent_region,
    )
    from campaigns.store.journal import Journal

    settings = settings_from_args(args)
    if not launch.flags_usable(args, args.command):
        return EXIT_USAGE
    request = launch.launch_request(args, settings)
    render = _sending.Renderer(json_mode=args.json, out=sys.stdout, err=sys.stderr)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    with Journal.open(db_path) as journal:
        parent = ended_parent(journal, args.campaign_id)
        region = args.region or parent_region(parent, settings.region)
        try:
            source = choose(journal, parent.id, region)
        except RepliesUnavailable as error:  # a choice this smscast cannot offer: usage
            sys.stderr.write(f"smscast {args.command}: error: {error.full()}\n")
            return EXIT_USAGE
    settings = dataclasses.replace(settings, region=region)
    template_text = read_template_arg(args.template) if args.template else parent.template
    template = Template.parse(template_text, source.book.columns)
    filters = dataclasses.replace(
        parent_filters(parent),
        **({"quiet_hours": args.quiet_hours} if args.quiet_hours else {}),
        **({"verified_only": args.verified_only} if args.verified_only else {}),
        limit=args.limit,
    )
    sender = _sender(args, parent)  # the registration preflight is of the sender it texts from
    account = pipeline.check_account(
        settings, sending=args.send, verified_only=filters.verified_only, sender=sender
    )
    now = datetime.now(UTC)

    def plan(line_types: LineTypes | None = None, refresh_prices: bool = False) -> PlannedCampaign:
        return pipeline.plan_campaign(
            source.book,
            template,
            filters,
            settings=settings,
            db_path=db_path,
            account=account,
            now=now,
            line_types=line_types,
            refresh_prices=refresh_prices,
            lineage=source.lineage,
        )

    how = launch.Launch(
        command=args.command,
        sender=sender,
        replan=plan,
        repeat_hint=functools.partial(_repeat_hint, args=args, parent=parent),
        dry_run_hint=f"smscast {args.command} {parent.id} ... --send",
        intro=source.summary(),
        described=f" ({source.lineage.kind} of {parent.id})",
        repeat_first=True,
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


def _sender(args: argparse.Namespace, parent: Campaign) -> SenderChoice:
    """`--from` / `--messaging-service`, else the parent's sender."""
    from campaigns.pipeline.campaign import campaign_sender
    from campaigns.pipeline.sender import SenderChoice

    if args.from_number:
        return SenderChoice(from_number=args.from_number)
    if args.messaging_service_sid:
        return SenderChoice(messaging_service_sid=args.messaging_service_sid)
    return campaign_sender(parent)


def _repeat_hint(repeat: Repeat, args: argparse.Namespace, parent: Campaign) -> str:
    """The way on from a retry or follow-up that repeats one made already."""
    assert repeat.campaign is not None
    cid = repeat.campaign.id
    if args.new_campaign:
        return "Starting a new campaign anyway (--new-campaign)."
    if repeat.resumable:
        return (
            f"Go on with it: smscast resume {cid}; or add --new-campaign to start another "
            "one anyway."
        )
    if repeat.derived_kind == "retry":
        return (
            f"To try those it did not reach once more: smscast retry {cid}. Add --new-campaign "
            f"to retry {parent.id} again anyway."
        )
    return f"'smscast export {cid}' lists who got it; add --new-campaign to send it again anyway."
