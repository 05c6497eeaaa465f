"""The Twilio gateway end to end: the real twilio SDK (sync and async) against the local
sandbox over loopback. Nothing is mocked; faults come from the sandbox's fault injection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaigns.config.settings import load_settings
from campaigns.sandbox import Faults, Sandbox, SandboxConfig
from campaigns.twilio.convert import sender_kind
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.errors import (
    AmbiguousError,
    FatalError,
    PermanentError,
    TransientError,
    TwilioFailure,
)
from campaigns.twilio.gateway import ReadRetry, TwilioGateway
from campaigns.twilio.session import AsyncGatewaySession

FROM = "+15017122661"
TO = "+14155550100"
KEY = "SK" + "ab" * 16
KEY_SECRET = "key-secret-" + "7" * 24


Factory = Callable[..., Sandbox]
#: Reads give up after a second try (tests of what a failure says, without the full backoff).
TWO_TRIES = ReadRetry(attempts=2)


def gateway_for(sb: Sandbox, token: str | None = None, **kwargs: Any) -> TwilioGateway:
    creds = Credentials(sb.account_sid, sb.account_sid, token or sb.auth_token, "test")
    return TwilioGateway(creds, base_url=sb.base_url, **kwargs)


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    """Neither the secret nor anything but its last four characters shows anywhere."""
    texts = [str(error), repr(error), getattr(error, "hint", "") or ""]
    if isinstance(error, TwilioFailure):
        texts += [error.full(), error.twilio_message]
    for secret in secrets:
        for text in texts:
            assert secret not in text
            assert secret[:-4] not in text


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    """One trial sandbox for the read-only and magic-number tests (module-wide: cheaper)."""
    with Sandbox(SandboxConfig()) as sb:
        yield sb


# --- account, senders, verified numbers ----------------------------------------------------


def test_account_trial_and_full(shared: Sandbox, sandbox_factory: Factory) -> None:
    with gateway_for(shared) as gw:
        account = gw.account()
    assert account.sid == shared.account_sid
    assert (account.type, account.status, account.trial, account.active) == (
        "Trial",
        "active",
        True,
        True,
    )
    sb = sandbox_factory(trial=False, friendly_name="Acme")
    with gateway_for(sb) as gw:
        account = gw.account()
    assert (account.type, account.friendly_name, account.trial) == ("Full", "Acme", False)


def test_api_key_credentials(tmp_path: Any, sandbox_factory: Factory) -> None:
    sb = sandbox_factory(api_keys={KEY: KEY_SECRET})
    settings = load_settings(
        env={
            "TWILIO_ACCOUNT_SID": sb.account_sid,
            "TWILIO_API_KEY": KEY,
            "TWILIO_API_SECRET": KEY_SECRET,
            "SMSCAST_TWILIO_BASE_URL": sb.base_url,
            "SMSCAST_CONFIG": str(tmp_path / "none.toml"),
        },
        cwd=tmp_path,
    )
    with TwilioGateway(settings) as gw:
        assert gw.account().sid == sb.account_sid
        assert KEY_SECRET not in repr(gw)
        wrong = Credentials(sb.account_sid, KEY, "wrong-" + KEY_SECRET)
        bad = TwilioGateway(wrong, base_url=sb.base_url)
        with pytest.raises(FatalError) as info:
            bad.account()
        assert_no_secret(info.value, "wrong-" + KEY_SECRET)


def test_suspended_account_is_fatal(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(status="suspended")
    with gateway_for(sb) as gw:
        account = gw.account()
        assert account.status == "suspended" and not account.active
        with pytest.raises(FatalError) as info:
            gw.require_active()
    assert info.value.code == 20005
    assert "suspended" in str(info.value)


def test_senders_kinds_and_pace(shared: Sandbox) -> None:
    with gateway_for(shared) as gw:
        senders = {s.address: s for s in gw.senders()}
        everything = {s.address for s in gw.senders(sms_only=False)}
    assert {a: (s.kind, s.segments_per_second) for a, s in senders.items()} == {
        "+15017122661": ("long_code", 1.0),
        "+15017122662": ("long_code", 1.0),
        "+18445550100": ("toll_free", 3.0),
        "55501": ("short_code", 100.0),
    }
    assert all(s.sms for s in senders.values())
    assert "+15017122699" in everything - senders.keys()  # voice only


def test_sender_kind_from_the_number() -> None:
    assert sender_kind("+18005550100") == "toll_free"
    assert sender_kind("+18885550100") == "toll_free"
    assert sender_kind("+14155550100") == "long_code"
    assert sender_kind("+447700900123") == "long_code"
    assert sender_kind("55501") == "short_code"


def test_verified_numbers_across_pages_with_malformed_entries(sandbox_factory: Factory) -> None:
    numbers = tuple(f"+1415555{n:04d}" for n in range(23))
    sb = sandbox_factory(verified=(*numbers, "not a number", "12"))
    with gateway_for(sb) as gw:
        verified = gw.verified_numbers(page_size=5)
    assert verified.numbers == frozenset(numbers)
    assert len(verified.warnings) == 2
    assert "'not a number'" in verified.warnings[0]


# --- send, fetch, look-ups -----------------------------------------------------------------


async def test_async_send_fetch_and_messages_to_across_pages(sandbox_factory: Factory) -> None:
    sb = sandbox_factory()
    gw = gateway_for(sb)
    start = datetime.now(UTC)
    async with gw.async_session() as session:
        sent = [await session.send(to=TO, body=f"hello {i}", from_=FROM) for i in range(7)]
        await session.send(to="+14155550101", body="other", from_=FROM)
        first = sent[0]
        assert first.sid.startswith("SM") and first.status == "queued"
        assert first.to == TO and first.from_ == FROM and first.num_segments == 1
        assert first.body.endswith("hello 0")
        fetched = await session.fetch(first.sid)
        assert fetched.sid == first.sid
        found = await session.messages_to(TO, start - timedelta(seconds=1), page_size=3)
        assert sorted(r.sid for r in found) == sorted(r.sid for r in sent)
        # `since` is precise (to the second), not just the day of the DateSent> filter.
        assert await session.messages_to(TO, start + timedelta(hours=1), page_size=3) == []
        # A message created within `since`'s second is found (Twilio dates are whole
        # seconds).
        assert first.date_created is not None
        later = first.date_created + timedelta(milliseconds=999)
        assert first.sid in {r.sid for r in await session.messages_to(TO, later)}
    # The sync client sees the same, also across pages.
    found_sync = gw.messages_to(TO, start - timedelta(seconds=1), page_size=2)
    assert {r.sid for r in found_sync} == {r.sid for r in sent}
    assert gw.fetch(first.sid).body == first.body
    gw.close()


async def test_messaging_service_send(sandbox_factory: Factory) -> None:
    sb = sandbox_factory()
    async with gateway_for(sb).async_session() as session:
        record = await session.send(
            to=TO, body="via service", messaging_service_sid=sb.messaging_service_sid
        )
    assert record.status == "accepted"
    assert record.messaging_service_sid == sb.messaging_service_sid


def test_fetch_unknown_sid_is_permanent_with_its_code(shared: Sandbox) -> None:
    with gateway_for(shared) as gw, pytest.raises(PermanentError) as info:
        gw.fetch("SM" + "0" * 32)
    assert (info.value.code, info.value.status) == (20404, 404)
    assert "found nothing" in str(info.value)


def test_base_url_override_ignores_edge_and_region(
    shared: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK reads these from the environment and would rewrite 127.0.0.1 into 127.sydney...
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    with gateway_for(shared) as gw:
        assert gw.account().sid == shared.account_sid


# --- error classes ---------------------------------------------------------------------------


async def _send_error(sb: Sandbox, to: str = TO, from_: str = FROM, **kw: Any) -> TwilioFailure:
    async with gateway_for(sb).async_session() as session:
        with pytest.raises(TwilioFailure) as info:
            await session.send(to=to, body="hi", from_=from_, **kw)
    assert_no_secret(info.value, sb.auth_token)
    return info.value


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21211),
        ("+15005550002", 21612),
        ("+15005550003", 21408),
        ("+15005550004", 21610),
        ("+15005550009", 21614),
        ("+14155559999", 21608),  # not verified, trial account
        ("+1415", 21211),
    ],
)
async def test_recipient_errors_are_permanent(shared: Sandbox, to: str, code: int) -> None:
    error = await _send_error(shared, to=to)
    assert type(error) is PermanentError
    assert (error.code, error.status) == (code, 400)
    assert f"Twilio error {code}" in str(error)
    assert error.twilio_message  # Twilio's own words are kept
    assert error.hint


@pytest.mark.parametrize(
    ("from_", "code"),
    [
        ("+15005550001", 21212),
        ("+15005550007", 21606),
        ("+15017122699", 21606),
        ("+14155550177", 21606),
    ],
)
async def test_sender_errors_are_fatal(shared: Sandbox, from_: str, code: int) -> None:
    error = await _send_error(shared, from_=from_)
    assert type(error) is FatalError
    assert error.code == code


async def test_full_queue_is_transient(shared: Sandbox) -> None:
    error = await _send_error(shared, from_="+15005550008")
    assert type(error) is TransientError and error.code == 21611


async def test_opted_out_recipient(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(opted_out=(TO,))
    error = await _send_error(sb)
    assert type(error) is PermanentError and error.code == 21610


async def test_wrong_token_is_fatal_everywhere(shared: Sandbox) -> None:
    wrong = "wrong-token-" + "9" * 20
    gw = gateway_for(shared, token=wrong)
    calls = [
        gw.account,
        gw.senders,
        gw.verified_numbers,
        lambda: gw.fetch("SM" + "0" * 32),
        lambda: gw.messages_to(TO, datetime.now(UTC)),
    ]
    for call in calls:  # fetches raise TwilioRestException, lists a plain TwilioException
        with pytest.raises(FatalError) as info:
            call()
        assert (info.value.code, info.value.status) == (20003, 401)
        assert_no_secret(info.value, wrong)
    gw.close()
    async with gw.async_session() as session:
        for coro in (
            session.send(to=TO, body="x", from_=FROM),
            session.fetch("SM" + "0" * 32),
            session.messages_to(TO, datetime.now(UTC)),
        ):
            with pytest.raises(FatalError) as info:
                await coro
            assert info.value.code == 20003
            assert_no_secret(info.value, wrong)


async def test_rate_limit_fault_is_transient_for_sends_and_reads(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(faults=Faults(rate_limit=1.0))
    error = await _send_error(sb)
    assert type(error) is TransientError
    assert (error.code, error.status, error.retry_after) == (20429, 429, None)
    with gateway_for(sb, retry=TWO_TRIES) as gw, pytest.raises(TransientError) as info:
        gw.verified_numbers()
    assert "smscast tried 2 times" in (info.value.hint or "")
    assert "retries automatically" not in info.value.full()  # it no longer does


async def test_concurrency_over_the_limit_gets_429(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(trial=False, concurrency_limit=3, latency_ms=150)
    async with gateway_for(sb).async_session() as session:
        results = await asyncio.gather(
            *(session.send(to=TO, body=str(i), from_=FROM) for i in range(12)),
            return_exceptions=True,
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert 0 < len(errors) < 12
    assert all(isinstance(e, TransientError) and e.code == 20429 for e in errors)


async def test_more_than_100_in_flight_needs_and_gets_a_bigger_pool(
    sandbox_factory: Factory,
) -> None:
    """With 150 sends at once against a limit of 120, a pool of 150 connections overflows the
    limit (some 429s) while the SDK's default pool of 100 never does."""
    sb = sandbox_factory(trial=False, concurrency_limit=120, latency_ms=500)
    gw = gateway_for(sb)
    for max_in_flight, expect_429 in ((150, True), (100, False)):
        async with gw.async_session(max_in_flight=max_in_flight) as session:
            results = await asyncio.gather(
                *(session.send(to=TO, body=str(i), from_=FROM) for i in range(150)),
                return_exceptions=True,
            )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(e, TransientError) and e.code == 20429 for e in errors)
        assert bool(errors) is expect_429, (max_in_flight, len(errors))


