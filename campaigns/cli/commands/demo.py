"""`smscast demo [CONTACTS.csv]`: the app on a built-in Twilio sandbox (no account needed).

A trial account runs in-process on 127.0.0.1 with some of the contacts verified; the journal
lives in a temporary directory that is removed on exit, so the demo never touches your data.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` subcommand (imports nothing heavy)."""
    parser = subparsers.add_parser(
        "demo",
        help="try smscast on a built-in Twilio sandbox, with sample contacts",
        description=(
            "Open the app on a local Twilio sandbox (a trial account with some numbers "
            "verified and a few messages that fail), on sample_contacts.csv or the file given. "
            "Nothing leaves this machine."
        ),
    )
    parser.add_argument(
        "demo_file",
        nargs="?",
        metavar="CONTACTS.csv",
        help="a contacts file to use instead of sample_contacts.csv",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the sandbox and open the app on it; returns the app's exit status."""
    from campaigns.cli.main import open_app

    return open_app(contacts_file=getattr(args, "demo_file", None), demo=True)
