"""The app's status callback settings (`status_callback_url`, `listen_port`, `listen_host`):
read like every other setting (flag, environment, `.env`, config file), a bad port a clear
`ConfigError`; and the app's checks of them (`campaigns.pipeline.listen.app_callbacks`), the
same as `smscast send --status-callback`'s."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.config.settings import load_settings
from campaigns.errors import ConfigError, InputError
from campaigns.pipeline.listen import NEEDS_TOKEN, AppCallbacks, app_callbacks

SID = "AC" + "0123456789abcdef" * 2
KEY = "SK" + "00112233445566778899aabbccddeeff"


def load(tmp_path: Path, env: dict[str, str] | None = None, config: str = "", **flags: object):
    path = tmp_path / "config.toml"
    path.write_text(config, encoding="utf-8")
    return load_settings(env=env or {}, cwd=tmp_path, config_path=path, **flags)  # type: ignore[arg-type]


def test_callback_settings_come_from_the_config_file_env_dotenv_and_flags(tmp_path: Path) -> None:
    config = (
        '[smscast]\nstatus_callback_url = "https://sms.example.com/receipts"\n'
        'listen_port = 8080\nlisten_host = "0.0.0.0"\n'
    )
    settings = load(tmp_path, config=config)
    assert settings.status_callback_url == "https://sms.example.com/receipts"
    assert (settings.listen_port, settings.listen_host) == (8080, "0.0.0.0")
    (tmp_path / ".env").write_text("SMSCAST_LISTEN_PORT=8081\n", encoding="utf-8")
    assert load(tmp_path, config=config).listen_port == 8081
    env = {"SMSCAST_LISTEN_PORT": "8082", "SMSCAST_STATUS_CALLBACK_URL": "https://b.example/r"}
    settings = load(tmp_path, env, config=config)
    assert (settings.listen_port, settings.status_callback_url) == (8082, "https://b.example/r")
    assert load(tmp_path, env, config=config, listen_port=9000).listen_port == 9000
    fresh = tmp_path / "fresh"  # (no .env there)
    fresh.mkdir()
    default = load(fresh)
    assert (default.status_callback_url, default.listen_port) == (None, None)
    assert default.listen_host == "127.0.0.1"


@pytest.mark.parametrize("port", ['"http"', "0", "70000", '"80 80"'])
def test_a_bad_listen_port_is_a_clear_config_error(tmp_path: Path, port: str) -> None:
    with pytest.raises(ConfigError, match="number from 1 to 65535"):
        load(tmp_path, config=f"[smscast]\nlisten_port = {port}\n")


def test_the_app_checks_its_callbacks_as_send_checks_its_flag(tmp_path: Path) -> None:
    url = "https://sms.example.com/receipts"
    token = {"account_sid": SID, "auth_token": "the-token"}
    assert app_callbacks(load(tmp_path, **token)) is None  # not set: sweeps only
    assert app_callbacks(load(tmp_path, **token, status_callback_url=url)) == AppCallbacks(
        url, "127.0.0.1", None
    )
    both = load(tmp_path, **token, status_callback_url=url, listen_port=8080)
    assert app_callbacks(both) == AppCallbacks(url, "127.0.0.1", 8080)
    with pytest.raises(InputError, match="underscores"):
        app_callbacks(load(tmp_path, **token, status_callback_url="https://my_host/r"))
    with pytest.raises(ConfigError, match="status_callback_url is not"):
        app_callbacks(load(tmp_path, **token, listen_port=8080))
    key_only = load(
        tmp_path, account_sid=SID, api_key=KEY, api_secret="s3cret", status_callback_url=url
    )
    with pytest.raises(ConfigError) as told:
        app_callbacks(key_only)
    assert told.value.message == NEEDS_TOKEN and "s3cret" not in told.value.full()
