"""A campaign's use cases, one function each, called alike by the command line and the app.

plan (`plan_campaign`, or the app's live `build_audience_for` + `build_plan_for`) ->
create (`create_campaign`: the journal rows and the stored settings, written here only) ->
engine options (`engine_options_for`: a run's flags over the stored settings) -> run (each
face drives the engine its own way: a terminal's signals, the app's thread) -> export
(`export_campaign`: the contact file's columns, read back from the stored settings).

The faces parse their input and render what these return; every rule lives here or below.
The stored settings keep the keys campaigns were always stored with, so older campaigns
resume and export as before: the engine's (`campaigns.send.engine.engine_settings`) plus
`rate` (as asked: auto, max or N), `canary`, `limit`, `region`, `phone_column`,
`quiet_hours`, `verified_only`, `suppression`, `account_type`, `columns`, `source` (the face),
since spreadsheets and vCards are read, `contacts_format` and `sheet` (older campaigns
have neither: a CSV), and for a retry or follow-up `derived` (how its subset was chosen:
`who`, `codes`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from campaigns.errors import ConfigError, InputError
from campaigns.pipeline.sender import SenderChoice

if TYPE_CHECKING:
    from campaigns.audience.filters import Audience, AudienceBuilder
    from campaigns.audience.registration import Preflight
    from campaigns.compose.plan import Plan
    from campaigns.compose.pricing import PriceTable, Pricing
    from campaigns.compose.template import Template
    from campaigns.config.settings import Settings
    from campaigns.contacts.book import ContactBook
    from campaigns.contacts.rows import Contact
    from campaigns.pipeline.followups import Lineage
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.pipeline.repeats import Repeat
    from campaigns.send.engine import EngineOptions
    from campaigns.send.schedule import Schedule
    from campaigns.store.journal import Campaign, Journal
    from campaigns.twilio.gateway import TwilioGateway

#: Which face created a campaign (stored as `source`).
Face = Literal["cli", "tui"]
#: The sending window when none is chosen; "off" sends at any hour.
DEFAULT_QUIET_HOURS = "08:00-21:00"


@dataclass(frozen=True, slots=True)
class AudienceFilters:
    """The filters a campaign is planned with, as the journal stores them.

    `verified_only` is auto, on or off (auto: on for a trial account); `quiet_hours` the
    recipients' local sending window, or "off"; `limit` texts only the first N."""

    suppression: bool = True
    verified_only: str = "auto"
    quiet_hours: str = DEFAULT_QUIET_HOURS
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """What planning learned from Twilio: the gateway (None without credentials), the account
    type, the verified numbers when the filter applies (None: not filtered), notes, and the
    sender's registration preflight (None: no sender named, or no credentials)."""

    gateway: TwilioGateway | None
    account_type: str | None
    verified: frozenset[str] | None
    notes: tuple[str, ...] = ()
    registration: Preflight | None = None


@dataclass(frozen=True, slots=True)
class PlannedCampaign:
    """Everything a campaign is created from: who gets what, who is left out and why, and
    what the journal already did with this file, template and people (`repeat`)."""

    book: ContactBook
    template_text: str
    filters: AudienceFilters
    audience: Audience
    plan: Plan
    region: str
    account_type: str | None = None
    limited_out: tuple[Contact, ...] = ()
    repeat: Repeat | None = None
    #: Where the plan's prices came from (None: the settings' table, unlabelled).
    pricing: Pricing | None = None
    #: A retry or follow-up: the campaign it is made from (`campaigns.pipeline.followups`).
    lineage: Lineage | None = None
    #: A scheduled campaign (`pipeline.scheduling.schedule_plan`): the mode and why, and each
    #: planned row's due moment (UTC). None: sent at once.
    schedule: Schedule | None = None
    send_at: Mapping[int, datetime] | None = None

    def numbers(self) -> Iterator[str]:
        """The planned recipients' E.164 numbers (what the repeat check compares), from the
        plan's column when it has one (no message object per recipient)."""
        from campaigns.compose.plan import PlannedMessages

        messages = self.plan.messages
        if isinstance(messages, PlannedMessages):
            return iter(messages.phones.tolist())
        return (message.to for message in messages)


