"""The `.env` file: `KEY=VALUE` lines read the way shells and python-dotenv read them.

One of the four places `settings.load_settings` looks a setting up in (the third, after the
flags and the environment). The values are returned, never copied into `os.environ`.
"""

from __future__ import annotations

import re

__all__ = ["parse_dotenv"]


def parse_dotenv(text: str, name: str = ".env") -> tuple[dict[str, str], list[str]]:
    """Read `KEY=VALUE` lines the way shells and python-dotenv do.

    Blank lines and `#` comments are skipped, a leading `export ` is allowed, values may be
    single-quoted (literal) or double-quoted (with `\\n`, `\\t`, `\\"`, `\\\\` escapes); an
    unquoted value ends at ` #`. Returns the values and warnings for lines it could not read
    (which name the line, never its value: it may be a secret).
    """
    values: dict[str, str] = {}
    warnings: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
            warnings.append(f"{name}, line {number}: expected KEY=VALUE; the line was ignored.")
            continue
        value = _dotenv_value(rest.strip())
        if value is None:
            warnings.append(f"{name}, line {number}: unterminated quote; the line was ignored.")
            continue
        values[key] = value
    return values, warnings


def _dotenv_value(text: str) -> str | None:
    """The value part of a `.env` line, unquoted; None when a quote is never closed."""
    if not text:
        return ""
    quote = text[0]
    if quote not in "'\"":
        comment = re.search(r"\s#", text)
        return (text[: comment.start()] if comment else text).rstrip()
    out: list[str] = []
    i = 1
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
    while i < len(text):
        char = text[i]
        if char == quote:
            return "".join(out)
        if quote == '"' and char == "\\" and i + 1 < len(text) and text[i + 1] in escapes:
            out.append(escapes[text[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return None
