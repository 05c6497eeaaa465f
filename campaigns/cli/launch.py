"""What `smscast send`, `retry` and `follow-up` share from a first plan to a campaign sent.

Each command chooses its people its own way (a contacts file; an earlier campaign's subset,
`campaigns.cli.derived`) and plans them once; from there the flow is one, here, so every flag
of `send` works the same on all three:

- the flags (`add_launch_arguments`): `--canary`, scheduling (`--at`, `--at-local`, `--tz`),
  `--lookup`, `--refresh-prices`, `--status-callback`; `flags_usable` and `launch_request`
  check them before anything is read or asked (usage errors exit 2, other bad input is an
  `InputError`, exit 1, as everywhere on the command line);
- `launch`: with `--lookup`, the line types asked (after a yes) and the plan made again
  without the numbers that cannot receive SMS; the schedule (the mode depends on whether the
  sender is a Messaging Service); the plan shown with its warnings; the dry run's last line, or
  the repeat and empty-plan refusals, the rate, the engine options (the status callback too),
  the confirmation, the campaign stored and run with the progress of `campaigns.cli.sending`.

What differs between the commands is a `Launch`: the command's name, its sender, how to plan
again, the repeat hint, the dry run's way on and the words that name the campaign.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.cli.sending import Renderer
    from campaigns.config.settings import Settings
    from campaigns.pipeline.campaign import AccountCheck, PlannedCampaign
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.pipeline.repeats import Repeat
    from campaigns.pipeline.sender import SenderChoice
    from campaigns.send.schedule import ScheduleRequest


def add_launch_arguments(p: argparse.ArgumentParser) -> None:
    """The flags every command that sends a campaign has, with the same meaning (imports
    nothing heavy): `--canary`, `--at` / `--at-local` / `--tz`, `--lookup`,
    `--refresh-prices`, `--status-callback`."""
    from campaigns.cli.flags import add_schedule_arguments, count

    p.add_argument(
        "--canary",
        type=count,
        default=0,
        metavar="N",
        help="send N first, show their outcome, ask before the rest",
    )
    add_schedule_arguments(p)
    p.add_argument(
        "--lookup",
        action="store_true",
        help="ask Twilio Lookup for each number's line type first and leave out landlines, "
        "fixed VoIP, toll-free, premium, pager and voicemail numbers (billed per number; "
        "asks first, --yes does not; answers kept 90 days)",
    )
    p.add_argument(
        "--refresh-prices",
        action="store_true",
        help="fetch Twilio's prices again now (they are kept a week)",
    )
    p.add_argument(
        "--status-callback",
        metavar="URL",
        type=_callback_url,
        help="ask Twilio to post delivery receipts to URL, received by 'smscast listen' "
        "(a public address; sweeps go on as a safety net)",
    )


def _callback_url(text: str) -> str:
    """A usable `--status-callback` URL (else a usage error, exit 2)."""
    from campaigns.secrets import scrub
    from campaigns.send.callbacks import problem_with_url

    problem = problem_with_url(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{scrub(text)!r}: {problem}")
    return text


def flags_usable(args: argparse.Namespace, command: str) -> bool:
    """InputError for a --limit or --canary out of range or a canary on a schedule; False (a
    usage error, said on stderr as `smscast COMMAND: error: ...`) for --send or --lookup
    without a terminal to ask on and without --yes."""
    from campaigns.cli import lookup
    from campaigns.cli import sending as _sending
    from campaigns.errors import InputError

    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1.", "Leave it out to text everyone.")
    if args.canary < 0:
        raise InputError("--canary must be 0 or more.", "For example --canary 5.")
    if not lookup.usable(args, command):
        return False
    if args.canary and (args.at or args.at_local):
        raise InputError(
            "--canary waits for the first messages' outcome, which a scheduled campaign cannot do.",
            "Leave out --canary, or send without --at / --at-local.",
        )
    if args.send and not args.yes and not _sending.is_interactive():
        sys.stderr.write(
            f"smscast {command}: error: not a terminal, so there is no one to confirm: "
            "add --yes to send without asking.\n"
        )
        return False
    return True


def launch_request(args: argparse.Namespace, settings: Settings) -> ScheduleRequest | None:
    """The schedule asked for (None: send now), once a `--status-callback` is known to be
    receivable (`check_callback_setup`: an auth token to check signatures with); an
    InputError or ConfigError says what is wrong (a time already past too) before anything
    is planned or looked up."""
    from datetime import UTC

    from campaigns.pipeline.scheduling import check_ahead, schedule_request

    if args.status_callback:
        from campaigns.pipeline.listen import check_callback_setup

        check_callback_setup(settings, args.status_callback)
    request = schedule_request(args.at, args.at_local, args.tz)
    check_ahead(request, datetime.now(UTC))
    return request


@dataclass(frozen=True)
class Launch:
    """What one command's launch has of its own."""

    #: The command, as its messages name it: "send", "retry", "follow-up".
    command: str
    #: The sender as planned (None: none configured; `--send` then says how to name one).
    #: Scheduling asks it: Twilio holds messages only for a Messaging Service.
    sender: SenderChoice | None
    #: The same plan again with the line types `--lookup` found (those who cannot receive
    #: SMS left out).
    replan: Callable[[LineTypes], PlannedCampaign]
    #: The way on from a repeat of a campaign made already (`refuse_repeat`'s hint).
    repeat_hint: Callable[[Repeat], str]
    #: The dry run's last sentence ends "Add --send to send it (<this>)."
    dry_run_hint: str
    #: A sentence said before the plan (a note first in `--json`): who was chosen and why.
    intro: str | None = None
    #: Words after "Campaign ID" once stored, e.g. " (retry of ID)".
    described: str = ""
    #: Refuse a repeat before an empty plan: "a retry of it exists already" says more than
    #: "no one is left" (send says the empty plan first).
    repeat_first: bool = False


