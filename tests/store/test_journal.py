"""The campaign journal: durable, private, versioned, and consistent at every crash point."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from disk_support import small_tmpfs

from campaigns.errors import (
    ConfigError,
    InputError,
    JournalCorruptError,
    JournalError,
    JournalFullError,
    JournalGoneError,
    JournalLockedError,
    JournalReadOnlyError,
)
from campaigns.store import journal as J
from campaigns.store.run_lock import CampaignBusyError


def _recipients(n: int) -> list[J.NewRecipient]:
    return [
        J.NewRecipient(i + 2, f"+1415200{i:04d}", f"Hi {i}", 1, 0.0079, {"name": f"N{i}"})
        for i in range(n)
    ]


def _campaign(journal: J.Journal, n: int = 5) -> str:
    return journal.create_campaign(
        template="Hi {name}",
        source_name="/tmp/c.csv",
        source_sha256="ab" * 32,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={"rate": "auto", "concurrency": 10},
        recipients=_recipients(n),
    )


def test_files_are_private_and_durable(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "smscast.db"
    with J.Journal.open(db) as journal:
        _campaign(journal)
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{db}{suffix}")
            assert path.exists(), suffix
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
        con = journal._db
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA user_version").fetchone()[0] == J.SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    J.Journal.open(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version={J.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(ConfigError, match="newer smscast"):
        J.Journal.open(db)


def test_campaign_roundtrip_and_lookup_by_prefix(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = _campaign(journal, 3)
        c = journal.campaign(cid[:-2])
        assert c.id == cid
        assert c.state == J.PLANNED
        assert c.settings["concurrency"] == 10
        assert c.template == "Hi {name}"
        rows = journal.recipients(cid)
        assert [r.row for r in rows] == [2, 3, 4]
        assert rows[0].fields == {"name": "N0"}
        assert journal.counts(cid) == {"pending": 3}
        journal.set_state(cid, J.RUNNING)
        assert journal.campaign(cid).started_at is not None
        journal.set_state(cid, J.PAUSED, reason="why", hint="do this")
        paused = journal.campaign(cid)
        assert (paused.state, paused.state_reason, paused.state_hint) == (
            J.PAUSED,
            "why",
            "do this",
        )
        assert journal.latest().id == cid
        with pytest.raises(InputError, match="No campaign"):
            journal.campaign("nope")


def test_intent_then_outcome(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = _campaign(journal, 3)
        at = J.now_utc()
        journal.apply(cid, intents=[J.Intent(2, at), J.Intent(3, at)])
        rows = {r.row: r for r in journal.recipients(cid)}
        assert rows[2].status == J.INFLIGHT and rows[2].attempts == 1
        assert rows[2].attempted_at == at
        assert rows[4].status == J.PENDING and rows[4].attempts == 0
        journal.apply(
            cid,
            outcomes=[
                J.Outcome(2, "queued", sid="SM" + "1" * 32, segments=2),
                J.Outcome(3, "failed", error_code=21211, error_message="bad number"),
            ],
        )
        journal.apply(cid, outcomes=[J.Outcome(2, "delivered", price="-0.0079")])
        rows = {r.row: r for r in journal.recipients(cid)}
        assert (rows[2].status, rows[2].sid, rows[2].segments) == ("delivered", "SM" + "1" * 32, 2)
        assert rows[2].price == "-0.0079"
        assert (rows[3].status, rows[3].error_code) == ("failed", 21211)
        assert journal.recipients(cid, [J.INFLIGHT]) == []


_CRASH = """
import os, sys
from campaigns.store import journal as J
journal = J.Journal.open(sys.argv[1])
cid = journal.campaigns()[0].id
at = J.now_utc()
journal.apply(cid, intents=[J.Intent(2, at), J.Intent(3, at)])
if sys.argv[2] == "after-outcome":
    journal.apply(cid, outcomes=[J.Outcome(2, "queued", sid="SM" + "2" * 32)])
elif sys.argv[2] == "mid-batch":
    journal._db.execute("BEGIN IMMEDIATE")
    journal._db.execute("UPDATE recipients SET status='queued' WHERE row=3")
