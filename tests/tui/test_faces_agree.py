"""The app and the command line are two faces on one pipeline (`campaigns.pipeline`): for the
same settings they text from the same sender, store a campaign with the same settings keys,
and export the same columns.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import until

from campaigns.config.settings import load_settings
from campaigns.sandbox import Sandbox
from campaigns.store.journal import Journal
from tui.app import SmscastApp
from tui.core import create_campaign_for, export_campaign

CONTACTS = "first_name,phone,note\nAna,+14155550100,a\nBob,+14155550101,b\nCleo,+14155550102,c\n"
TEMPLATE = "Hi {first_name}, your order is ready."


@pytest.fixture
def sandbox(sandbox_factory) -> Sandbox:
    """A full account: no verified-numbers filter, so both faces text everyone."""
    return sandbox_factory(trial=False)


def environment(sandbox: Sandbox, home: Path) -> dict[str, str]:
    """Both a number and a Messaging Service configured, in the same place (the environment)."""
    return {
        "SMSCAST_TWILIO_BASE_URL": sandbox.base_url,
        "TWILIO_ACCOUNT_SID": sandbox.account_sid,
        "TWILIO_AUTH_TOKEN": sandbox.auth_token,
        "TWILIO_PHONE_NUMBER": sandbox.phone_number,
        "TWILIO_MESSAGING_SERVICE_SID": sandbox.messaging_service_sid,
        "SMSCAST_CONFIG": str(home / "no-config.toml"),
        "SMSCAST_DB": str(home / "journal.db"),
    }


def smscast(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line in its own process, with only `env` for its settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMSCAST_"))}
    return subprocess.run(
        [sys.executable, "-m", "campaigns", *args],
        capture_output=True,
        text=True,
        env={**base, "HOME": str(cwd), **env},
        cwd=cwd,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


async def test_app_and_cli_agree_on_sender_stored_settings_and_export_columns(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    env = environment(sandbox, tmp_path)
    send = [
        *("send", str(contacts), "--template", TEMPLATE, "--send", "--yes"),
        *("--quiet-hours", "off", "--track", "0", "--rate", "max"),
    ]
    done = smscast(send, env, tmp_path)
    assert done.returncode in (0, 3), done.stderr
    with Journal.open(tmp_path / "journal.db") as journal:
        by_cli = journal.latest()

    settings = load_settings(env=env, cwd=tmp_path)
    app = SmscastApp(settings=settings, contacts_file=contacts, quiet_hours=False)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.account is not None and app.draft.sender)
        assert await until(pilot, lambda: app.draft.plan is not None)
        # the same sender as the command line chose for the same settings: the number
        assert app.draft.sender == sandbox.phone_number
        assert (by_cli.sender, by_cli.messaging_service_sid) == (sandbox.phone_number, None)
        campaign_id = create_campaign_for(  # what Review's SEND runs in its worker
            app.draft.snapshot(),
            app.settings,
            app.db_path,
            app.engine_options(canary=1),
            canary="+14155550199",
            new_campaign=True,  # the command line just sent the same campaign
            rate=app.rate_choice,
        )
        written = export_campaign(app.db_path, campaign_id, None, tmp_path, folder=tmp_path)
    with Journal.open(tmp_path / "journal.db") as journal:
        by_app = journal.campaign(campaign_id)
    assert (by_app.sender, by_app.messaging_service_sid) == (by_cli.sender, None)
    assert set(by_app.settings) == set(by_cli.settings)
    assert by_app.settings["source"] == "tui" and by_cli.settings["source"] == "cli"

    # the app's export of its campaign has the command line's columns (the contact file's,
    # even though its first row is the canary, which has none of them)
    cli_file = tmp_path / "by-cli.csv"
    exported = smscast(["export", campaign_id, "-o", str(cli_file)], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert header(written) == header(cli_file)
    assert header(written)[:3] == ["first_name", "phone", "note"]
