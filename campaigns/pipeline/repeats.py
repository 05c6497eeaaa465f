"""Sending what was already sent: the check both faces make before they create a campaign.

Re-running `smscast send` after Ctrl-C started a new campaign and texted everyone who already
had the message (53 of 53). Before a campaign is created, `find_repeat` asks the journal for
one that is the same (this contacts file, by its SHA-256, and this template) and is either not
over (`smscast resume` goes on with it) or ended less than `REPEAT_WINDOW` ago. If there is one,
`smscast send --send` refuses (unless `--new-campaign`), the dry run warns, and the app asks.

The sender is deliberately not part of "the same": the person gets the same text twice
whichever number it comes from.

It also counts the planned recipients that *another* campaign texted in the last
`RECENT_WINDOW` (another template, another file holding the same people): a warning, never an
exclusion, since a second, different message may well be meant.

A retry or a follow-up (`campaigns.store.lineage`) has the same protection, by its parent
(`find_derived_repeat`): "the same" is another retry of that parent, or another follow-up of
it with this template, not over or ended within `REPEAT_WINDOW`; and the campaigns it was made
from are not "another campaign" for the recent-contacts warning (texting them again is the
point).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.errors import InputError
from campaigns.store.journal import (
    PENDING,
    SKIPPED,
    TEXTED_STATUSES,
    UNFINISHED_STATES,
    Campaign,
    Journal,
    now_utc,
)
from campaigns.untrusted import excerpt

#: A finished or canceled campaign is "the same" as a new one for this long after it ended.
REPEAT_WINDOW = timedelta(hours=24)
#: Recipients another campaign texted within this long are pointed out before sending.
RECENT_WINDOW = timedelta(hours=24)
#: At most this many campaign ids are named in the recent-contacts warning.
_NAMED = 3


@dataclass(frozen=True, slots=True)
class Repeat:
    """What the journal already did with this file, template and audience."""

    #: The same campaign (unfinished, or ended within `REPEAT_WINDOW`), newest; or None.
    campaign: Campaign | None
    #: Its recipients by status.
    counts: Mapping[str, int]
    #: How many of the planned recipients it texted already (they would get it twice).
    again: int
    #: How many recipients are planned now.
    planned: int
    #: How many of the planned recipients OTHER campaigns texted within `RECENT_WINDOW`.
    recent: int = 0
    #: Those campaigns' ids, the most recipients first.
    recent_campaigns: tuple[str, ...] = ()
    #: For a retry or follow-up: its kind and the parent it repeats (None for `send`).
    derived_kind: str | None = None
    parent_id: str | None = None

    @property
    def resumable(self) -> bool:
        """True when the same campaign is not over: resuming it is the way on."""
        return self.campaign is not None and self.campaign.state in UNFINISHED_STATES

    def describe(self) -> str:
        """A sentence naming the same campaign, its state and counts, and who would be texted
        twice; '' when there is none. Each face adds its own way on (resume, a flag, a button)."""
        campaign = self.campaign
        if campaign is None:
            return ""
        if self.derived_kind is not None:
            return self._describe_derived(campaign)
        total = sum(n for status, n in self.counts.items() if status != SKIPPED)
        texted = sum(n for status, n in self.counts.items() if status in TEXTED_STATUSES)
        source = excerpt(campaign.source_name.rsplit("/", 1)[-1], 60)
        started = f"{campaign.created_at:%Y-%m-%d %H:%M} UTC"
        if self.resumable:
            pending = self.counts.get(PENDING, 0)
            text = (
                f"Campaign {campaign.id} already sends this template to this contacts file "
                f"({source}) and is not over: {campaign.state}, {texted} of {total} texted, "
                f"{pending} still to send (started {started})."
            )
            if self.again:
                text += f" A new campaign would text those {self.again} a second time."
            return text
        ended = f"{campaign.finished_at:%Y-%m-%d %H:%M} UTC" if campaign.finished_at else "?"
        return (
            f"Campaign {campaign.id} ({campaign.state} at {ended}: {texted} of {total} texted) "
            f"sent this template to this contacts file ({source}); {self.again} of the "
            f"{self.planned} you are about to text would get the message a second time."
        )

    def _describe_derived(self, campaign: Campaign) -> str:
        total = sum(n for status, n in self.counts.items() if status != SKIPPED)
        texted = sum(n for status, n in self.counts.items() if status in TEXTED_STATUSES)
        what = f"Campaign {campaign.id} is a {self.derived_kind} of {self.parent_id}"
        if self.resumable:
            text = (
                f"{what} and is not over: {campaign.state}, {texted} of {total} texted, "
                f"{self.counts.get(PENDING, 0)} still to send."
            )
        else:
            ended = f"{campaign.finished_at:%Y-%m-%d %H:%M} UTC" if campaign.finished_at else "?"
            text = f"{what} already ({campaign.state} at {ended}: {texted} of {total} texted)."
        if self.again:
            text += f" {self.again} of the {self.planned} you are about to text would get it twice."
        return text

    def recent_note(self) -> str:
        """The recent-contacts warning; '' when no planned recipient was texted recently."""
        if not self.recent:
            return ""
        hours = int(RECENT_WINDOW.total_seconds() // 3600)
        named = ", ".join(self.recent_campaigns[:_NAMED])
        more = len(self.recent_campaigns) - _NAMED
        if more > 0:
            named += f" and {more} more"
        return (
            f"{self.recent} of the {self.planned} you are about to text were texted in the last "
            f"{hours} hours by another campaign ({named}). Not excluded: check it is meant."
        )


class RepeatCampaignError(InputError):
    """A campaign would repeat one in the journal (`Repeat.campaign`); the faces say how on."""

    def __init__(self, repeat: Repeat, hint: str | None = None) -> None:
        super().__init__(repeat.describe(), hint)
        self.repeat = repeat


def find_repeat(
    journal: Journal,
    *,
    source_sha256: str,
    template: str,
    numbers: Iterable[str],
    now: datetime | None = None,
) -> Repeat:
    """Look in the journal for the same campaign and for recent texts to these `numbers`
    (the planned recipients' E.164 numbers)."""
    now = now or now_utc()
    planned = set(numbers)
    same = journal.same_campaigns(
        source_sha256=source_sha256, template=template, ended_since=now - REPEAT_WINDOW
    )
    campaign = same[0] if same else None
    counts: dict[str, int] = {}
    again = 0
    if campaign is not None:
        counts = journal.counts(campaign.id)
        again = len(planned & journal.texted_numbers(campaign.id))
    besides = campaign.id if campaign is not None else None
    recent = journal.texted_since(now - RECENT_WINDOW, besides=besides)
    by_campaign = Counter(cid for number, cid in recent.items() if number in planned)
    return Repeat(
        campaign=campaign,
        counts=counts,
        again=again,
        planned=len(planned),
        recent=sum(by_campaign.values()),
        recent_campaigns=tuple(cid for cid, _ in by_campaign.most_common()),
    )


def find_derived_repeat(
    journal: Journal,
    *,
    parent_id: str,
    kind: str,
    template: str,
    numbers: Iterable[str],
    lineage: Iterable[str] = (),
    now: datetime | None = None,
) -> Repeat:
    """The repeat check of a retry or follow-up of `parent_id` (see the module docstring);
    `lineage`: the campaigns it was made from (the parent's own ancestors and chain), left out
    of the recent-contacts count."""
    now = now or now_utc()
    planned = set(numbers)
    since = now - REPEAT_WINDOW
    same = [
        c
        for c in reversed(journal.children(parent_id))
        if c.kind == kind
        and (kind == "retry" or c.template == template)
        and (c.state in UNFINISHED_STATES or (c.finished_at is not None and c.finished_at >= since))
    ]
    campaign = same[0] if same else None
    counts: dict[str, int] = {}
    again = 0
    if campaign is not None:
        counts = journal.counts(campaign.id)
        again = len(planned & journal.texted_numbers(campaign.id))
    besides = {parent_id, *lineage, *([campaign.id] if campaign is not None else [])}
    recent = journal.texted_since(now - RECENT_WINDOW, besides=sorted(besides))
    by_campaign = Counter(cid for number, cid in recent.items() if number in planned)
    return Repeat(
        campaign=campaign,
        counts=counts,
        again=again,
        planned=len(planned),
        recent=sum(by_campaign.values()),
        recent_campaigns=tuple(cid for cid, _ in by_campaign.most_common()),
        derived_kind=kind,
        parent_id=parent_id,
    )
