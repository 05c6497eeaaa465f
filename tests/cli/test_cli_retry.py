"""`smscast retry` and `follow-up` refuse wrong flags with a sentence and exit 2, and a
retry resumes from the journal even when its parent's contacts file changed since."""

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
