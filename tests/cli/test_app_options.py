"""`smscast --status-callback URL --listen-port N [CONTACTS.csv]`: the app's own options,
passed to the app as settings (above the environment and the files); a bad value, or the
options before a command, is a usage error (exit 2) that says why."""

from __future__ import annotations

import pytest

from campaigns.cli import main as cli


def opened_with(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[object, ...]:
    """What `main` opens the app with (the app itself is not started)."""
    seen: list[tuple[object, ...]] = []

    def open_app(contacts_file: str | None, demo: bool, settings_flags: object = None) -> int:
        seen.append((contacts_file, demo, settings_flags))
        return 0

    monkeypatch.setattr(cli, "open_app", open_app)
    assert cli.main(argv) == 0
    return seen[0]


def test_the_app_options_reach_the_app_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://sms.example.com/receipts"
    assert opened_with(
        monkeypatch, ["--status-callback", url, "--listen-port=8080", "contacts.csv"]
    ) == ("contacts.csv", False, {"status_callback_url": url, "listen_port": "8080"})
    assert opened_with(monkeypatch, ["--listen-host", "0.0.0.0", "--status-callback", url]) == (
        None,
        False,
        {"listen_host": "0.0.0.0", "status_callback_url": url},
    )
    assert opened_with(monkeypatch, ["contacts.csv"]) == ("contacts.csv", False, {})


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--listen-port", "80x"], "'80x' is not a port"),
        (["--listen-port"], "expected one argument"),
        (["--status-callback", "ftp://host/x"], "http"),
        (["--listen-port", "8080", "send", "c.csv"], "are the app's options"),
    ],
)
def test_a_bad_app_option_is_a_usage_error(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        cli.main(argv)
    assert usage.value.code == 2 and said in capsys.readouterr().err
