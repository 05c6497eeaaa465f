"""The event loop smscast's network work runs on: uvloop where it is installed, asyncio's own
elsewhere (Windows, other Pythons) or when `SMSCAST_EVENT_LOOP=asyncio` asks for it.

Why: a send is a few hundred microseconds of client CPU, and a fifth of that was asyncio's own
scheduling (handles, the selector, call_soon). uvloop does the same work in C, so the engine
keeps up with a fast account on one core. Both faces run the engine through `run`: the command
line in its main thread, the TUI in a worker thread with a loop of its own (Textual's loop is
not touched).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV_VAR = "SMSCAST_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's default loop."""
    if os.environ.get(ENV_VAR, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name() -> str:
    """ "uvloop" or "asyncio": what `run` will use."""
    return "uvloop" if loop_factory() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
