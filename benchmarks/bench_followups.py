"""Benchmark: choosing a retry's and a follow-up's people from a big campaign and its retries.

Usage: python benchmarks/bench_followups.py [--rows 100000]

Writes a journal with a campaign of N recipients (a realistic mix: 85% delivered, 10%
undelivered over four codes, 5% failed) and one retry of its undelivered 30003s, half of
them delivered on the second try. Then times, in the same run:
- baseline: `Journal.recipients` of the campaign (reading its rows once, the least any
  selection must do);
- `chain_outcome` (each person's combined outcome across the chain);
- `retry_source` and `follow_up_source(--who delivered)` (the subset and its contact book,
  what `smscast retry ID` / `follow-up ID` do before the plan).
Target: each selection within a few times the baseline (it reads the rows of the chain and
builds one contact per chosen person).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from campaigns.pipeline.followups import follow_up_source, reply_index, retry_source
from campaigns.store import journal as J
from campaigns.store.lineage import chain_outcome

_CODES = (30003, 30005, 30006, 30007)


def _build(db: Path, rows: int) -> str:
    rng = random.Random(7)
    with J.Journal.open(db) as journal:
        people = [
            J.NewRecipient(
                row,
                f"+1415{2_000_000 + row:07d}",
                f"Hi {row}",
                1,
                0.0079,
                {"name": f"P{row}", "phone": f"+1415{2_000_000 + row:07d}"},
            )
            for row in range(2, rows + 2)
        ]
        root = journal.create_campaign(
            template="Hi {name}",
            source_name="people.csv",
            source_sha256="e" * 64,
            sender="+15017122661",
            messaging_service_sid=None,
            settings={"columns": ["name", "phone"], "phone_column": "phone", "region": "US"},
            recipients=people,
        )
        outcomes, unreachable = [], []
        for p in people:
            draw = rng.random()
            if draw < 0.85:
                outcomes.append(J.Outcome(p.row, "delivered"))
            else:
                code = rng.choice(_CODES)
                status = "undelivered" if draw < 0.95 else "failed"
                outcomes.append(J.Outcome(p.row, status, error_code=code))
                if code == 30003:
                    unreachable.append(p)
        journal.apply(root, outcomes=outcomes)
        journal.set_state(root, J.FINISHED)
        retry = journal.create_campaign(
            template="Hi {name}",
            source_name="people.csv",
            source_sha256="e" * 64,
            sender="+15017122661",
            messaging_service_sid=None,
            settings={},
            recipients=unreachable,
            parent_id=root,
            kind="retry",
        )
        journal.apply(
            retry,
            outcomes=[
                J.Outcome(p.row, "delivered" if i % 2 else "undelivered", error_code=30003)
                for i, p in enumerate(unreachable)
            ],
        )
        journal.set_state(retry, J.FINISHED)
        return root


def _timed(label: str, action: object, baseline: float | None = None) -> float:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    took = time.perf_counter() - start
    ratio = f"  ({took / baseline:.1f}x the baseline)" if baseline else ""
    print(f"  {label:<44} {took * 1000:8.0f} ms{ratio}   -> {result}")
    return took


def _thanks(journal: J.Journal, root: str) -> str:
    chosen = follow_up_source(
        journal, root, who="delivered", replies=reply_index, region="US"
    ).subset.rows
    return f"{len(chosen):,} to follow up"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        root = _build(db, args.rows)
        print(f"{args.rows:,} recipients and one retry, journal {db.stat().st_size >> 20} MB")
        with J.Journal.open(db) as journal:
            base = _timed(
                "baseline: Journal.recipients (read once)",
                lambda: f"{len(journal.recipients(root)):,} rows",
            )
            _timed(
                "chain_outcome (combined per person)",
                lambda: f"{len(chain_outcome(journal, root).people):,} people",
                base,
            )
            _timed(
                "retry_source (subset + contact book)",
                lambda: (
                    f"{len(retry_source(journal, root, codes=None, region='US').subset.rows):,}"
                    " to retry"
                ),
                base,
            )
            _timed("follow_up_source --who delivered", lambda: _thanks(journal, root), base)


if __name__ == "__main__":
    main()
