"""A status callback that beats the journal's record of its send is held by the desk
(`campaigns.send.callbacks.ReceiptDesk`) and applied once the row has the SID: under the same
rules as any receipt (forward only, idempotent, the URL's campaign only), for at most
`hold_seconds`, at most `hold_max` messages. The callbacks are signed the way the sandbox
signs them (its own HMAC) and checked with the SDK's validator."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from engine_support import campaign, numbers, open_journal

from campaigns.sandbox.callbacks import signature
from campaigns.send.callbacks import CAMPAIGN_PARAM, ISSUED_PARAM, Answer, ReceiptDesk
from campaigns.store import journal as J
from campaigns.twilio.signatures import SignatureCheck

TOKEN = "the-auth-token"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def url(cid: str) -> str:
    return "https://sms.example.com/receipts?" + urlencode(
        {CAMPAIGN_PARAM: cid, ISSUED_PARAM: int(NOW)}
    )


def post(desk: ReceiptDesk, cid: str, sid: str, status: str, token: str = "") -> Answer:
    form = {"MessageSid": sid, "MessageStatus": status, "To": "+14152000000"}
    headers = {"X-Twilio-Signature": signature(TOKEN, url(cid), form)}
    if token:
        headers["I-Twilio-Idempotency-Token"] = token
    return desk.receive(url(cid), form, headers)


def record_send(journal: J.Journal, cid: str, row: int, sid: str) -> None:
    """What the engine's group commit does once Twilio answered the create."""
    journal.apply(cid, [J.Outcome(row, "queued", sid=sid)])


def desk_on(journal: J.Journal, clock: Clock, **limits: float) -> ReceiptDesk:
    return ReceiptDesk(journal, SignatureCheck(TOKEN).valid, clock=clock, **limits)  # type: ignore[arg-type]


def test_a_callback_before_the_send_is_recorded_is_applied_once_the_row_has_the_sid(
    tmp_path: Path,
) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(3))
    clock = Clock()
    desk = desk_on(journal, clock)
    first = post(desk, cid, "SM" + "a" * 32, "sent", token="t1")
    assert first.status == 200 and first.held and desk.held == 1
    # Twilio's next callback for it, and a replay of the first: still one held, the furthest.
    assert post(desk, cid, "SM" + "a" * 32, "delivered", token="t2").held
    assert post(desk, cid, "SM" + "a" * 32, "sent", token="t1").text == "already received"
    assert desk.held == 1 and desk.apply_held() == []  # nothing to place yet
    record_send(journal, cid, 2, "SM" + "a" * 32)
    clock.now += 0.5
    told = desk.apply_held()
    assert [(a.applied, a.later, a.text) for a in told] == [
        (True, True, f"held {'SM' + 'a' * 32}: queued -> delivered")
    ]
    assert journal.status_of(cid, 2) == "delivered" and desk.held == 0
    # A later `sent` (out of order) changes nothing: forward only, as for any receipt.
    assert post(desk, cid, "SM" + "a" * 32, "sent").text == "no change (delivered stays)"

    # Placed by a new callback too: one that makes the desk read the SIDs again.
    assert post(desk, cid, "SM" + "b" * 32, "delivered").held
    record_send(journal, cid, 3, "SM" + "b" * 32)
    record_send(journal, cid, 4, "SM" + "c" * 32)
    assert post(desk, cid, "SM" + "c" * 32, "sent").applied
    assert journal.status_of(cid, 3) == "delivered" and desk.held == 0
    assert [a.text for a in desk.apply_held()] == [f"held {'SM' + 'b' * 32}: queued -> delivered"]


def test_a_held_receipt_is_dropped_after_the_limit_and_the_hold_stays_bounded(
    tmp_path: Path,
) -> None:
    journal = open_journal(tmp_path)
    mine = campaign(journal, numbers(2))
    other = campaign(journal, numbers(2, start=100))
    clock = Clock()
    desk = desk_on(journal, clock, hold_seconds=600.0, hold_max=3)
    sids = [f"SM{i:032x}" for i in range(5)]
    for sid in sids:
        assert post(desk, mine, sid, "delivered", token="t-" + sid).held
    assert desk.held == 3  # the two oldest pushed out, each told to the log
    pushed = desk.apply_held()
    assert [a.text.split(":")[0] for a in pushed] == [
        f"dropped the held receipt of {sids[0]} (delivered)",
        f"dropped the held receipt of {sids[1]} (delivered)",
    ]
    assert all(a.later and not a.applied for a in pushed)
    # The SID turns up in another campaign: never applied to it (the URL named `mine`).
    record_send(journal, other, 2, sids[2])
    clock.now += 599.0
    assert desk.apply_held() == [] and desk.held == 3
    clock.now += 2.0
    dropped = desk.apply_held()
    assert len(dropped) == 3 and desk.held == 0
    assert all("no row had its SID after 600 s" in a.text for a in dropped)
    assert journal.status_of(other, 2) == "queued"
    assert journal.counts(mine) == {"pending": 2}
    # A callback for a campaign this journal does not have is not held at all.
    assert not post(desk, "no-such-campaign", sids[4], "delivered").held and desk.held == 0


def test_the_sids_are_read_again_only_once_the_journal_was_written(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    cid = campaign(journal, numbers(2))
    reads: list[str] = []
    real = journal.sids

    def counted(campaign_id: str) -> dict[str, tuple[int, str]]:
        reads.append(campaign_id)
        return real(campaign_id)

    journal.sids = counted  # type: ignore[method-assign]
    desk = desk_on(journal, Clock())
    assert post(desk, cid, "SM" + "d" * 32, "delivered").held
    assert post(desk, cid, "SM" + "e" * 32, "delivered").held
    for _ in range(5):  # the timer's looks while nothing is written: no reads
        assert desk.apply_held() == []
    assert len(reads) == 1
    record_send(journal, cid, 2, "SM" + "d" * 32)
    assert [a.applied for a in desk.apply_held()] == [True]
    assert len(reads) == 2 and desk.held == 1


def test_the_held_receipt_is_the_furthest_and_only_ever_its_own_campaign_s(
    tmp_path: Path,
) -> None:
    journal = open_journal(tmp_path)
    mine = campaign(journal, numbers(2))
    other = campaign(journal, numbers(2, start=100))
    clock = Clock()
    desk = desk_on(journal, clock, hold_seconds=60.0)
    x, y = "SM" + "d" * 32, "SM" + "e" * 32
    assert post(desk, mine, x, "delivered", token="t1").held
    assert post(desk, mine, x, "sent", token="t2").held  # a new one, out of order
    assert post(desk, other, y, "delivered").held
    # X turns up in the other campaign (and Y too): the desk reads that campaign's SIDs for
    # Y, and must not apply X's receipt, which the URL of `mine` carried, to it.
    record_send(journal, other, 2, x)
    record_send(journal, other, 3, y)
    assert [a.text for a in desk.apply_held()] == [f"held {y}: queued -> delivered"]
    assert journal.status_of(other, 2) == "queued" and desk.held == 1
    record_send(journal, mine, 2, x)
    assert [a.text for a in desk.apply_held()] == [f"held {x}: queued -> delivered"]  # furthest
    # Dropped receipts give their tokens back: Twilio's retry of one is taken again.
    z = "SM" + "f" * 32
    assert post(desk, mine, z, "delivered", token="t3").held
    clock.now += 61.0
    assert len(desk.apply_held()) == 1 and desk.held == 0
    assert post(desk, mine, z, "delivered", token="t3").held
