"""`smscast status [ID] [--watch]`: where a campaign stands, and why recipients failed.

Refreshes the delivery status of messages that are not final yet (one fetch each, when
credentials are configured; `--no-refresh` skips it), then shows the counts by status and the
failures grouped by error code with what each means and what to do. `--watch` refreshes every
few seconds until every message is final or known to be gone (Twilio answered 404 for it:
deleted, or a restarted sandbox; it keeps its last status and is not asked about again; see
`tracking.is_gone`). Ctrl-C stops watching. `--json` prints one object.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast status` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments

    p = subparsers.add_parser(
        "status",
        help="a campaign's counts, failures by error, delivery receipts",
        description="Show where a campaign stands; refresh delivery receipts from Twilio.",
    )
    p.add_argument("campaign_id", nargs="?", metavar="ID", help="campaign id (default: latest)")
    p.add_argument("--watch", action="store_true", help="refresh until every message is final")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS", help=argparse.SUPPRESS)
    p.add_argument("--no-refresh", action="store_true", help="show the journal only, ask no one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Show (and refresh) the campaign's status; exit 0."""
    import asyncio

    from campaigns.cli.flags import settings_from_args
    from campaigns.send.tracking import refresh_statuses
    from campaigns.store.journal import Journal
    from campaigns.untrusted import json_dumps

    settings = settings_from_args(args)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    refreshing = not args.no_refresh and settings.credentials is not None
    with Journal.open(db_path, read_only=not refreshing) as journal:
        campaign = journal.campaign(args.campaign_id) if args.campaign_id else journal.latest()
        gateway = None
        if refreshing:
            from campaigns.twilio.gateway import TwilioGateway

            gateway = TwilioGateway(settings)
        try:
            if gateway is not None:
                from campaigns.pipeline.scheduling import cancel_opted_out

                stopped = cancel_opted_out(gateway, journal, campaign.id, settings.region)
                if stopped and not args.json:
                    sys.stdout.write(
                        f"Canceled {stopped} scheduled message(s) to numbers now on the "
                        "suppression list.\n"
                    )
            while True:
                if gateway is not None and _tracked(journal, campaign.id):
                    asyncio.run(refresh_statuses(gateway, journal, campaign.id))
                report = build_report(journal, campaign.id)
                if args.json:
                    sys.stdout.write(json_dumps(report) + "\n")
                else:
                    sys.stdout.write(render(report, watching=args.watch) + "\n")
                sys.stdout.flush()
                if not args.watch or not report["tracked"] or gateway is None:
                    break
                time.sleep(max(0.5, args.interval))
        except KeyboardInterrupt:
            pass
    return 0


def _tracked(journal: Any, campaign_id: str) -> int:
    """How many of the campaign's messages are still worth asking Twilio about."""
    from campaigns.send.tracking import pollable
    from campaigns.store.statuses import LIVE

    return sum(1 for r in journal.recipients(campaign_id, LIVE) if pollable(r))


