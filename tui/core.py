"""The app's calls into the headless core, each a plain blocking function run in a worker.

No textual here. Each function opens what it needs (the journal, a gateway) and closes it, so
a worker thread never shares a SQLite connection with another thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.state import Draft


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One line of the History screen: a journal campaign and its counts by status."""

    campaign: Any
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Recipients in the campaign."""
        return sum(self.counts.values())


def _journal(db_path: Path | None) -> Any:
    from campaigns.journal import Journal

    return Journal.open(db_path)


def database_path(db_path: Path | None) -> Path:
    """The journal's file (the default place when none was given)."""
    from campaigns.journal import default_db_path

    return Path(db_path) if db_path is not None else default_db_path()


def suppression_entries(db_path: Path | None, region: str = "US") -> dict[str, Any]:
    """The local suppression list (same database as the journal): number -> its entry."""
    from campaigns.suppression import SuppressionList

    with SuppressionList(database_path(db_path), region) as suppression:
        return dict(suppression.entries())


def build_audience_for(
    draft: Draft,
    builder: Any,
    db_path: Path | None,
    region: str = "US",
    now: datetime | None = None,
) -> tuple[Any, Any]:
    """The audience of the draft's contacts under its filters, and the (reusable) builder."""
    from campaigns.audience import AudienceBuilder
    from campaigns.quiet_hours import QuietHours

    if builder is None:
        builder = AudienceBuilder(draft.book)
    filters = draft.filters
    suppressed = suppression_entries(db_path, region) if filters.suppression else {}
    verified = draft.verified_numbers() if filters.verified_only else None
    quiet = QuietHours.parse(filters.quiet_window) if filters.quiet_hours else None
    audience = builder.build(
        suppressed=suppressed,
        verified=verified,
        quiet_hours=quiet,
        now=now or datetime.now(UTC),
    )
    return builder, audience


def build_plan_for(audience: Any, template: Any, settings: Any) -> Any:
    """Every included recipient's message, its segments and estimated cost."""
    from campaigns.plan import build_plan
    from campaigns.pricing import PriceTable

    prices = getattr(settings, "prices", None) or PriceTable()
    return build_plan(audience.included, template, prices)


def create_campaign_for(
    draft: Draft,
    settings: Any,
    db_path: Path | None,
    *,
    canary: str | None = None,
    first_n: int | None = None,
) -> str:
    """Write the draft's plan to the journal as a new campaign; returns its id.

    `canary`: a number of the person's own that gets the first contact's message first (row
    0); `first_n`: the engine sends that many first and pauses for the person to look.
    """
    from campaigns.errors import InputError
    from campaigns.journal import NewRecipient
    from campaigns.phones import check_number

    plan, book = draft.plan, draft.book
    if canary:
        checked = check_number(canary, getattr(settings, "region", None) or "US")
        if checked.e164 is None:
            raise InputError(
                f"The canary number {canary} is not usable: {checked.reason}.",
                "Give your own mobile number with its country code, e.g. +14155550100, "
                "or leave the canary empty.",
            )
        canary = checked.e164
    contacts = {contact.row: contact for contact in draft.audience.included}
    deferred = dict(getattr(draft.audience, "deferred", {}) or {})
    recipients: list[NewRecipient] = []
    if canary:
        first = plan.messages[0]
        recipients.append(
            NewRecipient(
                row=0,
                to=canary,
                body=first.body,
                segments=first.segments,
                cost=first.cost,
                fields={"canary": "yes"},
            )
        )
    for message in plan.messages:
        contact = contacts.get(message.row)
        recipients.append(
            NewRecipient(
                row=message.row,
                to=message.to,
                body=message.body,
                segments=message.segments,
                cost=message.cost,
                fields=dict(contact.fields) if contact is not None else {},
                not_before=deferred.get(message.row),
            )
        )
    sender = draft.sender
    service = sender if sender and sender.startswith("MG") else None
    stored_settings: dict[str, Any] = {"region": getattr(settings, "region", "US")}
    canary_count = (1 if canary else 0) + (first_n or 0)
    if canary_count:
        stored_settings["canary"] = canary_count
    with _journal(db_path) as journal:
        return journal.create_campaign(
            template=draft.template_text,
            source_name=str(book.path),
            source_sha256=book.sha256,
            sender=None if service else sender,
            messaging_service_sid=service,
            settings=stored_settings,
            recipients=recipients,
        )


def list_campaigns(db_path: Path | None) -> list[CampaignRow]:
    """Every campaign in the journal, newest first, with counts by status."""
    with _journal(db_path) as journal:
        return [CampaignRow(c, journal.counts(c.id)) for c in journal.campaigns()]


def campaign_recipients(db_path: Path | None, campaign_id: str) -> list[Any]:
    """A campaign's recipients in row order (journal `Recipient` objects)."""
    with _journal(db_path) as journal:
        return journal.recipients(campaign_id)


def campaign_state(db_path: Path | None, campaign_id: str) -> str:
    """The campaign's state in the journal (planned, running, paused, canceled, finished)."""
    with _journal(db_path) as journal:
        return str(journal.campaign(campaign_id).state)


def refresh_statuses(settings: Any, db_path: Path | None, campaign_id: str) -> None:
    """Fetch the latest status of each message not yet final and record it."""
    from campaigns.journal import LIVE_STATUSES, Outcome
    from campaigns.twilio_gateway import TwilioGateway

    gateway = TwilioGateway(settings)
    with _journal(db_path) as journal:
        live = [r for r in journal.recipients(campaign_id, LIVE_STATUSES) if r.sid]
        outcomes: list[Outcome] = []
        for recipient in live:
            record = gateway.fetch(recipient.sid)
            outcomes.append(
                Outcome(
                    row=recipient.row,
                    status=record.status,
                    sid=record.sid,
                    error_code=record.error_code,
                    error_message=record.error_message,
                    price=record.price,
                    segments=record.num_segments,
                )
            )
        if outcomes:
            journal.apply(campaign_id, outcomes)


def export_campaign(
    db_path: Path | None, campaign_id: str, path: str | None, fallback_dir: Path
) -> Path:
    """Export a campaign's results to a CSV file for Excel; returns where it went.

    Without `path` the file goes beside the campaign's contacts file (where the person
    looks for it), or into `fallback_dir` when that folder is gone or not writable.
    """
    import os

    from campaigns.report import export

    with _journal(db_path) as journal:
        campaign = journal.campaign(campaign_id)
        if path:
            target = Path(path).expanduser()
        else:
            folder = Path(campaign.source_name).expanduser().parent
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                folder = fallback_dir
            target = folder / f"smscast-{campaign.id}.csv"
        export(journal.recipients(campaign.id), target)
    return target


def first_included(audience: Any, index: int) -> Any:
    """The included contact at `index` (wrapping), or None."""
    included: Sequence[Any] = getattr(audience, "included", ()) or ()
    if not included:
        return None
    return included[index % len(included)]