def check_account(
    settings: Settings,
    *,
    sending: bool,
    verified_only: str,
    sender: SenderChoice | None = None,
) -> AccountCheck:
    """Ask Twilio what planning needs (read-only): the account (active, when `sending`),
    when the verified-only filter applies to it the verified numbers, and the registration
    preflight of `sender` (default: the configured one). Without credentials a dry run goes
    on unfiltered (with a note); sending, or `verified_only` "on", cannot."""
    from campaigns.audience.filters import resolve_verified_only
    from campaigns.pipeline.sender import configured_sender

    if settings.credentials is None:
        if sending:
            from campaigns.twilio.credentials import require_credentials

            require_credentials(settings)
        if verified_only == "on":
            raise ConfigError(
                "--verified-only on needs the account's verified numbers, and no Twilio "
                "credentials are configured.",
                "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or use --verified-only off.",
            )
        note = (
            "No Twilio credentials: the verified-numbers filter (trial accounts) was not "
            "applied. Configure credentials to see exactly who a trial account can text."
        )
        return AccountCheck(None, None, None, (note,))
    from campaigns.twilio.gateway import TwilioGateway

    gateway = TwilioGateway(settings)
    account = gateway.require_active() if sending else gateway.account()
    chosen = sender if sender is not None else configured_sender(settings)
    registration = registration_preflight(gateway, chosen) if chosen is not None else None
    notes = registration.warnings if registration is not None else ()
    if not resolve_verified_only(verified_only, account.type):
        return AccountCheck(gateway, account.type, None, notes, registration)
    found = gateway.verified_numbers()
    return AccountCheck(
        gateway, account.type, found.numbers, (*found.warnings, *notes), registration
    )


def registration_preflight(gateway: TwilioGateway, sender: SenderChoice) -> Preflight:
    """Can `sender` reach US recipients today (`campaigns.audience.registration`)? Read once
    per plan; a failure to read is "cannot tell" (a warning), never a block."""
    from campaigns.audience.registration import preflight
    from campaigns.twilio.errors import TwilioFailure
    from campaigns.twilio.models import AccountSenders

    try:
        senders = gateway.account_senders()
    except TwilioFailure as exc:
        senders = AccountSenders((), (), exc.message)
    return preflight(sender.address, service=bool(sender.messaging_service_sid), senders=senders)


def build_audience_for(
    book: ContactBook,
    filters: AudienceFilters,
    *,
    suppressed: Container[str],
    verified: frozenset[str] | None,
    now: datetime,
    builder: AudienceBuilder | None = None,
    registration: Preflight | None = None,
) -> tuple[AudienceBuilder, Audience]:
    """The audience of `book` under `filters` (`suppressed`: the suppression list's entries,
    ignored when the filter is off; `verified` None: not filtered; `registration` None: the
    sender's registration not checked), and the builder, which the app keeps to recount
    cheaply."""
    from campaigns.audience.filters import AudienceBuilder
    from campaigns.audience.quiet_hours import QuietHours

    builder = builder if builder is not None else AudienceBuilder(book)
    audience = builder.build(
        suppressed=suppressed if filters.suppression else {},
        verified=verified,
        quiet_hours=QuietHours.parse(filters.quiet_hours),
        now=now,
        registration=registration,
    )
    return builder, audience


