"""What `smscast retry` and `smscast follow-up` share: their flags and their one flow.

Both make a new campaign from an earlier one (`campaigns.pipeline.followups`) and then behave
exactly like `smscast send`: a DRY RUN unless `--send` (the plan, who was chosen and why the
others were not), the same audience filters (defaults: the parent's sending window and
verified-only choice; the suppression list always), the same canary, confirmation, repeat
protection (by parent: `--new-campaign` to override), progress and exit statuses. The parent's
template and sender are used unless `--template`, `--from` or `--messaging-service` say
otherwise.
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
    from campaigns.pipeline.followups import DerivedSource
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
        count,
        positive_int,
        quiet_hours,
        region,
    )

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
    p.add_argument(
        "--canary",
        type=count,
        default=0,
        metavar="N",
        help="send N first, show their outcome, ask before the rest",
    )
    add_new_campaign_argument(p)
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

    from campaigns.cli import sending as _sending
    from campaigns.cli.commands import send as send_command
    from campaigns.cli.flags import settings_from_args
    from campaigns.cli.main import EXIT_OK, EXIT_USAGE
    from campaigns.compose.template import Template, read_template_arg
    from campaigns.pipeline import campaign as pipeline
    from campaigns.pipeline.followups import (
        RepliesUnavailable,
        ended_parent,
        parent_filters,
        parent_region,
    )
    from campaigns.pipeline.sender import listed_senders, resolve_rate
    from campaigns.store.journal import Journal
    from campaigns.untrusted import visible

    settings = settings_from_args(args)
    if not send_command._flags_usable(args):
        return EXIT_USAGE
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
    account = pipeline.check_account(
        settings, sending=args.send, verified_only=filters.verified_only
    )
    planned = pipeline.plan_campaign(
        source.book,
        template,
        filters,
        settings=settings,
        db_path=db_path,
        account=account,
        now=datetime.now(UTC),
        lineage=source.lineage,
    )
    hint = functools.partial(_repeat_hint, args=args, parent=parent)
    notes = [*account.notes, *_warnings(planned.repeat, args, hint)]
    if args.json:
        notes.insert(0, source.summary())
    else:
        render.say(visible(source.summary()))
    if not (args.json and args.send):
        send_command._show_plan(render, planned, notes, args)
    if not args.send:
        if not args.json:
            render.say(
                f"This was a dry run: nothing was sent. Add --send to send it "
                f"(smscast {args.command} {parent.id} ... --send)."
            )
        return EXIT_OK
    # the repeat first: "a retry of it exists already" says more than "no one is left"
    pipeline.refuse_repeat(planned.repeat, new_campaign=args.new_campaign, hint=hint)
    pipeline.require_messages(planned)

    sender = _sender(args, parent)
    gateway = account.gateway
    assert gateway is not None  # sending: check_account required credentials
    rate = resolve_rate(args.rate, sender, lambda: listed_senders(gateway, sender))
    options = pipeline.engine_options_for(
        {},
        pipeline.RunOverrides(
            rate=rate,
            concurrency=args.concurrency,
            track_seconds=args.track,
            request_timeout=args.timeout,
            canary=args.canary,
        ),
    )
    if not args.yes and not send_command._confirmed(planned, sender):
        render.say("Nothing was sent.")
        return EXIT_OK
    with Journal.open(db_path) as journal:
        campaign_id = pipeline.create_campaign(
            journal,
            planned,
            sender,
            options,
            rate=args.rate,
            face="cli",
            new_campaign=args.new_campaign,
            repeat_hint=hint,
        )
        if args.json:
            send_command._show_plan(render, planned, notes, args, campaign_id)
        else:
            render.say(
                f"Campaign {campaign_id} ({source.lineage.kind} of {parent.id}) stored in "
                f"{db_path}. Sending (Ctrl-C pauses)."
            )
        return _sending.run_campaign(
            gateway,
            journal,
            campaign_id,
            options,
            render,
            region=region,
            interactive=not args.yes and _sending.is_interactive(),
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


def _warnings(
    repeat: Repeat | None, args: argparse.Namespace, hint: Callable[[Repeat], str]
) -> list[str]:
    """The plan's warnings: the same retry or follow-up made already (the dry run, or
    --new-campaign; a real send refuses instead), and people texted recently by another."""
    warnings: list[str] = []
    if repeat is None:
        return warnings
    if repeat.campaign is not None and (not args.send or args.new_campaign):
        warnings.append(f"Warning: {repeat.describe()} {hint(repeat)}")
    if repeat.recent:
        warnings.append(f"Warning: {repeat.recent_note()}")
    return warnings
