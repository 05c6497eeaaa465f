"""`--lookup` on the command line (`check`, `send`): show what the line-type lookup will cost,
ask on the terminal (or go on with `--yes`), look up, say what was done. The rules and the
cache are the pipeline's (`campaigns.pipeline.line_types`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.pipeline.line_types import LineTypes
    from campaigns.twilio.protocols import Gateway


def usable(args: object, command: str) -> bool:
    """False (a usage error, exit 2) for --lookup without a terminal to ask on and without
    --yes: a billed request is never made without a yes."""
    from campaigns.cli import sending

    asking = getattr(args, "lookup", False) and not getattr(args, "yes", False)
    if asking and not sending.is_interactive():
        sys.stderr.write(
            f"smscast {command}: error: --lookup is billed per number and this is not a "
            "terminal to ask on: add --yes to look up without asking.\n"
        )
        return False
    return True


def require_gateway(gateway: Gateway | None) -> Gateway:
    """The gateway, or a ConfigError saying a lookup needs an account."""
    from campaigns.errors import ConfigError

    if gateway is None:
        raise ConfigError(
            "--lookup asks Twilio, and no Twilio credentials are configured.",
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or leave out --lookup (the free "
            "guess from the number ranges still warns about landlines).",
        )
    return gateway


def look_up(
    gateway: Gateway,
    db_path: Path,
    numbers: Iterable[str],
    *,
    yes: bool,
    now: datetime,
) -> LineTypes | None:
    """The line types of `numbers` (asked at Twilio after a yes), or None when declined."""
    from campaigns.cli import sending
    from campaigns.pipeline.line_types import LineTypes, plan_lookup, run_lookup

    plan = plan_lookup(db_path, numbers, now=now)
    if plan.to_ask and not yes and not sending.confirm(plan.question()):
        sys.stderr.write("No line types were looked up.\n")
        return None
    if not plan.to_ask:
        return LineTypes(dict(plan.known), dict(plan.fetched_at))
    sys.stderr.write(
        f"Looking up {len(plan.to_ask)} line type(s) at Twilio"
        + (f" ({len(plan.known)} known already)" if plan.known else "")
        + "...\n"
    )
    return run_lookup(gateway, db_path, plan, now=now)
