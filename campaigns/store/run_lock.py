"""The run lock: one run per campaign per database file, whatever name the file is reached by.

Two engines on the same pending rows would each commit an intent and send, texting everyone
twice. `held(path, campaign_id)` takes an exclusive, per-campaign OS lock that belongs to the
database file itself (its inode), not to the name it was opened by: a symlink, `./j.db`
against an absolute path, a hard link or a bind mount all reach the same lock. The kernel
drops it when the process dies, so a `kill -9` never leaves a stale lock behind. See
`_DatabaseLocks` for how it stays clear of SQLite's own locks.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

from campaigns.errors import ConfigError, InputError

__all__ = ["CampaignBusyError", "held", "held_elsewhere"]

try:  # POSIX; elsewhere the run lock is a no-op (smscast targets Linux and macOS terminals)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class CampaignBusyError(InputError):
    """Another process (or thread) is sending this campaign right now."""


class _DatabaseLocks:
    """This process's run locks on database files, each campaign's a one-byte lock on the
    database file itself, so that every name of the file (symlink, relative path, hard link,
    bind mount) reaches the same lock.

    How, and why this way:
    - Open file description locks (Linux `F_OFD_SETLK`): the kernel drops them when the last
      descriptor of their open file closes, so when the process dies. They live at offsets far
      past anything SQLite locks (its lock bytes start at 0x40000000) and past any real file
      size, so they never meet SQLite's POSIX locks on the same file. `flock` on the database
      would be one lock for the whole journal and, on BSD and macOS, would collide with
      SQLite's locks; POSIX `F_SETLK` locks belong to the process, so SQLite closing one of its
      descriptors would silently drop ours.
    - One descriptor per database file (by `st_dev, st_ino`), opened once and NEVER closed:
      closing any descriptor of a file drops every POSIX lock the process holds on it, which
      would take away the SHARED lock SQLite's connections in this process hold on the
      database in WAL mode. Unlocking is `F_UNLCK`. (One descriptor per journal a process ever
      locks: one for the command line and the app.)
    - The kernel does not tell the threads of one process apart (the app's engine thread and
      its screens share the descriptor), so this table does: a lock is re-entrant on the
      thread holding it and refused to any other.

    Where `F_OFD_SETLK` is missing (macOS), a `flock` on `<real path>.locks/<campaign id>`:
    the same for symlinks and relative paths, not for a hard link in another folder.
    """

    #: Where the campaigns' lock bytes start on the database file: 2**62, far past SQLite's
    #: (0x40000000..+510) and past any file; each campaign's byte is 56 bits of its id's hash.
    BASE = 1 << 62
    _FLOCK = struct.Struct("hhqqi4x")  # struct flock on 64-bit Linux (l_type .. l_pid, pad)

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.files: dict[tuple[int, int], int] = {}  # (st_dev, st_ino) -> descriptor
        #: (st_dev, st_ino, campaign id) -> [owning thread, depth, fallback descriptor or -1]
        self.held: dict[tuple[int, int, str], list[int]] = {}

    def acquire(self, path: Path, campaign_id: str) -> tuple[int, int, str]:
        """Take the campaign's lock on the database at `path` (or deepen this thread's hold);
        its key for `release`. CampaignBusyError at once if another holds it."""
        me = threading.get_ident()
        with self.guard:
            fd, identity = self._descriptor(path)
            key = (*identity, campaign_id)
            held = self.held.get(key)
            if held is not None and held[0] != me:
                raise _busy(campaign_id)
            if held is not None:
                held[1] += 1
                return key
            fallback = -1
            if _OFD_SETLK is not None:
                self._ofd(fd, fcntl.F_WRLCK, campaign_id, path)
            else:  # pragma: no cover - macOS and other systems without OFD locks
                fallback = _flock_file(path, campaign_id)
            self.held[key] = [me, 1, fallback]
            return key

    def release(self, key: tuple[int, int, str]) -> None:
        """Undo one `acquire`; the last one unlocks."""
        with self.guard:
            held = self.held[key]
            held[1] -= 1
            if held[1]:
                return
            del self.held[key]
            if held[2] >= 0:  # pragma: no cover - the flock fallback
                os.close(held[2])
            else:
                self._ofd(self.files[key[:2]], fcntl.F_UNLCK, key[2], None)

    def probe(self, path: Path, campaign_id: str) -> bool:
        """Whether another process or thread holds the campaign's lock, without taking it,
        so that it can be asked on a read-only filesystem too. On Linux an `F_OFD_GETLK`, on
        a read-only descriptor where the file cannot be opened for writing; elsewhere the
        lock is taken and dropped."""
        if _OFD_GETLK is None:  # pragma: no cover - macOS and other systems without OFD locks
            try:
                self.release(self.acquire(path, campaign_id))
            except CampaignBusyError:
                return True
            return False
        me = threading.get_ident()
        with self.guard:
            fd, identity = self._descriptor(path, writable=False)
            held = self.held.get((*identity, campaign_id))
            if held is not None:
                return held[0] != me
            request = self._FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, _offset(campaign_id), 1, 0)
            try:
                answer = fcntl.fcntl(fd, _OFD_GETLK, request)
            except OSError as exc:
                raise _lock_error(path, exc) from exc
            kind: int = self._FLOCK.unpack(answer)[0]
            return kind != fcntl.F_UNLCK

    def _descriptor(self, path: Path, *, writable: bool = True) -> tuple[int, tuple[int, int]]:
        """The descriptor on the database file at `path` and the file's identity. Not
        `writable`: read-only when the file cannot be opened for writing (only `probe`)."""
        try:
            info = os.stat(path)
            identity = (info.st_dev, info.st_ino)
            fd = self.files.get(identity)
            if fd is None:
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
                except OSError as exc:
                    if writable or exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                        raise
                    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                info = os.fstat(fd)
                identity = (info.st_dev, info.st_ino)
                fd = self.files.setdefault(identity, fd)  # never closed: see the class doc
        except OSError as exc:
            raise _lock_error(path, exc) from exc
        return fd, identity

    def _ofd(self, fd: int, kind: int, campaign_id: str, path: Path | None) -> None:
        """Set (`F_WRLCK`) or clear (`F_UNLCK`) the campaign's byte without waiting."""
        request = self._FLOCK.pack(kind, os.SEEK_SET, _offset(campaign_id), 1, 0)
        assert _OFD_SETLK is not None  # called only where the system has OFD locks
        try:
            fcntl.fcntl(fd, _OFD_SETLK, request)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise _busy(campaign_id) from None
            raise _lock_error(path, exc) from exc


