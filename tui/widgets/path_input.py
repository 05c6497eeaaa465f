"""`PathSuggester`: completes file-system paths in an `Input` (→ accepts the suggestion).

Directories complete with a trailing `/`; contacts files (CSV, text, spreadsheets, vCards)
come first among files. The directory is listed in a thread so typing never waits on a slow
disk.
"""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester

from campaigns.untrusted import has_controls

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".vcf")


def complete_path(value: str) -> str | None:
    """The first entry completing `value` (a partial path), or None."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, prefix = os.path.split(expanded)
    try:
        entries = sorted(os.scandir(folder or "."), key=lambda e: e.name)
    except OSError:
        return None
    matches = [e for e in entries if e.name.startswith(prefix) and not e.name.startswith(".")]
    if prefix.startswith("."):
        matches = [e for e in entries if e.name.startswith(prefix)]
    # A suggestion is drawn as it is (faded, after the cursor): never offer a name holding a
    # control character, which would act on the terminal. Such a file can still be typed.
    matches = [e for e in matches if not has_controls(e.name)]

    def rank(entry: os.DirEntry[str]) -> tuple[int, str]:
        if entry.is_dir():
            return (0, entry.name)
        return (1 if entry.name.lower().endswith(SUFFIXES) else 2, entry.name)

    if not matches:
        return None
    best = min(matches, key=rank)
    completed = best.name + ("/" if best.is_dir() else "")
    # Keep what the person typed (`~`, relative parts) and append the rest of the name.
    return value + completed[len(prefix) :]


class PathSuggester(Suggester):
    """Suggest the completion of a partial path."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The completed path, listed off the event loop."""
        return await asyncio.to_thread(complete_path, value)


__all__ = ["PathSuggester", "complete_path"]
