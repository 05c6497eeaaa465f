"""The app's calls into the headless core, each a plain blocking function run in a worker.

No textual here. Each function opens what it needs (the journal, a gateway) and closes it, so
a worker thread never shares a SQLite connection with another thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaigns.store.statuses import to_text
from tui.state import Draft

if TYPE_CHECKING:  # each function imports what it runs: the app opens before the core loads
    from campaigns.audience.filters import Audience, AudienceBuilder
    from campaigns.audience.subsets import ReplyIndex, Who
    from campaigns.audience.suppression import Suppression
    from campaigns.compose.plan import Plan
    from campaigns.compose.pricing import PriceTable, Pricing
    from campaigns.compose.template import Template
    from campaigns.config.settings import Settings
    from campaigns.contacts.book import ContactBook
    from campaigns.contacts.rows import Contact
    from campaigns.pipeline.campaign import AudienceFilters, PlannedCampaign
    from campaigns.pipeline.followups import DerivedSource, FollowUpChoice
    from campaigns.pipeline.line_types import LineTypes, LookupPlan
    from campaigns.pipeline.sender import SenderChoice
    from campaigns.send.engine import EngineOptions
    from campaigns.store.journal import Campaign, Journal, Recipient


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One line of the History screen: a journal campaign and its counts by status."""

    campaign: Campaign
    counts: dict[str, int]
    #: The state as shown (`Journal.shown_state`: "interrupted" when no process is sending it).
    state: str = ""
    #: For a campaign in a chain with retries (`campaigns.store.lineage`): the chain's ids,
    #: root first, and its people by combined outcome (each person once); else () and {}.
    chain: tuple[str, ...] = ()
    chain_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Recipients the campaign texts (the excluded, `skipped`, rows left out)."""
        return to_text(self.counts)


def _now() -> datetime:
    """The journal's clock (the one the snapshot tests fix), read when called."""
    from campaigns.store import journal

    return journal.now_utc()


def _journal(db_path: Path | None) -> Journal:
    from campaigns.store.journal import Journal

    return Journal.open(db_path)


def database_path(db_path: Path | None) -> Path:
    """The journal's file (the default place when none was given)."""
    from campaigns.store.journal import default_db_path

    return Path(db_path) if db_path is not None else default_db_path()


def prepare_contacts_loading() -> None:
    """Before the app takes over `sys.stderr`: get what parallel number checking needs
    running (`campaigns.contacts.checking.prepare_worker_processes`)."""
    from campaigns.contacts.checking import prepare_worker_processes

    prepare_worker_processes()