@pytest.mark.parametrize("faults", [Faults(error_after=1.0), Faults(drop_after=1.0)])
async def test_failures_after_creating_are_ambiguous_and_the_message_exists(
    sandbox_factory: Factory, faults: Faults
) -> None:
    sb = sandbox_factory(faults=faults)
    error = await _send_error(sb)
    assert type(error) is AmbiguousError
    assert len(sb.messages(TO)) == 1  # it was created anyway: reconcile, never resend


async def test_server_error_before_is_ambiguous_for_sends_transient_for_reads(
    sandbox_factory: Factory,
) -> None:
    sb = sandbox_factory(faults=Faults(error_before=1.0))
    error = await _send_error(sb)
    assert type(error) is AmbiguousError and error.status in (500, 503)
    assert sb.messages(TO) == []
    async with gateway_for(sb).async_session() as session:
        with pytest.raises(TransientError) as info:
            await session.fetch("SM" + "1" * 32)
        assert info.value.status in (500, 503)
        with pytest.raises(TransientError):
            await session.messages_to(TO, datetime.now(UTC))
    with gateway_for(sb, retry=TWO_TRIES) as gw, pytest.raises(TransientError) as info:
        gw.verified_numbers()  # a page error: plain TwilioException with the response
    assert info.value.code in (20500, 20503)


