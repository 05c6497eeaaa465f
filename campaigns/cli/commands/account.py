"""`smscast account`: which Twilio account the credentials open, and what it can send from.

Shows the account (SID, name, Trial/Full, status), where the credentials came from (the
secret masked), the SMS-capable senders with their pace and US registration (A2P 10DLC for US
long codes, toll-free verification) with what to do when it blocks US traffic, each Messaging
Service with its sender pool, and the verified numbers a trial account may text. `--json`
prints the same as one JSON object. Errors are sentences, exit 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from campaigns.twilio.registration import describe_state
from campaigns.untrusted import json_dumps, visible

if TYPE_CHECKING:
    from campaigns.twilio.models import MessagingService, Sender

KIND_LABELS = {
    "long_code": "long code",
    "toll_free": "toll-free",
    "short_code": "short code",
    "messaging_service": "Messaging Service",
    "alpha": "alphanumeric ID",
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
    from campaigns.twilio.models import AccountSenders

    settings = settings_from_args(args)
    with TwilioGateway(settings) as gateway:
        account = gateway.account()
        try:
            found = gateway.account_senders()
        except TwilioFailure:  # the numbers listed, but not the services: as before
            found = AccountSenders(tuple(gateway.senders()), (), "")
        senders = [s for s in found.numbers if s.sms]
        services = [pool.as_sender() for pool in found.services]
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
            "senders": [_sender_json(s) for s in [*senders, *services]],
            "messaging_services": [_service_json(pool) for pool in found.services],
            "registration_unknown": found.unknown or None,
            "verified_numbers": sorted(verified.numbers),
            "warnings": [*settings.warnings, *verified.warnings],
        }
        if args.json:
            print(json_dumps(overview, indent=2))
        else:
            _print_text(overview, trial=account.trial, warnings=verified.warnings)
            if found.unknown:
                print(
                    "smscast: warning: the senders' US registration could not be read "
                    f"({visible(found.unknown)}); Twilio blocks US traffic from unregistered "
                    "long codes (30034) and unverified toll-free numbers (30032).",
                    file=sys.stderr,
                )
        gateway.require_active(account)
    return 0


def _sender_json(s: Sender) -> dict[str, Any]:
    label, advice = describe_state(s.kind, s.registration) if s.registration else ("", "")
    return {
        "address": s.address,
        "kind": s.kind,
        "segments_per_second": s.segments_per_second,
        "friendly_name": s.friendly_name,
        "country": s.country,
        "registration": s.registration or None,
        "registration_label": label or None,
        "what_to_do": advice or None,
    }


def _service_json(pool: MessagingService) -> dict[str, Any]:
    label, advice = describe_state("long_code", pool.a2p)
    return {
        "sid": pool.sid,
        "friendly_name": pool.friendly_name,
        "segments_per_second": pool.segments_per_second,
        "sticky_sender": pool.sticky_sender,
        "area_code_geomatch": pool.area_code_geomatch,
        "a2p": pool.a2p,
        "registration_label": label,
        "what_to_do": advice or None,
        "senders": [_sender_json(s) for s in pool.senders],
        "alpha_senders": list(pool.alpha_senders),
    }


def _masked(secret: str) -> str:
    from campaigns.secrets import mask

    return mask(secret)


def _print_text(overview: dict[str, Any], *, trial: bool, warnings: list[str]) -> None:
    """The overview as lines, each through `visible`: friendly names, senders and warnings
    come from Twilio or from the config, and must not act on the terminal."""
    account, creds = overview["account"], overview["credentials"]
    # The services have their own section below, with their pools.
    numbers = [s for s in overview["senders"] if s["kind"] != "messaging_service"]
    secret_name = "auth token" if creds["kind"] == "auth_token" else f"API key {creds['username']}"
    lines = [
        f"Account      {account['sid']}  {account['friendly_name']}",
        f"Type         {account['type']} ({account['status']})",
        f"Credentials  {secret_name} {creds['secret']}, from {creds['source']}",
        f"API          {overview['api']}",
        "",
        f"Senders that can send SMS: {len(numbers)}",
    ]
    width = max((len(s["address"]) for s in numbers), default=0)
    for sender in numbers:
        pace = sender["segments_per_second"]
        pace_text = f"{pace:g} segment{'s' if pace != 1 else ''}/s"
        kind = KIND_LABELS.get(sender["kind"], sender["kind"])
        lines.append(
            f"  {sender['address']:<{width}}  {kind:<17} {pace_text:<16} "
            f"{sender['friendly_name']:<16} {sender['registration_label'] or ''}".rstrip()
        )
    for sender in numbers:
        if sender["what_to_do"]:
            lines.append(f"  {sender['address']}: {sender['what_to_do']}")
    if not numbers:
        lines.append("  (none: buy a number in Console > Phone Numbers)")
    lines += _service_lines(overview["messaging_services"])
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


def _service_lines(services: list[dict[str, Any]]) -> list[str]:
    """Each Messaging Service: its registration, pace and pool, with what to do."""
    lines = ["", f"Messaging Services: {len(services)}"]
    for service in services:
        pace = service["segments_per_second"]
        traits = [
            t
            for t, on in (
                ("sticky sender", service["sticky_sender"]),
                ("area-code geomatch", service["area_code_geomatch"]),
            )
            if on
        ]
        lines.append(
            f"  {service['sid']}  {service['friendly_name']}: {service['registration_label']}, "
            f"{pace:g} segment{'s' if pace != 1 else ''}/s"
            + (f" ({', '.join(traits)})" if traits else "")
        )
        if service["what_to_do"]:
            lines.append(f"    {service['what_to_do']}")
        pool = service["senders"]
        width = max((len(s["address"]) for s in pool), default=0)
        for sender in pool:
            kind = KIND_LABELS.get(sender["kind"], sender["kind"])
            lines.append(
                f"    {sender['address']:<{width}}  {kind:<11} {sender['registration_label'] or ''}"
            )
            if sender["kind"] == "toll_free" and sender["what_to_do"]:
                lines.append(f"      {sender['what_to_do']}")
        for alpha in service["alpha_senders"]:
            lines.append(f"    {alpha:<{width}}  {KIND_LABELS['alpha']}")
        if not pool and not service["alpha_senders"]:
            lines.append("    (no senders: add numbers in Console > Messaging > Services)")
    return lines
