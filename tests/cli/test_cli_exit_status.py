"""The exit statuses of a run, as `--help` and the README state them: 0 everyone texted,
3 over (finished or canceled) with recipients who did not get the message, 4 paused or stopped
(resumable); and the last counts a script sees without a terminal are the final ones."""

from __future__ import annotations

import io

import pytest

from campaigns.cli import main as cli
from campaigns.cli.sending import Renderer, exit_status
from campaigns.send.engine import RunResult
from campaigns.send.events import CampaignFinished, CampaignPaused, Progress


@pytest.mark.parametrize(
    ("state", "counts", "expected"),
    [
        ("finished", {"delivered": 5}, 0),
        ("finished", {"delivered": 4, "skipped": 3}, 0),  # excluded before sending: not missed
        ("finished", {"delivered": 4, "undelivered": 1}, 3),
        ("finished", {"failed": 1}, 3),
        ("canceled", {"delivered": 2, "canceled": 3}, 3),  # over, not resumable
        ("canceled", {"delivered": 2, "sent": 1}, 0),  # canceled after everyone was texted
        ("paused", {"delivered": 2, "pending": 3}, 4),
        ("paused", {"unknown": 1}, 4),
        ("stopped", {"inflight": 2, "pending": 3}, 4),
    ],
)
def test_exit_status(state: str, counts: dict[str, int], expected: int) -> None:
    assert exit_status(RunResult(state, counts)) == expected


@pytest.mark.parametrize("command", ["send", "resume", "cancel"])
def test_help_shows_the_exit_statuses(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for line in (
        "  0    everyone was texted",
        "  3    the campaign is over",
        "  4    the campaign",
    ):
        assert line in out
    assert "canceled" in out


def _progress(done: int, counts: dict[str, int]) -> Progress:
    return Progress("c1", counts=counts, total=3, done=done, rate=1.0, eta_seconds=None)


@pytest.mark.parametrize(
    "end",
    [
        CampaignFinished("c1", counts={"delivered": 2, "undelivered": 1}),
        CampaignPaused("c1", reason="Paused with Ctrl-C.", hint="", kind="user"),
    ],
)
def test_without_a_terminal_the_last_counts_are_printed(end: object) -> None:
    err = io.StringIO()
    render = Renderer(json_mode=False, out=io.StringIO(), err=err)
    render(_progress(0, {"pending": 3}))
    render(_progress(3, {"queued": 3}))  # all sent: printed once
    render(_progress(3, {"delivered": 2, "queued": 1}))  # throttled
    render(_progress(3, {"delivered": 2, "undelivered": 1}))  # the last one: throttled...
    assert "undelivered" not in err.getvalue()
    render(end)  # ...until the campaign ends or pauses
    lines = [line for line in err.getvalue().splitlines() if line.startswith("[")]
    assert lines[-1].endswith("2 delivered  1 undelivered"), lines
