"""vCard text -> a table of strings: one row per card, its best number for SMS and its names.

Parsed with vobject (py-vobject, maintained again since 2024; chosen over `vcard`, which only
validates, and `pythonvcard4`, which reads 4.0 only): vCard 2.1, 3.0 and 4.0 as Apple
Contacts/iCloud, Google, Outlook and Android export them: many cards per file, folded lines,
quoted-printable values with soft line breaks (Android's 2.1 names) in any CHARSET, UTF-8.

Each card is one row, numbered by its position in the file (card 1 is row 1), never merged
with another card. Its columns: `Full Name` (FN, else the N parts), `First Name` and `Last
Name` (N's given and family names; without N, FN split at its last space), `Phone` (the TEL
chosen, see `layouts.choose_numbers`: a mobile type first), `Phone Type` (that TEL's types
or label, as the file wrote them), `Other Phones`, `Organization`, `Email`. A TEL's type is
read from `TYPE=` (3.0/4.0, `TYPE="voice,cell"` included), bare 2.1 parameters (`TEL;CELL:`),
and Apple's item labels (`item1.X-ABLabel:_$!<Mobile>!$_`); a 4.0 `tel:` URI keeps its
number and drops its parameters (`;ext=`: SMS reaches no extension). Fax and pager numbers
are never chosen.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from campaigns.contacts.layouts import Candidate, label_kind
from campaigns.errors import InputError
from campaigns.untrusted import excerpt

__all__ = ["VCARD_COLUMNS", "Cards", "looks_like_vcard", "needed_lines", "read_cards"]

#: The columns of a vCard table, in order (templates use them as {first_name}, ...).
VCARD_COLUMNS: tuple[str, ...] = (
    "Full Name",
    "First Name",
    "Last Name",
    "Phone",
    "Phone Type",
    "Other Phones",
    "Organization",
    "Email",
)

_BEGIN = re.compile(r"\A[\s\ufeff]*BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
#: Messages of vobject's own logger kept for the report at most.
_NOTED_LINES = 3


def looks_like_vcard(text: str) -> bool:
    """True when the text starts with `BEGIN:VCARD` (after blank lines or a BOM)."""
    return _BEGIN.match(text[:200]) is not None


@dataclass(frozen=True)
class Cards:
    """The cards of a file as a table, with what the file said about itself."""

    frame: pd.DataFrame
    #: Per card, its TELs in file order as candidates (`Phone` holds the chosen one's value).
    candidates: list[list[Candidate]]
    #: "vCard 3.0", or "vCard 2.1 and 3.0" when the cards differ.
    versions: str
    notes: list[str] = field(default_factory=list)


class _Collector(logging.Handler):
    """vobject reports each line it skips on its logger: kept for the report, never printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def read_cards(text: str) -> Cards:
    """Every card of `text` as one row (see the module); `InputError` when none is readable."""
    import vobject

    logger = logging.getLogger("vobject")
    collector = _Collector()
    propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False  # the skipped lines are said in the report, not on stderr
    rows: list[dict[str, str]] = []
    candidates: list[list[Candidate]] = []
    versions: Counter[str] = Counter()
    notes: list[str] = []
    try:
        try:
            for card in _components(
                vobject.readComponents(needed_lines(text), ignoreUnreadable=True, allowQP=True)
            ):
                row, tels, version = _card_row(card)
                rows.append(row)
                candidates.append(tels)
                versions[version] += 1
        except vobject.base.ParseError as exc:
            if not rows:
                raise InputError(
                    f"The vCard file cannot be read: {excerpt(exc, 160)}.",
                    "Export the contacts again from their program (as vCard / .vcf).",
                ) from exc
            notes.append(
                f"The file ends inside a card after card {len(rows)} ({excerpt(exc, 80)}): "
                "that last card is left out; export the file again if it was cut short."
            )
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate
    if not rows:
        raise InputError(
            "The vCard file holds no card (no BEGIN:VCARD ... END:VCARD).",
            "Export the contacts again from their program (as vCard / .vcf).",
        )
    if collector.messages:
        shown = "; ".join(excerpt(m, 80) for m in collector.messages[:_NOTED_LINES])
        more = len(collector.messages) - _NOTED_LINES
        notes.append(
            f"{len(collector.messages)} line(s) of the vCard file could not be read and were "
            f"skipped ({shown}{f' and {more} more' if more > 0 else ''})."
        )
    frame = pd.DataFrame(rows, columns=list(VCARD_COLUMNS)).fillna("")
    named = sorted(versions)
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return Cards(frame, candidates, f"vCard {listed}", notes)


