"""Export layouts: which column, label or TEL of a row holds the number most likely to get SMS.

Address books and CRMs export a person's several numbers in several places (headers as their
exports write them, checked against published samples; see the README, "Export layouts"):
- Google Contacts: numbered pairs `Phone 1 - Label` / `Phone 1 - Value` (older exports:
  `Phone 1 - Type`), several numbers of one label in one cell joined by ` ::: `; a label
  starting with `* ` is the primary one.
- Outlook: `Mobile Phone`, `Business Phone`, `Business Phone 2`, `Home Phone`, `Home Phone 2`,
  `Primary Phone`, `Other Phone`, `Car Phone`, `Company Main Phone`, `Assistant's Phone`,
  `Callback`, `Radio Phone`, `Pager`, `ISDN`, `Telex`, `TTY/TDD Phone`, `... Fax`.
- HubSpot: `Phone Number`, `Mobile Phone Number`; Mailchimp: `Phone Number` (and `SMS Phone
  Number` where the audience has SMS); Salesforce: `Phone`, `Mobile`, `Home Phone`, `Other
  Phone`, `Fax`, `Asst. Phone` (reports) or `Phone`, `MobilePhone`, `HomePhone`, `OtherPhone`,
  `AssistantPhone` (data export, API names).
- Apple Contacts/iCloud and Android export vCards (`vcards`), whose TELs are chosen here too.

Per row the choice is (`choose_numbers`): a number labelled mobile (`Mobile`, `Cell`,
`iPhone`, `Handy`, `SMS`, `TYPE=cell`, `TYPE=text`, ...; the primary/preferred one first),
else a number whose type is mobile (phonenumbers), else one that may be mobile (the US and
Canada cannot tell), else the first valid one, else the first; a fax, pager, telex, ISDN or
TTY number is never chosen. One row stays one contact: the other numbers are not sent to and
no two rows are joined. The table gains two columns, `Chosen Phone` and `Chosen Phone From`
(which column or label it came from), so the report, the journal and the export can say it.
`--phone-column` overrides all of this (that one column, as written).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from phonenumbers import PhoneNumberType

from campaigns.contacts.checking import check_numbers

__all__ = [
    "CHOSEN_COLUMN",
    "CHOSEN_FROM_COLUMN",
    "MOBILE",
    "NO_SMS",
    "OTHER",
    "VCARD_PHONE",
    "Candidate",
    "Layout",
    "PhoneSource",
    "choose_numbers",
    "known_layout",
    "label_kind",
    "recognize",
    "resolve_cards",
    "resolve_layout",
]

CHOSEN_COLUMN = "Chosen Phone"
CHOSEN_FROM_COLUMN = "Chosen Phone From"
#: The separator Google Contacts writes between several values of one cell.
MULTI_VALUE_SEPARATOR = ":::"

#: What a label says about a number (lower is likelier to receive SMS).
MOBILE, OTHER, NO_SMS = 0, 1, 9

_MOBILE_WORDS = frozenset(
    {
        "mobile",
        "mobil",
        "cell",
        "cellular",
        "cellphone",
        "iphone",
        "handy",
        "sms",
        "text",
        "portable",
        "celular",
        "móvil",
        "movil",
        "cellulare",
        "gsm",
    }
)
_NO_SMS_WORDS = frozenset({"fax", "pager", "telex", "isdn", "tty", "tdd", "ttytdd", "beeper"})
_PHONE_WORDS = frozenset(
    {
        "phone",
        "telephone",
        "tel",
        "number",
        "callback",
        *_MOBILE_WORDS,
        *_NO_SMS_WORDS,
        "whatsapp",
        "telefon",
        "telefono",
        "teléfono",
        "téléphone",
    }
)
#: Words that may qualify a phone word in a header (`Business Phone 2`, `Assistant's Phone`).
_QUALIFIERS = frozenset(
    {
        "home",
        "work",
        "business",
        "office",
        "other",
        "primary",
        "main",
        "company",
        "car",
        "radio",
        "assistant",
        "assistants",
        "asst",
        "personal",
        "private",
        "direct",
        "alternate",
        "alt",
        "day",
        "evening",
        "no",
        "nr",
        "num",
    }
)
_DIGITS = re.compile(r"\d+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_KEY_SEPARATORS = re.compile(r"[\s_.\-/'’#:()=,;]+")
#: `Phone 1 - Value` (Google), its label column `Phone 1 - Label` / `Phone 1 - Type`.
_PAIR_VALUE = re.compile(r"^\s*(?:phone|telephone)\s*(\d+)\s*-\s*value\s*$", re.IGNORECASE)
_PAIR_LABEL = "{prefix} {n} - {word}"


def _key_tokens(header: str) -> list[str]:
    """`MobilePhone`, `Mobile_Phone`, `Assistant's Phone` -> lower-case words."""
    spaced = _CAMEL.sub(" ", header.strip())
    return [t for t in _KEY_SEPARATORS.split(spaced.casefold()) if t]


def label_kind(label: str) -> int:
    """MOBILE, NO_SMS or OTHER for a label, a vCard type or a header (`Work Fax`: NO_SMS)."""
    text = label.lstrip("* ")
    tokens = set(_key_tokens(text)) | {t for t in _KEY_SEPARATORS.split(text.casefold()) if t}
    if tokens & _NO_SMS_WORDS:
        return NO_SMS
    if tokens & _MOBILE_WORDS:
        return MOBILE
    return OTHER


def _phone_column_kind(header: str) -> int | None:
    """The kind of a header naming one phone number, or None when it names none."""
    tokens = _key_tokens(header)
    while tokens and (_DIGITS.fullmatch(tokens[-1]) or tokens[-1] in ("number", "no", "nr")):
        tokens = tokens[:-1]
    if not tokens or not set(tokens) <= _PHONE_WORDS | _QUALIFIERS:
        return None
    if not set(tokens) & (_PHONE_WORDS - {"number"}):
        return None
    return label_kind(" ".join(tokens))


#: Words naming a phone without saying which (`Tel`, `Phone Number`).
_PLAIN_WORDS = frozenset(
    {"phone", "telephone", "tel", "number", "telefon", "telefono", "teléfono", "téléphone"}
)


def _qualified(header: str) -> bool:
    """The header says which number it is (`Home Phone`, `Mobile`), not just "a phone"."""
    return bool({t for t in _key_tokens(header) if not _DIGITS.fullmatch(t)} - _PLAIN_WORDS)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One number of a row: its cell, the label shown for it, its kind, primary or not."""

    value: str
    label: str
    kind: int
    preferred: bool = False


