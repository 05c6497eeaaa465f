"""`smscast sandbox`: run the local Twilio REST API standalone, on 127.0.0.1, until Ctrl-C.

Prints the base URL, the account SID and auth token to use (generated unless given: they are a
throwaway local pair, printing them is the point) and the environment variables to export, then
a `READY <base_url>` line scripts can wait for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaigns.sandbox import SandboxConfig


#: Share of recipients who answer in `smscast sandbox` unless told (replies are part of the
#: job: a sandbox where nobody answers would hide the inbox).
DEFAULT_REPLY_SHARE = 0.2


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _seconds(text: str) -> float:
    """An argparse type: seconds, zero or more."""
    value = float(text)
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds (0 or more)")
    return value


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a number of `kind` above zero."""

    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be more than 0")
        return value

    return parse


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `smscast sandbox` and its flags."""
    p = subparsers.add_parser(
        "sandbox",
        help="run a local Twilio API (for demos, tests and benchmarks)",
        description="Run a local implementation of Twilio's REST API on 127.0.0.1. Point smscast"
        " (or any Twilio SDK) at it with the environment variables it prints.",
    )
    p.add_argument(
        "--port",
        type=int,
        choices=range(65536),
        metavar="P",
        default=0,
        help="TCP port (default: any free port)",
    )
    p.add_argument("--account-sid", help="account SID (default: generated)")
    p.add_argument("--auth-token", help="auth token (default: generated)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument(
        "--trial",
        dest="trial",
        action="store_true",
        default=True,
        help="a trial account: only verified numbers (default)",
    )
    kind.add_argument("--full", dest="trial", action="store_false", help="an upgraded account")
    p.add_argument(
        "--verified",
        type=_numbers,
        metavar="NUMBERS",
        help="comma-separated verified numbers (replaces the defaults)",
    )
    p.add_argument(
        "--opted-out",
        type=_numbers,
        default=(),
        metavar="NUMBERS",
        help="comma-separated numbers that replied STOP (21610)",
    )
    p.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help="added latency per request"
    )
    p.add_argument(
        "--latency-distribution",
        choices=("fixed", "uniform", "exponential"),
        default="fixed",
        help="fixed, uniform 0..2*MS, or exponential with mean MS",
    )
    p.add_argument(
        "--fail-share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of recipients whose messages end failed",
    )
    p.add_argument(
        "--undelivered-share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of recipients whose messages end undelivered",
    )
    p.add_argument(
        "--429-share",
        dest="rate_limit_share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of requests answered 429 (20429)",
    )
    p.add_argument(
        "--retry-after",
        type=_seconds,
        default=None,
        metavar="S",
        help="send 'Retry-After: S' with every 429 (Twilio documents none)",
    )
    p.add_argument(
        "--5xx-before-share",
        dest="error_before_share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of requests answered 500/503 before any work",
    )
    p.add_argument(
        "--5xx-after-share",
        dest="error_after_share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of creates answered 500 AFTER creating",
    )
    p.add_argument(
        "--drop-after-share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of creates whose connection is dropped after creating",
    )
    p.add_argument(
        "--hang-share",
        type=_share,
        default=0.0,
        metavar="X",
        help="share of requests never answered",
    )
    p.add_argument(
        "--concurrency-limit",
        type=_positive(int),
        default=100,
        metavar="N",
        help="requests in flight before 429 (default 100)",
    )
    p.add_argument(
        "--speedup",
        type=_positive(float),
        default=1.0,
        metavar="F",
        help="multiply sender throughput and shorten delivery (default 1)",
    )
    p.add_argument(
        "--reply-share",
        type=_share,
        default=DEFAULT_REPLY_SHARE,
        metavar="X",
        help="share of recipients who text back after delivery: STOP, HELP, a question, ..."
        f" (default {DEFAULT_REPLY_SHARE}; 0: nobody replies)",
    )
    p.add_argument(
        "--reply-delay",
        type=_seconds,
        default=4.0,
        metavar="S",
        help="seconds from delivery to a scripted reply (divided by --speedup; default 4)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every random draw")
    p.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The SandboxConfig the flags describe."""
    from campaigns.sandbox import Faults, SandboxConfig

    values: dict[str, Any] = {  # argparse's values are untyped
        "trial": args.trial,
        "opted_out": args.opted_out,
        "latency_ms": args.latency_ms,
        "latency_distribution": args.latency_distribution,
        "failed_share": args.fail_share,
        "undelivered_share": args.undelivered_share,
        "concurrency_limit": args.concurrency_limit,
        "speedup": args.speedup,
        "seed": args.seed,
        "reply_share": args.reply_share,
        "reply_delay": args.reply_delay,
        "faults": Faults(
            rate_limit=args.rate_limit_share,
            error_before=args.error_before_share,
            error_after=args.error_after_share,
            drop_after=args.drop_after_share,
            hang=args.hang_share,
            retry_after=args.retry_after,
        ),
    }
    if args.account_sid:
        values["account_sid"] = args.account_sid
    if args.auth_token:
        values["auth_token"] = args.auth_token
    if args.verified is not None:
        values["verified"] = args.verified
    return SandboxConfig(**values)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; exit 0."""
    import asyncio
    import contextlib
    import signal

    from campaigns.errors import ConfigError
    from campaigns.sandbox import Sandbox

    if (args.account_sid is None) != (args.auth_token is None):
        raise ConfigError(
            "Give both --account-sid and --auth-token, or neither.",
            "Leave both out to have the sandbox generate a pair.",
        )
    sandbox = Sandbox(config_from_args(args))

    async def serve() -> None:
        try:
            await sandbox.start(port=args.port)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on 127.0.0.1:{args.port}: {exc.strerror}.",
                "Choose another --port, or leave it out for any free port.",
            ) from None
        kind = "trial" if sandbox.config.trial else "full"
        print(f"smscast sandbox: a local Twilio API ({kind} account) at {sandbox.base_url}")
        print("These credentials are a throwaway pair for this local sandbox only.")
        print(f"  account SID: {sandbox.account_sid}")
        print(f"  auth token:  {sandbox.auth_token}")
        print(f"  messaging service: {sandbox.messaging_service_sid}")
        print("Point smscast at it:")
        print(f"  export SMSCAST_TWILIO_BASE_URL={sandbox.base_url}")
        print(f"  export TWILIO_ACCOUNT_SID={sandbox.account_sid}")
        print(f"  export TWILIO_AUTH_TOKEN={sandbox.auth_token}")
        print(f"  export TWILIO_PHONE_NUMBER={sandbox.phone_number}")
        print("Press Ctrl-C to stop.")
        print(f"READY {sandbox.base_url}", flush=True)
        stopping = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no SIGTERM handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        try:
            await stopping.wait()
        finally:
            await sandbox.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("smscast sandbox: stopped", file=sys.stderr)
    return 0
