"""Demo mode: a private sandbox trial account and journal, and `smscast demo` on the CLI."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from campaigns.pipeline.demo import DemoEnvironment, demo_numbers, demo_sandbox_config
from campaigns.twilio.gateway import TwilioGateway

CONTACTS = """name,phone
Ana,+14155550100
Bob,+14155550101
Cleo,+14155550102
Dan,+12025550143
Eve,+16175551212
Finn,+12125550199
Gus,12345
"""


def test_demo_sandbox_verifies_some_contacts_and_keeps_data_private(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    numbers = demo_numbers(contacts)
    assert len(numbers) == 6  # the invalid one is not a number
    config = demo_sandbox_config(numbers)
    assert config.trial
    assert 0 < len(config.verified) < len(numbers)  # the filter visibly excludes some
    assert config.undelivered_share + config.failed_share > 0  # statuses vary
    assert config.speedup > 1

    with DemoEnvironment.start(contacts) as env:
        settings = env.settings
        assert settings.base_url is not None and settings.base_url.startswith("http://127.0.0.1:")
        assert Path(settings.db_path).parent == env.data_dir
        assert stat.S_IMODE(env.data_dir.stat().st_mode) == 0o700
        assert env.contacts_file == str(contacts)
        gateway = TwilioGateway(settings)
        assert gateway.account().type == "Trial"
        assert gateway.verified_numbers().numbers == frozenset(config.verified)
    assert not env.data_dir.exists()  # the demo leaves nothing behind


def test_demo_refuses_a_missing_file_with_a_sentence(tmp_path: Path) -> None:
    from campaigns.errors import InputError

    with pytest.raises(InputError) as refused:
        DemoEnvironment.start(tmp_path / "nope.csv")
    error = refused.value
    assert "nope.csv" in error.full()
    assert "smscast demo" in error.full()


def test_smscast_demo_is_a_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "campaigns.cli.main", "demo", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "sandbox" in result.stdout
    assert "CONTACTS.csv" in result.stdout
