"""The gateway's Pricing API and Lookup calls through the real SDK against the sandbox over
loopback: per-carrier prices as values, None for a country Twilio does not price, line types
in the order asked over several batch requests, Twilio's error cases kept."""

from __future__ import annotations

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import LOOKUP_BATCH, TwilioGateway


def _gateway(sb: Sandbox) -> TwilioGateway:
    return TwilioGateway(Credentials(sb.account_sid, sb.account_sid, sb.auth_token), sb.base_url)


def test_prices_and_line_types() -> None:
    landline = "+14155550150"
    with Sandbox(SandboxConfig(line_types={landline: "landline"})) as sb, _gateway(sb) as gateway:
        us = gateway.messaging_prices("US")
        assert us is not None and us.country == "United States" and us.price_unit == "USD"
        local = sorted(p.price for p in us.outbound if p.number_type == "local")
        assert (local[0], local[-1]) == (0.0079, 0.0083)
        assert gateway.messaging_prices("ZZ") is None
        numbers = [f"+1415555{n:04d}" for n in range(LOOKUP_BATCH + 20)]
        numbers += [landline, "+16135550123", "+1415555"]
        found = gateway.line_types(numbers)
        assert [f.phone for f in found] == numbers
        assert sb.lookups_billed == len(numbers) - 1  # the invalid number has no line type
        by_number = {f.phone: f for f in found}
        assert by_number[landline].type == "landline"
        assert by_number[landline].carrier_name == "Lumen Technologies"
        assert (by_number["+16135550123"].type, by_number["+16135550123"].error_code) == (
            None,
            60601,
        )
        assert by_number["+1415555"].valid is False
        assert {f.type for f in found[:LOOKUP_BATCH]} >= {"mobile", "landline"}
