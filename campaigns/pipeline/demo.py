"""Demo mode, headless: a sandbox Twilio account and private settings to try smscast safely.

`DemoEnvironment.start()` starts `campaigns.sandbox.Sandbox` on a background thread (a Trial
account on 127.0.0.1 with some of the contacts' numbers verified, so the verified-only filter
visibly excludes others; a share of messages ending undelivered or failed, so the statuses
vary; senders sped up so a demo campaign finishes in well under a minute; a Messaging Service
whose A2P 10DLC campaign is registered, and one long code in no service, not registered, so
the registration preflight visibly leaves out its US recipients when it is chosen) and builds
`Settings` that point at it, with the journal in a private temporary directory (0700; the
database itself is created 0600 by the journal) that is removed on `close()`. The person's own
configuration, environment and campaign history are never read or touched.

No textual here: the Textual app (`tui.app.run_app(demo=True)`) and tests use this module.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaigns.errors import InputError

if TYPE_CHECKING:
    from campaigns.config.settings import Settings
    from campaigns.sandbox import Sandbox, SandboxConfig

#: Every how-many-th valid contact of the demo file is a verified number of the trial account.
VERIFY_EVERY = 3
#: Of every VERIFY_EVERY contacts, how many are verified (2 of 3: a third is filtered out).
VERIFIED_PER_GROUP = 2
#: Shares of demo messages that end undelivered / failed (deterministic per number).
UNDELIVERED_SHARE = 0.15
FAILED_SHARE = 0.10
#: Sender throughput factor: long codes send 20 segments a second instead of 1.
SPEEDUP = 20.0
#: The sandbox's trial prefix ("Sent from your Twilio trial account - ") stays on, as at Twilio.
SEED = 7
#: A US long code the demo account owns outside its (registered) Messaging Service: not
#: registered for A2P 10DLC, so Twilio would block its US traffic (30034).
UNREGISTERED_NUMBER = "+15017122663"
#: A few of the demo's recipients text back (STOP, HELP, a question...) during its campaign,
#: REPLY_DELAY seconds (at speedup 1: 2 s at the demo's pace) after delivery.
REPLY_SHARE = 0.3
REPLY_DELAY = 40.0


#: The sample contacts ship inside this package (package data), so an installed wheel's
#: `smscast demo` finds them from any folder; the repository's top-level `sample_contacts.csv`
#: is a symlink to this one file.
SAMPLE_CONTACTS = "sample_contacts.csv"


def sample_contacts_path() -> Path | None:
    """The bundled `sample_contacts.csv` (package data of `campaigns.pipeline`), or None.

    None only when the package is not on a file system (a zip import) or was installed
    without its data: the demo then opens with no contacts, as without a sample.
    """
    resource = resources.files("campaigns.pipeline") / SAMPLE_CONTACTS
    return resource if isinstance(resource, Path) and resource.is_file() else None


def demo_numbers(contacts_file: str | Path | None, region: str = "US") -> list[str]:
    """The valid E.164 numbers of the demo contacts file, in file order ([] without a file)."""
    if contacts_file is None:
        return []
    from campaigns.contacts.book import load_contacts

    try:
        book = load_contacts(Path(contacts_file), region=region)
    except InputError:
        return []
    return [contact.phone for contact in book.contacts]


def demo_sandbox_config(numbers: list[str]) -> SandboxConfig:
    """A trial account that has two thirds of `numbers` verified, with varied outcomes, a
    registered Messaging Service and an unregistered long code."""
    from campaigns.sandbox import SandboxConfig
    from campaigns.sandbox.config import DEFAULT_SENDERS, SenderSpec

    unregistered = SenderSpec(UNREGISTERED_NUMBER, friendly_name="(501) 712-2663 unregistered")
    verified = tuple(
        number for index, number in enumerate(numbers) if index % VERIFY_EVERY < VERIFIED_PER_GROUP
    )
    return SandboxConfig(
        friendly_name="smscast demo (sandbox)",
        trial=True,
        verified=verified or SandboxConfig().verified,
        undelivered_share=UNDELIVERED_SHARE,
        failed_share=FAILED_SHARE,
        speedup=SPEEDUP,
        seed=SEED,
        senders=(*DEFAULT_SENDERS, unregistered),
        outside_service=(UNREGISTERED_NUMBER,),
        reply_share=REPLY_SHARE,
        reply_delay=REPLY_DELAY,
    )


def demo_settings(sandbox: Sandbox, data_dir: Path) -> Settings:
    """Settings for the sandbox, with a private data directory; ignores env, .env, config."""
    from campaigns.config.settings import load_settings

    return load_settings(
        account_sid=sandbox.account_sid,
        auth_token=sandbox.auth_token,
        base_url=sandbox.base_url,
        data_dir=data_dir,
        db_path=data_dir / "demo.db",
        config_path=data_dir / "no-config.toml",
        env={},
        cwd=data_dir,
    )


@dataclass
class DemoEnvironment:
    """A running demo sandbox, its settings and its private data directory."""

    sandbox: Any
    settings: Settings
    data_dir: Path
    contacts_file: str | None
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, contacts_file: str | Path | None = None) -> DemoEnvironment:
        """Start the sandbox on 127.0.0.1 and prepare the settings (stop with `close()`).

        `contacts_file` None = the bundled `sample_contacts.csv` when it can be found.
        """
        from campaigns.sandbox import Sandbox

        chosen = Path(contacts_file).expanduser() if contacts_file else sample_contacts_path()
        if contacts_file and chosen is not None and not chosen.is_file():
            raise InputError(
                f"There is no contacts file at {chosen}.",
                "Give the path of a CSV file, or run 'smscast demo' alone for the sample.",
            )
        data_dir = Path(tempfile.mkdtemp(prefix="smscast-demo-"))  # mode 0700
        try:
            sandbox = Sandbox(demo_sandbox_config(demo_numbers(chosen)))
            sandbox.__enter__()
        except BaseException:
            shutil.rmtree(data_dir, ignore_errors=True)
            raise
        settings = demo_settings(sandbox, data_dir)
        return cls(sandbox, settings, data_dir, str(chosen) if chosen else None)

    def close(self) -> None:
        """Stop the sandbox and delete the demo's data directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.sandbox.__exit__(None, None, None)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
