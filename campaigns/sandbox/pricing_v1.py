"""pricing.twilio.com/v1 in the sandbox: the outbound SMS prices of a country, per carrier.

`GET /v1/Messaging/Countries/{IsoCountry}` answers Twilio's `messaging_country` resource
(`twilio_pricing_v1.json`): `country`, `iso_country`, `price_unit`, `outbound_sms_prices` (one
entry per carrier network, `carrier` / `mcc` / `mnc`, with one price per sender `number_type`:
"local", "mobile", "toll free", "shortcode"), `inbound_sms_prices`, `url`. Prices are strings
on the wire, as Twilio sends them (the spec types them `number` with `overrideType: string`).

The table below is realistic, not Twilio's: list prices of the order Twilio publishes
(twilio.com/en-us/sms/pricing), a little apart per carrier, so a country has a range. A country
it does not hold answers 20404, HTTP 404, as Twilio does for a code it has no prices for.
Carriers and their MCC/MNC are shared with the Lookup sandbox (`lookups_v2`), so a looked-up
mobile number names a carrier this API prices.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from campaigns.sandbox.http import Resource, error, json_response
from campaigns.sandbox.state import SandboxState

#: The API's base, which the SDK reaches as `client.pricing.v1`.
PRICING_HOST = "https://pricing.twilio.com"


@dataclass(frozen=True, slots=True)
class Carrier:
    """One carrier network of a country: its name, MCC/MNC and its price offset (a share of
    the country's base price, so carriers differ by a few percent)."""

    name: str
    mcc: str
    mnc: str
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class CountryTable:
    """A country's prices: the base USD per outbound segment from a local number, what other
    sender types cost relative to it, and its carriers."""

    name: str
    base: float
    carriers: tuple[Carrier, ...]
    #: number_type -> factor on `base`; a type missing here is not offered in that country.
    types: tuple[tuple[str, float], ...] = (("local", 1.0), ("toll free", 1.0), ("shortcode", 1.0))


#: The number types priced outside North America (no toll-free traffic priced there).
_INTERNATIONAL_TYPES = (("mobile", 1.0), ("local", 1.0), ("shortcode", 1.0))

COUNTRIES: dict[str, CountryTable] = {
    "US": CountryTable(
        "United States",
        0.0079,
        (
            Carrier("AT&T Wireless", "310", "410", 0.0),
            Carrier("T-Mobile USA", "310", "260", 0.02),
            Carrier("Verizon Wireless", "311", "480", 0.05),
            Carrier("US Cellular", "311", "580", 0.05),
        ),
    ),
    "CA": CountryTable(
        "Canada",
        0.0079,
        (
            Carrier("Rogers Wireless", "302", "720", 0.0),
            Carrier("Bell Mobility", "302", "610", 0.03),
            Carrier("Telus Mobility", "302", "220", 0.05),
        ),
    ),
    "GB": CountryTable(
        "United Kingdom",
        0.0500,
        (
            Carrier("EE", "234", "30", 0.0),
            Carrier("Vodafone UK", "234", "15", 0.03),
            Carrier("O2 UK", "234", "10", 0.048),
            Carrier("Three UK", "234", "20", 0.048),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "DE": CountryTable(
        "Germany",
        0.0870,
        (
            Carrier("Telekom Deutschland", "262", "01", 0.0),
            Carrier("Vodafone Germany", "262", "02", 0.02),
            Carrier("Telefonica Germany", "262", "03", 0.04),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "FR": CountryTable(
        "France",
        0.0790,
        (
            Carrier("Orange France", "208", "01", 0.0),
            Carrier("SFR", "208", "10", 0.01),
            Carrier("Bouygues Telecom", "208", "20", 0.025),
            Carrier("Free Mobile", "208", "15", 0.025),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "ES": CountryTable(
        "Spain",
        0.0850,
        (
            Carrier("Movistar", "214", "07", 0.0),
            Carrier("Vodafone Spain", "214", "01", 0.02),
            Carrier("Orange Spain", "214", "03", 0.02),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "IE": CountryTable(
        "Ireland",
        0.0790,
        (
            Carrier("Vodafone Ireland", "272", "01", 0.0),
            Carrier("Three Ireland", "272", "05", 0.02),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "NL": CountryTable(
        "Netherlands",
        0.1040,
        (
            Carrier("KPN", "204", "08", 0.0),
            Carrier("Vodafone Libertel", "204", "04", 0.02),
            Carrier("Odido", "204", "16", 0.03),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "AU": CountryTable(
        "Australia",
        0.0500,
        (
            Carrier("Telstra", "505", "01", 0.0),
            Carrier("Optus", "505", "02", 0.03),
            Carrier("Vodafone Australia", "505", "03", 0.03),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "IN": CountryTable(
        "India",
        0.0820,
        (
            Carrier("Reliance Jio", "405", "857", 0.0),
            Carrier("Bharti Airtel", "404", "10", 0.01),
            Carrier("Vodafone Idea", "404", "20", 0.02),
        ),
        _INTERNATIONAL_TYPES,
    ),
    "MX": CountryTable(
        "Mexico",
        0.0480,
        (Carrier("Telcel", "334", "020", 0.0), Carrier("AT&T Mexico", "334", "050", 0.04)),
        _INTERNATIONAL_TYPES,
    ),
    "BR": CountryTable(
        "Brazil",
        0.0480,
        (
            Carrier("Vivo", "724", "06", 0.0),
            Carrier("Claro Brazil", "724", "05", 0.03),
            Carrier("TIM Brasil", "724", "04", 0.03),
        ),
        _INTERNATIONAL_TYPES,
    ),
}


def _price(value: float) -> str:
    """A price as Twilio writes it: a decimal string with 4 places ("0.0079")."""
    return f"{value:.4f}"


def carrier_prices(iso: str) -> list[tuple[Carrier, str, float]]:
    """(carrier, number_type, USD) of every outbound price of `iso` (empty if unknown)."""
    table = COUNTRIES.get(iso)
    if table is None:
        return []
    return [
        (carrier, number_type, table.base * factor * (1.0 + carrier.offset))
        for carrier in table.carriers
        for number_type, factor in table.types
    ]


def country_resource(iso: str) -> dict[str, object] | None:
    """The `messaging_country` resource of `iso`, or None when the sandbox has no prices."""
    table = COUNTRIES.get(iso)
    if table is None:
        return None
    outbound = []
    for carrier in table.carriers:
        prices = [
            {
                "number_type": number_type,
                "base_price": _price(table.base * factor * (1.0 + carrier.offset)),
                "current_price": _price(table.base * factor * (1.0 + carrier.offset)),
            }
            for number_type, factor in table.types
        ]
        outbound.append(
            {"carrier": carrier.name, "mcc": carrier.mcc, "mnc": carrier.mnc, "prices": prices}
        )
    inbound = [
        {"number_type": number_type, "base_price": _price(0.0079), "current_price": _price(0.0079)}
        for number_type, _ in table.types
    ]
    return {
        "country": table.name,
        "iso_country": iso,
        "outbound_sms_prices": outbound,
        "inbound_sms_prices": inbound,
        "price_unit": "USD",
        "url": f"{PRICING_HOST}/v1/Messaging/Countries/{iso}",
    }


class PricingV1(SandboxState):
    """The endpoints of pricing.twilio.com/v1 the sandbox serves."""

    def pricing_v1_resources(self) -> list[Resource]:
        """This API's resources (the server adds 404/405 answers around them)."""
        return [("/v1/Messaging/Countries/{iso}", {"GET": self.messaging_country})]

    async def messaging_country(self, request: web.Request) -> web.StreamResponse:
        iso = request.match_info["iso"]
        # Twilio's codes are upper case; the sandbox takes the stricter side and does not
        # normalise "us" (undocumented whether Twilio does).
        resource = country_resource(iso)
        if resource is None:
            return error(20404, f"The requested resource {request.path} was not found", 404)
        self.price_fetches += 1
        return json_response(resource)
