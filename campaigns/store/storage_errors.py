"""Storage failures of the smscast database, translated into sentences a person can act on.

Every `sqlite3` and `OSError` exception of the journal (and of the suppression list, which
shares the file) goes through `storage_error`, the one place that tells a full disk, a
read-only filesystem, a permission problem, a lock held by another program, a file that is
not a database, and a journal deleted or replaced under a run (`gone_error`) apart. Each
becomes a `JournalError` subclass naming the file, the cause and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from campaigns.errors import (
    JournalCorruptError,
    JournalError,
    JournalFullError,
    JournalGoneError,
    JournalLockedError,
    JournalPermissionError,
    JournalReadOnlyError,
)

__all__ = ["gone_error", "storage_error", "translated"]


class _Stored(Protocol):
    """What `translated` needs of the object whose methods it wraps: the database's path."""

    path: Path


#: SQLite's primary result codes (`sqlite3.Error.sqlite_errorcode & 0xFF`) that we explain.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
#: SQLITE_READONLY_DBMOVED: SQLite noticed the file was unlinked or renamed under it.
_SQLITE_READONLY_DBMOVED = _SQLITE_READONLY | (4 << 8)
#: Below this much free space an I/O error is taken for a full disk: SQLite reports a write
#: that hit ENOSPC on the WAL's shared memory as "disk I/O error", not SQLITE_FULL.
_FULL_BELOW = 1 << 20

_ELSEWHERE = "or point --db (or SMSCAST_DB) at another place"


def _free_bytes(folder: Path) -> int | None:
    with contextlib.suppress(OSError):
        return shutil.disk_usage(folder).free
    return None


def _read_only_fs(folder: Path) -> bool:
    with contextlib.suppress(OSError, AttributeError):
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    return False


def _may_write(path: Path) -> bool:
    target = path if path.exists() else path.parent
    return os.access(target, os.W_OK)


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n < (10 << 20) else f"{n >> 20} MB"


def storage_error(exc: BaseException, path: Path, doing: str = "write") -> JournalError:
    """The one translation of a storage failure of the smscast database at `path` (an
    `sqlite3.Error` or `OSError` raised while `doing` "open", "read" or "write" it) into a
    `JournalError` subclass: a sentence naming the file and the cause, and what to do."""
    if isinstance(exc, JournalError):
        return exc
    folder = path.parent
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    number = exc.errno if isinstance(exc, OSError) else None
    what = f"Cannot {doing} the campaign journal {path}"
    detail = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    free = _free_bytes(folder) if folder.exists() else None
    if code == _SQLITE_READONLY_DBMOVED:
        return gone_error(path, "deleted or moved")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return JournalLockedError(
            f"{what}: it is locked by another program (an open transaction held it for "
            "more than 5 s).",
            "Close the other program using that file (an sqlite3 shell, a backup tool), then "
            "try again.",
            path=path,
        )
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        why = "file is not a database" if primary == _SQLITE_NOTADB else "the database is damaged"
        return JournalCorruptError(
            f"{what}: {why}.",
            f"Point --db (or SMSCAST_DB) at your campaign journal; smscast never overwrites "
            f"{path.name}. A damaged journal can be salvaged with sqlite3's '.recover'.",
            path=path,
        )
    full = primary == _SQLITE_FULL or number == errno.ENOSPC
    if full or (primary == _SQLITE_IOERR and free is not None and free < _FULL_BELOW):
        room = f" ({_megabytes(free)} free)" if free is not None else ""
        return JournalFullError(
            f"{what}: the disk holding it is full{room}.",
            f"Free some space on that disk, {_ELSEWHERE}.",
            path=path,
        )
    read_only = number == errno.EROFS or (
        primary in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN) and _read_only_fs(folder)
    )
    if read_only or (isinstance(exc, OSError) and _read_only_fs(folder)):
        return JournalReadOnlyError(
            f"{what}: {folder} is on a read-only filesystem.",
            f"Remount it read-write, {_ELSEWHERE}.",
            path=path,
        )
    denied = number in (errno.EACCES, errno.EPERM) or (
        primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN) and not _may_write(path)
    )
    if denied:
        return JournalPermissionError(
            f"{what}: permission denied (this user may not write {path.name} or its folder).",
            f"Fix the owner or mode of {path} and its folder, {_ELSEWHERE}.",
            path=path,
        )
    if primary == _SQLITE_CANTOPEN or number in (errno.ENOTDIR, errno.EISDIR):
        return JournalError(
            f"{what}: it cannot be opened as a file ({detail}).",
            f"Check that {folder} is a folder you can write to, {_ELSEWHERE}.",
            path=path,
        )
    return JournalError(
        f"{what}: {detail}.",
        "Check the disk (a full, failing or disconnected drive), then try again.",
        path=path,
    )


def gone_error(path: Path, how: str) -> JournalGoneError:
    """The sentence for a journal deleted or replaced while smscast had it open."""
    return JournalGoneError(
        f"The campaign journal {path} was {how} while smscast was using it: sending stopped.",
        "The messages already sent are in Twilio (its console's message log lists them). "
        "'smscast resume' needs the journal back: restore that file (from a backup, or the "
        "copy that was moved) before resuming, or recipients could be texted twice.",
        path=path,
    )


_F = TypeVar("_F", bound=Callable[..., Any])


def translated(doing: str) -> Callable[[_F], _F]:
    """Decorate a method of an object with a `path` (the `Journal`): storage failures become
    `storage_error(...)`."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: _Stored, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                raise storage_error(exc, self.path, doing) from exc

        return wrapper  # type: ignore[return-value]

    return decorate
