"""Untrusted text made safe to show: the one place that decides how a control character looks.

Cells of a contacts file, file names, templates, Twilio's answers and people's replies may hold
terminal escape sequences (ESC [ 2 J clears a screen, ESC ] 0 ; ... BEL retitles a terminal),
bidirectional overrides (U+202E makes "gpj.exe" read "exe.jpg") or invisible characters. Printed
raw, they act on the operator's terminal; shown here, they are made visible as Python-style
escapes (`\\x1b`, `\\u202e`), which say exactly which character is there.

What is *sent* to Twilio is never passed through these functions: the person's text goes out as
they wrote it; only what is shown to the operator is.

Made visible: every C0 and C1 control (category Cc: ESC, BEL, CR, LF, TAB, NUL, DEL, U+0080 to
U+009F), line and paragraph separators (Zl, Zp), and format characters (Cf: bidi embeddings,
overrides and isolates, zero-width spaces, the BOM, soft hyphens), except the two format
characters that emoji need to draw: ZERO WIDTH JOINER (U+200D, in "👨‍👩‍👧") and the tag
characters U+E0020-U+E007F (in subdivision flags such as England's).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

__all__ = ["excerpt", "has_controls", "json_dumps", "visible"]

_KEPT_FORMAT = frozenset({"\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)})
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


@lru_cache(maxsize=4096)
def _shown(char: str) -> str:
    """How one character is shown: itself, or its escape."""
    if char in _KEPT_FORMAT or unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object) -> str:
    """`text` (anything; `str()` of it) with every control or invisible formatting character
    written as an escape. Plain text comes back unchanged (and fast)."""
    string = text if isinstance(text, str) else str(text)
    if string.isprintable():  # the common case: nothing to escape (Cc, Cf, Zl, Zp never are)
        return string
    return "".join(map(_shown, string))


def _one_cell(char: str) -> str:
    """One visible cell standing for one unsafe character: the Control Pictures glyph for a
    C0 control and DEL (␛ for ESC), the replacement character for any other."""
    if _shown(char) == char:
        return char
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def one_cell(text: str) -> str:
    """`text` with each unsafe character drawn as ONE visible cell (␛, ␇, �): for editable
    fields, where the text on screen must keep one character per character of the value so
    the cursor and the selection stay where they are."""
    if text.isprintable():
        return text
    return "".join(map(_one_cell, text))


def has_controls(text: str) -> bool:
    """True when `visible(text)` would change something."""
    return not text.isprintable() and any(_shown(char) != char for char in text)


def excerpt(text: object, limit: int = 60) -> str:
    """A short, visible excerpt for an error message: at most `limit` characters of the text
    (after escaping, never cutting an escape in two), with "…" when cut. No message ever
    quotes more of a file than this."""
    string = text if isinstance(text, str) else str(text)
    shown = visible(string[: limit + 1])
    if len(shown) <= limit and len(string) <= limit:
        return shown
    pieces: list[str] = []
    used = 0
    for char in string:
        piece = _shown(char)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + "…"


_NON_ASCII = re.compile(r"[^\x00-\x7e]")  # DEL and beyond: the only raw candidates


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if _shown(char) == char:
        return char
    encoded = char.encode("utf-16-be")
    return "".join(
        f"\\u{int.from_bytes(encoded[i : i + 2], 'big'):04x}" for i in range(0, len(encoded), 2)
    )


def json_dumps(value: object, *, indent: int | None = None) -> str:
    """`json.dumps(value, ensure_ascii=False)` that is also safe to print on a terminal.

    json.dumps already writes C0 controls (ESC, BEL) as `\\u001b`, but with `ensure_ascii=False`
    it keeps DEL, the C1 controls and the bidi/format characters raw. Those are written as
    `\\u202e` here (a surrogate pair beyond the BMP): any JSON reader decodes them back to the
    same string, so the data is unchanged, and readable text (accents, emoji) stays as it is.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    if text.isascii() and "\x7f" not in text:
        return text
    return _NON_ASCII.sub(_json_escape, text)