def build_plan_for(
    audience: Audience,
    template: Template,
    prices: PriceTable,
    limit: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[Plan, tuple[Contact, ...]]:
    """Every included recipient's message, segments and estimated cost (the first `limit`
    only), and the contacts the limit left out. `should_stop`: see `build_plan` (the app
    cancels a plan whose template or audience changed)."""
    from campaigns.compose.plan import build_plan

    included: Sequence[Contact] = audience.included
    limited_out: tuple[Contact, ...] = ()
    if limit is not None and len(included) > limit:
        included, limited_out = included[:limit], tuple(included[limit:])
    return build_plan(included, template, prices, should_stop=should_stop), limited_out


def plan_campaign(
    book: ContactBook,
    template: Template,
    filters: AudienceFilters,
    *,
    settings: Settings,
    db_path: Path,
    account: AccountCheck,
    now: datetime,
    line_types: LineTypes | None = None,
    refresh_prices: bool = False,
    lineage: Lineage | None = None,
) -> PlannedCampaign:
    """Plan a campaign of `book` and `template` in one go (the command line; the app builds
    the same parts as the person edits them): the audience under `filters` (less the numbers
    `line_types` says cannot receive SMS, when a lookup was made), the plan costed with
    Twilio's prices when there is an account (`campaigns.pipeline.prices`; `refresh_prices`
    fetches them again), and the repeat check against the journal at `db_path`. `lineage`: a
    retry or follow-up, whose book holds its parent's chosen recipients
    (`campaigns.pipeline.followups`)."""
    from campaigns.audience.line_types import exclude_line_types
    from campaigns.audience.suppression import SuppressionList
    from campaigns.contacts.columns import phones_of
    from campaigns.pipeline.prices import destination_regions, resolve_pricing
    from campaigns.pipeline.sender import configured_sender
    from campaigns.store.journal import Journal

    with SuppressionList(db_path, region=settings.region) as suppression:
        _, audience = build_audience_for(
            book,
            filters,
            suppressed=suppression,
            verified=account.verified,
            now=now,
            registration=account.registration,
        )
    if line_types is not None:
        audience = exclude_line_types(audience, line_types.by_number, line_types.fetched_at)
    pricing = resolve_pricing(
        settings,
        account.gateway,
        db_path,
        destination_regions(phones_of(audience.included)),
        sender=configured_sender(settings),
        refresh=refresh_prices,
        now=now,
    )
    plan, limited_out = build_plan_for(audience, template, pricing.table, filters.limit)
    planned = PlannedCampaign(
        book=book,
        template_text=template.source,
        filters=filters,
        audience=audience,
        plan=plan,
        region=settings.region,
        account_type=account.account_type,
        limited_out=limited_out,
        pricing=pricing,
        lineage=lineage,
    )
    with Journal.open(db_path) as journal:
        return replace(planned, repeat=find_repeat_of(journal, planned))


def find_repeat_of(journal: Journal, planned: PlannedCampaign) -> Repeat:
    """What the journal already did with this file, template and people
    (`campaigns.pipeline.repeats.find_repeat`; for a retry or follow-up, with its parent:
    `find_derived_repeat`)."""
    from campaigns.pipeline.repeats import find_derived_repeat, find_repeat

    lineage = planned.lineage
    if lineage is not None:
        return find_derived_repeat(
            journal,
            parent_id=lineage.parent_id,
            kind=lineage.kind,
            template=planned.template_text,
            numbers=planned.numbers(),
            lineage=lineage.related,
        )
    return find_repeat(
        journal,
        source_sha256=planned.book.sha256,
        template=planned.template_text,
        numbers=planned.numbers(),
    )


def refuse_repeat(
    repeat: Repeat | None, *, new_campaign: bool, hint: Callable[[Repeat], str] | None = None
) -> None:
    """`RepeatCampaignError` when the journal holds the same campaign and the person did not
    choose to start a new one anyway; `hint(repeat)` is the face's way on."""
    from campaigns.pipeline.repeats import RepeatCampaignError

    if repeat is not None and repeat.campaign is not None and not new_campaign:
        raise RepeatCampaignError(repeat, hint(repeat) if hint is not None else None)


def require_messages(planned: PlannedCampaign) -> None:
    """InputError when the plan texts no one."""
    if not planned.plan.messages:
        raise InputError("No one is left to text.", "See the exclusions above.")


def canary_number(raw: str, region: str) -> str:
    """The person's own number for a canary, in E.164; InputError with a next step if unusable."""
    from campaigns.contacts.phones import check_number

    checked = check_number(raw, region)
    if checked.e164 is None:
        raise InputError(
            f"The canary number {raw} is not usable: {checked.reason}.",
            "Give your own mobile number with its country code, e.g. +14155550100, "
            "or leave the canary empty.",
        )
    return checked.e164


def stored_settings(
    planned: PlannedCampaign, options: EngineOptions, *, rate: str, face: Face
) -> dict[str, Any]:
    """What the journal stores with a new campaign (the only writer; the keys above)."""
    from campaigns.send.engine import engine_settings

    filters = planned.filters
    derived = {} if planned.lineage is None else {"derived": dict(planned.lineage.detail)}
    return {
        **derived,
        **engine_settings(options),
        "rate": rate,
        "canary": options.canary,
        "limit": filters.limit,
        "region": planned.region,
        "phone_column": planned.book.phone_column,
        "contacts_format": planned.book.file_format,
        "sheet": planned.book.sheet,
        "quiet_hours": filters.quiet_hours,
        "verified_only": filters.verified_only,
        "suppression": filters.suppression,
        "account_type": planned.account_type,
        "columns": list(planned.book.columns),
        "source": face,
    }


def create_campaign(
    journal: Journal,
    planned: PlannedCampaign,
    sender: SenderChoice,
    options: EngineOptions,
    *,
    rate: str,
    face: Face,
    canary: str | None = None,
    new_campaign: bool = False,
    repeat_hint: Callable[[Repeat], str] | None = None,
) -> str:
    """Store `planned` as a new campaign sent by `sender` with `options`; returns its id.

    The repeat check is made again here, on the connection that creates it, as late as can
    be: another run may have started since planning (`RepeatCampaignError` unless
    `new_campaign`). `canary`: the person's own number, texted the first message first (row 0).
    """
    from campaigns.pipeline.recipients import journal_recipients
    from campaigns.pipeline.scheduling import scheduled_recipients

    require_messages(planned)
    if canary and planned.schedule is not None:
        raise InputError(
            "A canary is sent first and waited for, which a scheduled campaign cannot do.",
            "Leave out the canary, or send without a schedule.",
        )
    own = canary_number(canary, planned.region) if canary else None
    recipients = journal_recipients(
        planned.book,
        planned.audience,
        planned.plan,
        limited_out=planned.limited_out,
        canary=own,
    )
    recipients = scheduled_recipients(planned, recipients)
    refuse_repeat(find_repeat_of(journal, planned), new_campaign=new_campaign, hint=repeat_hint)
    return journal.create_campaign(
        template=planned.template_text,
        source_name=str(Path(planned.book.path).resolve()),
        source_sha256=planned.book.sha256,
        sender=sender.from_number,
        messaging_service_sid=sender.messaging_service_sid,
        settings=stored_settings(planned, options, rate=rate, face=face),
        recipients=recipients,
        registration=_registration_seen(planned, sender),
        parent_id=None if planned.lineage is None else planned.lineage.parent_id,
        kind=None if planned.lineage is None else planned.lineage.kind,
        schedule=None if planned.schedule is None else planned.schedule.to_json(),
    )


def _registration_seen(planned: PlannedCampaign, sender: SenderChoice) -> dict[str, Any] | None:
    """The registration state seen at planning, for the journal (None: not checked). A plan
    checked for another sender than the one the campaign goes out from is not recorded."""
    seen = planned.audience.registration
    if seen is None or seen.sender != sender.address:
        return None
    return seen.record()


def campaign_sender(campaign: Campaign) -> SenderChoice:
    """The sender a stored campaign texts from (its service when it names one, as the engine
    sends)."""
    if campaign.messaging_service_sid:
        return SenderChoice(messaging_service_sid=campaign.messaging_service_sid)
    if campaign.sender:
        return SenderChoice(from_number=campaign.sender)
    raise ConfigError(
        f"Campaign {campaign.id} names no sender.", "Start a new one with 'smscast send'."
    )


class _Stored:
    """Marks "as the campaign's stored settings say" for `RunOverrides.rate`."""

    def __repr__(self) -> str:
        return "STORED"


#: `RunOverrides.rate` default: the pace the campaign was stored with.
STORED: Any = _Stored()


@dataclass(frozen=True, slots=True)
class RunOverrides:
    """What one run sets over a campaign's stored settings: a command's flags, the app's
    choices. None (and `STORED` for the rate) keeps what is stored; a rate of None means
    only the concurrency bound."""

    rate: float | None = STORED
    concurrency: int | None = None
    track_seconds: float | None = None
    request_timeout: float | None = None
    canary: int = 0
    retry_unknown: bool = False
    #: `--status-callback`: where Twilio posts the receipts (a new campaign stores it).
    status_callback: str | None = None


def engine_options_for(
    stored: Mapping[str, Any], overrides: RunOverrides = RunOverrides()
) -> EngineOptions:
    """The engine's options for a run of a campaign stored with `stored` (a new campaign:
    {}), with `overrides` on top. A canary is never carried over from the stored settings:
    it belongs to the run that asked for it."""
    from campaigns.send.engine import options_from_settings

    extra: dict[str, Any] = {"canary": overrides.canary, "retry_unknown": overrides.retry_unknown}
    if overrides.request_timeout is not None:
        extra["request_timeout"] = max(0.1, overrides.request_timeout)
    if overrides.rate is not STORED:
        extra["rate"] = overrides.rate
    if overrides.status_callback:
        extra["status_callback"] = overrides.status_callback
    return options_from_settings(
        stored,
        concurrency=overrides.concurrency or None,
        track_seconds=overrides.track_seconds,
        **extra,
    )


def cancel_options() -> EngineOptions:
    """The engine's options for a cancel: it sends nothing new and waits for no receipts;
    it only reconciles the rows a crash left in flight, then marks the rest canceled."""
    return engine_options_for({}, RunOverrides(rate=None, track_seconds=0.0))


def export_file_name(campaign_id: str) -> str:
    """The default export file: `smscast-<ID>.csv`."""
    return f"smscast-{campaign_id}.csv"


def stored_columns(campaign: Campaign) -> list[str] | None:
    """The contact file's columns in order, as stored with the campaign (None: an older
    campaign; the export then takes them from the recipients' fields)."""
    columns = campaign.settings.get("columns")
    return [str(c) for c in columns] if isinstance(columns, list) else None


def export_campaign(journal: Journal, campaign_id: str, target: str | Path) -> int:
    """Write the campaign's results as a CSV for Excel to `target` ('-': standard output);
    returns how many recipients were written (`campaigns.store.report.export`)."""
    from campaigns.store.report import export

    campaign = journal.campaign(campaign_id)
    recipients: Sequence[Any] = journal.recipients(campaign.id)
    return export(
        recipients,
        target,
        columns=stored_columns(campaign),
        replies=journal.reply_summary(campaign.id),
    )
