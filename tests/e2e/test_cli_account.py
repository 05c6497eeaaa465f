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

from campaigns.cli.main import main
from campaigns.sandbox import Faults, Sandbox, SandboxConfig


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


# --- start-up reads: retried, bounded by --timeout, true sentences ----------------------------


@pytest.mark.parametrize(
    "faults", [Faults(rate_limit=0.4), Faults(error_before=0.4)], ids=["429", "5xx"]
)
def test_account_retries_429_and_5xx(
    clean_env: Path,
    sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    faults: Faults,
) -> None:
    """Two requests in five fail: `smscast account` still shows the account (reads are
    retried as sends are), instead of exiting 1 with "smscast ... retries automatically"."""
    use_sandbox(monkeypatch, sandbox_factory(faults=faults, seed=7))
    assert main(["account", "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)["verified_numbers"]) == 5
    assert err == ""


def test_account_timeout_flag_bounds_each_request(
    clean_env: Path,
    sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Some requests hang: with --timeout 0.3 each is given up after 0.3 s and tried again."""
    use_sandbox(monkeypatch, sandbox_factory(faults=Faults(hang=0.4), seed=7))
    assert main(["account", "--json", "--timeout", "0.3"]) == 0
    assert json.loads(capsys.readouterr().out)["account"]["status"] == "active"


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon", "١٥"])
def test_account_bad_timeout_is_a_usage_error(
    clean_env: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["account", "--timeout", value])
    assert done.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_send_dry_run_start_up_reads_honour_timeout(
    clean_env: Path,
    sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`send`'s --timeout reaches the reads it makes before sending (the account): the error
    names it, after a bounded number of tries, and promises no retry it does not make."""
    use_sandbox(monkeypatch, sandbox_factory(faults=Faults(hang=1.0)))
    monkeypatch.setenv("SMSCAST_DB", str(clean_env / "j.db"))
    (clean_env / "c.csv").write_text("phone,name\n+14155550100,Ann\n")
    assert main(["send", "c.csv", "-t", "Hi {name}", "--timeout", "0.2"]) == 1
    err = capsys.readouterr().err
    assert "No answer from Twilio within 0.2 s while reading the account" in err
    assert "smscast tried 5 times" in err
    assert "will try again" not in err and "tries again" not in err


# --- secrets in the base URL ----------------------------------------------------------------


def test_base_url_with_a_password_is_refused_without_showing_it(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_sandbox(monkeypatch, sb)
    host = sb.base_url.removeprefix("http://")
    monkeypatch.setenv("SMSCAST_TWILIO_BASE_URL", f"http://admin:hunter2-very-secret@{host}")
    assert main(["account"]) == 1
    err = capsys.readouterr().err
    assert "user name or password" in err and "http://****@" in err
    assert "hunter2" not in err and "admin" not in err


def test_token_pasted_into_the_base_url_is_masked(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The auth token pasted into SMSCAST_TWILIO_BASE_URL (a slip of the clipboard), alone or
    in a path or query: no message shows it."""
    use_sandbox(monkeypatch, sb)
    for value in (
        sb.auth_token,
        f"{sb.base_url}/{sb.auth_token}",
        f"{sb.base_url}/x?token={sb.auth_token}",
    ):
        monkeypatch.setenv("SMSCAST_TWILIO_BASE_URL", value)
        code = main(["account"])
        out, err = capsys.readouterr()
        assert code == 1, (value, out, err)
        assert sb.auth_token[:-4] not in out + err
        assert err.startswith("smscast: ")


def test_top_level_errors_mask_the_configured_token(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Any error the command line prints is scrubbed: here a file name holding the token."""
    use_sandbox(monkeypatch, sb)
    assert main(["check", f"contacts-{sb.auth_token}.csv"]) == 1
    err = capsys.readouterr().err
    assert sb.auth_token[-4:] in err and sb.auth_token[:-4] not in err


# --- settings warnings ----------------------------------------------------------------------


def test_account_shows_a_settings_warning_once(
    clean_env: Path,
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_sandbox(monkeypatch, sb)
    (clean_env / ".env").write_text("not a setting\n")
    assert main(["account"]) == 0
    err = capsys.readouterr().err
    assert err.count("line 1: expected KEY=VALUE") == 1
