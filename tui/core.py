"""The app's calls into the headless core, each a plain blocking function run in a worker.

No textual here. Each function opens what it needs (the journal, a gateway) and closes it, so
a worker thread never shares a SQLite connection with another thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.state import Draft

if TYPE_CHECKING:  # each function imports what it runs: the app opens before the core loads
    from campaigns.audience.filters import Audience, AudienceBuilder
    from campaigns.audience.suppression import Suppression
    from campaigns.compose.plan import Plan
    from campaigns.compose.template import Template
    from campaigns.config.settings import Settings
    from campaigns.contacts.book import Contact, ContactBook
    from campaigns.pipeline.repeats import Repeat
    from campaigns.send.engine import EngineOptions
    from campaigns.store.journal import Campaign, Journal, NewRecipient, Recipient


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One line of the History screen: a journal campaign and its counts by status."""

    campaign: Campaign
    counts: dict[str, int]
    #: The state as shown (`Journal.shown_state`: "interrupted" when no process is sending it).
    state: str = ""

    @property
    def total(self) -> int:
        """Recipients the campaign texts (the excluded, `skipped`, rows left out)."""
        return sum(n for status, n in self.counts.items() if status != "skipped")


def _journal(db_path: Path | None) -> Journal:
    from campaigns.store.journal import Journal

    return Journal.open(db_path)


def database_path(db_path: Path | None) -> Path:
    """The journal's file (the default place when none was given)."""
    from campaigns.store.journal import default_db_path

    return Path(db_path) if db_path is not None else default_db_path()


def prepare_contacts_loading() -> None:
    """Before the app takes over `sys.stderr`: get what parallel number checking needs
    running (`campaigns.contacts.book.prepare_worker_processes`)."""
    from campaigns.contacts.book import prepare_worker_processes

    prepare_worker_processes()


def load_contacts_for(path: str, region: str, phone_column: str | None = None) -> ContactBook:
    """Read and check a contacts file exactly as `smscast check` does (a `ContactBook`)."""
    from campaigns.contacts.book import load_contacts

    return load_contacts(Path(path).expanduser(), region=region, phone_column=phone_column)


def suppression_entries(db_path: Path | None, region: str = "US") -> dict[str, Suppression]:
    """The local suppression list (same database as the journal): number -> its entry."""
    from campaigns.audience.suppression import SuppressionList

    with SuppressionList(database_path(db_path), region) as suppression:
        return dict(suppression.entries())


def build_audience_for(
    draft: Draft,
    builder: AudienceBuilder | None,
    db_path: Path | None,
    region: str = "US",
    now: datetime | None = None,
) -> tuple[AudienceBuilder, Audience]:
    """The audience of the draft's contacts under its filters, and the (reusable) builder."""
    from campaigns.audience.filters import AudienceBuilder
    from campaigns.audience.quiet_hours import QuietHours

    if builder is None:
        builder = AudienceBuilder(draft.book)
    filters = draft.filters
    suppressed = suppression_entries(db_path, region) if filters.suppression else {}
    known = draft.verified is not None  # no account yet: nothing to filter against
    verified = draft.verified_numbers() if filters.verified_only and known else None
    quiet = QuietHours.parse(filters.quiet_window) if filters.quiet_hours else None
    audience = builder.build(
        suppressed=suppressed,
        verified=verified,
        quiet_hours=quiet,
        now=now or datetime.now(UTC),
    )
    return builder, audience


def build_plan_for(audience: Audience, template: Template, settings: Settings | None) -> Plan:
    """Every included recipient's message, its segments and estimated cost."""
    from campaigns.compose.plan import build_plan
    from campaigns.compose.pricing import PriceTable

    prices = (settings.prices if settings is not None else None) or PriceTable()
    return build_plan(audience.included, template, prices)


def canary_number(raw: str, region: str) -> str:
    """The person's own number for a canary, in E.164; InputError with a next step if unusable."""
    from campaigns.contacts.phones import check_number
    from campaigns.errors import InputError

    checked = check_number(raw, region)
    if checked.e164 is None:
        raise InputError(
            f"The canary number {raw} is not usable: {checked.reason}.",
            "Give your own mobile number with its country code, e.g. +14155550100, "
            "or leave the canary empty.",
        )
    return checked.e164


def campaign_recipients_for(draft: Draft, canary: str | None) -> list[NewRecipient]:
    """Journal rows for the draft, exactly as `smscast send` writes them
    (`campaigns.pipeline.recipients.journal_recipients`); a canary to the person's own number is
    row 0."""
    from campaigns.pipeline.recipients import journal_recipients

    return journal_recipients(draft.book, draft.audience, draft.plan, canary=canary)


def _find_repeat(journal: Journal, draft: Draft) -> Repeat:
    """`campaigns.pipeline.repeats.find_repeat` for the draft's file, template and plan: the check
    `smscast send` makes."""
    from campaigns.pipeline.repeats import find_repeat

    return find_repeat(
        journal,
        source_sha256=draft.book.sha256,
        template=draft.template_text,
        numbers=(m.to for m in draft.plan.messages),
    )


