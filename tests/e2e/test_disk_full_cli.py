"""A journal on a disk that fills up mid-send, for real (an 8 MB tmpfs, mounted as root; skipped
where mounting is not allowed): `smscast send` stops with a sentence naming the file and the
cause (exit 4, no traceback); once space is freed `smscast resume` texts everyone else, each
recipient exactly once. A journal that cannot be opened at all is exit 1."""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from disk_support import small_tmpfs
from send_support import (
    SMSCAST,
    numbers,
    run_cli,
    sandbox_process,
    send_args,
    smscast_env,
    write_contacts,
)

from campaigns.store import journal as J

PEOPLE = 300


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB disk: SQLite compacts its log only past ~4 MB, so a resume on 1 MB fills it again."""
    with small_tmpfs(tmp_path, "8m") as where:
        yield where


def _leave_free(folder: Path, keep: int) -> Path:
    """A filler file that leaves about `keep` bytes free on the filesystem of `folder`."""
    filler = folder / "filler"
    size = max(0, shutil.disk_usage(folder).free - keep)
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as f:
        f.write(b"\0" * size)
    return filler


def test_disk_full_mid_send_stops_with_a_sentence_and_resume_finishes(
    small_disk: Path, tmp_path: Path
) -> None:
    phones = numbers(PEOPLE, 7000)
    contacts = write_contacts(tmp_path / "contacts.csv", phones)
    db = small_disk / "smscast.db"
    with sandbox_process("--latency-ms", "30", "--speedup", "1000") as sb:
        env = smscast_env(sb, tmp_path, db)
        filler = _leave_free(small_disk, 256 * 1024)
        sent = run_cli(send_args(contacts, "--rate", "max", "--concurrency", "4"), env, tmp_path)
        assert sent.returncode == 4, sent.stderr[-3000:]
        assert "Traceback" not in sent.stderr + sent.stdout
        text = sent.stderr + sent.stdout
        assert f"Cannot write the campaign journal {db}: the disk holding it is full" in text
        assert "disk I/O error" not in text
        assert "smscast resume" in text
        per_number = Counter(m["to"] for m in sb.messages())
        assert 0 < len(per_number) < PEOPLE and max(per_number.values()) == 1

        filler.unlink()  # space freed
        resumed = run_cli([*SMSCAST, "resume", "--yes", "--track", "0"], env, tmp_path)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        by_to = Counter(m["to"] for m in sb.messages())
    assert {p: by_to[p] for p in phones} == dict.fromkeys(phones, 1)
    with J.Journal.open(db) as journal:
        assert journal.latest().state == J.FINISHED


def test_a_journal_that_cannot_be_opened_is_exit_1_with_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes\n" * 100)
    env = smscast_env(
        type(
            "Nowhere",
            (),
            {
                "base_url": "http://127.0.0.1:9",
                "account_sid": "AC" + "0" * 32,
                "auth_token": "x" * 32,
                "phone_number": "+15005550006",
            },
        )(),
        tmp_path,
        db,
    )
    for args in (["campaigns"], ["status"], ["export"], ["resume", "--yes"]):
        done = run_cli([*SMSCAST, *args], env, tmp_path)
        assert done.returncode == 1, (args, done.stderr)
        assert f"{db}: file is not a database" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
