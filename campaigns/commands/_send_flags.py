"""The flags `smscast send` and `smscast resume` share. Light on purpose: `register` imports
this module, and `smscast --help` must stay quick (the engine is imported only by `run`)."""

from __future__ import annotations

import argparse


def add_engine_arguments(parser: argparse.ArgumentParser, *, resuming: bool = False) -> None:
    """Flags that shape a run (shared by send and resume; resume defaults to the stored ones)."""
    stored = " (default: as the campaign was started)" if resuming else ""
    parser.add_argument(
        "--rate",
        default=None if resuming else "auto",
        metavar="auto|N|max",
        help="segments per second: auto = the sender's throughput (default), N = never more "
        f"than N in any second, max = only the concurrency bound{stored}",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None if resuming else 10,
        metavar="N",
        help=f"requests in flight at most (default 10){stored}",
    )
    parser.add_argument(
        "--track",
        type=float,
        default=None if resuming else 120.0,
        metavar="SECONDS",
        help="wait up to this long after sending for delivery receipts (default 120; 0 = don't)"
        + stored,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="give up on one request after this long, then check with Twilio (default 15)",
    )
    parser.add_argument(
        "--yes", "-y", action="store_true", help="do not ask for confirmation (for scripts)"
    )
    parser.add_argument("--json", action="store_true", help="JSON-lines events on stdout")
    parser.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")


def add_new_campaign_argument(parser: argparse.ArgumentParser) -> None:
    """`--new-campaign`: start a campaign even though the journal holds the same one
    (`campaigns.repeats`), unfinished or ended within the last day."""
    parser.add_argument(
        "--new-campaign",
        action="store_true",
        help="start a new campaign even though the journal holds one of this file and template "
        "that is not over (paused, ...) or ended recently; without it, send refuses and says "
        "how to resume that one",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
