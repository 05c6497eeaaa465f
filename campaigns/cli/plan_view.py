"""The plan of a campaign as the command line shows it, before it is sent: `smscast send`,
`retry` and `follow-up` (through `campaigns.cli.launch`) print the same lines, or one JSON
`plan` event with `--json`: what is texted, at what cost and prices, what is deferred or
scheduled, who is left out and why, the warnings and notes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.cli.sending import Renderer
    from campaigns.pipeline.campaign import PlannedCampaign

#: How many excluded, deferred or warned rows are listed (`--json` lists them all).
_SHOW_EXCLUDED = 20


def show_plan(
    render: Renderer,
    planned: PlannedCampaign,
    notes: list[str],
    args: argparse.Namespace,
    campaign_id: str | None = None,
) -> None:
    """Show the plan on `render` (`campaign_id`: the campaign it was stored as, for
    `--send --json`)."""
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
