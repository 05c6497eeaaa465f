"""`smscast resume [ID]`: go on with a paused, stopped or crashed campaign.

Rows left `inflight` by a crash are reconciled with Twilio first (found -> recorded, absent ->
sent again, Twilio unreachable -> `unknown`). `unknown` rows are never resent automatically:
`--retry-unknown` asks Twilio about them once more: found -> recorded, absent -> sent, still
no answer -> unknown again (so it can never double-send). Resuming refuses a
contacts file or template that changed since the campaign was planned (SHA-256 / text).
Without ID: the newest campaign that still has work to do. A canceled campaign cannot be
resumed (exit 1), nor one that another smscast is sending right now (its run lock is held).
Exit status: 0/3/4 like `smscast send` (see `campaigns.cli.sending`), 1 on refusal.

`--due` (for cron: `smscast resume --due --yes`): every unfinished campaign of the journal
that has recipients due now (a scheduled campaign waiting in the journal, a window that
opened) is resumed in turn; the others are left alone with one line saying when they are due,
and a campaign another smscast is sending is skipped. Exit 0 when nothing was due.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.cli.sending import Renderer
    from campaigns.config.settings import Settings
    from campaigns.store.journal import Campaign, Journal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast resume` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments, add_engine_arguments
    from campaigns.cli.main import EXIT_STATUS_HELP

    p = subparsers.add_parser(
        "resume",
        help="go on with a paused or interrupted campaign",
        description="Reconcile requests a crash left open, then send to everyone not yet "
        "texted. Refuses a contacts file or template that changed since the campaign began, "
        "a canceled campaign, and a campaign another smscast is sending right now.",
        epilog=EXIT_STATUS_HELP,
    )
    p.add_argument("campaign_id", nargs="?", metavar="ID", help="campaign id (default: latest)")
    p.add_argument(
        "--due",
        action="store_true",
        help="resume every campaign with recipients due now (scheduled ones; for cron)",
    )
    p.add_argument(
        "--retry-unknown",
        action="store_true",
        help="ask Twilio again about recipients with an unknown outcome; send if absent",
    )
    p.add_argument("--contacts", metavar="CONTACTS.csv", help="check this file is unchanged")
    p.add_argument(
        "--template", "-t", metavar="TEXT|@FILE", help="check this template is unchanged"
    )
    add_engine_arguments(p, resuming=True)
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Resume the campaign; returns the exit status (0/3/4 like send)."""
    from campaigns.cli import sending as _sending
    from campaigns.cli.flags import settings_from_args
    from campaigns.store.journal import Journal
    from campaigns.store.statuses import CampaignState

    settings = settings_from_args(args)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    render = _sending.Renderer(json_mode=args.json, out=sys.stdout, err=sys.stderr)
    if args.due:
        if args.campaign_id:
            from campaigns.errors import InputError

            raise InputError("--due resumes every campaign that is due.", "Leave out the ID.")
        return _resume_due(args, settings, db_path, render)
    with Journal.open(db_path) as journal:
        campaign = pick_campaign(journal, args.campaign_id)
        if campaign.state == CampaignState.CANCELED:
            from campaigns.errors import InputError

            raise InputError(
                f"Campaign {campaign.id} was canceled; it cannot be resumed.",
                "Start a new one with 'smscast send'.",
            )
        check_unchanged(campaign, args.contacts, args.template, render)
        with journal.run_lock(campaign.id):  # refuse before saying anything (drive holds it too)
            return _resume(args, settings, journal, campaign, render)


