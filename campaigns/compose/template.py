"""Message templates: `{column}` placeholders over a contacts file's columns, nothing more.

Syntax, checked against the file's columns when the template is parsed:

- `{First Name}` or `{first_name}`: a column as written, or its snake_case form ("First Name"
  -> `first_name`, "E-mail" -> `e_mail`, "CustomerID" -> `customer_id`). Matching falls back
  to the snake_case form of the placeholder too, so `{First_Name}` works; an exact match wins,
  and a name that fits two columns equally is an error that names both.
- `{first_name|there}`: "there" when the cell is empty (or only spaces).
- `{{` and `}}`: literal braces.

A template executes nothing. It is parsed here by a small scanner (never `str.format`), and
`.attr`, `[index]`, `!conversion` and `:format` after a name are errors unless the whole text
is a column's name. A placeholder that names no column is a `TemplateError` naming it and the
closest columns.

Rendering is precompiled: literal text with `%` doubled plus one `%s` per placeholder, filled
from one `operator.itemgetter` call (only strings are ever substituted, through `%s`), so a
million messages render in well under a second.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from campaigns.errors import InputError
from campaigns.untrusted import excerpt, visible

__all__ = ["Template", "TemplateError", "read_template_arg", "snake_case"]


class TemplateError(InputError):
    """A template that cannot be used: bad syntax or a placeholder naming no column."""


@lru_cache(maxsize=4096)
def snake_case(name: str) -> str:
    """The snake_case form of a column name: "First Name" -> "first_name", "CustomerID" ->
    "customer_id", "E-mail" -> "e_mail"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name.strip())
    return re.sub(r"[\W_]+", "_", spaced).strip("_").lower()


@dataclass(frozen=True, slots=True)
class _Slot:
    """One placeholder as written: its text, the column it reads, its default (or None)."""

    text: str
    column: str
    default: str | None


_FORBIDDEN = {
    ".": "attribute access",
    "[": "index access",
    "]": "index access",
    "!": "conversions",
    ":": "format specs",
}


