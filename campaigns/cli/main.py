"""The `smscast` console script: parses arguments and dispatches to `campaigns.cli.commands.*`.

Each subcommand lives in its own module under `campaigns/cli/commands/` exposing
`register(subparsers)` and `run(args) -> int`. Registration imports nothing heavy: textual,
twilio and pandas are imported inside `run`, so `smscast --help` stays quick.

Exit status: 0 success, 1 an error a person can fix (message + hint, never a traceback),
2 usage errors (argparse), 3 a campaign that is over (finished, or canceled: not resumable)
with recipients who did not get the message, 4 a campaign that was paused or stopped and can
be resumed, 130 interrupted. `EXIT_STATUS_HELP` says it in `--help`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NoReturn

from campaigns import __version__
from campaigns.config.settings import warnings_reported_to
from campaigns.errors import SmscastError
from campaigns.secrets import scrub
from campaigns.untrusted import visible

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FAILED_RECIPIENTS = 3
EXIT_PAUSED = 4
EXIT_INTERRUPTED = 130

#: The exit statuses, as the `--help` of smscast and of the commands that run a campaign
#: shows them (kept as lines by `_Formatter`).
EXIT_STATUS_HELP = """exit status:
  0    everyone was texted (or nothing was asked to be sent, or it is scheduled)
  1    an error: a sentence says what went wrong and what to do
  2    usage: a wrong flag or argument
  3    the campaign is over (finished, or canceled) and some recipients did not
       get the message (failed, undelivered, canceled): 'smscast export' says who
  4    the campaign is paused or stopped: 'smscast resume' goes on
  130  interrupted"""

#: The app's own options (`smscast [OPTIONS] [CONTACTS.csv]`): its status callbacks, as the
#: settings they override (`campaigns.config.settings`: flags come first).
APP_OPTIONS = {
    "--status-callback": "status_callback_url",
    "--listen-port": "listen_port",
    "--listen-host": "listen_host",
}
APP_OPTIONS_HELP = """the app's options (before CONTACTS.csv):
  --status-callback URL  ask Twilio to post delivery receipts to URL (public);
                         the same as status_callback_url in the config file
  --listen-port N        receive them on port N while a campaign runs
  --listen-host HOST     on this address (default 127.0.0.1; 0.0.0.0: direct)"""

#: Subcommand modules, in the order `smscast --help` lists them.
COMMANDS: tuple[str, ...] = (
    "demo",
    "check",
    "preview",
    "send",
    "retry",
    "follow-up",
    "campaigns",
    "resume",
    "cancel",
    "status",
    "listen",
    "export",
    "replies",
    "reply",
    "suppress",
    "account",
    "sandbox",
)


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, except that a text already laid out in lines keeps them."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and a pointer to --help on usage errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # (argparse's own parameters)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # The message may quote what was typed (argparse joins unrecognized arguments as
        # they are): each line shown through `visible`, so an escape sequence there does not
        # act (the line breaks of smscast's own multi-line messages stay line breaks).
        shown = "\n".join(map(visible, message.split("\n")))
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown}\nTry '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser; importing it loads only the light `register` halves of commands."""
    parser = _Parser(
        prog="smscast",
        usage="smscast [-h] [--version] [APP OPTIONS] [CONTACTS.csv | COMMAND ...]",
        description="Bulk SMS from a CSV of contacts, through Twilio, exactly once per person.",
        epilog="With no command, smscast opens the app (on CONTACTS.csv if given).\n"
        "Run 'smscast demo' to try everything on a built-in Twilio sandbox.\n\n"
        + APP_OPTIONS_HELP
        + "\n\n"
        + EXIT_STATUS_HELP,
    )
    parser.add_argument("--version", action="version", version=f"smscast {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, prog="smscast"
    )
    for name in COMMANDS:
        module = _command_module(name)
        if module is not None:
            module.register(sub)
    return parser


def _command_module(name: str) -> ModuleType | None:
    module = f"campaigns.cli.commands.{name.replace('-', '_')}"  # follow-up: follow_up.py
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None  # not written yet
        raise


def open_app(
    contacts_file: str | None, demo: bool, settings_flags: dict[str, str] | None = None
) -> int:
    """Open the Textual app (`smscast`, `smscast FILE.csv`, `smscast demo`); `settings_flags`:
    the app's options (`APP_OPTIONS`), as `load_settings` arguments.

    The only place the command line reaches into `tui/`, imported here lazily so that every
    other command starts without textual.
    """
    from tui.app import run_app

    return run_app(contacts_file=contacts_file, demo=demo, settings_flags=settings_flags)


def _app_options(
    args_list: list[str], parser: argparse.ArgumentParser
) -> tuple[dict[str, str], list[str]]:
    """The app's options at the front of `args_list` (`--listen-port 8080` or
    `--listen-port=8080`), as settings, and the arguments after them; a usage error (exit 2)
    for a value that cannot be one."""
    from campaigns.send.callbacks import problem_with_url

    found: dict[str, str] = {}
    rest = list(args_list)
    while rest and rest[0].partition("=")[0] in APP_OPTIONS:
        name, equals, value = rest.pop(0).partition("=")
        if not equals:
            if not rest:
                parser.error(f"argument {name}: expected one argument")
            value = rest.pop(0)
        if name == "--status-callback" and (problem := problem_with_url(value)) is not None:
            parser.error(f"argument {name}: {scrub(value)!r}: {problem}")
        if name == "--listen-port" and not (value.isdigit() and 1 <= int(value) <= 65535):
            parser.error(f"argument {name}: {value!r} is not a port (1 to 65535)")
        found[APP_OPTIONS[name]] = value
    if found and rest and rest[0] in COMMANDS:
        parser.error(
            f"{', '.join(o for o in APP_OPTIONS)} are the app's options (smscast [OPTIONS] "
            "[CONTACTS.csv]); 'smscast send' takes --status-callback after 'send', and "
            "'smscast listen' takes --port"
        )
    return found, rest


def _print_warning(warning: str) -> None:
    """A settings warning (a world-readable config file, a bad `.env` line), on stderr."""
    print(f"smscast: warning: {visible(scrub(warning))}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    app_options, args_list = _app_options(args_list, parser)
    if args_list and not args_list[0].startswith("-") and args_list[0] not in COMMANDS:
        # `smscast contacts.csv`: the app on that file (positional before any subcommand).
        args = argparse.Namespace(command=None, contacts_file=args_list[0])
        if len(args_list) > 1:
            parser.error(f"unexpected arguments after the contacts file: {' '.join(args_list[1:])}")
    else:
        args = parser.parse_args(args_list)
        if args.command is None:
            args.contacts_file = None
    try:
        if args.command is None:
            return open_app(args.contacts_file, demo=False, settings_flags=app_options)
        if args.command == "demo":  # the app: it shows settings warnings itself
            return int(args.handler(args))
        with warnings_reported_to(_print_warning):
            return int(args.handler(args))
    except SmscastError as error:
        # Errors quote file names, cells and Twilio's answers: shown through `visible`,
        # line by line (the hint is on its own line), and never with a secret in them.
        shown = "\n".join(map(visible, scrub(error.full()).split("\n")))
        with contextlib.suppress(OSError):  # a terminal closed (SIGHUP) cannot take it: still 1
            print(f"smscast: {shown}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("smscast: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
