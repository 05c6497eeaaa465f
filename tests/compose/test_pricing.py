"""Price table: documented defaults, overrides, validation, price by destination number."""

from __future__ import annotations

import pytest

from campaigns.compose.pricing import (
    CURRENCY,
    DEFAULT_OTHER,
    DEFAULT_PRICES,
    PriceTable,
    region_for_number,
)


def test_defaults_cover_common_countries() -> None:
    table = PriceTable()
    assert len(DEFAULT_PRICES) >= 15
    assert table.currency == CURRENCY == "USD"
    assert table.default == DEFAULT_OTHER
    assert table.for_region("us") == DEFAULT_PRICES["US"]
    assert table.for_region("XK") == DEFAULT_OTHER
    assert table.for_region(None) == DEFAULT_OTHER


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("+14155552671", "US"),
        ("+16135550123", "CA"),
        ("+18765550123", "JM"),
        ("+442079460958", "GB"),
        ("+441534123456", "JE"),
        ("+4915112345678", "DE"),
        ("+33612345678", "FR"),
        ("+61412345678", "AU"),
        ("+80012345678", None),
        ("not a number", None),
    ],
)
def test_region_for_number(number: str, region: str | None) -> None:
    assert region_for_number(number) == region


def test_price_by_number_uses_the_region() -> None:
    table = PriceTable({"JE": 0.2, "JM": 0.3})
    assert table.for_number("+14155552671") == DEFAULT_PRICES["US"]
    assert table.for_number("+16135550123") == DEFAULT_PRICES["CA"]
    assert table.for_number("+18765550123") == 0.3  # Jamaica shares +1 with the US
    assert table.for_number("+442079460958") == DEFAULT_PRICES["GB"]
    assert table.for_number("+441534123456") == 0.2  # Jersey shares +44 with GB
    assert table.for_number("+4915112345678") == DEFAULT_PRICES["DE"]
    assert table.for_number("+25712345678") == DEFAULT_OTHER
    assert table.for_number("garbage") == DEFAULT_OTHER


def test_overrides_and_default() -> None:
    table = PriceTable({"gb": 0.05, " de ": 0, "default": 0.2})
    assert table.for_region("GB") == 0.05
    assert table.for_region("DE") == 0.0
    assert table.for_region("US") == DEFAULT_PRICES["US"]
    assert table.default == 0.2
    assert table.for_number("+25712345678") == 0.2
    assert table.prices["GB"] == 0.05
    with pytest.raises(TypeError):
        table.prices["GB"] = 1.0  # type: ignore[index]


def test_tables_compare_by_value() -> None:
    assert PriceTable() == PriceTable({})
    assert PriceTable({"US": 0.01}) != PriceTable()
    assert hash(PriceTable({"US": 0.01})) == hash(PriceTable({"us": 0.01}))


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"UK": 0.05}, ValueError, "did you mean GB"),
        ({"Mars": 0.05}, ValueError, "not a region code"),
        ({"US": "cheap"}, TypeError, "must be a number"),
        ({"US": True}, TypeError, "must be a number"),
        ({"US": -0.01}, ValueError, "zero or more"),
        ({"default": float("inf")}, ValueError, "zero or more"),
        ({1: 0.05}, TypeError, "region codes"),
    ],
)
def test_bad_overrides_say_which_entry(
    overrides: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        PriceTable(overrides)
