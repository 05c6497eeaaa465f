"""A usage error quotes what was typed made visible: `smscast check f.csv ESC[2J` printed
"unrecognized arguments: ESC[2J" raw (argparse joins the extra arguments as they are)."""

from __future__ import annotations

import pytest

from campaigns.cli import main as cli


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "contacts.csv", "\x1b[2J\x1b]0;owned\x07"],
        ["--\x1b[2J"],
        ["send", "contacts.csv", "-t", "x", "--\u202eflag"],
    ],
)
def test_a_usage_error_shows_typed_controls_made_visible(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\x1b" in err or "\\u202e" in err


def test_a_multi_line_usage_message_keeps_its_line_breaks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["send", "contacts.csv", "-t", "x", "--quiet-hours", "25:00-26:00"])
    err = capsys.readouterr().err
    assert "\\x0a" not in err and "\nGive --quiet-hours" in err
