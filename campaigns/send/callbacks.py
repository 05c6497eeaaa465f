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
- 404 when the message is another campaign's (nothing changes anywhere); 200 and nothing
  changes when no campaign knows it yet (a callback can beat the engine's record of the
  send by a few milliseconds: the sweeps place that one);
- else 200, and the receipt is recorded exactly as a sweep's or a poll's (`tally.outcome_of`),
  with a compare-and-set (`Journal.advance`), so a sweep that moved the row meanwhile wins.
Sweeps go on meanwhile at a low rate (`options.CALLBACK_SWEEPS`), for callbacks lost on the way.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from campaigns.errors import InputError
from campaigns.send.tally import outcome_of
from campaigns.store import journal as J
from campaigns.store.statuses import moves_forward
from campaigns.twilio.convert import receipt_from_payload

CAMPAIGN_PARAM = "smscast_campaign"
ISSUED_PARAM = "smscast_issued"
#: How old a callback URL may be (seconds): a week.
MAX_AGE = 7 * 86400.0
#: Clock skew allowed for an URL issued "in the future" (seconds).
SKEW = 300.0
#: Idempotency tokens remembered (the oldest forgotten first).
_TOKENS = 200_000


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
    """How a callback was answered: the HTTP status and a short text (for the log)."""

    status: int
    text: str
    applied: bool = False


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
    ) -> None:
        self.journal = journal
        self._valid = valid
        self.max_age = max_age
        self._clock = clock
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._sids: dict[str, dict[str, tuple[int, str]]] = {}

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
            # Twilio's callback beat the engine's record of the send (its group commit), or
            # the message is nobody's here: nothing to change; the sweeps place it.
            return Answer(200, "not known yet: left to the sweeps")
        row, _ = place
        answer = self._apply(campaign_id, row, receipt)
        if token:
            self._tokens[token] = None
            if len(self._tokens) > _TOKENS:
                self._tokens.popitem(last=False)
        return answer

    def _place(self, campaign_id: str, sid: str) -> tuple[int, str] | None:
        """(row, status when read) of `sid` in the campaign; the SIDs are read again when one
        is not known (messages sent since)."""
        known = self._sids.get(campaign_id)
        if known is None or sid not in known:
            try:
                self.journal.campaign(campaign_id)
            except InputError:
                return None  # no such campaign in this journal
            known = self.journal.sids(campaign_id)
            self._sids[campaign_id] = known
        return known.get(sid)

    def _apply(self, campaign_id: str, row: int, receipt: object) -> Answer:
        outcome = outcome_of(row, receipt)
        for _ in range(3):  # the row may move between the read and the write
            current = self.journal.status_of(campaign_id, row)
            if current is None or not moves_forward(current, outcome.status):
                return Answer(200, f"no change ({current} stays)")
            if self.journal.advance(campaign_id, outcome, was=current):
                return Answer(200, f"{current} -> {outcome.status}", applied=True)
        return Answer(200, "no change (moved meanwhile)")