class Template:
    """A parsed template, bound to the columns it was checked against.

    `source` is the text as given; `placeholders` the resolved column names in order of first
    appearance. Build it with `Template.parse(text, columns)`.
    """

    __slots__ = ("_defaults", "_format", "_getter", "_required", "_slots", "placeholders", "source")

    def __init__(self, source: str, literals: Sequence[str], slots: Sequence[_Slot]) -> None:
        self.source = source
        self._slots = tuple(slots)
        self.placeholders: tuple[str, ...] = tuple(dict.fromkeys(s.column for s in slots))
        self._format = "%s".join(part.replace("%", "%%") for part in literals)
        columns = [slot.column for slot in self._slots]
        self._getter: Callable[[Mapping[str, str]], Sequence[str]] | None
        if not columns:
            self._getter = None
        elif len(columns) == 1:
            self._getter = lambda fields, _get=itemgetter(columns[0]): (_get(fields),)
        else:
            self._getter = itemgetter(*columns)
        self._defaults = tuple(
            (index, slot.default)
            for index, slot in enumerate(self._slots)
            if slot.default is not None
        )
        self._required = tuple(dict.fromkeys(s.column for s in self._slots if s.default is None))

    @property
    def required(self) -> tuple[str, ...]:
        """The columns used without a default (an empty cell there leaves a gap)."""
        return self._required

    def __repr__(self) -> str:
        return f"Template({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Template)
            and other.source == self.source
            and other._slots == self._slots
        )

    def __hash__(self) -> int:
        return hash((self.source, self._slots))

    @classmethod
    def parse(cls, text: str, columns: Sequence[str]) -> Template:
        """Check `text` against `columns`; raises `TemplateError` saying what to fix."""
        if not text.strip():
            raise TemplateError(
                "The message template is empty.",
                "Give the text to send, e.g. --template 'Hi {first_name}, ...'.",
            )
        resolver = _ColumnResolver(columns)
        literals: list[str] = []
        slots: list[_Slot] = []
        current: list[str] = []
        position, length = 0, len(text)
        while position < length:
            char = text[position]
            if char == "{" and text.startswith("{{", position):
                current.append("{")
                position += 2
            elif char == "}" and text.startswith("}}", position):
                current.append("}")
                position += 2
            elif char == "}":
                raise TemplateError(
                    f"The template has a lone '}}' at character {position + 1}: "
                    f"{_excerpt(text, position)}",
                    "Write '}}' for a literal brace, or open the placeholder with '{'.",
                )
            elif char == "{":
                end = text.find("}", position + 1)
                nested = text.find("{", position + 1)
                if end == -1 or (nested != -1 and nested < end):
                    raise TemplateError(
                        f"The template has an unclosed '{{' at character {position + 1}: "
                        f"{_excerpt(text, position)}",
                        "Close the placeholder with '}', or write '{{' for a literal brace.",
                    )
                literals.append("".join(current))
                current = []
                slots.append(resolver.slot(text[position : end + 1]))
                position = end + 1
            else:
                current.append(char)
                position += 1
        literals.append("".join(current))
        return cls(text, literals, slots)

    def render(self, fields: Mapping[str, str]) -> str:
        """The message for one contact; a missing or empty cell renders as its default or ""."""
        if self._getter is None:
            return self._format % ()
        values: Sequence[str]
        try:
            values = self._getter(fields)
        except KeyError:
            values = tuple(fields.get(slot.column) or "" for slot in self._slots)
        if self._defaults:
            filled = list(values)
            for index, default in self._defaults:
                value = filled[index]
                if not value or value.isspace():
                    filled[index] = default
            values = filled
        return self._format % tuple(values)

    def empty_fields(self, fields: Mapping[str, str]) -> list[str]:
        """Columns used without a default whose cell is empty (or only spaces) for `fields`."""
        empty = []
        for column in self._required:
            value = fields.get(column)
            if not value or value.isspace():
                empty.append(column)
        return empty