def _resume(
    args: argparse.Namespace,
    settings: Settings,
    journal: Journal,
    campaign: Campaign,
    render: Renderer,
) -> int:
    """Settle and send what is left (the caller holds the run lock)."""
    from campaigns.cli import sending as _sending
    from campaigns.cli.main import EXIT_OK
    from campaigns.pipeline.campaign import RunOverrides, campaign_sender, engine_options_for
    from campaigns.pipeline.sender import listed_senders, resolve_rate
    from campaigns.store import statuses
    from campaigns.store.statuses import RecipientStatus
    from campaigns.twilio.gateway import TwilioGateway

    counts = journal.counts(campaign.id)
    work = statuses.count_of(counts, statuses.UNSENT)
    if args.retry_unknown:
        work += counts.get(RecipientStatus.UNKNOWN, 0)
    live = statuses.count_of(counts, statuses.LIVE)
    if not work and not live and not counts.get(RecipientStatus.UNKNOWN):
        render.say(f"Campaign {campaign.id} has nothing left to send.")
        return EXIT_OK
    gateway = TwilioGateway(settings)
    from campaigns.pipeline.scheduling import cancel_opted_out

    stopped = cancel_opted_out(gateway, journal, campaign.id, settings.region)
    if stopped and not args.json:
        render.say(f"Canceled {stopped} scheduled message(s) to numbers now suppressed.")
    overrides = RunOverrides(
        concurrency=args.concurrency,
        track_seconds=args.track,
        request_timeout=args.timeout,
        retry_unknown=args.retry_unknown,
    )
    if args.rate is not None:
        sender = campaign_sender(campaign)
        rate = resolve_rate(args.rate, sender, lambda: listed_senders(gateway, sender))
        overrides = replace(overrides, rate=rate)
    options = engine_options_for(campaign.settings, overrides)
    if not args.json:
        render.say(f"Resuming campaign {campaign.id} ({work} recipient(s) to settle).")
    return _sending.run_campaign(
        gateway,
        journal,
        campaign.id,
        options,
        render,
        region=settings.region,
        interactive=not args.yes and _sending.is_interactive(),
    )


def _resume_due(
    args: argparse.Namespace, settings: Settings, db_path: Path, render: Renderer
) -> int:
    """`resume --due`: each unfinished campaign with recipients due now, in turn."""
    from campaigns.cli.main import EXIT_OK
    from campaigns.store.journal import Journal
    from campaigns.store.run_lock import CampaignBusyError
    from campaigns.store.statuses import UNFINISHED_STATES

    if not db_path.exists():
        render.say(f"No campaign journal at {db_path}: nothing is due.")
        return EXIT_OK
    worst = EXIT_OK
    with Journal.open(db_path) as journal:
        for campaign in journal.campaigns():
            if campaign.state not in UNFINISHED_STATES:
                continue
            due, first = journal.next_due(campaign.id)
            if not due:
                if first is not None and not args.json:
                    render.say(f"Campaign {campaign.id}: next due at {first:%Y-%m-%d %H:%M} UTC.")
                continue
            try:
                with journal.run_lock(campaign.id):
                    status = _resume(args, settings, journal, campaign, render)
            except CampaignBusyError:
                render.say(f"Campaign {campaign.id} is being sent by another smscast: skipped.")
                continue
            worst = max(worst, status)
    return worst


def pick_campaign(journal: Journal, campaign_id: str | None) -> Campaign:
    """The named campaign, or the newest one that is not finished or canceled."""
    from campaigns.store.statuses import ENDED_STATES

    if campaign_id:
        return journal.campaign(campaign_id)
    for campaign in journal.campaigns():
        if campaign.state not in ENDED_STATES:
            return campaign
    return journal.latest()


def check_unchanged(
    campaign: Campaign, contacts: str | None, template: str | None, render: Renderer
) -> None:
    """Refuse a contacts file or template that differs from what the campaign was planned on
    (a retry or follow-up names its parent's file, but its people are in the journal: a
    file changed since does not matter to it, unless `--contacts` asks)."""
    from campaigns.errors import InputError

    path = Path(contacts) if contacts else Path(campaign.source_name)
    if campaign.parent_id and not contacts:
        pass  # a retry or follow-up: its people come from the journal, not from the file
    elif path.is_file():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != campaign.source_sha256:
            raise InputError(
                f"The contacts file {path} changed since campaign {campaign.id} was planned.",
                "Resuming would text a different list. Start a new campaign with "
                "'smscast send' (people already texted are in the export), or restore the file.",
            )
    elif contacts:
        raise InputError(f"Cannot read {path}.", "Check the path.")
    else:
        render.say(f"Note: {path} is gone; resuming from the recipients stored in the journal.")
    if template is not None:
        from campaigns.compose.template import read_template_arg

        if read_template_arg(template) != campaign.template:
            raise InputError(
                f"The template differs from the one campaign {campaign.id} was planned with.",
                "Resume without --template, or start a new campaign with 'smscast send'.",
            )
