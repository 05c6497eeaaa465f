"""`smscast replies [ID] [--watch] [--json] [--kind KIND]`: what people answered a campaign.

Polls Twilio once for new replies to the campaign's senders (when credentials are configured;
`--no-refresh` skips it), stores and acts on them (an opt-out keyword goes on the suppression
list at once), then prints the threads, newest first: the person, what was sent, what came
back with its kind. `--watch` polls every few seconds until Ctrl-C and prints each new reply
as it arrives. `--json`: one object per line per reply (`campaign_id`, `row`, `from`, `to`,
`body`, `received_at`, `sid`, `kind`, `action`). `--unmatched`: replies from numbers no
campaign texted. `--confirm SID` / `--dismiss SID` decide a possible opt-out. Bodies are
shown through `campaigns.untrusted` (never raw control characters).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from campaigns.conversation.actions import ReplyAction
    from campaigns.pipeline.replies import Thread
    from campaigns.store.replies import StoredReply

KINDS = ("opt-out", "opt-in", "help", "possible-opt-out", "reply")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast replies` (imports nothing heavy)."""
    from campaigns.cli.flags import add_credential_arguments, add_timeout_argument

    p = subparsers.add_parser(
        "replies",
        help="what people answered: threads, opt-outs, questions",
        description="Collect and show the replies to a campaign (no webhooks: smscast polls"
        " Twilio's message list). Opt-out keywords are put on the suppression list at once.",
    )
    p.add_argument("campaign_id", nargs="?", metavar="ID", help="campaign id (default: latest)")
    p.add_argument("--watch", action="store_true", help="keep polling; print replies as they come")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="one JSON object per line per reply")
    p.add_argument("--kind", choices=KINDS, help="only threads with a reply of this kind")
    p.add_argument("--unmatched", action="store_true", help="replies no campaign matched")
    p.add_argument("--no-refresh", action="store_true", help="show the journal only, ask no one")
    p.add_argument("--confirm", metavar="SID", help="a possible opt-out means stop: suppress")
    p.add_argument("--dismiss", metavar="SID", help="a possible opt-out is not one")
    p.add_argument("--db", dest="db_path", metavar="PATH", help="the campaign journal")
    add_credential_arguments(p)
    add_timeout_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Collect (unless --no-refresh), then show; exit 0."""
    from campaigns.audience.suppression import SuppressionList
    from campaigns.cli.flags import settings_from_args
    from campaigns.pipeline import replies
    from campaigns.store.journal import Journal

    settings = settings_from_args(args)
    db_path = Path(args.db_path).expanduser() if args.db_path else settings.db_path
    refreshing = not args.no_refresh and settings.credentials is not None
    with (
        Journal.open(db_path) as journal,
        SuppressionList(journal.path, region=settings.region) as suppressions,
    ):
        campaign = journal.campaign(args.campaign_id) if args.campaign_id else journal.latest()
        if args.confirm or args.dismiss:
            if args.confirm:
                done = replies.confirm_possible_opt_out(journal, suppressions, args.confirm)
                print(f"{done.phone} is on the suppression list now (reply {done.sid}).")
            else:
                done = replies.dismiss_possible_opt_out(journal, args.dismiss)
                print(f"Reply {done.sid} from {done.phone} is marked: not an opt-out.")
            return 0
        gateway = None
        if refreshing:
            from campaigns.twilio.gateway import TwilioGateway

            gateway = TwilioGateway(settings)
        cid = None if args.unmatched else campaign.id
        shown: set[str] = set()
        try:
            while True:
                if gateway is not None:
                    found = replies.collect_replies(journal, gateway, suppressions, [campaign.id])
                    if not args.json:
                        _say_changes(found.actions)
                found_threads = replies.threads(
                    journal,
                    cid,
                    kind=args.kind,
                    suppressed=suppressions.numbers(),
                    unmatched=args.unmatched,
                )
                _show(found_threads, args, shown, cid or "unmatched")
                if not args.watch or gateway is None:
                    break
                time.sleep(max(0.5, args.interval))
        except KeyboardInterrupt:
            pass
    return 0


def _say_changes(actions: Sequence[ReplyAction]) -> None:
    """On stderr, each number whose listing a poll changed, by its last keyword."""
    last = {a.phone: a.action for a in actions if a.action in ("suppressed", "lifted")}
    for phone, action in last.items():
        said = (
            "opted out: on the suppression list"
            if action == "suppressed"
            else ("opted back in (START): off the suppression list")
        )
        sys.stderr.write(f"{phone} {said}.\n")


def _show(threads: list[Thread], args: argparse.Namespace, shown: set[str], label: str) -> None:
    """Print the threads (the first time) or only replies not printed before (--watch)."""
    from campaigns.pipeline.replies import reply_json
    from campaigns.untrusted import json_dumps

    if args.json:
        for thread in threads:
            for reply in thread.replies:
                if reply.sid not in shown:
                    shown.add(reply.sid)
                    sys.stdout.write(json_dumps(reply_json(reply)) + "\n")
        sys.stdout.flush()
        return
    if shown:  # watching: only what is new, oldest first
        fresh = sorted(
            (r for t in threads for r in t.replies if r.sid not in shown),
            key=lambda r: r.received_at,
        )
        for reply in fresh:
            shown.add(reply.sid)
            print(_line(reply))
        sys.stdout.flush()
        return
    for thread in threads:
        shown.update(r.sid for r in thread.replies)
    print(render(threads, label))
    sys.stdout.flush()
    if not threads:
        shown.add("")  # so --watch prints only what comes next


def _line(reply: StoredReply) -> str:
    from campaigns.untrusted import excerpt, visible

    row = f"row {reply.row}" if reply.row is not None else "no campaign"
    when = f"{reply.received_at:%Y-%m-%d %H:%M:%S}"
    return visible(
        f"{when}  {reply.from_number} ({row})  [{reply.kind}]  {excerpt(reply.body, 200)}"
    )


def render(threads: list[Thread], label: str) -> str:
    """The threads as readable lines, every untrusted text through `visible`/`excerpt`."""
    from campaigns.untrusted import excerpt, visible

    if not threads:
        return f"No replies yet to {visible(label)}."
    people = len(threads)
    total = sum(len(t.replies) for t in threads)
    lines = [f"{total} repl{'y' if total == 1 else 'ies'} from {people} person(s), newest first"]
    for thread in threads:
        row = f"row {thread.row}" if thread.row is not None else "no campaign texted this number"
        mark = "  OPTED OUT" if thread.opted_out else ""
        lines.append("")
        lines.append(visible(f"{thread.phone} ({row}), to {thread.sender}{mark}"))
        if thread.sent_body is not None:
            lines.append(f"  sent:    {excerpt(thread.sent_body, 70)}  ({thread.sent_status})")
        for answer in thread.answers:
            lines.append(f"  you:     {excerpt(answer.body, 70)}  ({answer.status})")
        for reply in thread.replies:
            when = f"{reply.received_at:%Y-%m-%d %H:%M}"
            note = f" -> {reply.action}" if reply.action else ""
            lines.append(f"  {when}  [{reply.kind}{note}] {excerpt(reply.body, 60)}  ({reply.sid})")
        if thread.to_review:
            sid = thread.to_review[0].sid
            lines.append(f"  Possible opt-out: smscast replies --confirm {sid}  (or --dismiss)")
    return "\n".join(lines)
