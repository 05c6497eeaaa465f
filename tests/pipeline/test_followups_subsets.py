"""Retry and follow-up subsets are exactly right, over random mixes of outcomes.

A seeded random loop (hypothesis is not a dependency): each round writes a real journal with a
campaign, a few retries of it (and of its retries) and a follow-up, every row in a random
status with a random error code, then asks the pipeline (`retry_source`,
`follow_up_source`) for a subset of a random member and compares it with an oracle that
restates the rule from the issue directly, row by row: a retry texts the people never
reached on any try (not delivered, not on their way, not unknown, not still to send) whose
latest failure has a code a second try can change; a follow-up's `--who` is read the same
way across the chain, and never across the follow-up (another message).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from campaigns.errors import InputError
from campaigns.pipeline.followups import (
    NO_REPLIES_COLLECTED,
    RepliesUnavailable,
    follow_up_choices,
    follow_up_source,
    parse_codes,
    replies_collected,
    retry_source,
)
from campaigns.store import journal as J

#: Written out here on purpose, not read from the error table: the oracle's own statement of
#: which failures a second try can change (Twilio: handset off, unknown, queue, rate limit).
SECOND_TRY = {30001, 30003, 30008, 30036, 20429, 21611}
NEVER = [21610, 21211, 21614, 30004, 30005, 30006, 30007, 21408, None]
REACHED = {"delivered", "read"}
ON_THE_WAY = {"sent", "queued", "sending", "accepted", "scheduled"}
MAYBE = {"inflight", "unknown", "pending"}
FAILURE = {"failed", "undelivered"}
STATUSES = [
    "delivered",
    "read",
    "sent",
    "queued",
    "undelivered",
    "failed",
    "failed",
    "undelivered",
    "canceled",
    "unknown",
    "pending",
]


def _number(row: int) -> str:
    return f"+1415555{row:04d}"


def _campaign(
    journal: J.Journal,
    rng: random.Random,
    rows: Sequence[int],
    *,
    parent: str | None = None,
    kind: str | None = None,
    canary: bool = False,
) -> str:
    """A finished campaign of `rows` (some skipped), each row in a random status."""
    recipients = []
    if canary:
        recipients.append(J.NewRecipient(0, "+14155550100", "Hi", 1, 0.0, {"canary": "yes"}))
    for row in rows:
        skipped = rng.random() < 0.1
        recipients.append(
            J.NewRecipient(
                row,
                _number(row),
                "" if skipped else f"Hi {row}",
                0 if skipped else 1,
                0.0,
                {"name": f"P{row}", "phone": _number(row)},
                status=J.SKIPPED if skipped else J.PENDING,
            )
        )
    cid = journal.create_campaign(
        template="Hi {name}",
        source_name="/nowhere/people.csv",
        source_sha256="a" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={"columns": ["name", "phone"], "phone_column": "phone", "region": "US"},
        recipients=recipients,
        parent_id=parent,
        kind=kind,
    )
    outcomes = []
    for r in recipients:
        if r.status == J.SKIPPED:
            continue
        status = rng.choice(STATUSES)
        code = None
        if status in FAILURE:
            code = rng.choice([*SECOND_TRY, *NEVER])
        outcomes.append(J.Outcome(r.row, status, sid=f"SM{cid}{r.row}", error_code=code))
    journal.apply(cid, outcomes=outcomes)
    journal.set_state(cid, J.FINISHED)
    return cid


def _chain(journal: J.Journal, rng: random.Random) -> tuple[str, list[str], str]:
    """A root, 0..3 retries (each of the root or of an earlier retry, on a random part of
    its rows), and a follow-up of the root; returns (root, chain, follow-up)."""
    people = list(range(2, 2 + rng.randint(5, 30)))
    root = _campaign(journal, rng, people, canary=rng.random() < 0.3)
    chain = [root]
    for _ in range(rng.randint(0, 3)):
        parent = rng.choice(chain)
        rows = [r.row for r in journal.recipients(parent) if r.row and r.status != J.SKIPPED]
        part = sorted(rng.sample(rows, k=rng.randint(0, len(rows))))
        chain.append(_campaign(journal, rng, part, parent=parent, kind="retry"))
    follow_up = _campaign(journal, rng, people, parent=root, kind="follow-up")
    return root, chain, follow_up


def _history(journal: J.Journal, chain: Sequence[str]) -> dict[int, list[tuple[str, int | None]]]:
    """Row -> (status, code) on each try, oldest campaign first."""
    tries: dict[int, list[tuple[str, int | None]]] = {}
    for cid in chain:
        for r in journal.recipients(cid):
            tries.setdefault(r.row, []).append((r.status, r.error_code))
    return tries


def _candidates(journal: J.Journal, cid: str) -> list[int]:
    return [r.row for r in journal.recipients(cid) if r.row != 0 and r.status != J.SKIPPED]


def _retry_oracle(
    tries: Mapping[int, list[tuple[str, int | None]]], rows: list[int], codes: set[int] | None
) -> list[int]:
    chosen = []
    for row in rows:
        seen = tries[row]
        if any(status in REACHED | ON_THE_WAY | MAYBE for status, _ in seen):
            continue
        failures = [code for status, code in seen if status in FAILURE]
        if not failures:
            continue
        last = failures[-1]
        if last in SECOND_TRY and (codes is None or last in codes):
            chosen.append(row)
    return chosen


def _follow_up_oracle(
    tries: Mapping[int, list[tuple[str, int | None]]],
    rows: list[int],
    who: str,
    replies: Mapping[str, frozenset[str]],
) -> list[int]:
    chosen = []
    for row in rows:
        seen = {status for status, _ in tries[row]}
        kinds = replies.get(_number(row), frozenset())
        if who == "delivered":
            wanted = bool(seen & REACHED)
        elif who == "failed":
            wanted = bool(seen & FAILURE) and not seen & (REACHED | ON_THE_WAY | MAYBE)
        elif who == "replied":
            wanted = bool(kinds)
        elif who == "opted-in":
            wanted = "opt-in" in kinds
        else:
            wanted = bool(seen & (REACHED | ON_THE_WAY)) and not kinds
        if wanted:
            chosen.append(row)
    return chosen


class Replies:
    """A reply store as the `ReplyIndex` seam sees it: number -> kinds, for one chain."""

    def __init__(self, kinds: dict[str, frozenset[str]], chain: Sequence[str]) -> None:
        self.kinds = kinds
        self.chain = tuple(chain)

    def open(self, journal: J.Journal) -> Replies:
        """The seam's opener: this store, whatever the journal."""
        return self

    def reply_kinds(self, campaign_ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        assert tuple(campaign_ids) == self.chain  # the replies to the chain, not the follow-up
        return self.kinds


def test_subsets_match_the_rule_over_random_outcome_mixes(tmp_path: Path) -> None:
    checked = {"retry": 0, "follow-up": 0, "chosen": 0}
    for seed in range(40):
        rng = random.Random(seed)
        with J.Journal.open(tmp_path / f"s{seed}.db") as journal:
            _, chain, follow_up = _chain(journal, rng)
            member = rng.choice(chain)
            rows = _candidates(journal, member)
            tries = _history(journal, chain)
            codes = None if rng.random() < 0.5 else set(rng.sample(sorted(SECOND_TRY), k=2))

            source = retry_source(
                journal, member, codes=None if codes is None else frozenset(codes), region="US"
            )
            expected = _retry_oracle(tries, rows, codes)
            assert list(source.subset.rows) == expected, (seed, member)
            assert [c.row for c in source.book.contacts] == expected
            assert [c.phone for c in source.book.contacts] == [_number(r) for r in expected]
            assert all(c.fields["name"] == f"P{c.row}" for c in source.book.contacts)
            assert source.lineage.parent_id == member and source.lineage.kind == "retry"
            assert sum(source.subset.left_out.values()) + len(expected) == len(rows)
            checked["retry"] += 1
            checked["chosen"] += len(expected)

            answered = {
                _number(row): frozenset(rng.sample(["opt-in", "reply", "help", "opt-out"], k=1))
                for row in rows
                if rng.random() < 0.4
            }
            outcome_chain = list(source.outcome.chain.ids)
            assert sorted(outcome_chain) == sorted(chain)
            store = Replies(answered, outcome_chain)
            # what the app offers: each choice counts exactly the people it would choose
            offered = {c.who: c for c in follow_up_choices(journal, member, replies=store)}
            for who in ("delivered", "failed", "replied", "no-reply", "opted-in"):
                got = follow_up_source(
                    journal,
                    member,
                    who=who,
                    replies=store.open,
                    region="US",
                )
                assert list(got.subset.rows) == _follow_up_oracle(tries, rows, who, answered), (
                    seed,
                    who,
                )
                assert offered[who].people == len(got.subset.rows)
                assert (offered[who].unavailable is None) == bool(got.subset.rows)
                checked["follow-up"] += 1
            assert follow_up not in source.outcome.chain.ids
    assert checked["retry"] == 40 and checked["follow-up"] == 200
    assert checked["chosen"] > 20  # the mixes did choose people, not only empty subsets


def test_a_person_reached_by_a_retry_is_not_retried_again(tmp_path: Path) -> None:
    rng = random.Random(1)
    with J.Journal.open(tmp_path / "s.db") as journal:
        root = _campaign(journal, rng, [2, 3])
        journal.apply(
            root,
            outcomes=[
                J.Outcome(2, "undelivered", error_code=30003),
                J.Outcome(3, "undelivered", error_code=30003),
            ],
        )
        assert retry_source(journal, root, codes=None, region="US").subset.rows == (2, 3)
        retry = _campaign(journal, rng, [2, 3], parent=root, kind="retry")
        journal.apply(
            retry,
            outcomes=[
                J.Outcome(2, "delivered"),
                J.Outcome(3, "undelivered", error_code=30006),
            ],
        )
        again = retry_source(journal, root, codes=None, region="US")
        assert again.subset.rows == ()  # 2 was reached; 3's latest failure is a landline
        assert again.subset.left_out == {
            "delivered": 1,
            "undelivered 30006 (Landline or unreachable carrier)": 1,
        }


def test_the_parent_must_be_over_and_codes_must_be_worth_a_second_try(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "s.db") as journal:
        cid = _campaign(journal, random.Random(2), [2])
        journal.set_state(cid, J.PAUSED)
        with pytest.raises(InputError, match="is not over"):
            retry_source(journal, cid, codes=None, region="US")
        journal.set_state(cid, J.FINISHED)
        with pytest.raises(RepliesUnavailable, match="replies"):
            follow_up_source(journal, cid, who="no-reply", replies=lambda _j: None, region="US")
    assert parse_codes("30003, 30008") == {30003, 30008}
    with pytest.raises(InputError, match="30006: Landline"):
        parse_codes("30003,30006")
    with pytest.raises(InputError, match="not a list"):
        parse_codes("30003;x")


def test_reply_choices_need_replies_collected_for_the_campaign(tmp_path: Path) -> None:
    """Without a reply store to read, the reply kinds are offered disabled with why; the
    journal holds the replies to a campaign once a poll of its sender covered it."""
    from datetime import timedelta

    from campaigns.store.replies import Cursor

    with J.Journal.open(tmp_path / "s.db") as journal:
        cid = _campaign(journal, random.Random(3), [2, 3, 4])
        offered = {c.who: c for c in follow_up_choices(journal, cid, replies=None)}
        for who in ("replied", "no-reply", "opted-in"):
            assert offered[who].unavailable == NO_REPLIES_COLLECTED
        assert offered["delivered"].people + offered["failed"].people <= 3

        parent = journal.campaign(cid)
        start = parent.started_at or parent.created_at
        assert not replies_collected(journal, parent)
        # a poll of another sender, or one made before the campaign began, covers nothing
        journal.save_reply_cursor(Cursor("+15005550006", start - timedelta(minutes=5), None), start)
        journal.save_reply_cursor(
            Cursor("+15017122661", start - timedelta(hours=2), None), start - timedelta(hours=1)
        )
        assert not replies_collected(journal, parent)
        journal.save_reply_cursor(
            Cursor("+15017122661", start - timedelta(minutes=5), None), start + timedelta(hours=1)
        )
        assert replies_collected(journal, parent)
