"""Hostile text never reaches the terminal raw; blank bodies are left out; exports write only
regular files. Every command runs through the real entry point (`cli.main`, or a subprocess
on a pseudo-terminal where what a terminal sees matters)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from campaigns.cli.main import main
from campaigns.store.journal import Journal, NewRecipient, Outcome

#: What must never reach a terminal raw: C0 controls but line breaks, DEL, C1, bidi controls.
RAW = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

TITLE = "\x1b]0;owned\x07"  # retitles a terminal
CLEAR = "\x1b[2J"  # clears the screen
RLO = "\u202e"  # right-to-left override
CSI = "\x9b"  # a C1 control sequence introducer
MARKUP = "[bold red]x[@click=app.quit]"

CONTACTS = [
    ["phone", "name", f"note{RLO}"],
    ["+14155552671", f"{TITLE}Ann", MARKUP],
    ["+14155552672", f"{CLEAR}Bob", f"{RLO}gpj.exe"],
    ["+14155552673", f"Cy{CSI}31m", ""],
    [f"{CLEAR}555", "Bad", ""],  # invalid number: quoted by check and the plan
    ["+14155552671", f"Dup{RLO}", ""],  # duplicate with another name: a shared-number warning
]
TEMPLATE = f"Hi {{name}}{CLEAR}{RLO}!"


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    if found is not None:
        around = text[max(0, found.start() - 60) : found.end() + 60]
        raise AssertionError(f"raw {found.group()!r} in: {around!r}")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder, no credentials, config or .env; the journal inside."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "SMSCAST_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("SMSCAST_DB", str(tmp_path / "journal.db"))
    return tmp_path


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


@pytest.fixture
def hostile(env: Path) -> tuple[Path, Path]:
    """A contacts file and a template file whose names, cells and text are hostile."""
    contacts = write_rows(env / f"list{CLEAR}{RLO}.csv", CONTACTS)
    template = env / f"tpl{TITLE}.txt"
    template.write_text(TEMPLATE, encoding="utf-8")
    return contacts, template


def smscast(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def make_campaign(db: Path) -> str:
    """A paused campaign whose file name, template, cells, Twilio error and reason are hostile."""
    with Journal.open(db) as journal:
        campaign_id = journal.create_campaign(
            template=TEMPLATE,
            source_name=f"/tmp/list{CLEAR}{RLO}.csv",
            source_sha256="0" * 64,
            sender=f"+15005550006{TITLE}",
            messaging_service_sid=None,
            settings={"columns": ["phone", "name"]},
            recipients=[
                NewRecipient(2, "+14155552671", "Hi", 1, 0.01, fields={"name": f"{TITLE}Ann"}),
                NewRecipient(3, "+14155552672", "Hi", 1, 0.01, fields={"name": MARKUP}),
            ],
        )
        journal.apply(
            campaign_id,
            [Outcome(2, "failed", sid="SM" + "1" * 32, error_code=30003, error_message=CLEAR)],
        )
        journal.set_state(campaign_id, "paused", reason=f"Paused {TITLE}", hint=f"{RLO}hint")
    return campaign_id


def test_check_preview_and_dry_run_show_hostile_text_escaped(
    hostile: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    contacts, template = hostile
    for argv in (
        ["check", str(contacts)],
        ["preview", str(contacts), "-t", f"@{template}"],
        ["send", str(contacts), "-t", f"@{template}", "--quiet-hours", "off"],
    ):
        code, out, err = smscast(capsys, *argv)
        assert code == 0, err
        assert_clean(out + err)
        assert "list\\x1b[2J\\u202e.csv" in out  # the file name, made visible
        if argv[0] != "preview":  # (the preview leaves bad numbers to check)
            assert "\\x1b[2J555" in out  # the invalid number, quoted visibly
        if argv[0] != "send":  # (the dry run names no one it texts)
            assert "\\x1b]0;owned\\x07Ann" in out
    code, out, _ = smscast(capsys, "preview", str(contacts), "-t", f"@{template}")
    assert "\\x1b[2J" in out and "\\x9b31m" in out
    # what a control character in the body will do is said, row by row
    assert "control-character" in out and "ESC" in out and "sent as it is" in out


def test_json_output_escapes_c1_and_bidi_and_keeps_the_data(
    hostile: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    contacts, template = hostile
    for argv in (
        ["check", str(contacts), "--json"],
        ["preview", str(contacts), "-t", f"@{template}", "--json"],
        ["send", str(contacts), "-t", f"@{template}", "--quiet-hours", "off", "--json"],
    ):
        code, out, err = smscast(capsys, *argv)
        assert code == 0, err
        assert_clean(out + err)
        decoded = [json.loads(line) for line in out.splitlines()]
        assert decoded
    _, out, _ = smscast(capsys, "preview", str(contacts), "-t", f"@{template}", "--json")
    bodies = [json.loads(line)["body"] for line in out.splitlines()[:-1]]
    assert bodies[0] == f"Hi {TITLE}Ann{CLEAR}{RLO}!"  # the data, exactly, once decoded


def test_campaigns_status_and_errors_show_hostile_text_escaped(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign_id = make_campaign(env / "journal.db")
    for argv in (
        ["campaigns"],
        ["campaigns", "--json"],
        ["status", campaign_id, "--no-refresh"],
        ["status", campaign_id, "--no-refresh", "--json"],
        ["export", campaign_id, "-o", f"out{CLEAR}.csv"],
        ["preview", f"missing{TITLE}.csv", "-t", "Hi"],
        ["suppress", "add", f"{CLEAR}123"],
        ["suppress", "remove", f"{CLEAR}123"],
    ):
        _, out, err = smscast(capsys, *argv)
        assert_clean(out + err)
    _, out, _ = smscast(capsys, "status", campaign_id, "--no-refresh")
    assert "Paused \\x1b]0;owned\\x07" in out and "\\u202ehint" in out
    _, out, _ = smscast(capsys, "campaigns")
    assert "list\\x1b[2J\\u202e.csv" in out


def test_suppress_import_and_list_show_hostile_text_escaped(
    hostile: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    contacts, _ = hostile
    code, out, err = smscast(capsys, "suppress", "import", str(contacts))
    assert code == 1  # the invalid row
    assert_clean(out + err)
    assert "\\x1b[2J555" in err
    for argv in (["suppress", "list"], ["suppress", "list", "--json"]):
        code, out, err = smscast(capsys, *argv)
        assert code == 0
        assert_clean(out + err)


def test_account_shows_twilio_friendly_names_escaped(
    sandbox_factory, env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from campaigns.sandbox.config import DEFAULT_SENDERS, SenderSpec

    sb = sandbox_factory(
        friendly_name=f"{TITLE}Acme{RLO}",
        senders=(
            SenderSpec("+15017122661", "long_code", friendly_name=f"{CLEAR}{CSI}"),
            *DEFAULT_SENDERS[1:],
        ),
    )
    monkeypatch.setenv("SMSCAST_TWILIO_BASE_URL", sb.base_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sb.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sb.auth_token)
    for argv in (["account"], ["account", "--json"]):
        code, out, err = smscast(capsys, *argv)
        assert code == 0, err
        assert_clean(out + err)
    _, out, _ = smscast(capsys, "account", "--json")
    assert json.loads(out)["account"]["friendly_name"] == f"{TITLE}Acme{RLO}"


def on_a_terminal(argv: list[str], cwd: Path) -> str:
    """Run smscast with stdout and stderr on a pseudo-terminal; what the terminal got."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with subprocess.Popen(
        [sys.executable, "-m", "campaigns", *argv],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_export_to_stdout_escapes_on_a_terminal_and_keeps_the_data_in_a_pipe(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign_id = make_campaign(env / "journal.db")
    shown = on_a_terminal(["export", campaign_id, "-o", "-"], env)
    assert_clean(shown)
    assert "\\x1b]0;owned\\x07Ann" in shown
    # into a pipe the cells are the person's data, exactly (and still formula-safe)
    code, out, _ = smscast(capsys, "export", campaign_id, "-o", "-")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["name"] == f"{TITLE}Ann"


def test_empty_and_blank_bodies_are_left_out_with_their_reason(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contacts = write_rows(
        env / "c.csv",
        [
            ["phone", "name"],
            ["+14155552671", "Ann"],
            ["+14155552672", ""],
            ["+14155552673", "   "],
            ["+14155552674", "\u200b\u200e"],
        ],
    )
    code, out, _ = smscast(capsys, "preview", str(contacts), "-t", "{name}")
    assert code == 0
    assert "1 message to send" in out
    assert "row 3: body-empty" in out and "row 4: body-blank" in out and "row 5: body-blank" in out
    code, out, _ = smscast(capsys, "send", str(contacts), "-t", "{name}", "--quiet-hours", "off")
    assert code == 0
    assert "To text: 1 message(s)" in out and "Excluded: 3" in out
    assert "21602" in out and "blank text" in out
    _, out, _ = smscast(capsys, "preview", str(contacts), "-t", "{name}", "--json")
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert summary["messages"] == 1
    assert [p["kind"] for p in summary["problems"]] == ["body-empty", "body-blank", "body-blank"]


def test_export_refuses_a_fifo_a_folder_and_a_link_to_a_device(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign_id = make_campaign(env / "journal.db")
    fifo = env / "pipe"
    os.mkfifo(fifo)
    link = env / "null-link"
    link.symlink_to("/dev/null")
    folder = env / "folder"
    folder.mkdir()
    for target, kind in ((fifo, "FIFO"), (link, "character device"), (folder, "folder")):
        code, _, err = smscast(capsys, "export", campaign_id, "-o", str(target))
        assert code == 1
        assert kind in err and "regular files" in err and "Traceback" not in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # not replaced by a regular file
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert folder.is_dir() and not list(folder.iterdir())
    code, _, err = smscast(capsys, "suppress", "export", "-o", str(fifo))
    assert code == 1 and "FIFO" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_through_a_link_to_a_file_writes_the_file_and_keeps_the_link(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign_id = make_campaign(env / "journal.db")
    real = env / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = env / "results.csv"
    link.symlink_to(real)
    code, _, err = smscast(capsys, "export", campaign_id, "-o", str(link))
    assert code == 0, err
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8-sig").startswith("phone,name")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_rows_left_out_for_their_message_are_not_listed_as_deferred(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside the window, the dry run listed the rows with an empty or blank message as
    deferred ("Deferred by quiet hours: 3") although they are never sent."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    contacts = write_rows(
        env / "c.csv",
        [["phone", "name"], ["+14155552671", "Ann"], ["+14155552672", ""], ["+14155552673", " "]],
    )
    here = datetime.now(ZoneInfo("America/Los_Angeles"))
    window = f"{here + timedelta(hours=3):%H:00}-{here + timedelta(hours=4):%H:00}"  # closed now
    code, out, _ = smscast(capsys, "send", str(contacts), "-t", "{name}", "--quiet-hours", window)
    assert code == 0
    assert "To text: 1 message(s)" in out
    assert "Deferred by quiet hours: 1," in out
    assert "1 recipients are outside their sending window" in out
    code, out, _ = smscast(
        capsys, "send", str(contacts), "-t", "{name}", "--quiet-hours", window, "--json"
    )
    plan = json.loads(out.splitlines()[0])
    assert list(plan["deferred"]) == ["2"]
