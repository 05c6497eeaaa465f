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
    from campaigns.cli.sending import Renderer
    from campaigns.pipeline.campaign import PlannedCampaign
    from campaigns.pipeline.repeats import Repeat
    from campaigns.pipeline.sender import SenderChoice

_SHOW_EXCLUDED = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast send` (imports nothing heavy)."""
    from campaigns.cli.flags import (
        add_credential_arguments,
        add_engine_arguments,
        add_new_campaign_argument,
        add_schedule_arguments,
        add_sheet_argument,
        count,
        positive_int,
        quiet_hours,
        region,
    )
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
    p.add_argument(
        "--canary",
        type=count,
        default=0,
        metavar="N",
        help="send N first, show their outcome, ask before the rest",
    )
    add_schedule_arguments(p)
    add_new_campaign_argument(p)
    p.add_argument(
        "--region", type=region, metavar="CC", help="country of numbers without +code (e.g. US)"
    )
    p.add_argument("--phone-column", metavar="NAME", help="the column holding the numbers")
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
    add_sheet_argument(p)
    add_engine_arguments(p)
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def _callback_url(text: str) -> str:
    """A usable `--status-callback` URL (else a usage error, exit 2)."""
    from campaigns.send.callbacks import problem_with_url

    problem = problem_with_url(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def run(args: argparse.Namespace) -> int:
    """Plan (and with --send, send) the campaign; returns the exit status. The rules are the
    pipeline's (`campaigns.pipeline.campaign`, `campaigns.pipeline.sender`): this parses the
    flags, asks on the terminal and renders."""
    from datetime import UTC, datetime

    from campaigns.cli import sending as _sending
    from campaigns.cli.flags import settings_from_args
    from campaigns.cli.main import EXIT_OK, EXIT_USAGE
    from campaigns.compose.template import Template, read_template_arg
    from campaigns.contacts.book import load_contacts
    from campaigns.pipeline import campaign as pipeline
    from campaigns.pipeline.scheduling import schedule_plan, schedule_request
    from campaigns.pipeline.sender import (
        configured_sender,
        listed_senders,
        require_sender,
        resolve_rate,
    )

    settings = settings_from_args(args)
    if not _flags_usable(args):
        return EXIT_USAGE
    if args.status_callback:
        from campaigns.pipeline.listen import check_callback_setup

        check_callback_setup(settings, args.status_callback)
    render = _sending.Renderer(json_mode=args.json, out=sys.stdout, err=sys.stderr)
    request = schedule_request(args.at, args.at_local, args.tz)

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
    planned = pipeline.plan_campaign(
        book,
        template,
        filters,
        settings=settings,
        db_path=db_path,
        account=account,
        now=now,
        refresh_prices=args.refresh_prices,
    )
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
            planned = pipeline.plan_campaign(
                book,
                template,
                filters,
                settings=settings,
                db_path=db_path,
                account=account,
                now=now,
                line_types=line_types,
            )
    planned_sender = configured_sender(settings)
    planned = schedule_plan(
        planned,
        request,
        messaging_service=bool(planned_sender and planned_sender.messaging_service_sid),
        now=datetime.now(UTC),
    )
    notes = [*account.notes, *_repeat_warnings(planned.repeat, args)]

    if not (args.json and args.send):  # with --send --json the plan names its campaign
        _show_plan(render, planned, notes, args)
    if not args.send:
        if not args.json:
            render.say(
                "This was a dry run: nothing was sent. Add --send to send it "
                "(--canary 5 to try five first)."
            )
        return EXIT_OK
    pipeline.require_messages(planned)
    hint = functools.partial(_repeat_hint, args=args)
    # before the question: nothing is asked, nothing is sent
    pipeline.refuse_repeat(planned.repeat, new_campaign=args.new_campaign, hint=hint)

    sender = require_sender(configured_sender(settings))
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

    from campaigns.store.journal import Journal

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
            _show_plan(render, planned, notes, args, campaign_id)
        elif planned.schedule is not None and planned.schedule.mode == "twilio":
            render.say(
                f"Campaign {campaign_id} stored in {db_path}. Handing each message to Twilio "
                "to hold until its time (Ctrl-C pauses)."
            )
        elif planned.schedule is not None:
            render.say(f"Campaign {campaign_id} stored in {db_path}, waiting for its time.")
        else:
            render.say(f"Campaign {campaign_id} stored in {db_path}. Sending (Ctrl-C pauses).")
        return _sending.run_campaign(
            gateway,
            journal,
            campaign_id,
            options,
            render,
            region=settings.region,
            interactive=not args.yes and _sending.is_interactive(),
        )


def _flags_usable(args: argparse.Namespace) -> bool:
    """InputError for a --limit or --canary out of range; False (a usage error) for --send
    without a terminal to confirm on and without --yes."""
    from campaigns.cli import sending as _sending
    from campaigns.errors import InputError

    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1.", "Leave it out to text everyone.")
    if args.canary < 0:
        raise InputError("--canary must be 0 or more.", "For example --canary 5.")
    from campaigns.cli import lookup

    if not lookup.usable(args, "send"):
        return False
    if args.canary and (args.at or args.at_local):
        raise InputError(
            "--canary waits for the first messages' outcome, which a scheduled campaign cannot do.",
            "Leave out --canary, or send without --at / --at-local.",
        )
    if args.send and not args.yes and not _sending.is_interactive():
        sys.stderr.write(
            "smscast send: error: not a terminal, so there is no one to confirm: "
            "add --yes to send without asking.\n"
        )
        return False
    return True


def _confirmed(planned: PlannedCampaign, sender: SenderChoice) -> bool:
    """Ask on the terminal whether to send the plan from `sender`."""
    from campaigns.cli import sending as _sending

    summary = planned.plan.summary
    return _sending.confirm(
        f"Send {summary.messages} message(s), {summary.segments} segment(s), about "
        f"{summary.cost:.2f} {summary.currency}, from {sender.address}?"
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


def _repeat_warnings(repeat: Repeat | None, args: argparse.Namespace) -> list[str]:
    """The plan's warnings about the journal's past: the same campaign (the dry run, or
    --new-campaign; a real send refuses instead) and people texted recently by another."""
    warnings: list[str] = []
    if repeat is None:
        return warnings
    if repeat.campaign is not None and (not args.send or args.new_campaign):
        warnings.append(f"Warning: {repeat.describe()} {_repeat_hint(repeat, args)}")
    if repeat.recent:
        warnings.append(f"Warning: {repeat.recent_note()}")
    return warnings


def _show_plan(
    render: Renderer,
    planned: PlannedCampaign,
    notes: list[str],
    args: argparse.Namespace,
    campaign_id: str | None = None,
) -> None:
    from campaigns.audience.registration import KIND_REGISTRATION
    from campaigns.untrusted import json_dumps, visible

    book, audience, plan = planned.book, planned.audience, planned.plan
    limited_out = planned.limited_out
    summary = plan.summary
    audience = audience.without({problem.row for problem in plan.problems})
    excluded = list(audience.excluded)
    registration = audience.registration
    blocked = audience.counts.get(KIND_REGISTRATION, 0)
    if args.json:
        render.out.write(
            json_dumps(
                {
                    "event": "plan",
                    "campaign_id": campaign_id,
                    "dry_run": not args.send,
                    "contacts": book.rows,
                    "messages": summary.messages,
                    "segments": summary.segments,
                    "cost": round(summary.cost, 4),
                    "currency": summary.currency,
                    "prices": _prices_json(planned),
                    "histogram": {str(k): v for k, v in sorted(summary.histogram.items())},
                    "deferred": {str(k): v.isoformat() for k, v in audience.deferred.items()},
                    "excluded": [
                        {"row": e.row, "phone": e.phone, "kind": e.kind, "reason": e.reason}
                        for e in excluded
                    ],
                    "problems": [
                        {"row": p.row, "kind": p.kind, "reason": p.reason} for p in plan.problems
                    ],
                    "warnings": [
                        {"row": w.row, "kind": w.kind, "message": w.message} for w in plan.warnings
                    ],
                    "limited_out": len(limited_out),
                    "schedule": None if planned.schedule is None else planned.schedule.to_json(),
                    "registration_excluded": blocked,
                    "registration": registration.record() if registration else None,
                    "notes": notes + list(audience.hints),
                }
            )
            + "\n"
        )
        render.out.flush()
        return
    lines = [
        f"{book.path.name}: {book.rows} row(s), phone column '{book.phone_column}'.",
        f"To text: {summary.messages} message(s), {summary.segments} segment(s), "
        f"about {summary.cost:.2f} {summary.currency}.",
    ]
    if planned.pricing is not None:
        lines.append(_prices_line(planned))
    if summary.histogram:
        lines.append(
            "Segments per message: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(summary.histogram.items()))
        )
    if audience.deferred and planned.schedule is None:
        # Deferred, not dropped: each is texted when its window opens (shown in UTC).
        lines.append(
            f"Deferred by quiet hours: {len(audience.deferred)}, each texted when its window opens:"
        )
        phones = {c.row: c.phone for c in audience.included if c.row in audience.deferred}
        shown = sorted(audience.deferred.items())
        for row, opens in shown[:_SHOW_EXCLUDED]:
            phone = phones.get(row, "")
            lines.append(f"  row {row:>5}  {phone:<16}  at {opens:%Y-%m-%d %H:%M} UTC")
        if len(shown) > _SHOW_EXCLUDED:
            lines.append(f"  ... and {len(shown) - _SHOW_EXCLUDED} more (--json lists them all).")
    if planned.schedule is not None:
        lines.append(planned.schedule.describe())
        if planned.schedule.mode == "local":
            lines.append(
                "  Then 'smscast resume' sends what is due; or let cron do it: "
                "*/5 * * * * smscast resume --due --yes"
            )
        else:
            lines.append(
                "  'smscast status ID' follows them; 'smscast cancel ID' cancels those not "
                "sent yet."
            )
    if blocked and registration is not None:
        lines.append(
            f"Left out for US registration: {blocked} (the sender {registration.sender} "
            "cannot reach them today; Twilio would charge each and deliver none)."
        )
    if limited_out:
        lines.append(f"Left out by --limit: {len(limited_out)}.")
    if excluded or plan.problems:
        lines.append(f"Excluded: {len(excluded) + len(plan.problems)}")
        for e in excluded[:_SHOW_EXCLUDED]:
            lines.append(f"  row {e.row:>5}  {e.phone or '(empty)':<16}  {e.reason}")
        if len(excluded) > _SHOW_EXCLUDED:
            lines.append(f"  ... and {len(excluded) - _SHOW_EXCLUDED} more (see smscast check).")
        for p in plan.problems[:_SHOW_EXCLUDED]:  # the message itself: too long, empty, blank
            lines.append(f"  row {p.row:>5}  {p.reason}")
        if len(plan.problems) > _SHOW_EXCLUDED:
            lines.append(
                f"  ... and {len(plan.problems) - _SHOW_EXCLUDED} more (see smscast preview)."
            )
    if plan.warnings:
        lines.append(f"Warnings: {len(plan.warnings)} (these rows are still texted)")
        for w in plan.warnings[:_SHOW_EXCLUDED]:
            lines.append(f"  row {w.row:>5}  {w.kind}: {w.message}")
        if len(plan.warnings) > _SHOW_EXCLUDED:
            lines.append(
                f"  ... and {len(plan.warnings) - _SHOW_EXCLUDED} more (see smscast preview)."
            )
    lines.extend(notes)
    lines.extend(audience.hints)
    # Every line quotes cells, file names or Twilio's words: each is shown through `visible`
    # (a line break inside a cell too), before `say` writes them.
    render.say("\n".join(map(visible, lines)))


def _prices_line(planned: PlannedCampaign) -> str:
    """ "Prices per segment: US 0.0079–0.0083 USD (prices from Twilio, fetched DATE)." """
    assert planned.pricing is not None
    return planned.pricing.summary_line()


def _prices_json(planned: PlannedCampaign) -> dict[str, object] | None:
    pricing = planned.pricing
    if pricing is None:
        return None
    return {
        "label": pricing.label(),
        "fetched_at": pricing.fetched_at.isoformat() if pricing.fetched_at else None,
        "countries": {
            region: {
                "low": r.low,
                "high": r.high,
                "currency": r.currency,
                "source": pricing.sources.get(region),
            }
            for region, r in sorted(pricing.ranges.items())
        },
    }