def repeat_for(draft: Draft, db_path: Path | None) -> Repeat:
    """What the journal already did with the draft's file, template and audience (a
    `campaigns.pipeline.repeats.Repeat`: the same campaign, people texted recently), for Review."""
    with _journal(db_path) as journal:
        return _find_repeat(journal, draft)


def create_campaign_for(
    draft: Draft,
    settings: Settings | None,
    db_path: Path | None,
    options: EngineOptions,
    *,
    canary: str | None = None,
    new_campaign: bool = False,
) -> str:
    """Write the draft's plan to the journal as a new campaign; returns its id.

    `options` (the `EngineOptions` it will run with) are stored with it, under the keys
    `smscast send` uses, so `smscast resume` goes on at the same pace. `canary`: a number of
    the person's own that gets the first contact's message first (row 0).

    Raises `campaigns.pipeline.repeats.RepeatCampaignError` when the journal holds the same campaign
    (not over, or ended within a day), unless `new_campaign`: the person chose to start
    another anyway. The check and the creation share one journal connection.
    """
    from campaigns.send.engine import engine_settings

    region = getattr(settings, "region", None) or "US"
    canary = canary_number(canary, region) if canary else None
    sender = draft.sender
    service = sender if sender and sender.startswith("MG") else None
    filters = draft.filters
    stored: dict[str, Any] = {
        "source": "tui",
        **engine_settings(options),
        "canary": options.canary,
        "region": region,
        "phone_column": draft.book.phone_column,
        "quiet_hours": filters.quiet_window if filters.quiet_hours else "off",
        "verified_only": "on" if filters.verified_only else "off",
        "account_type": getattr(draft.account, "type", None),
        "columns": list(draft.book.columns),
    }
    recipients = campaign_recipients_for(draft, canary)
    with _journal(db_path) as journal:
        if not new_campaign:
            from campaigns.pipeline.repeats import RepeatCampaignError

            repeat = _find_repeat(journal, draft)
            if repeat.campaign is not None:
                raise RepeatCampaignError(repeat, "Resume or open it, or start a new one.")
        return journal.create_campaign(
            template=draft.template_text,
            source_name=str(Path(draft.book.path).resolve()),
            source_sha256=draft.book.sha256,
            sender=None if service else sender,
            messaging_service_sid=service,
            settings=stored,
            recipients=recipients,
        )


def list_campaigns(db_path: Path | None) -> list[CampaignRow]:
    """Every campaign in the journal, newest first, with counts by status."""
    with _journal(db_path) as journal:
        return [
            CampaignRow(c, journal.counts(c.id), journal.shown_state(c))
            for c in journal.campaigns()
        ]


def campaign_recipients(db_path: Path | None, campaign_id: str) -> list[Recipient]:
    """A campaign's recipients in row order (journal `Recipient` objects)."""
    with _journal(db_path) as journal:
        return journal.recipients(campaign_id)


def campaign_info(db_path: Path | None, campaign_id: str) -> Campaign:
    """The journal's `Campaign` (state, stored settings, ...)."""
    with _journal(db_path) as journal:
        return journal.campaign(campaign_id)


def refresh_statuses(settings: Settings, db_path: Path | None, campaign_id: str) -> int:
    """Fetch the latest status of each message not yet final and record it (as `smscast
    status` does: `campaigns.send.tracking.refresh_statuses`); returns how many rows changed."""
    import asyncio

    from campaigns.send.tracking import refresh_statuses as refresh
    from campaigns.twilio.gateway import TwilioGateway

    gateway = TwilioGateway(settings)
    try:
        with _journal(db_path) as journal:
            return asyncio.run(refresh(gateway, journal, campaign_id))
    finally:
        gateway.close()


def export_campaign(
    db_path: Path | None,
    campaign_id: str,
    path: str | None,
    fallback_dir: Path,
    folder: Path | None = None,
) -> Path:
    """Export a campaign's results to a CSV file for Excel (mode 0600); returns its absolute
    path, for the person to be told exactly where it went.

    Without `path` the file `smscast-<ID>.csv` goes into `folder`, by default beside the
    campaign's contacts file (where the person looks for it), or into `fallback_dir` when
    that folder is gone or not writable.
    """
    import os

    from campaigns.store.report import export

    with _journal(db_path) as journal:
        campaign = journal.campaign(campaign_id)
        if path:
            target = Path(path).expanduser()
        else:
            if folder is None:
                folder = Path(campaign.source_name).expanduser().parent
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                folder = fallback_dir
            target = folder / f"smscast-{campaign.id}.csv"
        export(journal.recipients(campaign.id), target)
    return target.absolute()


def first_included(audience: Audience | None, index: int) -> Contact | None:
    """The included contact at `index` (wrapping), or None."""
    included = audience.included if audience is not None else []
    if not included:
        return None
    return included[index % len(included)]
