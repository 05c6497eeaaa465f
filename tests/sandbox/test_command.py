"""`smscast sandbox` as a person runs it: prints what to export, READY, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from campaigns.cli.commands.sandbox import config_from_args
from campaigns.cli.main import build_parser
from tests.sandbox.sdk import sdk_client

ROOT = Path(__file__).resolve().parents[2]


def test_flags_become_the_config() -> None:
    args = build_parser().parse_args(
        [
            "sandbox",
            "--full",
            "--verified",
            "+14155550100, +14155550101",
            "--opted-out",
            "+14155550102",
            "--latency-ms",
            "20",
            "--fail-share",
            "0.1",
            "--undelivered-share",
            "0.2",
            "--429-share",
            "0.01",
            "--5xx-before-share",
            "0.02",
            "--5xx-after-share",
            "0.03",
            "--drop-after-share",
            "0.04",
            "--hang-share",
            "0.05",
            "--concurrency-limit",
            "7",
            "--speedup",
            "50",
            "--seed",
            "9",
        ]
    )
    config = config_from_args(args)
    assert config.trial is False
    assert config.verified == ("+14155550100", "+14155550101")
    assert config.opted_out == ("+14155550102",)
    assert (config.latency_ms, config.failed_share, config.undelivered_share) == (20, 0.1, 0.2)
    faults = config.faults
    assert (
        faults.rate_limit,
        faults.error_before,
        faults.error_after,
        faults.drop_after,
        faults.hang,
    ) == (0.01, 0.02, 0.03, 0.04, 0.05)
    assert (config.concurrency_limit, config.speedup, config.seed) == (7, 50, 9)
    assert config_from_args(build_parser().parse_args(["sandbox"])).trial is True


def test_runs_prints_exports_and_stops_on_ctrl_c() -> None:
    sid, token = "AC" + "e" * 32, "f" * 32
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campaigns",
            "sandbox",
            "--account-sid",
            sid,
            "--auth-token",
            token,
            "--full",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("READY "):
                break
        base_url = lines[-1].split()[1]
        assert base_url.startswith("http://127.0.0.1:")
        text = "\n".join(lines)
        for export in (
            f"SMSCAST_TWILIO_BASE_URL={base_url}",
            f"TWILIO_ACCOUNT_SID={sid}",
            f"TWILIO_AUTH_TOKEN={token}",
            "TWILIO_PHONE_NUMBER=+1",
        ):
            assert f"export {export}" in text

        class Running:
            account_sid, auth_token = sid, token

        Running.base_url = base_url  # type: ignore[attr-defined]
        client = sdk_client(Running)  # type: ignore[arg-type]
        assert client.api.v2010.accounts(sid).fetch().type == "Full"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_both_or_neither_credential_flag(capsys) -> None:
    from campaigns.cli.main import main

    assert main(["sandbox", "--account-sid", "AC" + "1" * 32]) == 1
    assert "--auth-token" in capsys.readouterr().err


def test_busy_port_is_a_clear_error(capsys) -> None:
    import socket

    from campaigns.cli.main import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err


async def test_binds_loopback_only() -> None:
    import pytest

    from campaigns.sandbox import Sandbox

    with pytest.raises(ValueError, match="loopback"):
        await Sandbox().start(host="0.0.0.0")
