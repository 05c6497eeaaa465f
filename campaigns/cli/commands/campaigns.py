"""`smscast campaigns [--json]`: the campaigns in the journal, newest first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypedDict


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
    with Journal.open(db_path, read_only=True) as journal:
        rows: list[_CampaignRow] = []
        for c in journal.campaigns():
            counts = journal.counts(c.id)
            by_kind = journal.reply_counts(c.id)
            rows.append(
                {
                    "campaign_id": c.id,
                    "created_at": c.created_at.isoformat(),
                    "state": journal.shown_state(c),
                    "source": Path(c.source_name).name,
                    "sender": c.messaging_service_sid or c.sender,
                    "total": statuses.to_text(counts),
                    "counts": counts,
                    "replies": sum(by_kind.values()),
                    "opted_out": by_kind.get("opt-out", 0),
                }
            )
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
    print("Details: smscast status ID    Go on: smscast resume ID")
    return 0