@dataclass(frozen=True)
class _Source:
    """One place a table layout holds numbers: a value column and its label."""

    column: str
    label_column: str | None  # Google's `Phone 1 - Label`; None: the header is the label
    kind: int  # for a header label; pairs read the label cell per row


@dataclass(frozen=True)
class Layout:
    """A recognised export layout: its name and where its numbers are."""

    name: str
    sources: tuple[_Source, ...]


def recognize(frame: pd.DataFrame, single: str | None) -> Layout | None:
    """The layout of a table with several phone places, or None for one phone column.

    `single` is the column the plain rules would take (`book.find_phone_column`), or None;
    one phone column whose cells hold ` ::: ` is a layout too (Google's several numbers).
    """
    columns = [str(c) for c in frame.columns]
    by_lower = {c.strip().casefold(): c for c in columns}
    sources: list[_Source] = []
    for column in columns:
        pair = _PAIR_VALUE.match(column)
        if pair:
            prefix = column.split("-", 1)[0].strip().rsplit(" ", 1)[0]
            label = next(
                (
                    by_lower[key]
                    for word in ("label", "type")
                    if (key := f"{prefix} {pair.group(1)} - {word}".casefold()) in by_lower
                ),
                None,
            )
            sources.append(_Source(column, label, OTHER))
    if not sources:
        for column in columns:
            kind = _phone_column_kind(column)
            if kind is not None:
                sources.append(_Source(column, None, kind))
    usable = [s for s in sources if s.kind != NO_SMS]
    if not any(s.label_column for s in sources) and not any(_qualified(s.column) for s in usable):
        usable = usable[:1]  # `Tel` and `Téléphone`: synonyms, not a person's several numbers
    if len(usable) < 2 and not any(s.label_column for s in sources):
        if single is None or not _has_multi_values(frame, single):
            return None
        usable = [_Source(single, None, label_kind(single))]
    return Layout(_layout_name(columns, bool(sources and sources[0].label_column)), tuple(usable))


def _has_multi_values(frame: pd.DataFrame, column: str) -> bool:
    return bool(frame[column].str.contains(MULTI_VALUE_SEPARATOR, regex=False).any())


def _layout_name(columns: Sequence[str], pairs: bool) -> str:
    return known_layout(columns, pairs) or "several phone columns"


def known_layout(columns: Sequence[str], pairs: bool = False) -> str | None:
    """The program whose export these headers are (by the headers only it writes), or None."""
    keys = {" ".join(_key_tokens(c)) for c in columns}
    raw = {c.strip() for c in columns}
    if pairs or any(_PAIR_VALUE.match(c) for c in columns):
        return "Google Contacts" if "given name" not in keys else "Google Contacts (older CSV)"
    if {"mobile phone", "business phone", "home phone"} <= keys:
        return "Outlook"
    if "mobile phone number" in keys and ("record id" in keys or "phone number" in keys):
        return "HubSpot"
    if "email address" in keys and keys & {"member rating", "optin time", "confirm time"}:
        return "Mailchimp"
    if "MobilePhone" in raw or keys & {"account name", "contact id", "mailing city"}:
        return "Salesforce"
    return None


