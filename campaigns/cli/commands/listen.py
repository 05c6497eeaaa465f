"""`smscast listen --port N`: receive Twilio's status callbacks and record them in the journal.

For a campaign sent with `smscast send --status-callback URL`, on a machine Twilio can reach
(directly, or through a reverse proxy or a tunnel: see the README's "Status callbacks"). Each
POST is checked (`X-Twilio-Signature` against the auth token; unsigned, forged and stale ones
are refused with 403) and applied to the journal exactly as a sweep's receipt, idempotently
(`campaigns.send.callbacks`); a receipt that beats the journal's record of its send is held
and applied once the SID is recorded. One line per callback on stderr (and one per held
receipt applied or dropped later); Ctrl-C (or SIGTERM) stops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast listen` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments

    p = subparsers.add_parser(
        "listen",
        help="receive Twilio's status callbacks (with send --status-callback)",
        description="Receive the delivery receipts Twilio posts for campaigns sent with "
        "--status-callback, check their signatures and record them in the journal.",
    )
    p.add_argument(
        "--port",
        type=int,
        choices=range(1, 65536),
        metavar="N",
        required=True,
        help="TCP port to listen on",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, behind a reverse proxy or a tunnel; "
        "0.0.0.0 to face the network directly)",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL given to send --status-callback, when a proxy or tunnel forwards to us "
        "(Twilio signs that URL, not ours)",
    )
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; exit 0 (1 when the port cannot be used)."""
    import asyncio
    import contextlib
    import signal

    from campaigns.cli.flags import settings_from_args
    from campaigns.pipeline import listen
    from campaigns.send.callbacks import Answer
    from campaigns.store.journal import Journal
    from campaigns.untrusted import visible

    settings = settings_from_args(args)
    if args.public_url:
        listen.check_callback_setup(settings, args.public_url)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path

    def said(answer: Answer) -> None:
        print(f"{answer.status} {visible(answer.text)}", file=sys.stderr, flush=True)

    with Journal.open(db_path) as journal:
        desk = listen.open_desk(settings, journal)
        server = listen.ReceiptServer(
            desk, host=args.host, port=args.port, public_url=args.public_url, on_answer=said
        )

        async def serve() -> None:
            stop = asyncio.Event()
            with contextlib.suppress(NotImplementedError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            try:
                await server.start()
            except OSError as exc:
                raise listen.cannot_listen(args.host, args.port, exc) from None
            print(
                f"smscast listen: receiving status callbacks at {server.url} for the "
                f"campaigns in {db_path}. Ctrl-C stops.",
                flush=True,
            )
            try:
                await stop.wait()
            finally:
                await server.stop()

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            print("smscast listen: stopped", file=sys.stderr)
    return 0
