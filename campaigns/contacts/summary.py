"""What a contacts file was, in words both faces show: its format, sheet or encoding and
delimiter, the layout recognised, and the columns the phone and names come from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.contacts.book import ContactBook

__all__ = ["ENCODING_NAMES", "describe_columns", "describe_source"]

#: The encodings `reading` reports, as people know them.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16 with BOM",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}

#: Sources of the phone numbers a line names at most.
_SOURCES_NAMED = 6


def describe_source(book: ContactBook) -> str:
    """What the file was: `UTF-8, comma-separated`, `Excel workbook (.xlsx), sheet 'Leads'`,
    `vCard 3.0 (row N = card N)`, with the layout recognised (both faces show this line)."""
    if book.sheet is not None:
        shown = f"{book.file_format}, sheet '{book.sheet}'"
    elif book.file_format.startswith("vCard"):
        shown = f"{book.file_format} (row N = card N)"
    else:
        encoding = ENCODING_NAMES.get(book.encoding, book.encoding)
        shown = f"{encoding}, {book.delimiter_name}-separated"
    return shown + (f"; layout: {book.layout}" if book.layout else "")


def describe_columns(book: ContactBook) -> list[str]:
    """Which columns give the phone and the names: one line each."""
    if book.phone_sources:
        named = book.phone_sources[:_SOURCES_NAMED]
        sources = ", ".join(f"'{s.source}' for {s.rows}" for s in named)
        left = len(book.phone_sources) - len(named)
        more = f" and {left} more" if left else ""
        phone = (
            f"phone chosen per row, mobile first, into '{book.phone_column}': from {sources}{more}"
        )
    else:
        phone = f"phone column '{book.phone_column}'"
    names = ", ".join(f"'{c}'" for c in book.name_columns) if book.name_columns else "none found"
    return [phone, f"name columns: {names}"]
