"""`smscast account` end to end: the real command line, settings and SDK against the sandbox.

The environment is controlled with pytest's monkeypatch (no Twilio variable of the machine
leaks in) and the working directory is a temporary one, so no real `.env` or config is read.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from campaigns.cli import main
from campaigns.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "SMSCAST_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(friendly_name="Acme trial")) as running:
        yield running


def use_sandbox(monkeypatch: pytest.MonkeyPatch, sb: Sandbox, token: str | None = None) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sb.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token or sb.auth_token)
    monkeypatch.setenv("SMSCAST_TWILIO_BASE_URL", sb.base_url)


def test_account_text(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_sandbox(monkeypatch, sb)
    assert main(["account"]) == 0
    out, err = capsys.readouterr()
    assert sb.account_sid in out and "Acme trial" in out
    assert "Trial (active)" in out
    assert f"auth token ****{sb.auth_token[-4:]}, from environment" in out
    assert sb.auth_token not in out + err
    assert "Senders that can send SMS: 4" in out
    for line in ("+15017122661", "toll-free", "3 segments/s", "55501", "short code"):
        assert line in out
    assert "+15017122699" not in out  # voice only
    assert "Verified numbers: 5" in out and "+14155550100" in out
    assert "Trial account" in out
    assert err == ""


def test_account_json_with_flags(
    clean_env: Path, sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "account",
        "--json",
        "--account-sid",
        sb.account_sid,
        "--auth-token",
        sb.auth_token,
        "--base-url",
        sb.base_url,
    ]
    assert main(args) == 0
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert data["account"] == {
        "sid": sb.account_sid,
        "friendly_name": "Acme trial",
        "type": "Trial",
        "status": "active",
    }
    assert data["api"] == sb.base_url
    assert data["credentials"]["source"] == "flags"
    assert data["credentials"]["secret"] == "****" + sb.auth_token[-4:]
    kinds = {s["address"]: (s["kind"], s["segments_per_second"]) for s in data["senders"]}
    assert kinds["+18445550100"] == ("toll_free", 3.0)
    assert kinds["55501"] == ("short_code", 100.0)
    assert data["verified_numbers"] == sorted(data["verified_numbers"])
    assert len(data["verified_numbers"]) == 5
    assert sb.auth_token not in out


def test_credentials_from_dotenv(
    clean_env: Path, sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / ".env").write_text(
        f"# test\nexport TWILIO_ACCOUNT_SID={sb.account_sid}\n"
        f"TWILIO_AUTH_TOKEN='{sb.auth_token}'\nSMSCAST_TWILIO_BASE_URL={sb.base_url}\n"
    )
    assert main(["account", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["credentials"]["source"].startswith(".env file")


def test_no_credentials(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "No Twilio credentials were found" in err
    assert "TWILIO_ACCOUNT_SID" in err and ".env" in err and "smscast demo" in err
    assert "Traceback" not in err


def test_wrong_token(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "0123456789abcdef0123456789abcdef"
    use_sandbox(monkeypatch, sb, token=wrong)
    assert main(["account", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "rejected the credentials" in err and "20003" in err
    assert wrong[:-4] not in err


def test_bad_config_file(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (clean_env / "config.toml").write_text("[twilio\n")
    assert main(["account"]) == 1
    err = capsys.readouterr().err
    assert "config.toml" in err and "line 1" in err


def test_unreachable_api(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_sandbox(monkeypatch, sb)
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SMSCAST_TWILIO_BASE_URL", f"http://127.0.0.1:{port}")
    assert main(["account"]) == 1
    assert f"Could not connect to Twilio (127.0.0.1:{port})" in capsys.readouterr().err


def test_suspended_account_exits_1_after_showing_it(
    clean_env: Path,
    sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_sandbox(monkeypatch, sandbox_factory(status="suspended"))
    assert main(["account"]) == 1
    out, err = capsys.readouterr()
    assert "(suspended)" in out
    assert "suspended" in err and "cannot send" in err