#: Linux's OFD lock command, where `_DatabaseLocks._FLOCK` is its struct (64-bit); else None.
_OFD_SETLK: int | None = (
    getattr(fcntl, "F_OFD_SETLK", None) if fcntl is not None and struct.calcsize("P") == 8 else None
)
#: Its query: who would conflict with a lock (a read-only descriptor will do).
_OFD_GETLK: int | None = getattr(fcntl, "F_OFD_GETLK", None) if _OFD_SETLK is not None else None
_LOCKS = _DatabaseLocks()


def _offset(campaign_id: str) -> int:
    """The campaign's lock byte on the database file (`_DatabaseLocks.BASE` + 56 bits of the
    hash of its id)."""
    digest = hashlib.sha256(campaign_id.encode()).digest()
    return _DatabaseLocks.BASE + int.from_bytes(digest[:7], "big")


def _flock_file(path: Path, campaign_id: str) -> int:  # pragma: no cover - no OFD locks here
    """Systems without OFD locks: flock `<real path>.locks/<campaign id>`; its descriptor."""
    folder = Path(f"{os.path.realpath(path)}.locks")
    target = folder / campaign_id
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _lock_error(target, exc) from exc
    if fcntl is None:
        # mypy checks for POSIX, where the import above succeeds
        return fd  # type: ignore[unreachable]
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise _busy(campaign_id) from None
    return fd


def _lock_error(path: Path | None, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot take the run lock on the campaign journal {path}: {exc.strerror or exc}.",
        "Point --db (or SMSCAST_DB) at a journal file you can write.",
    )


def _busy(campaign_id: str) -> CampaignBusyError:
    # The kernel does not say who holds an OFD lock (l_pid is -1), so the sentence cannot.
    return CampaignBusyError(
        f"Campaign {campaign_id} is being sent by another smscast right now (another "
        "command, or the app).",
        "Two runs of one campaign would text people twice. Let that one finish, or pause it "
        "there (Ctrl-C, or Pause in the app), then try again.",
    )


@contextlib.contextmanager
def held(path: Path, campaign_id: str) -> Iterator[None]:
    """Hold the campaign's run lock on the database file at `path` for the block.

    `CampaignBusyError` at once (never waits) when another process or thread holds it;
    re-entrant on the thread that holds it.
    """
    key = _LOCKS.acquire(path, campaign_id)
    try:
        yield
    finally:
        _LOCKS.release(key)


def held_elsewhere(path: Path, campaign_id: str) -> bool:
    """Whether another process or another thread holds the campaign's run lock (a run is
    sending it), asked without taking it: it works on a read-only filesystem too."""
    return _LOCKS.probe(path, campaign_id)