#: The properties a card's row is made of; the others (PHOTO, ADR, NOTE, X-...) are not parsed.
_NEEDED = frozenset({"BEGIN", "END", "VERSION", "FN", "N", "TEL", "ORG", "EMAIL", "X-ABLABEL"})


def needed_lines(text: str) -> str:
    """`text` without the properties no column uses, their folded and quoted-printable
    continuation lines included: vobject parses every property it is given (a contact's
    PHOTO is kilobytes of base64), so this makes a real export several times faster to read.
    """
    out: list[str] = []
    keep = False
    soft_break = False  # the last line was quoted-printable ending in "=": it goes on
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if soft_break or (body[:1] in (" ", "\t")):
            if keep:
                out.append(line)
            soft_break = soft_break and body.endswith("=")
            continue
        if not body.strip():
            out.append(line)
            continue
        head = body.split(":", 1)[0]
        name = head.split(";", 1)[0].rsplit(".", 1)[-1].strip().upper()
        keep = name in _NEEDED
        if keep:
            out.append(line)
        soft_break = body.endswith("=") and "QUOTED-PRINTABLE" in head.upper()
    return "".join(out)


def _components(found: Iterator[Any]) -> Iterator[Any]:
    for component in found:
        if component.name == "VCARD":
            yield component


def _card_row(card: Any) -> tuple[dict[str, str], list[Candidate], str]:
    """One card's cells, its TEL candidates and its version."""
    version, full, first, last, org, email = "3.0", "", "", "", "", ""
    labels: dict[str, str] = {}
    tels: list[tuple[str, str | None, list[str], bool]] = []
    for line in card.getChildren():
        name = line.name.upper()
        if name == "VERSION":
            version = str(line.value).strip() or version
        elif name == "FN":
            full = _text(line.value)
        elif name == "N":
            first = _join(getattr(line.value, "given", ""))
            last = _join(getattr(line.value, "family", ""))
        elif name == "ORG":
            org = org or _join(line.value)
        elif name == "EMAIL" and not email:
            email = _text(line.value)
        elif name == "X-ABLABEL" and line.group:
            labels[line.group.lower()] = _apple_label(_text(line.value))
        elif name == "TEL":
            types = [t for value in line.params.get("TYPE", []) for t in str(value).split(",")]
            types += list(getattr(line, "singletonparams", []))
            preferred = any(t.strip().lower() == "pref" for t in types) or bool(
                line.params.get("PREF")
            )
            types = [t.strip() for t in types if t.strip() and t.strip().lower() != "pref"]
            tels.append((_tel_value(_text(line.value)), line.group, types, preferred))
    candidates = []
    for value, group, types, preferred in tels:
        label = labels.get(group.lower(), "") if group else ""
        shown = label or ", ".join(t.lower() for t in types if t.lower() not in ("voice",))
        kind = label_kind(label or " ".join(types))  # a fax among the types: never chosen
        candidates.append(Candidate(value, shown or "no type", kind, preferred))
    if not full:
        full = " ".join(part for part in (first, last) if part)
    if not first and not last and full:
        first, _, last = full.rpartition(" ") if " " in full else (full, "", "")
    row = {
        "Full Name": full,
        "First Name": first,
        "Last Name": last,
        "Phone": "",
        "Phone Type": "",
        "Other Phones": "",
        "Organization": org,
        "Email": email,
    }
    return row, candidates, version


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else _join(value)


def _join(value: object) -> str:
    """N's and ORG's parts may be lists (`Mary Ann` as two given names)."""
    if isinstance(value, list | tuple):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value).strip() if value is not None else ""


def _apple_label(label: str) -> str:
    """`_$!<Mobile>!$_` (Apple's built-in labels) -> `Mobile`; a custom label as written."""
    found = _APPLE_LABEL.match(label)
    return found.group(1) if found else label


def _tel_value(value: str) -> str:
    """A 4.0 `tel:+1-555-...;ext=12` URI -> `+1-555-...`; other values as written."""
    if value.lower().startswith("tel:"):
        return value[4:].split(";", 1)[0]
    return value
