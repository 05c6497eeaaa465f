"""The flags `smscast send` and `smscast resume` share. Light on purpose: `register` imports
this module, and `smscast --help` must stay quick (the engine is imported only by `run`)."""

from __future__ import annotations

import argparse
import math

from campaigns.config.settings import timeout_seconds


def add_engine_arguments(parser: argparse.ArgumentParser, *, resuming: bool = False) -> None:
    """Flags that shape a run (shared by send and resume; resume defaults to the stored ones)."""
    stored = " (default: as the campaign was started)" if resuming else ""
    parser.add_argument(
        "--rate",
        default=None if resuming else "auto",
        type=rate,
        metavar="auto|N|max",
        help="segments per second: auto = the sender's throughput (default), N = never more "
        f"than N in any second, max = only the concurrency bound{stored}",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=None if resuming else 10,
        metavar="N",
        help=f"requests in flight at most (default 10){stored}",
    )
    parser.add_argument(
        "--track",
        type=seconds_or_zero,
        default=None if resuming else 120.0,
        metavar="SECONDS",
        help="wait up to this long after sending for delivery receipts (default 120; 0 = don't)"
        + stored,
    )
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
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
    (`campaigns.pipeline.repeats`), unfinished or ended within the last day."""
    parser.add_argument(
        "--new-campaign",
        action="store_true",
        help="start a new campaign even though the journal holds one of this file and template "
        "that is not over (paused, ...) or ended recently; without it, send refuses and says "
        "how to resume that one",
    )


# --- argparse types: a bad value is a usage error (exit 2) that names the flag -------------
# Each raises `argparse.ArgumentTypeError`, which argparse turns into
# "smscast send: error: argument --limit: must be ...". Numbers are ASCII digits only:
# Python's int() and float() also take "١٥" or "１５", which nobody types on purpose.


def _whole_number(text: str) -> int | None:
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit():
        return int(cleaned)
    return None


def positive_int(text: str) -> int:
    """A whole number, at least 1 (--concurrency, --limit)."""
    value = _whole_number(text)
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def count(text: str) -> int:
    """A whole number, 0 or more (--canary)."""
    value = _whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more, not {text!r}")
    return value


def seconds_or_zero(text: str) -> float:
    """A finite number of seconds, 0 or more (--track; 0 = don't)."""
    cleaned = text.strip()
    try:
        value = float(cleaned) if cleaned.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds, 0 or more (such as 120), not {text!r}"
        )
    return value


def rate(text: str) -> str:
    """`auto`, `max` or a positive number of segments per second (--rate); the text itself is
    kept (the run resolves `auto` against the sender)."""
    from campaigns.send.pacing import RateChoice

    try:
        if not text.isascii():
            raise ValueError(text)
        RateChoice.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be auto, max or a positive number of segments per second, not {text!r}"
        ) from None
    return text


def quiet_hours(text: str) -> str:
    """An `HH:MM-HH:MM` sending window or `off` (--quiet-hours), checked now (the text itself
    is kept: the run parses it again and stores it)."""
    from campaigns.audience.quiet_hours import QuietHours
    from campaigns.errors import InputError

    try:
        QuietHours.parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.full()) from None
    return text


def region(text: str) -> str:
    """A country code that phone numbers know (--region), upper-cased."""
    import phonenumbers  # light: metadata loads lazily

    code = text.strip().upper()
    if not code.isascii() or code not in phonenumbers.SUPPORTED_REGIONS:
        raise argparse.ArgumentTypeError(
            f"unknown region {text!r} (use a two-letter country code like US, GB, DE)"
        )
    return code
