"""Injected faults, seen through the real twilio SDK: 429s (shares and the concurrency limit),
5xx before and after creating, dropped connections, hanging requests, latency."""

from __future__ import annotations

import asyncio
import statistics

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from campaigns.sandbox import Faults, Sandbox, SandboxConfig
from campaigns.sandbox.server import _App
from tests.sandbox.sdk import sdk_client

TO = "+14155550100"


def send(sb: Sandbox, client: Client | None = None) -> object:
    return (client or sdk_client(sb)).messages.create(to=TO, from_=sb.phone_number, body="x")


@pytest.mark.parametrize(
    ("faults", "status", "codes"),
    [
        (Faults(rate_limit=1.0), 429, {20429}),
        (Faults(error_before=1.0), None, {20500, 20503}),
    ],
)
def test_faults_before_creating_create_nothing(
    sandbox_factory, faults: Faults, status: int | None, codes: set[int]
) -> None:
    sb = sandbox_factory(faults=faults)
    seen = set()
    for _ in range(6):
        with pytest.raises(TwilioRestException) as info:
            send(sb)
        assert info.value.code in codes
        seen.add(info.value.status)
    assert seen == ({status} if status else {500, 503})
    assert sb.messages() == []
    with pytest.raises(TwilioRestException):  # reads meet them too
        sdk_client(sb).api.v2010.accounts(sb.account_sid).fetch()


def test_500_after_creating_is_ambiguous(sandbox_factory) -> None:
    sb = sandbox_factory(faults=Faults(error_after=1.0))
    with pytest.raises(TwilioRestException) as info:
        send(sb)
    assert (info.value.status, info.value.code) == (500, 20500)
    assert len(sb.messages()) == 1  # the message exists although the answer was an error
    listed = sdk_client(sb).messages.list(to=TO)  # reconciliation finds it (reads unaffected)
    assert [m.sid for m in listed] == [sb.messages()[0]["sid"]]


def test_dropped_connection_after_creating(sandbox_factory) -> None:
    sb = sandbox_factory(faults=Faults(drop_after=1.0))
    with pytest.raises(requests.exceptions.ConnectionError):
        send(sb)
    assert len(sb.messages()) == 1


def test_hanging_request_until_the_client_gives_up(sandbox_factory) -> None:
    sb = sandbox_factory(faults=Faults(hang=1.0))
    client = sdk_client(sb)
    client.http_client = TwilioHttpClient(timeout=0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(sb, client)
    assert sb.messages() == []
    # Leaving the fixture stops the sandbox although a request still hangs.


def test_shares_mix_successes_and_faults(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False, seed=3, faults=Faults(rate_limit=0.3, error_after=0.3))
    outcomes = []
    for _ in range(40):
        try:
            send(sb)
            outcomes.append(201)
        except TwilioRestException as error:
            outcomes.append(error.status)
    assert set(outcomes) == {201, 429, 500}
    assert len(sb.messages()) == outcomes.count(201) + outcomes.count(500)


async def test_concurrency_limit_gives_429(sandbox_factory) -> None:
    sb = sandbox_factory(concurrency_limit=5, latency_ms=300)
    async with AsyncTwilioHttpClient() as http:
        client = Client(sb.account_sid, sb.auth_token, http_client=http)
        client.api.base_url, client.edge, client.region = sb.base_url, None, None
        results = await asyncio.gather(
            *(
                client.messages.create_async(to=TO, from_=sb.phone_number, body=f"{i}")
                for i in range(20)
            ),
            return_exceptions=True,
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors and all(
        isinstance(e, TwilioRestException) and (e.status, e.code) == (429, 20429) for e in errors
    )
    assert 1 <= len(results) - len(errors) <= 5
    assert len(sb.messages()) == len(results) - len(errors)


def test_latency_is_applied_and_requests_still_succeed(sandbox_factory) -> None:
    sb = sandbox_factory(latency_ms=50, latency_distribution="uniform")
    assert send(sb).status == "queued"


@pytest.mark.parametrize(
    ("distribution", "low", "high"),
    [("fixed", 0.04, 0.04), ("uniform", 0.0, 0.08), ("exponential", 0.0, float("inf"))],
)
def test_latency_distributions(distribution: str, low: float, high: float) -> None:
    app = _App(SandboxConfig(latency_ms=40, latency_distribution=distribution, seed=1))
    draws = [app._latency() for _ in range(4000)]
    assert all(low <= d <= high for d in draws)
    assert statistics.mean(draws) == pytest.approx(0.04, rel=0.1)
    if distribution != "fixed":
        assert statistics.pstdev(draws) > 0.01
