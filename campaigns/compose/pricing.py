"""Estimated cost of a message: a price per outbound SMS segment by destination country.

The defaults below are ESTIMATES: rounded list prices of Twilio's outbound SMS per segment in
US dollars for a handful of common destinations (twilio.com/en-us/sms/pricing, as published
in 2025), without carrier fees, volume discounts or taxes. Every other destination uses
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
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import phonenumbers

from campaigns.contacts.phones import region_of

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CURRENCY", "DEFAULT_OTHER", "DEFAULT_PRICES", "PriceTable", "region_for_number"]

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
    """The region code ("US", "JE", ...) of an E.164 number; None if it has none."""
    if e164.startswith("+1") and len(e164) >= 5:
        # North America: the area code (+1 NPA) decides the country.
        prefix = e164[:5]
        if prefix not in _NANP_REGIONS:
            _NANP_REGIONS[prefix] = _region_for_number(e164)
        return _NANP_REGIONS[prefix]
    return _region_for_number(e164)


_NANP_REGIONS: dict[str, str | None] = {}


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
