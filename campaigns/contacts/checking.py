"""Distinct phone strings -> checked numbers, in worker processes when a file is large.

`book` checks each distinct phone cell once (`phones.normalize_unique`); from
`PARALLEL_THRESHOLD` distinct strings on, the work is spread over two worker processes, forked
when that is safe and from a fork server when threads run (the TUI). When workers cannot
start, the same check runs in this process and `Merged.note` says so.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from campaigns.contacts.phones import Normalized, PhoneCheck, normalize_unique
from campaigns.untrusted import excerpt

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["PARALLEL_THRESHOLD", "Merged", "check_numbers", "prepare_worker_processes"]

#: Distinct numbers from which checking is spread over worker processes (below it a single
#: process is faster than starting workers).
PARALLEL_THRESHOLD = 20_000
_CHUNK = 25_000


def check_numbers(uniques: list[str], region: str) -> Merged:
    """Each of the distinct strings `uniques` checked once, the results merged into arrays
    indexed like `uniques`."""
    parts, note = _check_all(uniques, region)
    return _merge(parts, note)


def _check_all(uniques: list[str], region: str) -> tuple[list[Normalized], str | None]:
    """`normalize_unique` over all distinct strings, in two worker processes when it pays.

    Returns the results and, when the workers could not be used, a note saying so (the
    numbers are then checked in this process: the same results, only slower).
    """
    if len(uniques) < PARALLEL_THRESHOLD:
        return [normalize_unique(uniques, region)], None
    chunks = [uniques[i : i + _CHUNK] for i in range(0, len(uniques), _CHUNK)]
    try:
        with _executor() as pool:
            return list(pool.map(normalize_unique, chunks, [region] * len(chunks))), None
    except Exception as exc:
        # Whatever starting or talking to workers raised (no /dev/shm: OSError; a dead
        # worker: BrokenProcessPool; no usable stderr for the resource tracker: ValueError;
        # pickling, spawn or fork-server failures): one process gives the same answer. A
        # genuine error of the check itself is raised again by that run.
        note = (
            "The numbers were checked in one process (slower): worker processes could not "
            f"start here ({type(exc).__name__}: {excerpt(exc, 120)})."
        )
        return [normalize_unique(uniques, region)], note


def prepare_worker_processes() -> None:
    """Start multiprocessing's resource tracker now, while `sys.stderr` is a real file.

    Workers started from a thread come from a fork server (see `_executor`), whose semaphores
    the resource tracker watches. The tracker starts on first use and is handed
    `sys.stderr.fileno()`; an app that has replaced `sys.stderr` with an object whose fileno()
    is -1 (Textual does) makes that start fail ("bad value(s) in fds_to_keep"). A program that
    will take over stderr calls this first; the tracker then keeps running for the process.
    Nothing here is required: when it fails, `_check_all` falls back to one process.
    """
    if sys.platform == "win32":  # no resource tracker there
        return
    try:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    except Exception:  # same as above: the load falls back and says so
        return


@dataclass(frozen=True)
class Merged:
    """The per-distinct-string results of all chunks as arrays."""

    e164: NDArray[np.object_]
    types: NDArray[np.int8]
    zone_codes: NDArray[np.int32]
    zone_table: list[tuple[str, ...]]
    failures: dict[int, PhoneCheck]
    note: str | None = None  # how the check ran, when it matters (see `_check_all`)


def _merge(parts: list[Normalized], note: str | None = None) -> Merged:
    zone_index: dict[tuple[str, ...], int] = {}
    e164: list[str | None] = []
    types, zones = [], []
    failures: dict[int, PhoneCheck] = {}
    for part in parts:
        offset = len(e164)
        e164.extend(part.e164)
        types.append(np.frombuffer(part.types, dtype=np.int8))
        remap = np.array(
            [zone_index.setdefault(z, len(zone_index)) for z in part.zone_table] or [0],
            dtype=np.int32,
        )
        zones.append(remap[np.frombuffer(part.zone_codes, dtype=np.uint16)])
        failures.update((offset + i, check) for i, check in part.failures.items())
    e164_array = np.empty(len(e164), dtype=object)
    e164_array[:] = e164
    return Merged(
        e164_array,
        np.concatenate(types) if types else np.empty(0, dtype=np.int8),
        np.concatenate(zones) if zones else np.empty(0, dtype=np.int32),
        list(zone_index),
        failures,
        note,
    )


def _executor() -> Executor:
    """Two worker processes; forked (fast) only when no other thread could hold a lock.

    In the TUI contacts load on a worker thread, and forking a threaded process can deadlock
    the child, so there the workers come from a fork server (slower to start, still safe).
    """
    workers = max(1, min(2, os.cpu_count() or 1))
    context = multiprocessing.get_context(_start_method())
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _start_method() -> str | None:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return None  # the platform default (spawn on Windows and macOS)