class _ColumnResolver:
    """Maps placeholder names to columns: exact, then snake_case, with helpful errors."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.exact = {column: column for column in self.columns}
        self.by_snake: dict[str, list[str]] = {}
        for column in self.columns:
            self.by_snake.setdefault(snake_case(column), []).append(column)

    def slot(self, placeholder: str) -> _Slot:
        inner = placeholder[1:-1]
        name, bar, default = inner.partition("|")
        name = name.strip()
        if not name:
            raise TemplateError(
                f"The template has an empty placeholder {excerpt(placeholder)}.",
                f"Put a column name inside the braces. {self._columns_hint()}",
            )
        column = self._find(name)
        if column is None:
            raise self._unknown(placeholder, name)
        return _Slot(placeholder, column, default if bar else None)

    def _find(self, name: str) -> str | None:
        if name in self.exact:
            return name
        for key in dict.fromkeys((name, snake_case(name))):
            matches = self.by_snake.get(key, [])
            if len(matches) > 1:
                raise TemplateError(
                    f"The placeholder {{{excerpt(name)}}} fits several columns: "
                    + ", ".join(repr(m) for m in matches)
                    + ".",
                    "Write the column's name exactly as in the file's header.",
                )
            if matches:
                return matches[0]
        return None

    def _unknown(self, placeholder: str, name: str) -> TemplateError:
        for mark, what in _FORBIDDEN.items():
            if mark in name:
                base = re.split(r"[.\[\]!:]", name, maxsplit=1)[0].strip()
                column = self._find(base) if base else None
                fix = f"write {{{visible(base)}}}" if column else "use a plain column name"
                return TemplateError(
                    f"The placeholder {excerpt(placeholder)} uses {what} ('{mark}'): templates "
                    "only insert a column's text, they do not evaluate anything.",
                    f"Remove everything from '{mark}' on: {fix}. {self._columns_hint()}",
                )
        suggestions = self._closest(name)
        if suggestions:
            hint = "Did you mean " + " or ".join(_show(c) for c in suggestions) + "?"
        else:
            hint = self._columns_hint()
        return TemplateError(
            f"The placeholder {excerpt(placeholder)} names no column of the file.", hint
        )

    def _closest(self, name: str) -> list[str]:
        """Up to three columns `name` was probably meant to be, best first: the same letters
        written with other case, spaces or underscores ({firstname}, {FIRST__NAME}), then
        typos ({frist_name}, {emial}), then a column whose name it contains ({phone_number}
        for "Phone")."""
        compact: dict[str, str] = {}
        for column in self.columns:
            compact.setdefault(_compact(column), column)
        key = _compact(name)
        found = [key] if key in compact else []
        found += difflib.get_close_matches(key, compact, n=3, cutoff=0.6)
        found += [k for k in compact if len(k) >= 3 and len(key) >= 3 and (k in key or key in k)]
        candidates = {snake_case(c): c for c in self.columns} | self.exact
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
        close += difflib.get_close_matches(snake_case(name), candidates, n=3, cutoff=0.6)
        columns = [compact[k] for k in found] + [candidates[c] for c in close]
        return list(dict.fromkeys(columns))[:3]

    def _columns_hint(self) -> str:
        shown = ", ".join(_show(c) for c in self.columns[:12])
        more = f" and {len(self.columns) - 12} more" if len(self.columns) > 12 else ""
        return f"Columns: {shown}{more}." if self.columns else "The file has no columns."


def _compact(name: str) -> str:
    """A name without case, spaces, punctuation or underscores: "First_Name" -> "firstname"."""
    return re.sub(r"[\W_]+", "", name).casefold()


def _show(column: str) -> str:
    """How to write a column as a placeholder: its snake_case form when that is simpler."""
    snake = snake_case(column)
    if snake and snake != column:
        return f"{{{visible(snake)}}} ({column!r})"
    return f"{{{visible(column)}}}"


def _excerpt(text: str, position: int, width: int = 20) -> str:
    start = max(0, position - width)
    return repr(text[start : position + width])


#: The largest template file read (a message is at most 1,600 characters; a template this
#: big is the wrong file, and a device such as /dev/zero must not be read without end).
MAX_TEMPLATE_BYTES = 64 * 1024


def read_template_arg(arg: str) -> str:
    """The template text of a `--template` argument: the text itself, or `@path` to a file.

    A file is read as UTF-8 (a BOM is dropped) and loses its trailing line breaks, which an
    editor adds but nobody means to send. `@@text` stands for the literal text `@text`. Only a
    regular file of at most `MAX_TEMPLATE_BYTES` is read (`campaigns.files`).
    """
    if arg.startswith("@@"):
        return arg[1:]
    if not arg.startswith("@"):
        return arg
    from campaigns.files import read_regular_file
    from campaigns.untrusted import visible

    path = Path(arg[1:]).expanduser()
    try:
        data = read_regular_file(
            path,
            what="template file",
            limit=MAX_TEMPLATE_BYTES,
            hint="Check the path after '@', or give the text itself "
            "(write '@@' for a leading '@').",
        )
    except InputError as exc:
        raise TemplateError(exc.message, exc.hint) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            f"The template file {visible(path)} is not UTF-8 text "
            f"(byte 0x{data[exc.start]:02X} at offset {exc.start}).",
            "Save it as UTF-8 (most editors: 'Save with encoding').",
        ) from None
    if "\x00" in text:
        raise TemplateError(
            f"The template file {visible(path)} contains a NUL byte "
            f"(offset {text.index(chr(0))}): it is not a text file.",
            "Point '@' at the text file holding the message.",
        )
    return text.rstrip("\r\n")
