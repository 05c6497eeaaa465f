"""A `scheduled` message is at Twilio and not delivered yet: every face counts it as awaiting
delivery, like `queued` or `sent` (the hand-written lists each face had left it out: the run's
bar and footer did not show it nor offer `--watch`, `smscast campaigns` did not count it as
sent, the tmux driver did not read it off the screen)."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

from campaigns.cli.main import main
from campaigns.cli.sending import Renderer, footer
from campaigns.send.engine import RunResult
from campaigns.send.events import Progress
from campaigns.store import journal as J

DRIVER = Path(__file__).resolve().parents[2] / "benchmarks" / "drive_demo_tmux.py"


def _journal_with_scheduled(db: Path) -> str:
    """A campaign of four: one delivered, two scheduled at Twilio, one not sent yet."""
    with J.Journal.open(db) as journal:
        cid = journal.create_campaign(
            template="Hi",
            source_name="/tmp/c.csv",
            source_sha256="ab" * 32,
            sender="+15017122661",
            messaging_service_sid=None,
            settings={},
            recipients=[J.NewRecipient(i + 2, f"+1415200{i:04d}", "Hi", 1, 0.0) for i in range(4)],
        )
        journal.apply(
            cid,
            outcomes=[
                J.Outcome(2, "delivered", sid="SM" + "2" * 32),
                J.Outcome(3, "scheduled", sid="SM" + "3" * 32),
                J.Outcome(4, "scheduled", sid="SM" + "4" * 32),
            ],
        )
        journal.set_state(cid, J.PAUSED, reason="Paused with Ctrl-C.")
    return cid


def test_the_run_footer_shows_scheduled_and_offers_to_watch(tmp_path: Path) -> None:
    out = io.StringIO()
    render = Renderer(json_mode=False, out=out, err=io.StringIO())
    footer("c1", RunResult("finished", {"delivered": 2, "scheduled": 3}), render)
    text = out.getvalue()
    assert "Campaign c1: finished. 3 scheduled, 2 delivered." in text
    assert "smscast status c1 --watch" in text


def test_the_progress_line_shows_scheduled() -> None:
    err = io.StringIO()
    render = Renderer(json_mode=False, out=io.StringIO(), err=err)
    render(Progress("c1", counts={"scheduled": 3}, total=3, done=3, rate=1.0, eta_seconds=None))
    assert err.getvalue().rstrip().endswith("3 scheduled")


def test_campaigns_counts_scheduled_as_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = _journal_with_scheduled(tmp_path / "j.db")
    assert main(["campaigns", "--db", str(tmp_path / "j.db")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(cid))
    total, sent = line.split()[4:6]  # ID, date, time, STATE, TOTAL, SENT, FILE
    assert (total, sent) == ("4", "3")


def _driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("drive_demo_tmux", DRIVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_tmux_driver_reads_scheduled_off_the_screen() -> None:
    screen = "██▒▒░░  50%  3/6\n· pending 3  … scheduled 2  ✓ delivered 1\n▶ sending"
    assert _driver().status_counts(screen) == {"pending": 3, "scheduled": 2, "delivered": 1}
