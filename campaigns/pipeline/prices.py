"""The prices a plan is costed with (both faces): Twilio's Pricing API for each destination
country of the audience, for the sender's number type, kept in the journal database with the
date fetched (`campaigns.store.caches`: fetched again after a week, or when asked with
`refresh`); without an account, or when Twilio cannot be reached, the built-in table
(`campaigns.compose.pricing`), labelled as such; the config's `[prices]` overrides win over
both. Only the countries the audience texts are asked for: one request each, read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.compose.pricing import Pricing
    from campaigns.config.settings import Settings
    from campaigns.pipeline.sender import SenderChoice
    from campaigns.twilio.models import CountryPrices
    from campaigns.twilio.protocols import Gateway

NO_ACCOUNT = "no Twilio account configured"
UNREACHABLE = "Twilio's prices could not be read"


def destination_regions(numbers: Iterable[str]) -> set[str]:
    """The region codes ("US", "GB", ...) of these valid E.164 numbers (unknown ones left out):
    a calling code of one region decides it (+49: DE), else `region_for_number` (cached by
    prefix), so a million numbers cost a dict lookup or two each."""
    import phonenumbers

    from campaigns.compose.pricing import region_for_number

    single: dict[str, str | None] = {}  # the first 4 characters -> the one region, if any
    regions: set[str] = set()
    for number in numbers:
        head = number[:4]
        if head not in single:
            single[head] = _single_region(head, phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
        region = single[head] or region_for_number(number)
        if region is not None:
            regions.add(region)
    return regions


def _single_region(head: str, regions_of: dict[int, tuple[str, ...]]) -> str | None:
    """The one region of the calling code `head` ("+49 ...") starts with, or None when the
    code is shared (+1, +44, +7...) or unknown, or the region is non-geographic ("001")."""
    for length in (1, 2, 3):
        code = head[1 : 1 + length]
        if code.isdigit() and int(code) in regions_of:
            found = regions_of[int(code)]
            return found[0] if len(found) == 1 and found[0] != "001" else None
    return None


def sender_kind_of(sender: SenderChoice | None) -> str:
    """The sender's kind as the Pricing API prices it ("long_code" when none is chosen yet)."""
    from campaigns.twilio.convert import sender_kind

    if sender is None:
        return "long_code"
    if sender.messaging_service_sid:
        return "messaging_service"
    return sender_kind(sender.address)


def resolve_pricing(
    settings: Settings,
    gateway: Gateway | None,
    db_path: Path,
    regions: Iterable[str],
    *,
    sender: SenderChoice | None,
    refresh: bool = False,
    now: datetime,
) -> Pricing:
    """The `Pricing` for these destination regions (see the module docstring)."""
    from campaigns.compose.pricing import builtin_pricing, twilio_pricing
    from campaigns.store.journal import Journal
    from campaigns.twilio.errors import TwilioFailure

    wanted = sorted(set(regions))
    overrides = settings.price_overrides
    if gateway is None:
        return builtin_pricing(overrides, wanted, NO_ACCOUNT)
    with Journal.open(db_path) as journal:
        cached = journal.cached_prices(wanted, now)
        known: dict[str, CountryPrices] = {iso: entry.prices for iso, entry in cached.items()}
        dates = {iso: entry.fetched_at for iso, entry in cached.items()}
        fetched: list[CountryPrices] = []
        reason = ""
        for iso in wanted:
            if iso in cached and cached[iso].fresh and not refresh:
                continue
            try:
                prices = gateway.messaging_prices(iso)
            except TwilioFailure:
                reason = UNREACHABLE  # keep any older prices; the rest use the built-in table
                break
            if prices is None:
                known.pop(iso, None)  # Twilio has no prices for it: the built-in estimate
                continue
            known[iso], dates[iso] = prices, now
            fetched.append(prices)
        if fetched:
            journal.keep_prices(fetched, now)
    oldest = min((dates[iso] for iso in known if iso in dates), default=None)
    return twilio_pricing(
        known,
        wanted,
        sender_kind=sender_kind_of(sender),
        overrides=overrides,
        fetched_at=oldest,
        reason=reason or "Twilio has no prices there",
    )