def load_contacts_for(
    path: str,
    region: str,
    phone_column: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ContactBook:
    """Read and check a contacts file exactly as `smscast check` does (a `ContactBook`);
    `progress(sentence)` hears each stage ("checking 1,000,000 distinct numbers")."""
    from campaigns.contacts.book import load_contacts

    return load_contacts(
        Path(path).expanduser(), region=region, phone_column=phone_column, progress=progress
    )


def suppression_entries(db_path: Path | None, region: str = "US") -> dict[str, Suppression]:
    """The local suppression list (same database as the journal): number -> its entry."""
    from campaigns.audience.suppression import SuppressionList

    with SuppressionList(database_path(db_path), region) as suppression:
        return dict(suppression.entries())


def audience_filters(draft: Draft) -> AudienceFilters:
    """The Audience screen's toggles as the pipeline's filters (what the journal stores)."""
    from campaigns.pipeline.campaign import AudienceFilters

    filters = draft.filters
    return AudienceFilters(
        suppression=filters.suppression,
        verified_only="on" if filters.verified_only else "off",
        quiet_hours=filters.quiet_window if filters.quiet_hours else "off",
    )


def build_audience_for(
    draft: Draft,
    builder: AudienceBuilder | None,
    db_path: Path | None,
    region: str = "US",
    now: datetime | None = None,
) -> tuple[Any, Any]:
    """The audience of the draft's contacts under its filters, and the (reusable) builder
    (`campaigns.pipeline.campaign.build_audience_for`)."""
    from campaigns.errors import InputError
    from campaigns.pipeline import campaign as pipeline

    if draft.book is None:
        raise InputError("No contacts are loaded yet.", "Open a contacts file on Contacts (2).")
    filters = draft.filters
    suppressed = suppression_entries(db_path, region) if filters.suppression else {}
    known = draft.verified is not None  # no account yet: nothing to filter against
    verified = draft.verified_numbers() if filters.verified_only and known else None
    builder, audience = pipeline.build_audience_for(
        draft.book,
        audience_filters(draft),
        suppressed=suppressed,
        verified=verified,
        now=now or datetime.now(UTC),
        builder=builder,
        registration=draft.registration(),
    )
    if filters.line_types and draft.line_types is not None:
        from campaigns.audience.line_types import exclude_line_types

        found = draft.line_types
        audience = exclude_line_types(audience, found.by_number, found.fetched_at)
    return builder, audience


def build_plan_for(
    audience: Audience,
    template: Template,
    settings: Settings | None,
    pricing: Pricing | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """Every included recipient's message, its segments and estimated cost (with `pricing`'s
    table when given, else the settings' built-in table and overrides). Raises
    `campaigns.compose.plan.PlanCancelled` once `should_stop()` is true."""
    from campaigns.pipeline.campaign import build_plan_for as build

    prices = pricing.table if pricing is not None else None
    plan, _ = build(audience, template, prices or _prices(settings), should_stop=should_stop)
    return plan


_DEFAULT_PRICES: list[PriceTable] = []  # the built-in table, made once (it caches lookups)


def _prices(settings: Settings | None) -> PriceTable:
    """The settings' price table, else the built-in one (the same object every time, so the
    numbers it has priced are not parsed again at the next edit)."""
    prices = getattr(settings, "prices", None)
    if prices is not None:
        return prices  # type: ignore[no-any-return]
    if not _DEFAULT_PRICES:
        from campaigns.compose.pricing import PriceTable

        _DEFAULT_PRICES.append(PriceTable())
    return _DEFAULT_PRICES[0]


def pricing_for(
    audience: Audience,
    settings: Settings | None,
    db_path: Path | None,
    sender: SenderChoice | None,
    known: Pricing | None = None,
) -> Pricing:
    """The prices of the audience's destination countries (`campaigns.pipeline.prices`):
    `known` again when it covers them all, else Twilio's (kept a week) when there is an
    account, else the built-in table. Runs in a worker: it may ask Twilio."""
    from campaigns.compose.pricing import builtin_pricing
    from campaigns.contacts.columns import phones_of
    from campaigns.pipeline.prices import NO_ACCOUNT, destination_regions, resolve_pricing

    regions = destination_regions(phones_of(audience.included))
    if known is not None and regions <= set(known.sources):
        return known
    if settings is None:
        return builtin_pricing({}, regions, NO_ACCOUNT)
    gateway = None
    if settings.credentials is not None:
        from campaigns.twilio.gateway import TwilioGateway

        gateway = TwilioGateway(settings)
    try:
        return resolve_pricing(
            settings,
            gateway,
            database_path(db_path),
            regions,
            sender=sender,
            now=_now(),
        )
    finally:
        if gateway is not None:
            gateway.close()


def lookup_plan_for(audience: Audience, db_path: Path | None) -> LookupPlan:
    """What looking up the audience's line types would ask and cost."""
    from campaigns.contacts.columns import phones_of
    from campaigns.pipeline.line_types import plan_lookup

    numbers = phones_of(audience.included)
    return plan_lookup(database_path(db_path), numbers, now=_now())


def run_lookup_for(settings: Settings | None, db_path: Path | None, plan: LookupPlan) -> LineTypes:
    """Look the plan's numbers up at Twilio (billed; the person said yes) and keep them."""
    from campaigns.errors import ConfigError
    from campaigns.pipeline.line_types import LineTypes, run_lookup

    if not plan.to_ask:
        return LineTypes(dict(plan.known), dict(plan.fetched_at))
    if settings is None or settings.credentials is None:
        raise ConfigError(
            "Looking up line types asks Twilio, and no Twilio credentials are configured.",
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (see Account, 1).",
        )
    from campaigns.twilio.gateway import TwilioGateway

    with TwilioGateway(settings) as gateway:
        return run_lookup(gateway, database_path(db_path), plan, now=_now())


def planned_campaign(draft: Draft, region: str) -> PlannedCampaign:
    """The draft as the pipeline's `PlannedCampaign` (built as the person edited it); a
    retry's or follow-up's carries its `Lineage`, so the campaign created is linked to its
    parent and the repeat check is by parent."""
    from campaigns.errors import InputError
    from campaigns.pipeline.campaign import PlannedCampaign

    if draft.book is None or draft.audience is None or draft.plan is None:
        raise InputError(
            "There is nothing to send yet.", "Load contacts (2) and compose the message (4)."
        )
    derived = draft.derived
    planned = PlannedCampaign(
        book=draft.book,
        template_text=draft.template_text,
        filters=audience_filters(draft),
        audience=draft.audience,
        plan=draft.plan,
        region=region if derived is None else derived.region,
        account_type=getattr(draft.account, "type", None),
        pricing=draft.pricing,
        lineage=None if derived is None else derived.source.lineage,
    )
    return scheduled_plan(planned, draft)


def scheduled_plan(planned: PlannedCampaign, draft: Draft) -> PlannedCampaign:
    """`planned` with the schedule typed on Review (as `smscast send --at/--at-local`)."""
    from datetime import UTC, datetime

    from campaigns.pipeline.scheduling import parse_schedule_text, schedule_plan

    sender = draft_sender(draft)
    return schedule_plan(
        planned,
        parse_schedule_text(draft.schedule_text),
        messaging_service=bool(sender and sender.messaging_service_sid),
        now=datetime.now(UTC),
    )


def schedule_line(draft: Draft, region: str = "US") -> str:
    """Review's schedule line: the mode, why and when; or why the text is not a time."""
    from campaigns.errors import SmscastError

    if not draft.schedule_text.strip():
        return "Schedule: now (type a time in Send at to schedule)"
    try:
        schedule = planned_campaign(draft, region).schedule
    except SmscastError as error:
        return f"Schedule: {error.full()}"
    return schedule.describe() if schedule is not None else "Schedule: nobody to schedule"


def cancel_campaign_for(settings: Settings, db_path: Path | None, campaign_id: str) -> str:
    """Cancel a campaign for good and every message Twilio holds for it
    (`campaigns.pipeline.scheduling.cancel_campaign`); returns what was done, in words."""
    from campaigns.pipeline.scheduling import cancel_campaign
    from campaigns.twilio.gateway import TwilioGateway

    gateway = TwilioGateway(settings)
    try:
        with _journal(db_path) as journal:
            report = cancel_campaign(gateway, journal, campaign_id)
    finally:
        gateway.close()
    text = f"Campaign {campaign_id} canceled."
    if report.canceled or report.already_left or report.unsettled:
        text += f" At Twilio: {report.canceled} canceled, {report.already_left} had already left."
    if report.unsettled:
        text += f" {report.unsettled} got no answer: cancel again (none is canceled twice)."
    return text


def draft_sender(draft: Draft) -> SenderChoice | None:
    """The sender picked on the Account screen (None: none yet)."""
    from campaigns.pipeline.sender import SenderChoice

    return SenderChoice.of_address(draft.sender, draft.senders) if draft.sender else None


def new_campaign_options(draft: Draft, rate: str, canary: int = 0) -> EngineOptions:
    """How a new campaign is sent: `rate` auto (the sender's throughput, as `smscast send`
    paces) or max; `canary` recipients first, then a pause."""
    from campaigns.pipeline.campaign import RunOverrides, engine_options_for
    from campaigns.pipeline.sender import resolve_rate

    sender = draft_sender(draft)
    pace = None if sender is None else resolve_rate(rate, sender, lambda: draft.senders)
    return engine_options_for({}, RunOverrides(rate=pace, canary=canary))


def stored_engine_options(stored: Mapping[str, Any]) -> EngineOptions:
    """How a stored campaign is resumed: as its stored settings say (as `smscast resume`)."""
    from campaigns.pipeline.campaign import engine_options_for

    return engine_options_for(stored)


def repeat_for(draft: Draft, db_path: Path | None, region: str = "US") -> Any:
    """What the journal already did with the draft's file, template and audience (a
    `campaigns.pipeline.repeats.Repeat`: the same campaign, people texted recently), for Review."""
    from campaigns.pipeline.campaign import find_repeat_of

    with _journal(db_path) as journal:
        return find_repeat_of(journal, planned_campaign(draft, region))


def create_campaign_for(
    draft: Draft,
    settings: Settings | None,
    db_path: Path | None,
    options: EngineOptions,
    *,
    canary: str | None = None,
    new_campaign: bool = False,
    rate: str = "auto",
) -> str:
    """Write the draft's plan to the journal as a new campaign; returns its id
    (`campaigns.pipeline.campaign.create_campaign`, as `smscast send` does).

    `options` (the `EngineOptions` it will run with) are stored with it, so a resume from
    either face goes on at the same pace. `canary`: a number of the person's own that gets
    the first contact's message first (row 0).

    Raises `campaigns.pipeline.repeats.RepeatCampaignError` when the journal holds the same
    campaign (not over, or ended within a day), unless `new_campaign`: the person chose to
    start another anyway. The check and the creation share one journal connection.
    """
    from campaigns.pipeline.campaign import create_campaign
    from campaigns.pipeline.sender import require_sender

    region = getattr(settings, "region", None) or "US"
    planned = planned_campaign(draft, region)
    sender = require_sender(draft_sender(draft))
    with _journal(db_path) as journal:
        return create_campaign(
            journal,
            planned,
            sender,
            options,
            rate=rate,
            face="tui",
            canary=canary,
            new_campaign=new_campaign,
            repeat_hint=lambda _: "Resume or open it, or start a new one.",
        )


@dataclass(frozen=True, slots=True)
class Derived:
    """A retry or follow-up as the app's draft takes it: the pipeline's `DerivedSource` (the
    people as a book of the parent's rows, the summary, the `Lineage`), and the parent's
    sender, audience filters and region; the template the draft starts from (a retry: the
    parent's; a follow-up: none, it is a new message)."""

    source: DerivedSource
    sender: str
    filters: AudienceFilters
    region: str
    template_text: str

    @property
    def kind(self) -> str:
        """ "retry" or "follow-up"."""
        return self.source.lineage.kind

    @property
    def parent_id(self) -> str:
        """The campaign it is made from."""
        return self.source.parent.id


def retry_for(db_path: Path | None, campaign_id: str, region: str) -> Derived:
    """A retry of `campaign_id` (`campaigns.pipeline.followups.retry_source`, as `smscast
    retry` without --codes): its people whose failure a second try can change."""
    from campaigns.pipeline.followups import ended_parent, parent_region, retry_source

    with _journal(db_path) as journal:
        parent = ended_parent(journal, campaign_id)
        where = parent_region(parent, region)
        source = retry_source(journal, parent.id, codes=None, region=where)
    return _derived(source, where, template_text=parent.template)


def follow_up_choices_for(
    settings: Settings | None, db_path: Path | None, campaign_id: str, region: str
) -> tuple[str, tuple[FollowUpChoice, ...]]:
    """The parent's id and every follow-up choice with its count, or why it cannot be offered
    (`campaigns.pipeline.followups.follow_up_choices`). With an account, new replies are
    collected from Twilio first, as `smscast follow-up` does."""
    from campaigns.pipeline.followups import ended_parent, follow_up_choices, parent_region

    with _journal(db_path) as journal:
        parent = ended_parent(journal, campaign_id)
        with _replies_of(settings, journal, parent, parent_region(parent, region)) as replies:
            return parent.id, follow_up_choices(journal, parent.id, replies=replies)


def follow_up_for(
    settings: Settings | None, db_path: Path | None, campaign_id: str, who: Who, region: str
) -> Derived:
    """A follow-up of `campaign_id` to the people `who` names
    (`campaigns.pipeline.followups.follow_up_source`); replies collected first with an
    account, else the stored ones when a poll covered the campaign."""
    from campaigns.pipeline.followups import ended_parent, follow_up_source, parent_region

    with _journal(db_path) as journal:
        parent = ended_parent(journal, campaign_id)
        where = parent_region(parent, region)
        with _replies_of(settings, journal, parent, where) as replies:
            source = follow_up_source(
                journal, parent.id, who=who, replies=lambda _: replies, region=where
            )
    return _derived(source, where, template_text="")


@contextmanager
def _replies_of(
    settings: Settings | None, journal: Journal, parent: Campaign, region: str
) -> Iterator[ReplyIndex | None]:
    """The reply store a follow-up reads: with an account, one that polls Twilio first (and
    records new opt-outs at once); else the stored replies when a poll ever covered
    `parent` (`replies_collected`), else None (the reply choices are not offered)."""
    from campaigns.pipeline.followups import JournalReplies, replies_collected

    if settings is None or settings.credentials is None:
        yield JournalReplies(journal) if replies_collected(journal, parent) else None
        return
    from campaigns.twilio.gateway import TwilioGateway

    with TwilioGateway(settings) as gateway:
        yield JournalReplies(journal, gateway, region)


def _derived(source: DerivedSource, region: str, *, template_text: str) -> Derived:
    from campaigns.pipeline.campaign import campaign_sender
    from campaigns.pipeline.followups import parent_filters

    parent = source.parent
    sender = campaign_sender(parent).address
    return Derived(source, sender, parent_filters(parent), region, template_text)


def list_campaigns(db_path: Path | None) -> list[CampaignRow]:
    """Every campaign in the journal, newest first, with counts by status."""
    from campaigns.store import lineage

    with _journal(db_path) as journal:
        every = journal.campaigns()
        known = lineage.by_id(every)
        chains: dict[str, tuple[tuple[str, ...], dict[str, int]]] = {}
        rows: list[CampaignRow] = []
        for c in every:
            chain = lineage.chain_of(known, c.id)
            if chain.retries and chain.root.id not in chains:
                outcome = lineage.chain_outcome(journal, chain.root.id, known)
                chains[chain.root.id] = (chain.ids, outcome.counts())
            ids, counts = chains.get(chain.root.id, ((), {}))
            rows.append(CampaignRow(c, journal.counts(c.id), journal.shown_state(c), ids, counts))
        return rows


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

    from campaigns.pipeline.scheduling import cancel_opted_out
    from campaigns.send.tracking import refresh_statuses as refresh
    from campaigns.twilio.gateway import TwilioGateway

    gateway = TwilioGateway(settings)
    try:
        with _journal(db_path) as journal:
            stopped = cancel_opted_out(gateway, journal, campaign_id, settings.region)
            return stopped + asyncio.run(refresh(gateway, journal, campaign_id))
    finally:
        gateway.close()


def export_campaign(
    db_path: Path | None,
    campaign_id: str,
    path: str | None,
    fallback_dir: Path,
    folder: Path | None = None,
) -> Path:
    """Export a campaign's results to a CSV file for Excel (mode 0600), as `smscast export`
    writes it (`campaigns.pipeline.campaign.export_campaign`); returns its absolute path, for
    the person to be told exactly where it went.

    Without `path` the file `smscast-<ID>.csv` goes into `folder`, by default beside the
    campaign's contacts file (where the person looks for it), or into `fallback_dir` when
    that folder is gone or not writable.
    """
    import os

    from campaigns.pipeline.campaign import export_campaign as export
    from campaigns.pipeline.campaign import export_file_name

    with _journal(db_path) as journal:
        campaign = journal.campaign(campaign_id)
        if path:
            target = Path(path).expanduser()
        else:
            if folder is None:
                folder = Path(campaign.source_name).expanduser().parent
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                folder = fallback_dir
            target = folder / export_file_name(campaign.id)
        export(journal, campaign.id, target)
    return target.absolute()


def first_included(audience: Audience | None, index: int) -> Contact | None:
    """The included contact at `index` (wrapping), or None."""
    included = audience.included if audience is not None else []
    if not included:
        return None
    return included[index % len(included)]
