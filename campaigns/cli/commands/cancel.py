"""`smscast cancel [ID]`: end a paused, stopped or crashed campaign for good.

The headless counterpart of the app's Cancel. Recipients not yet texted become `canceled`
(they stay in the journal and the export, with that status), and the campaign can no longer be
resumed. Rows a crash left `inflight` are first reconciled with Twilio exactly as `resume`
does (the engine runs with the cancel already requested), so a message that did leave is
recorded with its SID, never forgotten. A campaign being sent right now by another smscast is
refused (its run lock is held): pause it there first.

Messages Twilio holds for the campaign (`scheduled`, sent with `--at` through a Messaging
Service) are canceled at Twilio too, each at most once and journaled
(`campaigns.send.unschedule`): a campaign that finished handing them over can be canceled
until they leave; one that had already left is recorded with its real status.

Without ID: the newest campaign that is not finished or canceled. On a terminal it asks first;
without one, `--yes` is required (exit 2 otherwise), as for `smscast send`.
Exit status, like a run's: 0 canceled and everyone had been texted; 3 canceled with recipients
who did not get the message (canceled, failed or undelivered); 1 no such campaign, already
finished or canceled, or being sent right now.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.cli.sending import Renderer
    from campaigns.config.settings import Settings
    from campaigns.store.journal import Journal
    from campaigns.twilio.gateway import TwilioGateway


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast cancel` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments
    from campaigns.cli.main import EXIT_STATUS_HELP

    p = subparsers.add_parser(
        "cancel",
        help="end a paused campaign for good (it cannot be resumed)",
        description="Cancel a paused, stopped or interrupted campaign: recipients not yet "
        "texted are marked canceled and the campaign can no longer be resumed. Requests a "
        "crash left open are checked with Twilio first.",
        epilog=EXIT_STATUS_HELP,
    )
    p.add_argument(
        "campaign_id",
        nargs="?",
        metavar="ID",
        help="campaign id or prefix (default: the newest not finished or canceled)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="JSON-lines events on stdout")
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Cancel the campaign; returns the exit status (0 or 3 like a run, 1 on refusal)."""
    from campaigns.cli import sending as _sending
    from campaigns.cli.commands.resume import pick_campaign
    from campaigns.cli.flags import settings_from_args
    from campaigns.cli.main import EXIT_USAGE
    from campaigns.errors import InputError
    from campaigns.store.journal import Journal
    from campaigns.store.statuses import ENDED_STATES, RecipientStatus

    settings = settings_from_args(args)
    if not args.yes and not _sending.is_interactive():
        sys.stderr.write(
            "smscast cancel: error: not a terminal, so there is no one to confirm: "
            "add --yes to cancel without asking.\n"
        )
        return EXIT_USAGE
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    if not db_path.exists():
        raise InputError(
            f"No campaign journal at {db_path}: there is nothing to cancel.",
            "Point --db at the right database.",
        )
    render = _sending.Renderer(json_mode=args.json, out=sys.stdout, err=sys.stderr)
    with Journal.open(db_path) as journal:
        campaign = pick_campaign(journal, args.campaign_id)
        held = journal.counts(campaign.id).get(RecipientStatus.SCHEDULED, 0)
        if campaign.state in ENDED_STATES and not held:
            raise InputError(
                f"Campaign {campaign.id} is already {campaign.state}: there is nothing to cancel.",
                f"See it with 'smscast status {campaign.id}'.",
            )
        with journal.run_lock(campaign.id):  # refuse before asking (drive holds it too)
            return _cancel(args, settings, journal, campaign.id, render)


def _cancel(
    args: argparse.Namespace,
    settings: Settings,
    journal: Journal,
    campaign_id: str,
    render: Renderer,
) -> int:
    """Ask, then run the engine with the cancel requested (the caller holds the run lock)."""
    from campaigns.cli import sending as _sending
    from campaigns.cli.main import EXIT_OK
    from campaigns.pipeline.campaign import cancel_options
    from campaigns.store import statuses
    from campaigns.store.statuses import RecipientStatus
    from campaigns.twilio.gateway import TwilioGateway

    campaign = journal.campaign(campaign_id)
    counts = journal.counts(campaign.id)
    untexted = statuses.count_of(counts, statuses.UNSENT)
    held = counts.get(RecipientStatus.SCHEDULED, 0)
    if not args.yes:
        scheduled = f", {held} scheduled at Twilio" if held else ""
        question = (
            f"Cancel campaign {campaign.id} ({campaign.state}, {untexted} recipient(s) "
            f"not texted yet{scheduled})? It cannot be resumed afterwards."
        )
        if not _sending.confirm(question):
            render.say("Nothing was changed.")
            return EXIT_OK

    gateway = TwilioGateway(settings)
    status = EXIT_OK
    if campaign.state not in statuses.ENDED_STATES:
        status = _sending.drive(
            gateway, journal, campaign.id, cancel_options(), render, interactive=False, cancel=True
        )
    if not journal.counts(campaign.id).get(RecipientStatus.SCHEDULED):
        return status
    return _cancel_held(gateway, journal, campaign.id, render)


def _cancel_held(
    gateway: TwilioGateway, journal: Journal, campaign_id: str, render: Renderer
) -> int:
    """Cancel the messages Twilio holds; the campaign ends canceled. 1 when some could not be
    settled (no answer from Twilio: run the cancel again), else 0 or 3 like a run."""
    from campaigns.cli.main import EXIT_ERROR, EXIT_FAILED_RECIPIENTS, EXIT_OK
    from campaigns.pipeline.scheduling import cancel_scheduled
    from campaigns.store import statuses
    from campaigns.store.statuses import CampaignState
    from campaigns.untrusted import visible

    report = cancel_scheduled(gateway, journal, campaign_id)
    if journal.campaign(campaign_id).state != CampaignState.CANCELED:
        journal.set_state(campaign_id, CampaignState.CANCELED, reason="Canceled.")
    render.say(
        f"Scheduled at Twilio: {report.canceled} canceled, {report.already_left} had already "
        f"left (recorded with their status), {report.unsettled} not settled."
    )
    for problem in report.problems[:10]:
        render.say(f"  {visible(problem)}")
    if report.unsettled:
        render.say(
            f"Run 'smscast cancel {campaign_id} --yes' again: it asks Twilio about each of "
            "those first, so none is canceled twice."
        )
        return EXIT_ERROR
    counts = journal.counts(campaign_id)
    return EXIT_FAILED_RECIPIENTS if statuses.count_of(counts, statuses.MISSED) else EXIT_OK
