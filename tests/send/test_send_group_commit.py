"""The group commit on its own, on a real journal: outcomes and intents in one transaction,
written only when asked; what was taken is not written twice."""

from __future__ import annotations

from pathlib import Path

from engine_support import campaign, open_journal

from campaigns.send.group_commit import GroupCommit
from campaigns.store import journal as J


def _campaign(tmp_path: Path) -> tuple[J.Journal, str]:
    journal = open_journal(tmp_path)
    return journal, campaign(journal, ["+15550000001", "+15550000002", "+15550000003"])


async def test_intents_and_gathered_outcomes_are_committed_together(tmp_path: Path) -> None:
    journal, cid = _campaign(tmp_path)
    rows = [r.row for r in journal.recipients(cid)]
    commits = GroupCommit(journal, cid)
    commits.open()
    try:
        await commits.commit([J.Intent(rows[0], J.now_utc()), J.Intent(rows[1], J.now_utc())])
        assert journal.counts(cid) == {"inflight": 2, "pending": 1}
        commits.gathered.append(J.Outcome(rows[0], "sent", sid="SM1"))
        assert journal.counts(cid)["inflight"] == 2  # gathered, not yet written
        await commits.commit([J.Intent(rows[2], J.now_utc())])
        assert journal.counts(cid) == {"inflight": 2, "sent": 1}
        assert commits.gathered == []
        commits.gathered.append(J.Outcome(rows[1], J.PENDING))
        commits.flush()
        commits.gathered.append(J.Outcome(rows[2], "sent", sid="SM3"))
        commits.drop()
        commits.flush()
        assert journal.counts(cid) == {"inflight": 1, "pending": 1, "sent": 1}
    finally:
        commits.close()
        journal.close()
