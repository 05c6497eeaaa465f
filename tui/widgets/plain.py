"""Untrusted text for the screen: controls made visible, and never read as markup.

Cells, file names, templates and Twilio's answers may hold terminal escape sequences (a name
that retitles the terminal, a file name that clears the screen), bidi overrides, or Rich /
Textual markup (`[bold red]x`, `[@click=app.quit]`). Everything the app draws that came from
a file, Twilio or a person goes through one of these, which make the controls visible with
`campaigns.untrusted.visible` (the one place that decides how they look):

- `plain(text, style="")` -> `rich.text.Text`: for DataTable cells, Select options and any
  widget that would parse a `str` as markup (a `Text` is never parsed);
- `plain_lines(*lines)` -> `str`: for a `Static(markup=False)` / `notify(..., markup=False)`,
  each line made visible (a line break inside a cell too) and joined with line breaks.
"""

from __future__ import annotations

from rich.text import Text

from campaigns.untrusted import visible

__all__ = ["plain", "plain_lines", "visible"]


def plain(text: object, style: str = "") -> Text:
    """`text` as a Rich `Text` with its controls made visible: safe in any widget."""
    return Text(visible(text), style=style, end="")


def plain_lines(*lines: object) -> str:
    """The lines, each made visible, joined with line breaks (for widgets without markup)."""
    return "\n".join(visible(line) for line in lines)
