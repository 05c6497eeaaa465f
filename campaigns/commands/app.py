"""`smscast [CONTACTS.csv]`: open the Textual app (imported only here, lazily)."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    """Open the app with the configured account, optionally on a contacts file."""
    from tui.app import run_app

    return run_app(contacts_file=args.contacts_file, demo=False)
