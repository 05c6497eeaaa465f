"""The cost of a message before it is sent: a price per outbound SMS segment by destination
country, from Twilio's Pricing API when there is an account (`Pricing`, `twilio_pricing`), else
from the built-in table below (`builtin_pricing`); the `[prices]` overrides of the config file
win over both. This module is the one place for the built-in table and for what a line type
lookup costs (`LOOKUP_PRICE`). Twilio's real price for each message is on the message once
sent, and that is what the journal and exports keep.

With Twilio's prices a country has a range (carriers differ): `PriceRange` is shown
("0.0079–0.0083 USD"), and each message is estimated at the top of its country's range, so an
estimate never promises less than Twilio may charge.

The built-in defaults below are ESTIMATES: rounded list prices of Twilio's outbound SMS per
segment in US dollars for a handful of common destinations (twilio.com/en-us/sms/pricing, as
published in 2025), without carrier fees, volume discounts or taxes. Every other destination uses
`DEFAULT_OTHER`. Twilio's real price for each message is on the message itself once sent.
Override any of them in the config file:

```toml
[prices]
US = 0.0079        # any ISO 3166 region code phonenumbers knows
GB = 0.05
default = 0.12     # every region not listed (here or in the defaults)
```
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sized
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import phonenumbers

from campaigns.contacts.phones import region_of
from campaigns.twilio.models import CountryPrices

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "CURRENCY",
    "DEFAULT_OTHER",
    "DEFAULT_PRICES",
    "LOOKUP_PRICE",
    "PriceRange",
    "PriceTable",
    "Pricing",
    "builtin_pricing",
    "region_for_number",
    "twilio_pricing",
]

CURRENCY = "USD"

#: Estimated USD per outbound segment (see the module docstring: list prices, rounded).
DEFAULT_PRICES: Mapping[str, float] = MappingProxyType(
    {
        "US": 0.0083,  # United States (long code; carrier fees extra)
        "CA": 0.0083,  # Canada
        "GB": 0.0524,  # United Kingdom
        "IE": 0.0805,  # Ireland
        "DE": 0.0903,  # Germany
        "FR": 0.0809,  # France
        "ES": 0.0866,  # Spain
        "IT": 0.0851,  # Italy
        "NL": 0.1068,  # Netherlands
        "AU": 0.0515,  # Australia
        "NZ": 0.1015,  # New Zealand
        "IN": 0.0834,  # India
        "BR": 0.0500,  # Brazil
        "MX": 0.0500,  # Mexico
        "JP": 0.0801,  # Japan
        "SG": 0.0485,  # Singapore
        "ZA": 0.0275,  # South Africa
    }
)
#: Estimated USD per segment for every destination not in the table.
DEFAULT_OTHER = 0.10

#: USD per number for a Lookup Line Type Intelligence request: Twilio's Lookup pricing page
#: lists $0.008 per lookup (twilio.com/en-us/user-authentication-identity/pricing/lookup,
#: 2025; unconfirmed here, volume tiers lower it). Shown before asking; Twilio bills the truth.
LOOKUP_PRICE = 0.008

#: The Pricing API's `number_type` of each kind of sender, in order of preference (a long code
#: is "local" in North America and "mobile" in much of Europe); a Messaging Service may send
#: from any of its numbers, so every type counts for it.
SENDER_NUMBER_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "long_code": ("local", "mobile"),
        "toll_free": ("toll free",),
        "short_code": ("shortcode",),
        "messaging_service": ("local", "mobile", "toll free", "shortcode"),
    }
)

_COMMON_MISTAKES = {"UK": "GB", "EN": "GB", "EL": "GR", "SP": "ES", "JA": "JP"}


class PriceTable:
    """Price per outbound segment by region code (ISO 3166 alpha-2), a default, a currency.

    `PriceTable()` is the documented defaults; `PriceTable({"GB": 0.05, "default": 0.12})`
    the defaults with those overrides (keys are case-insensitive; "default" sets the price for
    unlisted regions). Bad keys or prices raise `ValueError` / `TypeError` with a sentence
    that says which entry is wrong. Immutable once built.
    """

    __slots__ = ("_by_number", "_by_prefix", "_default", "_prices", "currency")

    def __init__(
        self,
        overrides: Mapping[str, object] | None = None,
        *,
        base: Mapping[str, float] = DEFAULT_PRICES,
        default: float = DEFAULT_OTHER,
        currency: str = CURRENCY,
    ) -> None:
        prices = {region: _checked_price(region, price) for region, price in base.items()}
        default = _checked_price("default", default)
        for key, value in (overrides or {}).items():
            if not isinstance(key, str):
                raise TypeError(f"price table keys must be region codes, not {key!r}")
            region = key.strip().upper()
            if region == "DEFAULT":
                default = _checked_price(key, value)
            else:
                prices[_checked_region(key)] = _checked_price(key, value)
        self._prices: Mapping[str, float] = MappingProxyType(prices)
        self._default = default
        self.currency = currency
        self._by_prefix: dict[str, float] = {}
        self._by_number: dict[str, float] = {}

    @property
    def prices(self) -> Mapping[str, float]:
        """The per-region prices (read-only)."""
        return self._prices

    @property
    def default(self) -> float:
        """The price for regions not in `prices`."""
        return self._default

    def __repr__(self) -> str:
        return f"PriceTable({dict(self._prices)!r}, default={self._default}, {self.currency})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PriceTable) and (
            dict(self._prices),
            self._default,
            self.currency,
        ) == (dict(other._prices), other._default, other.currency)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._prices.items())), self._default, self.currency))

    def for_region(self, region: str | None) -> float:
        """Price per segment for a region code (None or unknown: the default)."""
        if region is None:
            return self._default
        return self._prices.get(region.upper(), self._default)

    def for_number(self, e164: str) -> float:
        """Price per segment to an E.164 number, by the region phonenumbers gives it.

        Cached by the number's first five characters ("+1415", "+4479"...) whenever they
        decide the price: always in North America (the area code decides the country) and
        wherever every region sharing the calling code costs the same. So pricing a million
        recipients costs a dict lookup each. Other numbers are cached one by one, so a second
        plan of the same book (the app re-plans at each template edit) parses none again.
        """
        prefix = e164[:5]
        price = self._by_prefix.get(prefix)
        if price is None:
            price = self._by_number.get(e164)
        if price is None:
            price, prefix_decides = self._lookup(e164)
            if prefix_decides:
                self._by_prefix[prefix] = price
            else:  # (+44: GB, JE, GG and IM differ; parsing costs ~15 us, so once each)
                self._by_number[e164] = price
        return price

    def for_numbers(self, e164s: Iterable[str]) -> NDArray[np.float64]:
        """`for_number` of each number, as an array (the plan's columns)."""
        listed = e164s if isinstance(e164s, Sized) else list(e164s)
        return np.fromiter(map(self.for_number, listed), dtype=np.float64, count=len(listed))

    def _lookup(self, e164: str) -> tuple[float, bool]:
        code = _country_code(e164)
        if code is None:
            return self._default, True
        if code == "1":
            return self.for_region(region_for_number(e164)), True
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
        prices = {self.for_region(region) for region in regions} or {self._default}
        if len(prices) == 1:
            return prices.pop(), True
        return self.for_region(region_for_number(e164)), False


def region_for_number(e164: str) -> str | None:
    """The region code ("US", "JE", ...) of a valid E.164 number; None if it has none.

    Cached by prefix, so a million recipients cost a dict lookup each: in North America by
    "+1NPA" (the area code decides the country); elsewhere by the first `REGION_PREFIX`
    characters, which tell apart the regions sharing a calling code (GB, GG, IM and JE on +44;
    AU, CC and CX on +61; GP, BL and MF on +590...): phonenumbers' own ranges for them differ
    within the first five national digits (nine characters were enough on 35,000 random valid
    numbers of every such code; ten keep a margin), checked against phonenumbers in
    `tests/compose/test_pricing_sources.py`. Only a number with a region is cached, so
    an invalid number never decides the region of its prefix.
    """
    if e164.startswith("+1") and len(e164) >= 5:
        # North America: the area code (+1 NPA) decides the country.
        prefix = e164[:5]
        if prefix not in _NANP_REGIONS:
            _NANP_REGIONS[prefix] = _region_for_number(e164)
        return _NANP_REGIONS[prefix]
    prefix = e164[:REGION_PREFIX]
    region = _REGIONS_BY_PREFIX.get(prefix)
    if region is None:
        region = _region_for_number(e164)
        if region is not None and len(e164) > REGION_PREFIX:
            if len(_REGIONS_BY_PREFIX) >= _PREFIX_CACHE_MAX:
                _REGIONS_BY_PREFIX.clear()
            _REGIONS_BY_PREFIX[prefix] = region
    return region


#: Characters of an E.164 number (outside North America) that decide its region.
REGION_PREFIX = 10
_PREFIX_CACHE_MAX = 1 << 18
_NANP_REGIONS: dict[str, str | None] = {}
_REGIONS_BY_PREFIX: dict[str, str] = {}


@lru_cache(maxsize=65536)
def _region_for_number(e164: str) -> str | None:
    region = region_of(e164)
    return region if region and region != "001" else None  # 001: non-geographic


def _country_code(e164: str) -> str | None:
    """The country calling code of an E.164 string ("+447..." -> "44"); None if unknown."""
    if not e164.startswith("+"):
        return None
    for length in (1, 2, 3):
        code = e164[1 : 1 + length]
        if code.isdigit() and int(code) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code
    return None


def _checked_region(key: str) -> str:
    region = key.strip().upper()
    if region in phonenumbers.SUPPORTED_REGIONS:
        return region
    hint = _COMMON_MISTAKES.get(region)
    suggestion = f" (did you mean {hint}?)" if hint else ""
    raise ValueError(
        f"{key!r} is not a region code{suggestion}: use ISO 3166 two-letter codes such as "
        "US, GB, DE, or 'default'"
    )


def _checked_price(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"the price for {key} must be a number, not {value!r}")
    price = float(value)
    if not math.isfinite(price) or price < 0:
        raise ValueError(f"the price for {key} must be zero or more, not {value!r}")
    return price


@dataclass(frozen=True, slots=True)
class PriceRange:
    """The price per segment to one country, lowest to highest over its carriers."""

    low: float
    high: float
    currency: str

    def text(self) -> str:
        """ "0.0079–0.0083 USD", or one price when every carrier costs the same."""
        if math.isclose(self.low, self.high):
            return f"{self.high:.4f} {self.currency}"
        return f"{self.low:.4f}\u2013{self.high:.4f} {self.currency}"


#: Where a country's price came from.
FROM_TWILIO, FROM_CONFIG, BUILT_IN = "twilio", "config", "built-in"


@dataclass(frozen=True)
class Pricing:
    """The prices a plan is costed with: `table` (each message at the top of its country's
    range), the range and source of each destination country (`FROM_TWILIO`, `FROM_CONFIG`,
    `BUILT_IN`), when Twilio's prices were fetched (the oldest of them), and why the built-in
    table was used where it was (`builtin_reason`)."""

    table: PriceTable
    ranges: Mapping[str, PriceRange] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    builtin_reason: str = ""

    def summary_line(self) -> str:
        """ "Prices per segment: US 0.0079–0.0083 USD (prices from Twilio, fetched DATE)." """
        ranges = ", ".join(f"{region} {r.text()}" for region, r in sorted(self.ranges.items()))
        return f"Prices per segment: {ranges or 'none'} ({self.label()})."

    def label(self) -> str:
        """Where the prices come from, in a sentence part the faces show beside the cost."""
        by_source: dict[str, list[str]] = {}
        for region, source in sorted(self.sources.items()):
            by_source.setdefault(source, []).append(region)
        parts = []
        if FROM_TWILIO in by_source and self.fetched_at is not None:
            parts.append(f"prices from Twilio, fetched {self.fetched_at:%Y-%m-%d}")
        if BUILT_IN in by_source or not by_source:
            why = f" ({self.builtin_reason})" if self.builtin_reason else ""
            where = "" if len(by_source) <= 1 else " for " + ", ".join(by_source[BUILT_IN])
            parts.append(f"built-in price estimates{where}{why}")
        if FROM_CONFIG in by_source:
            parts.append("your configured prices for " + ", ".join(by_source[FROM_CONFIG]))
        return "; ".join(parts)


def _override_regions(overrides: Mapping[str, object]) -> set[str]:
    return {key.strip().upper() for key in overrides if isinstance(key, str)}


def builtin_pricing(
    overrides: Mapping[str, object], regions: Iterable[str], reason: str
) -> Pricing:
    """The built-in table under the overrides, labelled as such (`reason`: why not Twilio's)."""
    return twilio_pricing({}, regions, sender_kind="long_code", overrides=overrides, reason=reason)


def twilio_pricing(
    fetched: Mapping[str, CountryPrices],
    regions: Iterable[str],
    *,
    sender_kind: str,
    overrides: Mapping[str, object],
    fetched_at: datetime | None = None,
    reason: str = "",
) -> Pricing:
    """Prices for the destination `regions`: Twilio's (`fetched`, by region) for the sender's
    number type where Twilio has them, the built-in table elsewhere, the config's overrides
    over both. `reason` says why a region fell back to the built-in table."""
    types = SENDER_NUMBER_TYPES.get(sender_kind, SENDER_NUMBER_TYPES["messaging_service"])
    configured = _override_regions(overrides)
    base = dict(DEFAULT_PRICES)
    ranges: dict[str, PriceRange] = {}
    sources: dict[str, str] = {}
    currency = CURRENCY
    for region, prices in fetched.items():
        found = _range(prices, types, every=sender_kind == "messaging_service")
        if found is not None:
            base[region] = found.high
            ranges[region] = found
            currency = found.currency
    table = PriceTable(dict(overrides), base=base, currency=currency)
    for region in set(regions):
        if region in configured:
            sources[region] = FROM_CONFIG
            price = table.for_region(region)
            ranges[region] = PriceRange(price, price, table.currency)
        elif region in ranges:
            sources[region] = FROM_TWILIO
        else:
            sources[region] = BUILT_IN
            price = table.for_region(region)
            ranges[region] = PriceRange(price, price, table.currency)
    used_twilio = FROM_TWILIO in sources.values()
    return Pricing(
        table=table,
        ranges={region: ranges[region] for region in sources},
        sources=sources,
        fetched_at=fetched_at if used_twilio else None,
        builtin_reason=reason if BUILT_IN in sources.values() or not sources else "",
    )


def _range(prices: CountryPrices, types: tuple[str, ...], *, every: bool) -> PriceRange | None:
    """The carriers' range for the first of `types` Twilio prices in that country (`every`:
    over all of `types` at once, for a Messaging Service that may send from any)."""
    if every:
        values = [p.price for p in prices.outbound if p.number_type in types]
        return PriceRange(min(values), max(values), prices.price_unit) if values else None
    for number_type in types:
        values = [p.price for p in prices.outbound if p.number_type == number_type]
        if values:
            return PriceRange(min(values), max(values), prices.price_unit)
    return None
