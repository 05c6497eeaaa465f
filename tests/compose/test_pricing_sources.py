"""A plan's prices from Twilio's per-carrier ranges, the built-in table or the overrides,
each labelled with where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.compose.pricing import (
    DEFAULT_PRICES,
    LOOKUP_PRICE,
    PriceRange,
    builtin_pricing,
    twilio_pricing,
)
from campaigns.twilio.models import CarrierPrice, CountryPrices

WHEN = datetime(2026, 11, 28, tzinfo=UTC)
US = CountryPrices(
    "US",
    "United States",
    "USD",
    (
        CarrierPrice("AT&T", "local", 0.0079),
        CarrierPrice("Verizon", "local", 0.0083),
        CarrierPrice("AT&T", "toll free", 0.0090),
        CarrierPrice("AT&T", "shortcode", 0.0100),
    ),
)
GB = CountryPrices(
    "GB",
    "United Kingdom",
    "USD",
    (CarrierPrice("EE", "mobile", 0.05), CarrierPrice("O2", "mobile", 0.052)),
)


def test_twilio_ranges_for_the_senders_number_type() -> None:
    pricing = twilio_pricing(
        {"US": US, "GB": GB},
        ["US", "GB", "JP"],
        sender_kind="long_code",
        overrides={},
        fetched_at=WHEN,
    )
    assert pricing.ranges["US"] == PriceRange(0.0079, 0.0083, "USD")
    assert pricing.ranges["US"].text() == "0.0079\u20130.0083 USD"
    assert pricing.ranges["GB"].text() == "0.0500\u20130.0520 USD"  # "mobile" when no "local"
    assert pricing.table.for_region("US") == 0.0083  # the top of the range
    assert pricing.table.for_region("JP") == DEFAULT_PRICES["JP"]
    assert pricing.sources == {"US": "twilio", "GB": "twilio", "JP": "built-in"}
    assert pricing.label() == (
        "prices from Twilio, fetched 2026-11-28; built-in price estimates for JP"
    )
    toll_free = twilio_pricing({"US": US}, ["US"], sender_kind="toll_free", overrides={})
    assert toll_free.ranges["US"].text() == "0.0090 USD"
    service = twilio_pricing({"US": US}, ["US"], sender_kind="messaging_service", overrides={})
    assert service.ranges["US"] == PriceRange(0.0079, 0.0100, "USD")


def test_configured_overrides_win_and_builtin_is_labelled() -> None:
    pricing = twilio_pricing(
        {"US": US}, ["US", "GB"], sender_kind="long_code", overrides={"us": 0.02}, fetched_at=WHEN
    )
    assert pricing.table.for_region("US") == 0.02
    assert pricing.sources["US"] == "config" and pricing.ranges["US"].text() == "0.0200 USD"
    assert "your configured prices for US" in pricing.label()
    assert "prices from Twilio" not in pricing.label()  # no country uses Twilio's here
    offline = builtin_pricing({}, ["US"], "no Twilio account configured")
    assert offline.label() == "built-in price estimates (no Twilio account configured)"
    assert offline.table.for_region("US") == DEFAULT_PRICES["US"] and offline.fetched_at is None
    assert 0 < LOOKUP_PRICE < 0.1


def test_region_by_prefix_agrees_with_phonenumbers_on_shared_calling_codes() -> None:
    """Random valid numbers of every calling code several regions share (outside +1): the
    prefix-cached region is phonenumbers' own, number by number."""
    import random

    import phonenumbers as pn
    from phonenumbers import PhoneNumberType as T

    from campaigns.compose.pricing import region_for_number
    from campaigns.pipeline.prices import destination_regions

    rng = random.Random(7)
    shared = [c for c, r in pn.COUNTRY_CODE_TO_REGION_CODE.items() if len(r) > 1 and c != 1]
    types = (T.MOBILE, T.FIXED_LINE, T.TOLL_FREE, T.VOIP, T.PAGER, T.UAN, T.PREMIUM_RATE)
    checked: dict[str, str] = {}
    for code in shared:
        for region in pn.COUNTRY_CODE_TO_REGION_CODE[code]:
            for kind in types:
                example = pn.example_number_for_type(region, kind)
                if example is None:
                    continue
                digits = str(example.national_number)
                for _ in range(40):
                    cut = rng.randint(1, len(digits))
                    tail = "".join(rng.choice("0123456789") for _ in range(cut))
                    number = pn.PhoneNumber(
                        country_code=code,
                        national_number=int(digits[: len(digits) - cut] + tail),
                        italian_leading_zero=example.italian_leading_zero,
                    )
                    if pn.is_valid_number(number):
                        e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)
                        checked[e164] = pn.region_code_for_number(number)
    assert len(checked) > 1000
    for e164, region in checked.items():
        assert region_for_number(e164) == region, e164
    assert destination_regions(checked) == set(checked.values())
