"""A campaign's schedule at planning, and canceling what a scheduled campaign left at Twilio.

`schedule_plan` turns what the person asked (`--at`, `--at-local`; the app's Review) into each
planned recipient's due moment and the mode (`campaigns.send.schedule`), kept on the
`PlannedCampaign` so the dry run can say it and `create_campaign` can store it.
`cancel_scheduled` is the use case behind `smscast cancel` and the app's Cancel for the
messages Twilio holds (`campaigns.send.unschedule`); `cancel_opted_out` cancels the held
messages of people who joined the suppression list since (a STOP reply does not cancel them
at Twilio: its scheduling FAQ), called by `smscast status`, `smscast resume`, the app's
refresh and the reply collector after an opt-out, so STOP is honoured for scheduled messages
too.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from campaigns.errors import InputError

if TYPE_CHECKING:
    from campaigns.pipeline.campaign import PlannedCampaign
    from campaigns.send.schedule import ScheduleRequest
    from campaigns.send.unschedule import CancelReport
    from campaigns.store.journal import Journal, NewRecipient
    from campaigns.twilio.protocols import Gateway


def schedule_request(
    at: str | None, at_local: str | None, tz: str | None, *, label: str | None = None
) -> ScheduleRequest | None:
    """The request from the faces' words (`--at`, `--at-local`, `--tz`); None: send now.
    `label` names the field in the sentences (default: the flags)."""
    from campaigns.send.schedule import ScheduleRequest, operator_zone, parse_at, parse_at_local

    if at and at_local:
        raise InputError(
            "--at and --at-local ask for two different times.",
            "Give one: --at for one moment, --at-local for a time on each recipient's clock.",
        )
    if at:
        return ScheduleRequest(at=parse_at(at, operator_zone(tz), label or "--at"), tz=tz or "")
    if at_local:
        day, wall = parse_at_local(at_local, label or "--at-local")
        return ScheduleRequest(local_time=wall, local_date=day, tz=tz or "")
    if tz:
        raise InputError("--tz says how to read --at, and there is no --at.", "Add --at WHEN.")
    return None


def parse_schedule_text(text: str, tz: str | None = None) -> ScheduleRequest | None:
    """The app's one field: `YYYY-MM-DD HH:MM` (the operator's zone, as `--at`), or
    `HH:MM local` / `local HH:MM` (each recipient's clock, as `--at-local`); blank: now."""
    words = text.strip()
    if not words:
        return None
    parts = words.split()
    if "local" in (parts[0].lower(), parts[-1].lower()):
        wall = " ".join(part for part in parts if part.lower() != "local")
        return schedule_request(None, wall, tz, label="Send at")
    return schedule_request(words, None, tz, label="Send at")


def check_ahead(request: ScheduleRequest | None, now: datetime) -> None:
    """InputError when the moment asked (`--at`) is already past (the faces ask before
    planning, so nothing is looked up for a campaign that cannot be; `schedule_plan` again)."""
    if request is not None and request.at is not None and request.at <= now:
        raise InputError(
            f"--at {request.at:%Y-%m-%d %H:%M} UTC is already past.",
            "Give a time ahead, or leave --at out to send now.",
        )


def schedule_plan(
    planned: PlannedCampaign,
    request: ScheduleRequest | None,
    *,
    messaging_service: bool,
    now: datetime,
) -> PlannedCampaign:
    """`planned` with each message's due moment and the schedule (mode and why); unchanged
    when `request` is None. A time already past is refused (InputError)."""
    from campaigns.audience.quiet_hours import QuietHours
    from campaigns.send.schedule import Schedule, choose_mode, send_times

    if request is None:
        return planned
    check_ahead(request, now)
    messages = planned.plan.messages
    window = QuietHours.parse(planned.filters.quiet_hours)
    times = send_times([m.to for m in messages], request, window, now)
    if not times:
        return planned
    mode, reason = choose_mode(messaging_service=messaging_service, times=times, now=now)
    schedule = Schedule(
        mode=mode, reason=reason, asked=request.describe(), first=min(times), last=max(times)
    )
    due = {m.row: when for m, when in zip(messages, times, strict=True)}
    return replace(planned, audience=planned.audience.undeferred(), schedule=schedule, send_at=due)


def scheduled_recipients(
    planned: PlannedCampaign, recipients: list[NewRecipient]
) -> list[NewRecipient]:
    """The journal rows with their due moments: in local mode the row also waits
    (`not_before`); in twilio mode it is created at once for Twilio to hold."""
    if planned.schedule is None or not planned.send_at:
        return recipients
    local = planned.schedule.mode == "local"
    due = planned.send_at
    out = []
    for r in recipients:
        when = due.get(r.row)
        if when is None or r.status != "pending":
            out.append(r)
        else:
            out.append(replace(r, send_at=when, not_before=when if local else None))
    return out


def cancel_campaign(gateway: Gateway, journal: Journal, campaign_id: str) -> CancelReport:
    """End a campaign for good, headless (the app's Cancel; `smscast cancel` does the same
    with a terminal's rendering): under its run lock, a campaign not over is canceled by the
    engine (rows left in flight reconciled first, pending ones canceled), then every message
    Twilio still holds for it is canceled (`cancel_scheduled`), and it ends `canceled`."""
    from campaigns.pipeline.campaign import cancel_options
    from campaigns.send.aio import run
    from campaigns.send.engine import Engine
    from campaigns.store.statuses import ENDED_STATES, CampaignState

    with journal.run_lock(campaign_id):
        if journal.campaign(campaign_id).state not in ENDED_STATES:
            engine = Engine(gateway, journal, campaign_id, cancel_options())
            engine.cancel()
            run(engine.run(lambda _event: None))
        report = cancel_scheduled(gateway, journal, campaign_id)
        if journal.campaign(campaign_id).state != CampaignState.CANCELED:
            journal.set_state(campaign_id, CampaignState.CANCELED, reason="Canceled.")
    return report


def cancel_scheduled(gateway: Gateway, journal: Journal, campaign_id: str) -> CancelReport:
    """Cancel the campaign's messages Twilio still holds (journaled: each at most once)."""
    from campaigns.send.aio import run
    from campaigns.send.unschedule import CancelReport, cancel_held
    from campaigns.store.statuses import RecipientStatus

    if not journal.counts(campaign_id).get(RecipientStatus.SCHEDULED):
        return CancelReport()  # nothing held: no session, no request

    async def main() -> CancelReport:
        async with gateway.async_session() as session:
            return await cancel_held(session, journal, campaign_id)

    return run(main())


def cancel_opted_out(
    gateway: Gateway,
    journal: Journal,
    campaign_id: str,
    region: str,
    suppressed: Container[str] | None = None,
) -> int:
    """Cancel the held (`scheduled`) messages of the campaign to numbers now on the
    suppression list (`suppressed`, else the one beside the journal); returns how many were
    canceled. A campaign another run is driving right now is left for the next call (its run
    lock is never waited for)."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.send.aio import run
    from campaigns.send.unschedule import cancel_held
    from campaigns.store.run_lock import CampaignBusyError
    from campaigns.store.statuses import RecipientStatus

    held = [r for r in journal.recipients(campaign_id, [RecipientStatus.SCHEDULED]) if r.sid]
    if not held:
        return 0
    if suppressed is None:
        with SuppressionList(journal.path, region=region) as suppression:
            rows = [r.row for r in held if r.to in suppression]
    else:
        rows = [r.row for r in held if r.to in suppressed]
    if not rows:
        return 0

    async def main() -> CancelReport:
        async with gateway.async_session() as session:
            return await cancel_held(session, journal, campaign_id, rows=rows)

    try:
        with journal.run_lock(campaign_id):
            return run(main()).canceled
    except CampaignBusyError:
        return 0
