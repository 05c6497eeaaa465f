"""`campaigns.pipeline.repeats`: the journal's answer to "was this already sent?", which
both faces ask
before creating a campaign."""

from __future__ import annotations

from pathlib import Path

from campaigns.pipeline.repeats import RECENT_WINDOW, REPEAT_WINDOW, find_repeat
from campaigns.store import journal as J

PHONES = [f"+1415300{i:04d}" for i in range(6)]


def _campaign(journal: J.Journal, template: str = "Hi {name}", sha: str = "ab" * 32) -> str:
    return journal.create_campaign(
        template=template,
        source_name="/data/contacts.csv",
        source_sha256=sha,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={},
        recipients=[J.NewRecipient(i + 2, p, f"Hi {i}", 1, 0.0079) for i, p in enumerate(PHONES)],
    )


def _texted(journal: J.Journal, cid: str, rows: range) -> None:
    journal.apply(cid, intents=[J.Intent(r, J.now_utc()) for r in rows])
    journal.apply(cid, [J.Outcome(r, "delivered", sid=f"SM{r:032d}") for r in rows])


def _find(journal: J.Journal, template: str = "Hi {name}", **kw: object) -> object:
    return find_repeat(journal, source_sha256="ab" * 32, template=template, numbers=PHONES, **kw)


def test_an_unfinished_campaign_is_the_same_campaign_at_any_age(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        assert _find(journal).campaign is None  # an empty journal: nothing to repeat
        cid = _campaign(journal)
        _texted(journal, cid, range(2, 5))  # rows 2-4 texted
        journal.set_state(cid, J.PAUSED)
        later = J.now_utc() + 30 * REPEAT_WINDOW  # paused a month ago: still not over
        repeat = _find(journal, now=later)
        assert repeat.campaign.id == cid and repeat.resumable
        assert repeat.again == 3 and repeat.planned == 6
        text = repeat.describe()
        assert f"Campaign {cid} already sends this template" in text
        assert "paused, 3 of 6 texted, 3 still to send" in text and "contacts.csv" in text
        assert "would text those 3 a second time" in text
        assert _find(journal, template="Another").campaign is None  # another template
        assert (
            find_repeat(  # another file (by content)
                journal, source_sha256="cd" * 32, template="Hi {name}", numbers=PHONES
            ).campaign
            is None
        )


def test_an_ended_campaign_is_the_same_for_a_day(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = _campaign(journal)
        _texted(journal, cid, range(2, 8))
        journal.set_state(cid, J.FINISHED)
        repeat = _find(journal)
        assert repeat.campaign.id == cid and not repeat.resumable
        assert "6 of the 6 you are about to text would get the message a second time" in (
            repeat.describe()
        )
        assert _find(journal, now=J.now_utc() + REPEAT_WINDOW * 1.01).campaign is None
        journal.set_state(cid, J.CANCELED)  # canceled is over too, and as much a repeat
        assert _find(journal).campaign.id == cid


def test_people_texted_recently_by_another_campaign_are_counted(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        other = _campaign(journal, template="Another message")
        _texted(journal, other, range(2, 4))  # two of ours, just now
        repeat = _find(journal)
        assert repeat.campaign is None and repeat.recent == 2
        assert repeat.recent_campaigns == (other,)
        note = repeat.recent_note()
        assert "2 of the 6 you are about to text were texted in the last 24 hours" in note
        assert other in note
        assert _find(journal, now=J.now_utc() + RECENT_WINDOW * 1.01).recent == 0
        # The same campaign's own texts are counted as `again`, not again as `recent`.
        same = _campaign(journal)
        _texted(journal, same, range(2, 3))
        repeat = _find(journal)
        assert repeat.campaign.id == same and repeat.again == 1 and repeat.recent == 2