async def test_hang_is_ambiguous_for_sends_transient_for_reads(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(faults=Faults(hang=1.0))
    error = await _send_error(sb, timeout=0.3)
    assert type(error) is AmbiguousError
    assert "0.3 s" in str(error)
    async with gateway_for(sb).async_session() as session:
        with pytest.raises(TransientError):
            await session.fetch("SM" + "1" * 32, timeout=0.3)
    with gateway_for(sb, timeout=0.3, retry=TWO_TRIES) as gw, pytest.raises(TransientError) as e:
        gw.account()
    assert "No answer from Twilio within 0.3 s" in str(e.value)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_connection_refused_is_transient() -> None:
    sid = "AC" + "0" * 32
    gw = TwilioGateway(
        Credentials(sid, sid, "t" * 32), base_url=f"http://127.0.0.1:{_closed_port()}"
    )
    async with gw.async_session() as session:
        with pytest.raises(TransientError) as info:
            await session.send(to=TO, body="x", from_=FROM)
    assert "nothing was sent" in str(info.value)
    gw.retry = TWO_TRIES
    with pytest.raises(TransientError):
        gw.account()
    assert_no_secret(info.value, "t" * 32)


async def test_session_lifecycle(sandbox_factory: Factory) -> None:
    sb = sandbox_factory()
    gw = gateway_for(sb)
    session = gw.async_session(max_in_flight=250)
    assert isinstance(session, AsyncGatewaySession) and session.max_in_flight == 250
    with pytest.raises(RuntimeError):
        await session.send(to=TO, body="x", from_=FROM)  # not entered yet
    async with session:
        await session.send(to=TO, body="x", from_=FROM)
    with pytest.raises(RuntimeError):
        await session.send(to=TO, body="x", from_=FROM)  # closed


def test_retry_after_header_is_read() -> None:
    from twilio.http.response import Response

    from campaigns.twilio.translate import retry_after_seconds

    assert retry_after_seconds(Response(429, "", {"Retry-After": "2.5"})) == 2.5
    assert retry_after_seconds(Response(429, "", {})) is None
    assert (
        retry_after_seconds(Response(429, "", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
        == 0
    )


# --- start-up reads retry what is transient -------------------------------------------------


def _all_reads(gw: TwilioGateway) -> tuple[Any, ...]:
    """What the commands and the app read before sending (the sandbox has no Messaging API)."""
    return (gw.account(), gw.senders(), gw.verified_numbers())


@pytest.mark.parametrize(
    "faults",
    [Faults(rate_limit=0.4), Faults(error_before=0.4), Faults(rate_limit=0.2, error_before=0.2)],
    ids=["429", "5xx", "both"],
)
def test_sync_reads_retry_429_and_5xx_until_they_succeed(
    sandbox_factory: Factory, faults: Faults
) -> None:
    """Two requests in five fail: every read still answers (it is retried), and right."""
    sb = sandbox_factory(faults=faults, seed=7)
    with gateway_for(sb, retry=ReadRetry(attempts=10)) as gw:
        account, senders, verified = _all_reads(gw)
    assert account.sid == sb.account_sid
    assert FROM in {s.address for s in senders}
    assert TO in verified.numbers


def test_sync_read_retries_a_hang_within_the_timeout(sandbox_factory: Factory) -> None:
    """A request that never gets an answer is given up after `timeout` and tried again."""
    sb = sandbox_factory(faults=Faults(hang=0.4), seed=7)
    with gateway_for(sb, timeout=0.3, retry=ReadRetry(attempts=10)) as gw:
        account, _, verified = _all_reads(gw)
    assert account.sid == sb.account_sid and TO in verified.numbers


def test_sync_read_does_not_wait_for_a_retry_after_beyond_its_budget(
    sandbox_factory: Factory,
) -> None:
    """Twilio asks for 120 s: the read stops at once and says so, instead of promising a
    retry it will not make (or sleeping for two minutes)."""
    sb = sandbox_factory(faults=Faults(rate_limit=1.0, retry_after=120))
    gw = gateway_for(sb, retry=ReadRetry(attempts=5, budget=30))
    with gw, pytest.raises(TransientError) as info:
        gw.account()
    error = info.value
    assert (error.status, error.code, error.retry_after) == (429, 20429, 120)
    assert "smscast tried 1 time (Twilio asked to wait 120 s more" in (error.hint or "")
    assert "retries automatically" not in error.full()


def test_sync_read_timeout_comes_from_the_settings(tmp_path: Any, sandbox_factory: Factory) -> None:
    """`Settings.request_timeout` (a command's --timeout) bounds the gateway's requests."""
    from dataclasses import replace

    sb = sandbox_factory()
    settings = load_settings(
        account_sid=sb.account_sid,
        auth_token=sb.auth_token,
        base_url=sb.base_url,
        config_path=tmp_path / "none.toml",
        env={},
        cwd=tmp_path,
    )
    assert TwilioGateway(settings).timeout == 15.0
    assert TwilioGateway(replace(settings, request_timeout=0.7)).timeout == 0.7


def test_permanent_read_errors_are_not_retried(sandbox_factory: Factory) -> None:
    """A 401 is raised on the first try: retrying cannot help."""
    sb = sandbox_factory()
    wrong = "0123456789abcdef0123456789abcdef"
    gw = gateway_for(sb, token=wrong, retry=ReadRetry(attempts=50, budget=600))
    with gw, pytest.raises(FatalError) as info:
        gw.account()
    assert info.value.code == 20003
    assert_no_secret(info.value, wrong)
