"""Reading the person's input files (contacts, templates, suppression lists): regular files only,
and never more than a bound.

A FIFO, a terminal, `/dev/zero` or `/dev/urandom` given as a contacts file or template would
block the read forever or fill the memory (and an app waiting on one cannot quit). So the file
is opened without blocking (opening a FIFO with no writer would wait), checked on the open
descriptor (no race between the check and the read), and read up to its limit plus one byte,
whatever its size claims, so a file growing while it is read is bounded as well.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from campaigns.errors import InputError
from campaigns.untrusted import visible

__all__ = ["read_regular_file", "size_text"]

_CHUNK = 1 << 20


def read_regular_file(path: Path, *, what: str, limit: int, hint: str) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; else `InputError`.

    `what` names the file in the sentence ("contacts file", "template file"); `hint` is the
    next step when it cannot be opened at all.
    """
    shown = visible(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"Cannot read the {what} {shown}: it does not exist.", hint) from None
    except OSError as exc:
        raise InputError(f"Cannot read the {what} {shown}: {exc.strerror or exc}.", hint) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"Cannot read the {what} {shown}: it is {_kind(info.st_mode)}, not a regular "
                "file (smscast reads only files on disk: a pipe or a device may never end).",
                "Save the content to a file first and give that file's path.",
            )
        _check_size(info.st_size, what, shown, limit)
        os.set_blocking(fd, True)
        return _read_bounded(fd, min(info.st_size, limit) + 1, limit, what, shown)
    except OSError as exc:
        raise InputError(f"Cannot read the {what} {shown}: {exc.strerror or exc}.", hint) from None
    finally:
        os.close(fd)


def _read_bounded(fd: int, first: int, limit: int, what: str, shown: str) -> bytes:
    """Read to the end, never more than `limit` + 1 bytes. The first read asks for `first`
    (the size the file claims, plus one), so a regular file usually comes in one piece."""
    chunks: list[bytes] = []
    total = 0
    size = first
    while True:
        chunk = os.read(fd, min(size, limit + 1 - total))
        size = _CHUNK
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        _check_size(total, what, shown, limit)


def _check_size(size: int, what: str, shown: str, limit: int) -> None:
    if size > limit:
        raise InputError(
            f"Cannot read the {what} {shown}: it is larger than {size_text(limit)}, more than "
            f"smscast reads as a {what}.",
            "Check that this is the right file (or split it into smaller files).",
        )


def size_text(size: int) -> str:
    """`64 KiB`, `1 GiB`: a limit in words."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device (such as a terminal or /dev/zero)"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"
