"""`smscast retry` and `follow-up` refuse wrong flags with a sentence and exit 2 (send's
flags too, named with the right command), a bad time exactly as `send` does, and a retry
resumes from the journal even when its parent's contacts file changed since."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from campaigns.cli import main as cli
from campaigns.cli.commands.resume import check_unchanged
from campaigns.cli.sending import Renderer
from campaigns.errors import InputError
from campaigns.store import journal as J


def _journal(tmp_path: Path) -> tuple[Path, str, str]:
    db = tmp_path / "s.db"
    source = tmp_path / "people.csv"
    source.write_text("phone\n+14155550100\n", encoding="utf-8")
    with J.Journal.open(db) as journal:
        fields = {
            "template": "Hi",
            "source_name": str(source),
            "source_sha256": "f" * 64,  # not the file's: it "changed since"
            "sender": "+15017122661",
            "messaging_service_sid": None,
            "settings": {},
            "recipients": [J.NewRecipient(2, "+14155550100", "Hi", 1, 0.0)],
        }
        root = journal.create_campaign(**fields)  # type: ignore[arg-type]
        journal.set_state(root, J.FINISHED)
        retry = journal.create_campaign(**fields, parent_id=root, kind="retry")  # type: ignore[arg-type]
    return db, root, retry


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["retry", "{root}", "--codes", "30006"], "30006: Landline"),
        (["retry", "{root}", "--codes", "abc"], "not a list of error codes"),
        (["follow-up", "{root}", "--who", "delivered"], "--template"),
    ],
)
def test_wrong_flags_exit_2_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    db, root, _ = _journal(tmp_path)
    args = [a.format(root=root) for a in argv] + ["--db", str(db), "--config", str(tmp_path / "x")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


_FOLLOW_UP = ["follow-up", "{root}", "--who", "delivered", "-t", "Hi"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["retry", "{root}", "--at", "2030-01-01 10:00", "--at-local", "12:00"], "not allowed"),
        (["retry", "{root}", "--at", "tomorrow"], "--at"),
        ([*_FOLLOW_UP, "--tz", "Mars/Base"], "Mars/Base"),
        ([*_FOLLOW_UP, "--status-callback", "ftp://host/x"], "http"),
        (["retry", "{root}", "--lookup"], "smscast retry: error: --lookup is billed"),
        ([*_FOLLOW_UP, "--send"], "smscast follow-up: error: not a terminal"),
    ],
)
def test_sends_flags_are_checked_as_send_checks_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    db, root, _ = _journal(tmp_path)
    args = [a.format(root=root) for a in argv] + ["--db", str(db), "--config", str(tmp_path / "x")]
    try:
        code = cli.main(args)
    except SystemExit as usage:  # argparse's own usage errors
        code = int(usage.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--at", "2020-01-01 10:00", "--tz", "UTC"], "--at 2020-01-01 10:00 UTC is already past."),
        (["--at-local", "12:00", "--canary", "2"], "--canary waits for the first messages"),
    ],
)
def test_a_time_that_cannot_be_is_refused_as_send_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], said: str
) -> None:
    """One sentence and the same exit status from all three commands (an InputError)."""
    db, root, _ = _journal(tmp_path)
    common = [*extra, "--db", str(db), "--config", str(tmp_path / "x")]
    commands = (
        ["send", str(tmp_path / "people.csv"), "-t", "Hi"],
        ["retry", root],
        [a.format(root=root) for a in _FOLLOW_UP],
    )
    codes = []
    for command in commands:
        codes.append(cli.main([*command, *common]))
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err, (command, err)
    assert codes == [1, 1, 1]


def test_a_retry_of_an_unfinished_campaign_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, retry = _journal(tmp_path)  # the retry is still planned
    assert cli.main(["retry", retry, "--db", str(db), "--config", str(tmp_path / "x")]) == 1
    assert "is not over (planned)" in capsys.readouterr().err


def test_a_retry_resumes_from_the_journal_though_the_parent_file_changed(tmp_path: Path) -> None:
    db, root, retry = _journal(tmp_path)
    render = Renderer(json_mode=False, out=io.StringIO(), err=io.StringIO())
    with J.Journal.open(db) as journal:
        check_unchanged(journal.campaign(retry), None, None, render)  # no error
        with pytest.raises(InputError, match="changed since"):
            check_unchanged(journal.campaign(root), None, None, render)
