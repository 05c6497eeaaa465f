"""The flags commands share: the run's (`send`, `resume`), the credentials and `--timeout`
(every command that talks to Twilio), and the argparse types that check them.

Light on purpose: `register` imports this module, and `smscast --help` must stay quick (the
engine is imported only by `run`)."""

from __future__ import annotations

import argparse
import dataclasses
import math
from typing import Any

from campaigns.config.settings import Settings, load_settings


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


def add_new_campaign_argument(
    parser: argparse.ArgumentParser,
    help: str = "start a new campaign even though the journal holds one of this file and "
    "template that is not over (paused, ...) or ended recently; without it, send refuses and "
    "says how to resume that one",
) -> None:
    """`--new-campaign`: start a campaign even though the journal holds the same one
    (`campaigns.pipeline.repeats`), unfinished or ended within the last day; `help` says what
    "the same" is for the command (send's words by default)."""
    parser.add_argument("--new-campaign", action="store_true", help=help)


# --- the settings: credentials and the request timeout ------------------------------------


def add_sheet_argument(parser: argparse.ArgumentParser) -> None:
    """`--sheet NAME|N`: which sheet of a spreadsheet holds the contacts (check, preview, send);
    without it, the first sheet with data. A CSV or vCard given with it is refused."""
    parser.add_argument(
        "--sheet",
        metavar="NAME|N",
        help="the sheet of a spreadsheet to read: its name or number from 1 "
        "(default: the first sheet with data)",
    )


def add_credential_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every command that talks to Twilio shares (all optional)."""
    group = parser.add_argument_group(
        "Twilio credentials (default: environment, .env, then the config file)"
    )
    group.add_argument("--account-sid", metavar="AC...", help="account SID")
    group.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="auth token (prefer TWILIO_AUTH_TOKEN: flags show in 'ps')",
    )
    group.add_argument("--api-key", metavar="SK...", help="API key SID (instead of the token)")
    group.add_argument("--api-secret", metavar="SECRET", help="API key secret")
    group.add_argument(
        "--base-url", metavar="URL", help="another Twilio API base, e.g. a 'smscast sandbox'"
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        dest="config_path",
        help="config file (default: SMSCAST_CONFIG or the user config dir)",
    )


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """`load_settings` with whatever credential flags `args` carries (absent ones are None)."""
    names = (
        "account_sid",
        "auth_token",
        "api_key",
        "api_secret",
        "from_number",
        "messaging_service_sid",
        "base_url",
        "region",
        "data_dir",
        "db_path",
        "config_path",
    )
    flags = {name: getattr(args, name, None) for name in names}
    flags.update(overrides)
    settings = load_settings(**flags)
    timeout = getattr(args, "timeout", None)
    if timeout is not None:
        settings = dataclasses.replace(settings, request_timeout=float(timeout))
    return settings


def add_timeout_argument(parser: argparse.ArgumentParser) -> None:
    """`--timeout SECONDS` for a command whose only requests are reads (`smscast account`)."""
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=None,
        metavar="SECONDS",
        help="give up on one request after this long (default 15); reads are retried a few "
        "times on rate limits and server errors",
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


def when(text: str) -> str:
    """A `--at` date and time (`YYYY-MM-DD HH:MM`), checked now; read in its zone later."""
    from datetime import UTC

    from campaigns.errors import InputError
    from campaigns.send.schedule import parse_at

    try:
        parse_at(text, UTC)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.full()) from None
    return text


def local_time(text: str) -> str:
    """An `--at-local` time (`HH:MM`, or `YYYY-MM-DD HH:MM`), checked now."""
    from campaigns.errors import InputError
    from campaigns.send.schedule import parse_at_local

    try:
        parse_at_local(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.full()) from None
    return text


def time_zone(text: str) -> str:
    """An IANA time zone name this computer knows (`--tz`)."""
    from campaigns.errors import InputError
    from campaigns.send.schedule import operator_zone

    try:
        operator_zone(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.full()) from None
    return text


def add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    """`--at`, `--at-local`, `--tz` (smscast send)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--at",
        type=when,
        metavar="'YYYY-MM-DD HH:MM'",
        help="send at this time (your time zone, or --tz); see 'Scheduling' in the README",
    )
    group.add_argument(
        "--at-local",
        type=local_time,
        metavar="HH:MM",
        help="send at this time on each recipient's own clock (inside the sending window)",
    )
    parser.add_argument(
        "--tz", type=time_zone, metavar="ZONE", help="the time zone --at is in (IANA name)"
    )


def region(text: str) -> str:
    """A country code that phone numbers know (--region), upper-cased."""
    import phonenumbers  # light: metadata loads lazily

    code = text.strip().upper()
    if not code.isascii() or code not in phonenumbers.SUPPORTED_REGIONS:
        raise argparse.ArgumentTypeError(
            f"unknown region {text!r} (use a two-letter country code like US, GB, DE)"
        )
    return code


def timeout_seconds(text: str) -> float:
    """`--timeout`: a positive, finite number of seconds (an argparse `type=`, so a bad value
    is a usage error that names the flag)."""
    value = _number(text)
    if value is None or not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds, such as 15, not {text!r}"
        )
    return value


def _number(text: str) -> float | None:
    """`text` as a float when written with ASCII digits only (float() also takes "١٥")."""
    cleaned = text.strip()
    if not cleaned.isascii():
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None
