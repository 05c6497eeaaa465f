"""Status callbacks: the URL a campaign gives Twilio, and what a callback that arrives does.

With `smscast send --status-callback URL`, every message is created with
`StatusCallback = URL?smscast_campaign=<id>&smscast_issued=<epoch>` (`callback_url`): Twilio
signs the whole URL, so the campaign and the time the URL was issued cannot be changed by
anyone without the auth token. `smscast listen` (`campaigns.pipeline.listen`) hands each
request to `ReceiptDesk.receive`, which answers it:
- 403 when it is unsigned, its signature is not Twilio's (forged, or altered on the way), or
  its URL was issued more than `max_age` ago (stale: Twilio has long stopped posting
  receipts for messages that old: a message lives at most its validity period, 10 hours by
  default, 36,000 s, and carriers' receipts come within days at worst) or in the future;
- 200 and nothing changes when the same callback comes again (Twilio's
  `I-Twilio-Idempotency-Token`, kept for the listener's life), or when it would move the row
  backwards (a `sent` after the `delivered`: `statuses.moves_forward`);
- 404 when the message is another campaign's (nothing changes anywhere);
- 200 "held" when the campaign is this journal's but no row has the SID yet: Twilio's
  callback beat the engine's record of the send (its group commit, tens of milliseconds;
  longer when the journal is slow). Twilio does not retry a callback answered 200 (it retries
  only on the failures its connection overrides name, `#rc=..&rp=..`, by default a failed
  connection), and answering an error would not help either: it retries at once, or never.
  So the desk keeps the receipt itself (`HOLD_SECONDS`, 10 minutes, at most `HOLD_MAX`
  messages, one receipt each: the furthest along) and applies it as soon as the journal
  knows the SID (`apply_held`: the listener calls it each second, and the desk on every new
  callback that read the SIDs again), under the same rules as any receipt (forward only,
  idempotent, the campaign the URL names). One held too long, or pushed out by a full hold,
  is dropped with a line in the listener's log: the sweeps still read it;
- else 200, and the receipt is recorded exactly as a sweep's or a poll's (`tally.outcome_of`),
  with a compare-and-set (`Journal.advance`), so a sweep that moved the row meanwhile wins.
Sweeps go on meanwhile at a low rate (`options.CALLBACK_SWEEPS`), for callbacks lost on the way.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from campaigns.errors import InputError
from campaigns.send.tally import outcome_of
from campaigns.store import journal as J
from campaigns.store.statuses import moves_forward
from campaigns.twilio.convert import receipt_from_payload
from campaigns.twilio.models import Receipt

CAMPAIGN_PARAM = "smscast_campaign"
ISSUED_PARAM = "smscast_issued"
#: How old a callback URL may be (seconds): 40 days. Each run issues its own; a message
#: Twilio holds may be sent up to 35 days after it was created (Twilio's scheduling limit),
#: and its receipts come then, with Twilio's retries within hours.
MAX_AGE = 40 * 86400.0
#: Clock skew allowed for an URL issued "in the future" (seconds).
SKEW = 300.0
#: Idempotency tokens remembered (the oldest forgotten first).
_TOKENS = 200_000
#: How long a receipt whose SID no row has yet is held (seconds), and how many messages'
#: receipts are held at most (the oldest dropped first): a few MB at worst.
HOLD_SECONDS = 600.0
HOLD_MAX = 10_000


def callback_url(base: str, campaign_id: str, issued: datetime) -> str:
    """`base` with the campaign and the issue time in its query (before any fragment, which
    holds Twilio's connection overrides such as `#rc=3`)."""
    parts = urlsplit(base)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(CAMPAIGN_PARAM, campaign_id), (ISSUED_PARAM, str(int(issued.timestamp())))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def problem_with_url(url: str) -> str | None:
    """Why `url` cannot be a status callback URL (None: it can)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "it is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it must be an absolute http:// or https:// URL with a host name"
    if "_" in parts.hostname:
        return "Twilio does not allow underscores in its host name"
    return None


@dataclass(frozen=True, slots=True)
class Answer:
    """How a callback was answered: the HTTP status and a short text (for the log).

    `receipt` and `campaign_id`: the receipt of a signed, fresh callback and the campaign its
    URL names (a running engine may take it: `Engine.heard`); `held`: kept until the journal
    knows its SID. An answer from `apply_held` (a held receipt applied or dropped later) has
    `later` set: nobody waits for it, it is only told to the log."""

    status: int
    text: str
    applied: bool = False
    campaign_id: str = ""
    receipt: Receipt | None = None
    held: bool = False
    later: bool = False


@dataclass(slots=True)
class _Held:
    campaign_id: str
    receipt: Receipt
    since: float  # epoch seconds, when it was first held
    tokens: list[str] = field(default_factory=list)


class ReceiptDesk:
    """Receives status callbacks for the campaigns of one journal; see the module docstring.

    `valid(url, params, signature)` is the signature check (`twilio.signatures.SignatureCheck`
    with the auth token); `clock` returns epoch seconds."""

    def __init__(
        self,
        journal: J.Journal,
        valid: Callable[[str, Mapping[str, str], str], bool],
        *,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.time,
        hold_seconds: float = HOLD_SECONDS,
        hold_max: int = HOLD_MAX,
    ) -> None:
        self.journal = journal
        self._valid = valid
        self.max_age = max_age
        self._clock = clock
        self.hold_seconds = hold_seconds
        self.hold_max = hold_max
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._sids: dict[str, dict[str, tuple[int, str]]] = {}
        #: `Journal.write_mark` when each campaign's SIDs were read: they are read again
        #: only once something was written since (at 100,000 rows a read is ~80 ms, and a
        #: receipt held for minutes would read them each second).
        self._read_at: dict[str, tuple[int, int]] = {}
        #: Receipts no row has the SID of yet, by SID, the oldest first (see the module).
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._later: list[Answer] = []  # drops while receiving, told by the next apply_held

    @property
    def held(self) -> int:
        """How many messages' receipts are held now."""
        return len(self._held)

    def receive(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """Answer one callback: `url` as Twilio was given it (scheme, host, path, query)."""
        signature = headers.get("X-Twilio-Signature", "")
        if not signature:
            return Answer(403, "unsigned: not from Twilio")
        if not self._valid(url, form, signature):
            return Answer(403, "bad signature: not from Twilio, or altered on the way")
        query = dict(parse_qsl(urlsplit(url).query))
        campaign_id = query.get(CAMPAIGN_PARAM, "")
        try:
            issued = float(query.get(ISSUED_PARAM, ""))
        except ValueError:
            return Answer(403, "not a callback URL smscast issued")
        age = self._clock() - issued
        if age > self.max_age or age < -SKEW:
            return Answer(403, "stale: issued too long ago")
        token = headers.get("I-Twilio-Idempotency-Token", "")
        if token and token in self._tokens:
            return Answer(200, "already received")
        receipt = receipt_from_payload(dict(form))
        place = self._place(campaign_id, receipt.sid)
        if place is None:
            owner = self.journal.campaign_of_sid(receipt.sid)
            if owner is not None and owner != campaign_id:
                return Answer(404, "not a message of this campaign")
            if campaign_id not in self._sids:  # no such campaign in this journal
                return Answer(200, "not a campaign of this journal: nothing changes")
            # Twilio's callback beat the engine's record of the send (its group commit).
            answer = self._hold(campaign_id, receipt, token)
        else:
            row, _ = place
            answer = self._apply(campaign_id, row, receipt)
            if token:
                self._remember(token)
        return answer

    def _remember(self, token: str) -> None:
        self._tokens[token] = None
        if len(self._tokens) > _TOKENS:
            self._tokens.popitem(last=False)

    def _hold(self, campaign_id: str, receipt: Receipt, token: str) -> Answer:
        """Keep `receipt` until the journal knows its SID (one per message: the furthest
        along; a replay is known by its token while held)."""
        sid = receipt.sid
        held = self._held.get(sid)
        if held is None:
            held = self._held[sid] = _Held(campaign_id, receipt, self._clock())
            while len(self._held) > self.hold_max:
                _, oldest = self._held.popitem(last=False)
                self._later.append(self._dropped(oldest, "the hold is full"))
        elif moves_forward(held.receipt.status, receipt.status):
            held.receipt = receipt
        if token:
            held.tokens.append(token)
            self._remember(token)
        return Answer(
            200,
            f"held: {sid} ({receipt.status}) is not recorded yet",
            campaign_id=campaign_id,
            receipt=receipt,
            held=True,
        )

    def _dropped(self, held: _Held, why: str) -> Answer:
        for token in held.tokens:  # a retry of it may be taken again
            self._tokens.pop(token, None)
        return Answer(
            200,
            f"dropped the held receipt of {held.receipt.sid} ({held.receipt.status}): {why}; "
            "the sweeps read it",
            campaign_id=held.campaign_id,
            later=True,
        )

    def apply_held(self) -> list[Answer]:
        """Apply the held receipts whose SIDs the journal knows now, drop those held longer
        than `hold_seconds`; what happened to each (`later` answers, for the log)."""
        told, self._later = self._later, []
        if not self._held:
            return told
        for campaign_id in {held.campaign_id for held in self._held.values()}:
            if self._read_sids(campaign_id):
                told.extend(self._apply_placed(campaign_id))
        oldest_kept = self._clock() - self.hold_seconds
        for sid, held in list(self._held.items()):
            if held.since >= oldest_kept:
                break  # the oldest first: the rest are younger
            del self._held[sid]
            told.append(self._dropped(held, f"no row had its SID after {self.hold_seconds:g} s"))
        return told

    def _apply_placed(self, campaign_id: str) -> list[Answer]:
        """Apply the campaign's held receipts whose SIDs its (just read) SIDs place."""
        known = self._sids.get(campaign_id, {})
        told: list[Answer] = []
        for sid, held in list(self._held.items()):
            place = known.get(sid) if held.campaign_id == campaign_id else None
            if place is None:
                continue
            del self._held[sid]
            answer = self._apply(campaign_id, place[0], held.receipt)
            told.append(
                Answer(
                    answer.status,
                    f"held {sid}: {answer.text}",
                    answer.applied,
                    campaign_id=campaign_id,
                    receipt=held.receipt,
                    later=True,
                )
            )
        return told

    def _place(self, campaign_id: str, sid: str) -> tuple[int, str] | None:
        """(row, status when read) of `sid` in the campaign; the SIDs are read again when one
        is not known (messages sent since)."""
        known = self._sids.get(campaign_id)
        if known is None:
            try:
                self.journal.campaign(campaign_id)
            except InputError:
                return None  # no such campaign in this journal
        if (known is None or sid not in known) and self._read_sids(campaign_id):
            known = self._sids[campaign_id]
            if self._held:  # read again: the held receipts it now places are applied too
                self._later.extend(self._apply_placed(campaign_id))
        return known.get(sid) if known is not None else None

    def _read_sids(self, campaign_id: str) -> bool:
        """Read the campaign's SIDs again, unless nobody wrote since the last read; whether
        they were read."""
        version = self.journal.write_mark()
        if campaign_id in self._sids and self._read_at.get(campaign_id) == version:
            return False
        self._sids[campaign_id] = self.journal.sids(campaign_id)
        self._read_at[campaign_id] = version
        return True

    def _apply(self, campaign_id: str, row: int, receipt: Receipt) -> Answer:
        outcome = outcome_of(row, receipt)
        text, applied = "no change (moved meanwhile)", False
        for _ in range(3):  # the row may move between the read and the write
            current = self.journal.status_of(campaign_id, row)
            if current is None or not moves_forward(current, outcome.status):
                text = f"no change ({current} stays)"
                break
            if self.journal.advance(campaign_id, outcome, was=current):
                text, applied = f"{current} -> {outcome.status}", True
                break
        return Answer(200, text, applied, campaign_id=campaign_id, receipt=receipt)