@dataclass(frozen=True)
class PhoneSource:
    """How many rows took their number from one column or label."""

    source: str
    rows: int


def resolve_layout(
    frame: pd.DataFrame, layout: Layout, region: str
) -> tuple[pd.DataFrame, list[PhoneSource]]:
    """The frame with `Chosen Phone` / `Chosen Phone From` added, and the count per source."""
    candidates = _table_candidates(frame, layout)
    values, labels = choose_numbers(candidates, region)
    out = frame.copy()
    out[CHOSEN_COLUMN] = values
    out[CHOSEN_FROM_COLUMN] = labels
    return out, count_sources(labels)


#: The column of a vCard table holding the chosen TEL (`vcards.VCARD_COLUMNS`).
VCARD_PHONE = "Phone"


def resolve_cards(
    frame: pd.DataFrame, cards: Sequence[Sequence[Candidate]], region: str
) -> tuple[pd.DataFrame, list[PhoneSource]]:
    """A vCard table with `Phone`, `Phone Type` and `Other Phones` filled from each card's
    TELs (the chosen one; the others that could receive SMS), and the count per type."""
    values, labels = choose_numbers(cards, region)
    others = [
        ", ".join(c.value for c in card if c.kind != NO_SMS and c.value and c.value != chosen)
        for card, chosen in zip(cards, values, strict=True)
    ]
    out = frame.copy()
    out[VCARD_PHONE] = values
    out["Phone Type"] = labels
    out["Other Phones"] = others
    return out, count_sources([f"TEL ({label})" if label else "" for label in labels])


def count_sources(labels: Sequence[str]) -> list[PhoneSource]:
    """Rows per source, most first (rows with no number left out)."""
    counted = Counter(label for label in labels if label)
    return [PhoneSource(source, rows) for source, rows in counted.most_common()]


def _table_candidates(frame: pd.DataFrame, layout: Layout) -> list[list[Candidate]]:
    rows: list[list[Candidate]] = [[] for _ in range(len(frame))]
    kinds: dict[str, int] = {}
    for source in layout.sources:
        values = frame[source.column].tolist()
        labels = frame[source.label_column].tolist() if source.label_column else None
        for i, cell in enumerate(values):
            if not cell.strip():
                continue
            parts = [p.strip() for p in cell.split(MULTI_VALUE_SEPARATOR)]
            if labels is None:
                for part in parts:
                    if part:
                        rows[i].append(Candidate(part, source.column, source.kind))
                continue
            label_parts = [p.strip() for p in str(labels[i]).split(MULTI_VALUE_SEPARATOR)]
            for j, part in enumerate(parts):
                if not part:
                    continue
                label = label_parts[j] if j < len(label_parts) else label_parts[-1]
                kind = kinds.get(label)
                if kind is None:
                    kind = kinds[label] = label_kind(label)
                shown = f"{source.column} ({label.lstrip('* ')})" if label else source.column
                rows[i].append(Candidate(part, shown, kind, label.startswith("*")))
    return rows


#: Ranks of a number's type when no label says mobile (lower first).
_TYPE_RANK: dict[int, int] = {
    PhoneNumberType.MOBILE: 0,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: 1,
    PhoneNumberType.FIXED_LINE: 3,
}
_VALID_OTHER, _INVALID = 2, 4


def choose_numbers(rows: Sequence[Sequence[Candidate]], region: str) -> tuple[list[str], list[str]]:
    """Per row the value and label of the number likeliest to receive SMS (see the module).

    A row whose only numbers are fax or pager numbers, or that has none, gets ("", "").
    Numbers are typed (one check per distinct string) only for rows where no label decides.
    """
    undecided: list[int] = []
    chosen: list[Candidate | None] = [None] * len(rows)
    for i, row in enumerate(rows):
        usable = [c for c in row if c.kind != NO_SMS and c.value]
        if not usable:
            continue
        mobiles = [c for c in usable if c.kind == MOBILE]
        if mobiles:
            chosen[i] = next((c for c in mobiles if c.preferred), mobiles[0])
        elif len(usable) == 1:
            chosen[i] = usable[0]
        else:
            undecided.append(i)
    if undecided:
        distinct = sorted(
            {c.value for i in undecided for c in rows[i] if c.kind != NO_SMS and c.value}
        )
        merged = check_numbers(distinct, region)
        rank_of = {
            value: (
                _TYPE_RANK.get(int(merged.types[k]), _VALID_OTHER)
                if merged.types[k] >= 0
                else _INVALID
            )
            for k, value in enumerate(distinct)
        }
        for i in undecided:
            usable = [c for c in rows[i] if c.kind != NO_SMS and c.value]
            chosen[i] = min(usable, key=lambda c: (rank_of[c.value], not c.preferred))
    values = [c.value if c else "" for c in chosen]
    labels = [c.label if c else "" for c in chosen]
    return values, labels
