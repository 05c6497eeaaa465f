"""Helpers shared by the Pilot tests: settings that point the app at a sandbox (ignoring the
person's environment, .env and config), and a bounded wait for the app to reach a state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaigns.config.settings import Settings, load_settings
from campaigns.sandbox import Sandbox


def sandbox_settings(sandbox: Sandbox | None, data_dir: Path) -> Settings:
    """Settings for the sandbox (or with no credentials at all), the journal in `data_dir`."""
    credentials = (
        {
            "account_sid": sandbox.account_sid,
            "auth_token": sandbox.auth_token,
            "base_url": sandbox.base_url,
        }
        if sandbox is not None
        else {}
    )
    return load_settings(
        **credentials,
        data_dir=data_dir,
        db_path=data_dir / "journal.db",
        config_path=data_dir / "no-config.toml",
        env={},
        cwd=data_dir,
    )


async def until(pilot: Any, condition: Callable[[], object], tries: int = 600) -> bool:
    """Let the app run until `condition()` holds (bounded); returns whether it did."""
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.05)
    return bool(condition())
