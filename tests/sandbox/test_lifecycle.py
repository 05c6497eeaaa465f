"""Message lifecycle: queued -> sending -> sent -> delivered (or undelivered/failed with a
delivery error code), each sender draining at its own pace, prices once sent."""

from __future__ import annotations

import time

import pytest

from campaigns.sandbox import Sandbox, SandboxConfig, SenderSpec
from campaigns.sandbox.config import DELIVERY_ERROR_CODES
from campaigns.sandbox.store import MessageStore
from tests.sandbox.sdk import sdk_client

ORDER = ["queued", "sending", "sent", "delivered"]
FINAL = {"delivered", "undelivered", "failed"}


def wait_final(sb: Sandbox, sids: list[str], timeout: float = 20.0) -> dict[str, list[str]]:
    """Poll through the SDK until every message is final; the statuses each one went through."""
    client = sdk_client(sb)
    seen: dict[str, list[str]] = {sid: [] for sid in sids}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sid in sids:
            status = client.messages(sid).fetch().status
            if not seen[sid] or seen[sid][-1] != status:
                seen[sid].append(status)
        if all(s[-1] in FINAL for s in seen.values()):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"messages did not finish: {seen}")


def numbers_with(config: SandboxConfig, outcome: str, count: int) -> list[str]:
    """Verified-looking US numbers whose messages end with `outcome` under `config`."""
    found = []
    for n in range(10000):
        number = f"+1415555{n:04d}"
        if config.outcome(number)[0] == outcome:
            found.append(number)
            if len(found) == count:
                return found
    raise AssertionError("no such numbers")


def test_progression_to_delivered_with_price(sandbox_factory) -> None:
    sb = sandbox_factory(trial=False, speedup=20.0)
    client = sdk_client(sb)
    created = [
        client.messages.create(to="+14155550100", from_=sb.phone_number, body=body)
        for body in ("one segment", "y" * 200)
    ]
    assert [m.status for m in created] == ["queued", "queued"]
    sids = [m.sid for m in created]
    seen = wait_final(sb, sids)
    for statuses in seen.values():
        assert statuses[-1] == "delivered"
        assert statuses == sorted(statuses, key=ORDER.index)  # never goes backwards
    # `sent` lasts 150 ms here (3 s / speedup 20): polling sees it on the way.
    assert "sent" in {s for statuses in seen.values() for s in statuses}
    first, second = (client.messages(sid).fetch() for sid in sids)
    assert (first.price, second.price, first.price_unit) == ("-0.00790", "-0.01580", "USD")
    assert first.date_sent is not None and first.error_code is None


def test_shares_of_undelivered_and_failed_are_deterministic() -> None:
    config = SandboxConfig(failed_share=0.2, undelivered_share=0.3, seed=7)
    outcomes = [config.outcome(f"+1415555{n:04d}") for n in range(2000)]
    assert outcomes == [config.outcome(f"+1415555{n:04d}") for n in range(2000)]
    failed = sum(1 for status, _ in outcomes if status == "failed")
    undelivered = sum(1 for status, _ in outcomes if status == "undelivered")
    assert 300 < failed < 500 and 500 < undelivered < 700
    assert {code for status, code in outcomes if status != "delivered"} == set(DELIVERY_ERROR_CODES)
    assert SandboxConfig(seed=8, failed_share=0.2).outcome("+14155550000") is not None


def test_failed_and_undelivered_messages(sandbox_factory) -> None:
    config = SandboxConfig(trial=False, speedup=50.0, failed_share=0.3, undelivered_share=0.3)
    sb = sandbox_factory(config)
    client = sdk_client(sb)
    failing = numbers_with(config, "failed", 2)
    lost = numbers_with(config, "undelivered", 2)
    sids = {
        client.messages.create(to=n, from_="+18445550100", body="x").sid: n for n in failing + lost
    }
    seen = wait_final(sb, list(sids))
    for sid, number in sids.items():
        message = client.messages(sid).fetch()
        expected_status, expected_code = config.outcome(number)
        assert (message.status, message.error_code) == (expected_status, expected_code)
        assert message.error_message
        assert "delivered" not in seen[sid]
        if expected_status == "failed":
            assert message.price is None and message.date_sent is None
        else:
            assert message.price == "-0.00790" and "sent" in seen[sid]


def test_each_sender_drains_at_its_own_pace() -> None:
    """Deterministic: the store's schedule, read at chosen instants (no sleeping)."""
    config = SandboxConfig(
        senders=(
            SenderSpec("+15017122661"),
            SenderSpec("+18445550100", "toll_free"),
            SenderSpec("55501", "short_code"),
            SenderSpec("+15017122662", segments_per_second=10),
        ),
        speedup=2.0,
    )
    store = MessageStore(config)
    rates = {address: queue.rate for address, queue in store.queues.items()}
    assert rates == {"+15017122661": 2.0, "+18445550100": 6.0, "55501": 200.0, "+15017122662": 20.0}
    queue = store.queues["+15017122661"]
    slots = [queue.enqueue(1, 100.0) for _ in range(3)]
    assert slots == [(100.0, 100.5), (100.5, 101.0), (101.0, 101.5)]
    start, sent = queue.enqueue(3, 100.0)  # a three-segment message takes three slots
    assert (start, sent) == (101.5, 103.0)
    assert queue.backlog(101.0) == 2.0


def test_status_at_each_instant() -> None:
    from campaigns.sandbox.store import Message

    message = Message(
        sid="SM" + "a" * 32,
        to="+14155550100",
        from_="+15017122661",
        body="x",
        segments=1,
        num_media=0,
        created=10.0,
        accepted_until=10.0,
        start=11.0,
        sent_at=12.0,
        final_at=15.0,
        outcome="undelivered",
        error_code=30003,
        price=0.0079,
        service_sid=None,
    )
    timeline = [message.status_at(t) for t in (10.0, 11.0, 12.0, 14.9, 15.0, 99.0)]
    assert timeline == ["queued", "sending", "sent", "sent", "undelivered", "undelivered"]
    assert message.sent_time(11.5) is None and message.sent_time(12.0) == 12.0
    assert message.updated_at(13.0) == 12.0 and message.updated_at(16.0) == 15.0


@pytest.mark.parametrize("speedup", [5.0])
def test_messaging_service_goes_accepted_then_queued(sandbox_factory, speedup: float) -> None:
    sb = sandbox_factory(speedup=speedup)
    client = sdk_client(sb)
    sid = client.messages.create(
        to="+14155550100", messaging_service_sid=sb.messaging_service_sid, body="svc"
    ).sid
    seen = wait_final(sb, [sid])[sid]
    assert seen[0] == "accepted" and seen[-1] == "delivered"
    assert client.messages(sid).fetch().from_ in {
        "+15017122661",
        "+15017122662",
        "+18445550100",
        "55501",
    }