def build_report(journal: Any, campaign_id: str) -> dict[str, Any]:
    """The campaign's header, counts and failures by code, as a JSON-ready dict.

    `tracked`: live messages still followed; `gone`: live messages Twilio no longer has
    (404), kept at their last status and no longer asked about."""
    from campaigns.send.tracking import pollable
    from campaigns.store import statuses
    from campaigns.twilio.errors import describe

    campaign = journal.campaign(campaign_id)
    counts = journal.counts(campaign_id)
    by_kind = journal.reply_counts(campaign_id)
    failures: Counter[tuple[int | None, str]] = Counter()
    prices = 0.0
    tracked = gone = 0
    for r in journal.recipients(campaign_id):
        if r.status in statuses.LIVE:
            if pollable(r):
                tracked += 1
            elif r.sid:
                gone += 1
        if r.status in statuses.FAILED_OR_UNKNOWN:
            failures[(r.error_code, r.status)] += 1
        if r.price:
            with contextlib.suppress(ValueError):
                prices += abs(float(r.price))
    groups = []
    for (code, status), n in failures.most_common():
        info = describe(code)
        groups.append(
            {
                "code": code,
                "status": status,
                "count": n,
                "meaning": info.meaning if info else "",
                "advice": info.advice if info else "",
            }
        )
    from campaigns.send.schedule import Schedule

    schedule = Schedule.from_json(campaign.schedule)
    return {
        "campaign_id": campaign.id,
        "schedule": schedule.describe() if schedule is not None else None,
        "state": campaign.state,
        "reason": campaign.state_reason,
        "hint": campaign.state_hint,
        "created_at": campaign.created_at.isoformat(),
        "source": campaign.source_name,
        "sender": campaign.messaging_service_sid or campaign.sender,
        "counts": counts,
        "total": statuses.to_text(counts),
        "price": round(prices, 4),
        "failures": groups,
        "tracked": tracked,
        "gone": gone,
        "replies": {
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "opted_out": by_kind.get("opt-out", 0),
        },
    }


def render(report: dict[str, Any], *, watching: bool = False) -> str:
    """The report as a few readable lines, each through `visible`: the sender, the reason and
    hint of a pause quote Twilio's answers and the person's settings."""
    from campaigns.store import statuses
    from campaigns.store.statuses import CampaignState, RecipientStatus
    from campaigns.untrusted import visible

    counts = report["counts"]
    skipped = counts.get(RecipientStatus.SKIPPED)
    lines = [
        f"Campaign {report['campaign_id']} ({report['state']}), from {report['sender']}, "
        f"created {report['created_at'][:19].replace('T', ' ')} UTC",
        f"  {report['total']} recipient(s) to text: "
        + (
            ", ".join(
                f"{n} {s}"
                for s, n in sorted(counts.items(), key=lambda kv: -kv[1])
                if s != RecipientStatus.SKIPPED
            )
            or "none"
        )
        + (f"; {skipped} excluded before sending" if skipped else ""),
    ]
    if report.get("schedule"):
        lines.append(f"  {report['schedule']}")
    held = counts.get(RecipientStatus.SCHEDULED)
    if held:
        lines.append(
            f"  {held} held by Twilio until their time: 'smscast cancel "
            f"{report['campaign_id']}' cancels those not sent yet."
        )
    if report["price"]:
        lines.append(f"  charged so far: {report['price']:.4f}")
    if report["reason"] and report["state"] != CampaignState.FINISHED:
        lines.append(f"  {report['reason']}")
        if report["hint"]:
            lines.append(f"  {report['hint']}")
    for g in report["failures"]:
        code = g["code"] if g["code"] is not None else "-"
        lines.append(f"  {g['count']:>6} {g['status']} with {code}: {g['meaning']}")
        if g["advice"]:
            lines.append(f"         {g['advice']}")
    if report.get("gone"):
        lines.append(
            f"  {report['gone']:>6} message(s) Twilio no longer has (404, error 20404): their "
            "last known status is kept and they are no longer checked."
        )
        lines.append(
            "         They were deleted at Twilio, or these credentials reach another account "
            "(or a sandbox that was restarted and forgot them); their delivery cannot be known."
        )
    cid = report["campaign_id"]
    answered = report.get("replies") or {}
    if answered.get("total"):
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(answered["by_kind"].items()))
        lines.append(
            f"  {answered['total']} repl(ies): {kinds}; {answered['opted_out']} opt-out keyword(s)."
            f" Read them: smscast replies {cid}"
        )
    if statuses.count_of(counts, statuses.UNSENT | {RecipientStatus.UNKNOWN}):
        lines.append(f"Go on with: smscast resume {cid}")
    if not watching:
        lines.append(f"Export: smscast export {cid} -o results.csv")
    return "\n".join(map(visible, lines))
