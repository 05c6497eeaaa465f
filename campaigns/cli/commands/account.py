"""`smscast account`: which Twilio account the credentials open, and what it can send from.

Shows the account (SID, name, Trial/Full, status), where the credentials came from (the
secret masked), the SMS-capable senders with their pace, and the verified numbers a trial
account may text. `--json` prints the same as one JSON object. Errors are sentences, exit 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from campaigns.untrusted import json_dumps, visible

KIND_LABELS = {
    "long_code": "long code",
    "toll_free": "toll-free",
    "short_code": "short code",
    "messaging_service": "Messaging Service",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast account` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments, add_timeout_argument

    parser = subparsers.add_parser(
        "account",
        help="show the Twilio account, its senders and verified numbers",
        description="Show the Twilio account the credentials open: its type (Trial or Full), "
        "status, SMS-capable senders and verified caller IDs.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_timeout_argument(parser)
    add_credential_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Fetch and print the account overview; a `TwilioFailure`/`ConfigError` exits 1."""
    from campaigns.cli.flags import settings_from_args
    from campaigns.secrets import scrub
    from campaigns.twilio.errors import TwilioFailure
    from campaigns.twilio.gateway import TwilioGateway

    settings = settings_from_args(args)
    with TwilioGateway(settings) as gateway:
        account = gateway.account()
        senders = gateway.senders()
        try:
            services = gateway.messaging_services()
        except TwilioFailure:
            services = []  # optional: not every API (nor every key) offers Messaging Services
        verified = gateway.verified_numbers()
        credentials = gateway.credentials
        overview = {
            "account": {
                "sid": account.sid,
                "friendly_name": account.friendly_name,
                "type": account.type,
                "status": account.status,
            },
            "api": scrub(settings.base_url or "https://api.twilio.com"),
            "credentials": {
                "kind": credentials.kind,
                "username": credentials.username,
                "secret": _masked(credentials.password),
                "source": credentials.source,
            },
            "senders": [
                {
                    "address": s.address,
                    "kind": s.kind,
                    "segments_per_second": s.segments_per_second,
                    "friendly_name": s.friendly_name,
                }
                for s in [*senders, *services]
            ],
            "verified_numbers": sorted(verified.numbers),
            "warnings": [*settings.warnings, *verified.warnings],
        }
        if args.json:
            print(json_dumps(overview, indent=2))
        else:
            _print_text(overview, trial=account.trial, warnings=verified.warnings)
        gateway.require_active(account)
    return 0


def _masked(secret: str) -> str:
    from campaigns.secrets import mask

    return mask(secret)


def _print_text(overview: dict[str, Any], *, trial: bool, warnings: list[str]) -> None:
    """The overview as lines, each through `visible`: friendly names, senders and warnings
    come from Twilio or from the config, and must not act on the terminal."""
    account, creds = overview["account"], overview["credentials"]
    secret_name = "auth token" if creds["kind"] == "auth_token" else f"API key {creds['username']}"
    lines = [
        f"Account      {account['sid']}  {account['friendly_name']}",
        f"Type         {account['type']} ({account['status']})",
        f"Credentials  {secret_name} {creds['secret']}, from {creds['source']}",
        f"API          {overview['api']}",
        "",
        f"Senders that can send SMS: {len(overview['senders'])}",
    ]
    width = max((len(s["address"]) for s in overview["senders"]), default=0)
    for sender in overview["senders"]:
        pace = sender["segments_per_second"]
        pace_text = f"{pace:g} segment{'s' if pace != 1 else ''}/s"
        kind = KIND_LABELS.get(sender["kind"], sender["kind"])
        lines.append(
            f"  {sender['address']:<{width}}  {kind:<17} {pace_text:<16} "
            f"{sender['friendly_name']}".rstrip()
        )
    if not overview["senders"]:
        lines.append("  (none: buy a number in Console > Phone Numbers)")
    lines += ["", f"Verified numbers: {len(overview['verified_numbers'])}"]
    lines += [f"  {number}" for number in overview["verified_numbers"]]
    if trial:
        lines += [
            "",
            "Trial account: it can only text the verified numbers above, and Twilio "
            "adds a trial notice to every message.",
        ]
    # The settings' own warnings were shown as they were loaded (campaigns.cli.main).
    for warning in warnings:
        print(f"smscast: warning: {visible(warning)}", file=sys.stderr)
    print("\n".join(map(visible, lines)))