os._exit(9)  # a crash: no close, no checkpoint, an open transaction is lost
"""


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        # intent committed, request maybe out, no outcome: both rows stay inflight
        ("after-intent", {2: J.INFLIGHT, 3: J.INFLIGHT, 4: J.PENDING}),
        # one outcome committed, the other not yet
        ("after-outcome", {2: "queued", 3: J.INFLIGHT, 4: J.PENDING}),
        # an outcome batch lost mid-transaction: nothing of it survives
        ("mid-batch", {2: J.INFLIGHT, 3: J.INFLIGHT, 4: J.PENDING}),
    ],
)
def test_crash_points(tmp_path: Path, point: str, expected: dict[int, str]) -> None:
    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal, 3)
    proc = subprocess.run([sys.executable, "-c", _CRASH, str(db), point], check=False)
    assert proc.returncode == 9
    with J.Journal.open(db) as journal:
        got = {r.row: r.status for r in journal.recipients(cid)}
        assert got == expected
        # every row that may have a request out is visible for reconciliation
        assert {r.row for r in journal.recipients(cid, [J.INFLIGHT])} == {
            row for row, status in expected.items() if status == J.INFLIGHT
        }


def test_set_status_and_settings(tmp_path: Path) -> None:
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = _campaign(journal, 4)
        journal.apply(cid, outcomes=[J.Outcome(2, J.UNKNOWN)])
        assert journal.set_status(cid, [J.UNKNOWN], J.PENDING, None) == 1
        assert journal.counts(cid) == {"pending": 4}
        journal.update_settings(cid, {"canary": 0})
        assert journal.campaign(cid).settings["canary"] == 0


def test_deferred_and_skipped_rows_are_stored(tmp_path: Path) -> None:
    later = J.now_utc() + timedelta(hours=3)
    with J.Journal.open(tmp_path / "j.db") as journal:
        cid = journal.create_campaign(
            template="x",
            source_name="c.csv",
            source_sha256="0" * 64,
            sender="+15017122661",
            messaging_service_sid=None,
            settings={},
            recipients=[
                J.NewRecipient(2, "+14152000001", "x", 1, 0.01, not_before=later),
                J.NewRecipient(3, "12", "", 0, 0.0, status=J.SKIPPED, error_message="invalid"),
            ],
        )
        a, b = journal.recipients(cid)
        assert a.not_before == later
        assert (b.status, b.error_message) == (J.SKIPPED, "invalid")


def test_default_path_honours_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSCAST_DB", str(tmp_path / "env.db"))
    assert J.default_db_path() == tmp_path / "env.db"
    monkeypatch.delenv("SMSCAST_DB")
    assert J.default_db_path().name == "smscast.db"


def test_unusable_location_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(ConfigError, match="Cannot open the campaign journal"):
        J.Journal.open(tmp_path / "dir.db")


_HOLD_LOCK = """
import sys, time
from campaigns.store.journal import Journal
with Journal.open(sys.argv[1]) as journal, journal.run_lock(sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_run_lock_is_exclusive_reentrant_and_dies_with_its_process(tmp_path: Path) -> None:
    import threading

    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
        with journal.run_lock(cid[:10]) as full_id:  # a prefix names the campaign
            assert full_id == cid
            with journal.run_lock(cid):  # re-entrant on the same thread (drive -> engine)
                pass
            refused: list[BaseException] = []

            def other_thread() -> None:
                try:
                    with journal.run_lock(cid):
                        pass
                except CampaignBusyError as exc:
                    refused.append(exc)

            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join()
            assert len(refused) == 1 and isinstance(refused[0], InputError)
        with journal.run_lock(cid):  # released at the end of the block
            pass

        # Another process holds it: refused at once. Killed with -9, it leaves no stale lock.
        holder = _hold_lock(db, cid)
        try:
            assert "being sent by another" in str(_refused(journal, cid))
            other = _campaign(journal)
            with journal.run_lock(other):  # another campaign of the same journal is free
                pass
        finally:
            holder.kill()
            holder.wait()
        with journal.run_lock(cid):
            pass


# -- a failing disk: every storage failure is a sentence naming the file and the cause ------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB filesystem (tmpfs) for the test."""
    with small_tmpfs(tmp_path, "1m") as where:
        yield where


@pytest.fixture
def read_only_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable folder, the same folder seen through a read-only bind mount)."""
    writable, view = tmp_path / "rw", tmp_path / "ro"
    writable.mkdir()
    view.mkdir()
    for command in (
        ["mount", "--bind", str(writable), str(view)],
        ["mount", "-o", "remount,bind,ro", str(view)],
    ):
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", str(view)], check=False)
            pytest.skip(f"cannot bind-mount read-only here: {done.stderr.decode().strip()}")
    try:
        yield writable, view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def _fill(folder: Path) -> None:
    """Fill the filesystem holding `folder` to the last byte."""
    with contextlib.suppress(OSError), open(folder / "filler", "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 4096)


def test_a_full_disk_is_named_and_the_journal_stays_usable(small_disk: Path) -> None:
    db = small_disk / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal, 50)
        _fill(small_disk)
        with pytest.raises(JournalFullError) as caught:  # noqa: PT012
            for _ in range(200):  # grows the journal until the disk refuses
                _campaign(journal, 50)
        text = caught.value.full()
        assert f"Cannot write the campaign journal {db}" in text
        assert "the disk holding it is full (0.0 MB free)" in text
        assert "Free some space" in text and "disk I/O error" not in text
        assert caught.value.path == db
        # The failed transaction was rolled back; the connection still reads and writes.
        assert journal.counts(cid) == {J.PENDING: 50}
        (small_disk / "filler").unlink()
        journal.set_state(cid, J.PAUSED, reason="x")
        assert journal.campaign(cid).state == J.PAUSED


def test_a_journal_cannot_be_created_on_a_full_disk(small_disk: Path) -> None:
    _fill(small_disk)
    with (
        pytest.raises(JournalFullError, match=r"Cannot open the campaign journal .*is full"),
        J.Journal.open(small_disk / "new.db") as journal,
    ):
        _campaign(journal)


def test_a_read_only_filesystem_is_named(read_only_view: tuple[Path, Path]) -> None:
    writable, view = read_only_view
    with J.Journal.open(writable / "j.db") as journal:
        _campaign(journal)
    for target in (view / "j.db", view / "new.db", view / "sub" / "new.db"):
        with pytest.raises(JournalReadOnlyError, match="is on a read-only filesystem"):
            J.Journal.open(target)


def test_a_journal_is_read_without_a_write_on_a_full_disk(small_disk: Path) -> None:
    """`smscast status`, `campaigns` and `export` only read: a full disk must not stop them."""
    db = small_disk / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal, 5)
    _fill(small_disk)
    with pytest.raises(JournalFullError):  # opening to write needs room (the WAL index)
        J.Journal.open(db)
    with J.Journal.open(db, read_only=True) as journal:
        assert [c.id for c in journal.campaigns()] == [cid]
        assert journal.counts(cid) == {J.PENDING: 5}
        assert [r.row for r in journal.recipients(cid)] == [2, 3, 4, 5, 6]


def test_a_journal_is_read_without_a_write_on_a_read_only_filesystem(
    read_only_view: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaigns.cli.main import main

    writable, view = read_only_view
    with J.Journal.open(writable / "j.db") as journal:
        cid = _campaign(journal, 3)
        journal.set_state(cid, J.RUNNING)
    with pytest.raises(JournalReadOnlyError):
        J.Journal.open(view / "j.db")
    with J.Journal.open(view / "j.db", read_only=True) as journal:
        campaign = journal.campaign(cid)
        assert journal.counts(cid) == {J.PENDING: 3}
        assert journal.shown_state(campaign) == J.INTERRUPTED  # no run holds its lock
        assert sorted(p.name for p in writable.iterdir()) == ["j.db"]  # nothing written
        holder = _hold_lock(writable / "j.db", cid)  # a run, through the writable name
        try:
            assert journal.shown_state(campaign) == J.RUNNING
        finally:
            holder.kill()
            holder.wait()

    monkeypatch.chdir(tmp_path)
    for name in ("SMSCAST_DB", "SMSCAST_DATA_DIR", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMSCAST_CONFIG", str(tmp_path / "no-config.toml"))
    db = str(view / "j.db")
    out = tmp_path / "out.csv"
    for argv in (
        ["campaigns", "--db", db],
        ["status", cid, "--no-refresh", "--db", db],
        ["export", cid, "--db", db, "-o", str(out)],
    ):
        assert main(argv) == 0, argv
    assert out.exists()


def test_permission_denied_is_named() -> None:
    if not hasattr(os, "fork") or os.geteuid() != 0:
        pytest.skip("needs root, to become another user")
    folder = Path(tempfile.mkdtemp(prefix="smscast-perm-"))  # pytest's tmp_path is 0700
    folder.chmod(0o755)  # the folder is visible to everyone, the 0600 journal is not
    db = folder / "j.db"
    J.Journal.open(db).close()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                J.Journal.open(db)
                answer = "opened"
            except BaseException as exc:
                answer = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, JournalError):
                    answer = f"{type(exc).__name__}: {exc.full()}"
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    shutil.rmtree(folder)
    assert answer.startswith("JournalPermissionError: Cannot open the campaign journal"), answer
    assert "permission denied" in answer


def test_not_a_database_is_named(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a journal\n" * 100)
    with pytest.raises(JournalCorruptError, match="file is not a database") as caught:
        J.Journal.open(db)
    assert str(db) in str(caught.value)
    assert db.read_text().startswith("these are my notes")  # never overwritten


def test_a_journal_locked_by_another_program_is_named(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # an sqlite3 shell in the middle of a transaction
        try:
            journal._db.execute("PRAGMA busy_timeout=50")  # not the 5 s a person gets
            with pytest.raises(JournalLockedError, match="locked by another program"):
                journal.set_state(cid, J.PAUSED)
        finally:
            other.execute("ROLLBACK")
            other.close()
        journal.set_state(cid, J.PAUSED)  # and it works again once the other lets go


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_journal_deleted_or_replaced_under_it_refuses_writes(tmp_path: Path, how: str) -> None:
    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        else:
            copy = tmp_path / "copy.db"
            with J.Journal.open(copy) as other:
                _campaign(other)
            os.replace(copy, db)
        with pytest.raises(JournalGoneError, match=f"was {how}") as caught:
            journal.apply(cid, intents=[J.Intent(2, J.now_utc())])
        assert "already sent are in Twilio" in caught.value.full()
        assert "needs the journal back" in caught.value.full()


def test_the_suppression_list_shares_the_sentences(small_disk: Path, tmp_path: Path) -> None:
    from campaigns.audience.suppression import SuppressionList

    db = small_disk / "j.db"
    with SuppressionList(db) as suppression:
        suppression.add("+14155550100", reason="asked")
        _fill(small_disk)
        # the loop is the one action under test: add until the disk refuses
        with pytest.raises(  # noqa: PT012
            JournalFullError, match=f"{db}: the disk holding it is full"
        ):
            for i in range(5000):
                suppression.add(f"+1415555{i:04d}", reason="x" * 200)
        assert "+14155550100" in suppression.numbers()  # still readable
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 100)
    with pytest.raises(JournalCorruptError, match="file is not a database"):
        SuppressionList(notes)


def _hold_lock(db: Path | str, cid: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """A process holding the campaign's run lock through `db` (returns once it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(db), cid], stdout=subprocess.PIPE, text=True, cwd=cwd
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _refused(journal: J.Journal, cid: str) -> CampaignBusyError:
    """The error taking the campaign's run lock meets (it must be refused, at once)."""
    with pytest.raises(CampaignBusyError) as refused, journal.run_lock(cid):
        pass
    return refused.value


