"""Who a retry or a follow-up texts: the subset of an earlier campaign's recipients.

Both start from the earlier campaign's own rows (the ones it texted or tried to: not the rows
it excluded, not the app's own-number canary, row 0) and read each person's outcome combined
across the campaign's chain (`campaigns.store.lineage`), so a person a retry already reached
counts as delivered and is never retried again.

- A **retry** texts the people whose message ended `failed` or `undelivered` with an error
  code a second try can change (`campaigns.twilio.errors.worth_a_second_try`: the handset was
  off, the queue overflowed, an unknown carrier error), optionally only some of those codes.
  Never a delivered one, nor one still on its way or with an unknown outcome (that is
  `smscast resume --retry-unknown`), nor an opted-out, invalid, landline, blocked or
  filtered one, nor a failure without a code.
- A **follow-up** texts those `delivered` (the message reached them), `failed` (it did not:
  failed or undelivered, whatever the code), `replied` (any reply matched to the chain),
  `no-reply` (texted, the message delivered or on its way, and no reply) or `opted-in` (they
  replied with an opt-in keyword). The three reply choices read the reply store through the
  small `ReplyIndex` seam.

The audience filters (the suppression list above all) still apply to the subset afterwards,
exactly as for `send`: someone who opted out since is excluded with the list's reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from campaigns.store import statuses
from campaigns.store.statuses import RecipientStatus
from campaigns.twilio.errors import describe, worth_a_second_try

if TYPE_CHECKING:
    from campaigns.store.journal import RowOutcome

#: The follow-up choices of `--who`.
Who = Literal["delivered", "failed", "replied", "no-reply", "opted-in"]
WHO: tuple[Who, ...] = ("delivered", "failed", "replied", "no-reply", "opted-in")
#: The choices that need the reply store.
REPLY_CHOICES: frozenset[Who] = frozenset({"replied", "no-reply", "opted-in"})
#: The reply kind of an opt-in keyword (START, YES, UNSTOP), as the reply store names it.
OPT_IN_KIND = "opt-in"
#: The row of the app's own-number canary: never part of a subset.
CANARY_ROW = 0


class ReplyIndex(Protocol):
    """What a follow-up needs of the reply store: number -> the kinds of the replies
    matched to any of `campaign_ids` (a number that did not reply is absent)."""

    def reply_kinds(self, campaign_ids: Sequence[str]) -> Mapping[str, frozenset[str]]: ...


@dataclass(frozen=True, slots=True)
class Subset:
    """The rows chosen, in row order, and why the others were left out (label -> count)."""

    rows: tuple[int, ...]
    left_out: Mapping[str, int]
    #: The chosen rows by the error code that put them there (a retry; {} for a follow-up).
    by_code: Mapping[int, int]

    def describe_left_out(self) -> str:
        """The left-out counts as one phrase, the most first ("30 delivered, 2 failed 30006
        (Landline or unreachable carrier.)"); '' when none."""
        return ", ".join(f"{n} {label}" for label, n in Counter(self.left_out).most_common())


def candidate_rows(rows: Iterable[RowOutcome]) -> list[int]:
    """A campaign's rows a retry or follow-up may choose from: the ones it texted or tried to
    (not `skipped`), less the canary row."""
    return sorted(
        o.row for o in rows if o.row != CANARY_ROW and o.status != RecipientStatus.SKIPPED
    )


def _label(outcome: RowOutcome) -> str:
    """Why a person is left out: their combined status, and for a failure its code."""
    if outcome.status in statuses.FAILED:
        info = describe(outcome.error_code)
        code = "without a code" if outcome.error_code is None else str(outcome.error_code)
        meaning = f" ({info.meaning.split(' (')[0].rstrip('.')})" if info is not None else ""
        return f"{outcome.status} {code}{meaning}"
    return str(outcome.status)


def retry_subset(
    rows: Iterable[int], people: Mapping[int, RowOutcome], codes: frozenset[int] | None = None
) -> Subset:
    """The rows (of `rows`) whose combined outcome in `people` is a failure a second try can
    change; `codes`: only failures with one of these codes (each worth a second try)."""
    chosen: list[int] = []
    left_out: Counter[str] = Counter()
    by_code: Counter[int] = Counter()
    for row in rows:
        outcome = people[row]
        code = outcome.error_code
        if (
            code is not None
            and outcome.status in statuses.FAILED
            and worth_a_second_try(code)
            and (codes is None or code in codes)
        ):
            chosen.append(row)
            by_code[code] += 1
        else:
            left_out[_label(outcome)] += 1
    return Subset(tuple(chosen), dict(left_out), dict(by_code))


def follow_up_subset(
    rows: Iterable[int],
    people: Mapping[int, RowOutcome],
    who: Who,
    replies: Mapping[str, frozenset[str]] | None = None,
) -> Subset:
    """The rows (of `rows`) `who` names, by their combined outcome in `people` and, for the
    reply choices, `replies` (number -> reply kinds, `ReplyIndex.reply_kinds`)."""
    if who in REPLY_CHOICES and replies is None:
        raise ValueError(f"--who {who} needs the replies")
    answered = replies or {}
    chosen: list[int] = []
    left_out: Counter[str] = Counter()
    for row in rows:
        outcome = people[row]
        kinds = answered.get(outcome.to)
        if who == "delivered":
            wanted = outcome.status in statuses.DELIVERED
        elif who == "failed":
            wanted = outcome.status in statuses.FAILED
        elif who == "replied":
            wanted = bool(kinds)
        elif who == "opted-in":
            wanted = kinds is not None and OPT_IN_KIND in kinds
        else:  # no-reply: the message reached them (or is on its way), and no answer
            wanted = outcome.status in statuses.SENT and not kinds
        if wanted:
            chosen.append(row)
        elif who == "replied":
            left_out["did not reply"] += 1
        elif who == "opted-in":
            left_out["sent no opt-in keyword"] += 1
        else:
            left_out["replied" if kinds and who == "no-reply" else _label(outcome)] += 1
    return Subset(tuple(chosen), dict(left_out), {})
