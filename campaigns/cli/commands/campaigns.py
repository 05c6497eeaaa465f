"""`smscast campaigns [--json]`: the campaigns in the journal, newest first.

A retry or follow-up names the campaign it came from; a campaign that has retries also shows
its chain's combined outcome, each person counted once (`campaigns.store.lineage`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NotRequired, TypedDict


class _Chain(TypedDict):
    """A campaign and its retries: each person once, by their best outcome across them."""

    campaigns: list[str]
    people: int
    counts: dict[str, int]


class _CampaignRow(TypedDict):
    """One campaign as listed (and as one `--json` line)."""

    campaign_id: str
    created_at: str
    state: str
    source: str
    sender: str | None
    total: int
    counts: dict[str, int]
    replies: int
    opted_out: int
    #: The campaign it is a retry or follow-up of, and which (None, None for a file's).
    parent_id: str | None
    kind: str | None
    #: Only for a campaign that has retries.
    chain: NotRequired[_Chain]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast campaigns` (imports nothing heavy)."""
    p = subparsers.add_parser(
        "campaigns",
        help="list past campaigns",
        description="List the campaigns in the journal, newest first, with their counts.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the list; exit 0 (also when it is empty)."""
    from campaigns.store import statuses
    from campaigns.store.journal import Journal, default_db_path
    from campaigns.untrusted import json_dumps, visible

    if args.db_path:
        db_path = Path(args.db_path).expanduser()
    else:
        from campaigns.config.settings import load_settings

        try:
            db_path = load_settings().db_path
        except Exception:
            db_path = default_db_path()
    from campaigns.store import lineage

    with Journal.open(db_path, read_only=True) as journal:
        rows: list[_CampaignRow] = []
        every = journal.campaigns()
        known = lineage.by_id(every)
        for c in every:
            counts = journal.counts(c.id)
            by_kind = journal.reply_counts(c.id)
            row: _CampaignRow = {
                "campaign_id": c.id,
                "created_at": c.created_at.isoformat(),
                "state": journal.shown_state(c),
                "source": Path(c.source_name).name,
                "sender": c.messaging_service_sid or c.sender,
                "total": statuses.to_text(counts),
                "counts": counts,
                "replies": sum(by_kind.values()),
                "opted_out": by_kind.get("opt-out", 0),
                "parent_id": c.parent_id,
                "kind": c.kind,
            }
            chain = lineage.chain_of(known, c.id)
            if chain.root.id == c.id and chain.retries:
                outcome = lineage.chain_outcome(journal, c.id, known)
                combined = outcome.counts()
                row["chain"] = {
                    "campaigns": list(chain.ids),
                    "people": statuses.to_text(combined),
                    "counts": combined,
                }
            rows.append(row)
    if args.json:
        for row in rows:
            sys.stdout.write(json_dumps(row) + "\n")
        return 0
    if not rows:
        print(
            f"No campaigns yet in {visible(db_path)}. Start one with 'smscast send CONTACTS.csv'."
        )
        return 0
    print(
        f"{'ID':<16} {'CREATED (UTC)':<17} {'STATE':<11} {'TOTAL':>6}  {'SENT':>6}"
        f"  {'REPLIES':>7}  {'OPT-OUT':>7}  FILE"
    )
    for row in rows:
        sent = statuses.count_of(row["counts"], statuses.SENT)
        print(
            f"{row['campaign_id']:<16} {row['created_at'][:16].replace('T', ' '):<17} "
            f"{row['state']:<11} {row['total']:>6}  {sent:>6}  {row['replies']:>7}"
            f"  {row['opted_out']:>7}  {visible(row['source'])}"
        )
        if row["parent_id"]:
            print(f"  {row['kind']} of {row['parent_id']}")
        if "chain" in row:
            print(f"  {_chain_line(row['chain'])}")
    print("Details: smscast status ID    Go on: smscast resume ID")
    return 0


def _chain_line(chain: _Chain) -> str:
    """The chain's combined outcome, each person once (`campaigns.store.lineage`)."""
    from campaigns.store.lineage import chain_sentence

    return chain_sentence(len(chain["campaigns"]) - 1, chain["counts"])