def launch(
    args: argparse.Namespace,
    planned: PlannedCampaign,
    how: Launch,
    *,
    request: ScheduleRequest | None,
    account: AccountCheck,
    db_path: Path,
    now: datetime,
    render: Renderer,
) -> int:
    """From the first plan on: look up, schedule, show, and with `--send` confirm, store and
    send (see the module docstring); the exit status."""
    from datetime import UTC

    from campaigns.cli import sending as _sending
    from campaigns.cli.main import EXIT_OK
    from campaigns.cli.plan_view import show_plan
    from campaigns.pipeline import campaign as pipeline
    from campaigns.pipeline.scheduling import schedule_plan
    from campaigns.pipeline.sender import listed_senders, require_sender, resolve_rate
    from campaigns.store.journal import Journal
    from campaigns.untrusted import visible

    if how.intro is not None and not args.json:
        render.say(visible(how.intro))
    if args.lookup:
        from campaigns.cli import lookup

        line_types = lookup.look_up(
            lookup.require_gateway(account.gateway),
            db_path,
            (contact.phone for contact in planned.audience.included),
            yes=args.yes,
            now=now,
        )
        if line_types is not None:  # planned again, less those who cannot receive SMS
            planned = how.replan(line_types)
    planned = schedule_plan(
        planned,
        request,
        messaging_service=bool(how.sender and how.sender.messaging_service_sid),
        now=datetime.now(UTC),
    )
    notes = [*account.notes, *repeat_warnings(planned.repeat, args, how.repeat_hint)]
    if how.intro is not None and args.json:
        notes.insert(0, how.intro)

    if not (args.json and args.send):  # with --send --json the plan names its campaign
        show_plan(render, planned, notes, args)
    if not args.send:
        if not args.json:
            render.say(
                f"This was a dry run: nothing was sent. Add --send to send it ({how.dry_run_hint})."
            )
        return EXIT_OK
    # before the question: nothing is asked, nothing is sent
    if how.repeat_first:
        pipeline.refuse_repeat(planned.repeat, new_campaign=args.new_campaign, hint=how.repeat_hint)
        pipeline.require_messages(planned)
    else:
        pipeline.require_messages(planned)
        pipeline.refuse_repeat(planned.repeat, new_campaign=args.new_campaign, hint=how.repeat_hint)

    sender = require_sender(how.sender)
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
            status_callback=args.status_callback,
        ),
    )
    if not args.yes and not _confirmed(planned, sender):
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
            repeat_hint=how.repeat_hint,
        )
        if args.json:
            show_plan(render, planned, notes, args, campaign_id)
        else:
            render.say(_stored_line(f"Campaign {campaign_id}{how.described}", planned, db_path))
        return _sending.run_campaign(
            gateway,
            journal,
            campaign_id,
            options,
            render,
            region=planned.region,
            interactive=not args.yes and _sending.is_interactive(),
        )


def repeat_warnings(
    repeat: Repeat | None, args: argparse.Namespace, hint: Callable[[Repeat], str]
) -> list[str]:
    """The plan's warnings about the journal's past: the same campaign (the dry run, or
    --new-campaign; a real send refuses instead) and people texted recently by another."""
    warnings: list[str] = []
    if repeat is None:
        return warnings
    if repeat.campaign is not None and (not args.send or args.new_campaign):
        warnings.append(f"Warning: {repeat.describe()} {hint(repeat)}")
    if repeat.recent:
        warnings.append(f"Warning: {repeat.recent_note()}")
    return warnings


def _confirmed(planned: PlannedCampaign, sender: SenderChoice) -> bool:
    """Ask on the terminal whether to send the plan from `sender`."""
    from campaigns.cli import sending as _sending

    summary = planned.plan.summary
    return _sending.confirm(
        f"Send {summary.messages} message(s), {summary.segments} segment(s), about "
        f"{summary.cost:.2f} {summary.currency}, from {sender.address}?"
    )


def _stored_line(named: str, planned: PlannedCampaign, db_path: Path) -> str:
    """ "Campaign ID stored in DB." and what happens next: sent now, handed to Twilio to hold,
    or waiting in the journal for its time."""
    schedule = planned.schedule
    if schedule is not None and schedule.mode == "twilio":
        return (
            f"{named} stored in {db_path}. Handing each message to Twilio to hold until its "
            "time (Ctrl-C pauses)."
        )
    if schedule is not None:
        return f"{named} stored in {db_path}, waiting for its time."
    return f"{named} stored in {db_path}. Sending (Ctrl-C pauses)."
