"""Helpers for the command-line send tests: `smscast sandbox` in its own process, contacts
files, the environment that points smscast at the sandbox, and the sandbox's own message list
(read with the real twilio SDK, every page)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SMSCAST = [sys.executable, "-m", "campaigns"]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run smscast (or any command) to its end with no terminal: output captured, no stdin."""
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@dataclass(frozen=True)
class SandboxProcess:
    proc: subprocess.Popen[str]
    base_url: str
    account_sid: str
    auth_token: str
    phone_number: str

    def messages(self) -> list[dict[str, object]]:
        """Every message the sandbox holds (all pages of GET Messages.json). The sandbox's
        injected faults hit this listing too, so it is retried until one listing succeeds."""
        from twilio.base.exceptions import TwilioException
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(self.account_sid, self.auth_token, http_client=TwilioHttpClient(timeout=5))
        client.api.base_url = self.base_url
        client.edge = None
        client.region = None
        for attempt in range(50):
            try:
                return [
                    {"sid": m.sid, "to": m.to, "body": m.body, "status": m.status}
                    for m in client.messages.list(page_size=1000)
                ]
            except (TwilioException, OSError):
                if attempt == 49:
                    raise
        raise AssertionError("unreachable")


def smscast_env(sb: Any, home: Path, db: Path) -> dict[str, str]:
    """The environment of a smscast subprocess pointed at sandbox `sb` (a `Sandbox` or a
    `SandboxProcess`), isolated from the real home, config and .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMSCAST_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        SMSCAST_CONFIG=str(home / "none.toml"),
        SMSCAST_DB=str(db),
        SMSCAST_TWILIO_BASE_URL=sb.base_url,
        TWILIO_ACCOUNT_SID=sb.account_sid,
        TWILIO_AUTH_TOKEN=sb.auth_token,
        TWILIO_PHONE_NUMBER=sb.phone_number,
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def sandbox_process(*flags: str) -> Iterator[SandboxProcess]:
    """`smscast sandbox --full FLAGS` until the block ends (waits for its READY line).
    Nobody texts back unless FLAGS say `--reply-share` (the exactly-once checks count every
    message to a person, and Twilio's keyword confirmations are messages to them too)."""
    if "--reply-share" not in flags:
        flags = (*flags, "--reply-share", "0")
    proc = subprocess.Popen(
        [*SMSCAST, "sandbox", "--full", *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    values: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        for key, name in (
            ("export TWILIO_ACCOUNT_SID=", "sid"),
            ("export TWILIO_AUTH_TOKEN=", "token"),
            ("export TWILIO_PHONE_NUMBER=", "from"),
        ):
            if line.startswith(key):
                values[name] = line.split("=", 1)[1]
        if line.startswith("READY "):
            values["url"] = line.split(" ", 1)[1]
            break
    try:
        yield SandboxProcess(proc, values["url"], values["sid"], values["token"], values["from"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def numbers(count: int, start: int = 0) -> list[str]:
    """Distinct valid US numbers (+1 415 2xx xxxx)."""
    return [f"+1415{2_000_000 + start + i:07d}" for i in range(count)]


def write_contacts(path: Path, phones: Sequence[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "phone"])
        for i, phone in enumerate(phones):
            writer.writerow([f"Person {i}", phone])
    return path


def send_args(contacts: Path, *extra: str) -> list[str]:
    return [
        *SMSCAST,
        "send",
        str(contacts),
        "--template",
        "Hello {name}, this is smscast.",
        "--send",
        "--yes",
        "--quiet-hours",
        "off",
        "--track",
        "0",
        *extra,
    ]