def _alias(kind: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another name for the journal `db`: a symlink, a relative path, or a hard link (in
    another folder, as a copy someone linked to)."""
    if kind == "symlink":
        link = db.parent / "link.db"
        link.symlink_to(db)
        return link
    if kind == "relative":
        monkeypatch.chdir(db.parent)
        return Path(".") / db.name
    other = db.parent / "elsewhere"
    other.mkdir()
    (other / "hard.db").hardlink_to(db)
    return other / "hard.db"


ALIASES = ("symlink", "relative", "hardlink")


@pytest.mark.parametrize("kind", ALIASES)
def test_run_lock_belongs_to_the_database_not_the_name_it_was_opened_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Two `smscast resume` through a symlink texted 172 of 200 people twice: the lock was
    keyed on the path as typed. Held through one name, it is refused through any other, by
    another process and by another thread of this one, and free again once released."""
    import threading

    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
    alias = _alias(kind, db, monkeypatch)

    holder = _hold_lock(db, cid)  # another process, through the real name
    try:
        with J.Journal.open(alias) as journal:
            _refused(journal, cid)
    finally:
        holder.kill()
        holder.wait()

    holder = _hold_lock(alias, cid, cwd=Path.cwd())  # and the other way round
    try:
        with J.Journal.open(db) as journal:
            _refused(journal, cid)
    finally:
        holder.kill()
        holder.wait()

    # Two threads of one process (the app's engine thread and its screens), two connections.
    with J.Journal.open(db) as journal, journal.run_lock(cid):
        refused: list[BaseException] = []

        def other_thread() -> None:
            with J.Journal.open(alias) as other:
                try:
                    with other.run_lock(cid):
                        pass
                except CampaignBusyError as exc:
                    refused.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert len(refused) == 1
    with J.Journal.open(alias) as journal, journal.run_lock(cid):  # released: free again
        pass


def test_a_running_campaign_nobody_sends_is_shown_interrupted(tmp_path: Path) -> None:
    """A campaign stored as `running` whose process died (kill -9, a crash) was listed as
    running, as if it were being sent; it is shown `interrupted` unless a process holds it."""
    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
        journal.set_state(cid, J.RUNNING)
        assert journal.shown_state(journal.campaign(cid)) == J.INTERRUPTED
    holder = _hold_lock(db, cid)
    try:
        with J.Journal.open(db) as journal:
            assert journal.shown_state(journal.campaign(cid)) == J.RUNNING
    finally:
        holder.kill()
        holder.wait()
    with J.Journal.open(db) as journal:
        journal.set_state(cid, J.PAUSED)
        assert journal.shown_state(journal.campaign(cid)) == J.PAUSED


def test_smscast_campaigns_shows_an_interrupted_campaign(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from campaigns.cli.main import main

    db = tmp_path / "j.db"
    with J.Journal.open(db) as journal:
        cid = _campaign(journal)
        journal.set_state(cid, J.RUNNING)
    assert main(["campaigns", "--db", str(db)]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith(cid))
    assert " interrupted " in line
    assert main(["campaigns", "--db", str(db), "--json"]) == 0
    assert '"state": "interrupted"' in capsys.readouterr().out
