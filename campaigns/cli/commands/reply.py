"""`smscast reply ID ROW --body TEXT`: text one person of a campaign, exactly once.

The reply is journaled as campaign messages are (intent before the request, outcome after);
running the same command again after a crash or a timeout asks Twilio first and never sends
it twice. Refused for a number on the suppression list (an opt-out), and for the same text
already sent to that person (unless --again).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast reply` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments, add_timeout_argument, positive_int

    p = subparsers.add_parser(
        "reply",
        help="text one person of a campaign back",
        description="Send one message to one recipient of a campaign (their row), exactly once.",
    )
    p.add_argument("campaign_id", metavar="ID", help="campaign id")
    p.add_argument("row", type=positive_int, metavar="ROW", help="the recipient's row")
    p.add_argument("--body", required=True, metavar="TEXT", help="the text to send")
    p.add_argument("--again", action="store_true", help="send a text already sent once more")
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(p)
    add_timeout_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Send the reply; exit 0 when Twilio accepted it."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.cli.flags import settings_from_args
    from campaigns.pipeline.replies import send_reply
    from campaigns.store.journal import Journal
    from campaigns.twilio.credentials import require_credentials
    from campaigns.twilio.gateway import TwilioGateway
    from campaigns.untrusted import visible

    settings = settings_from_args(args)
    require_credentials(settings)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    with (
        Journal.open(db_path) as journal,
        SuppressionList(journal.path, region=settings.region) as suppressions,
        TwilioGateway(settings) as gateway,
    ):
        sent = send_reply(
            journal,
            gateway,
            suppressions,
            args.campaign_id,
            args.row,
            args.body,
            again=args.again,
            timeout=settings.request_timeout or 15.0,
        )
    how = "found at Twilio (sent before; not sent again)" if sent.reconciled else "sent"
    print(
        visible(
            f"Reply to {sent.reply.to_number} (row {args.row}) {how}: {sent.reply.sid}"
            f" ({sent.reply.status})."
        )
    )
    return 0
