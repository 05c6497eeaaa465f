"""Templates: placeholders over columns, defaults, braces, errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.compose.template import Template, TemplateError, read_template_arg, snake_case
from campaigns.errors import InputError

COLUMNS = ["Phone", "First Name", "Last Name", "CustomerID", "E-mail", "Discount %"]


def parse(text: str, columns: list[str] = COLUMNS) -> Template:
    return Template.parse(text, columns)


@pytest.mark.parametrize(
    ("column", "snake"),
    [
        ("First Name", "first_name"),
        ("  Last   Name ", "last_name"),
        ("CustomerID", "customer_id"),
        ("customerId", "customer_id"),
        ("E-mail", "e_mail"),
        ("Discount %", "discount"),
        ("Straße", "straße"),
        ("already_snake", "already_snake"),
    ],
)
def test_snake_case(column: str, snake: str) -> None:
    assert snake_case(column) == snake


def test_columns_as_written_and_in_snake_case() -> None:
    template = parse("Hi {First Name} {last_name} ({customer_id}, {E-mail}) {discount}%")
    fields = {
        "First Name": "Ana",
        "Last Name": "Lima",
        "CustomerID": "42",
        "E-mail": "a@b.c",
        "Discount %": "10",
    }
    assert template.render(fields) == "Hi Ana Lima (42, a@b.c) 10%"
    assert template.placeholders == (
        "First Name",
        "Last Name",
        "CustomerID",
        "E-mail",
        "Discount %",
    )


def test_placeholders_are_unique_in_order_of_appearance() -> None:
    template = parse("{last_name} {first_name} {LAST NAME} {Last Name}")
    assert template.placeholders == ("Last Name", "First Name")


def test_literal_braces_and_percent_signs() -> None:
    template = parse("{{code}} 100% {first_name}}} %s %% {{")
    assert template.render({"First Name": "Ana"}) == "{code} 100% Ana} %s %% {"
    assert template.placeholders == ("First Name",)


def test_template_without_placeholders() -> None:
    template = parse("Sale: 50% off {{today}}")
    assert template.render({}) == "Sale: 50% off {today}"
    assert template.empty_fields({}) == []


def test_default_for_empty_and_blank_cells() -> None:
    template = parse("Hi {first_name|there}!")
    assert template.render({"First Name": "Ana"}) == "Hi Ana!"
    assert template.render({"First Name": ""}) == "Hi there!"
    assert template.render({"First Name": "   "}) == "Hi there!"
    assert template.render({}) == "Hi there!"
    assert parse("{first_name|}x").render({"First Name": ""}) == "x"
    assert parse("{first_name| dear friend }").render({}) == " dear friend "


def test_empty_fields_lists_used_columns_without_default() -> None:
    template = parse("Hi {first_name} {last_name|} {first_name}, id {customer_id}")
    fields = {"First Name": " ", "Last Name": "", "CustomerID": "7"}
    assert template.empty_fields(fields) == ["First Name"]
    assert template.render(fields) == "Hi     , id 7"
    assert template.empty_fields({"First Name": "Ana", "CustomerID": "7"}) == []
    assert template.empty_fields({"First Name": "Ana"}) == ["CustomerID"]
    assert template.required == ("First Name", "CustomerID")


def test_values_are_inserted_verbatim_never_interpreted() -> None:
    template = parse("{first_name} / {last_name}")
    fields = {"First Name": "{last_name} %s %(x)s {0}", "Last Name": "{{}}"}
    assert template.render(fields) == "{last_name} %s %(x)s {0} / {{}}"


def test_exact_column_beats_snake_case_match() -> None:
    template = parse("{first_name}", ["First Name", "first_name"])
    assert template.placeholders == ("first_name",)


def test_ambiguous_snake_case_names_both_columns() -> None:
    with pytest.raises(TemplateError) as error:
        parse("{first_name}", ["First Name", "FIRST-NAME"])
    assert "'First Name'" in str(error.value) and "'FIRST-NAME'" in str(error.value)


def test_unknown_placeholder_names_it_and_the_closest_columns() -> None:
    with pytest.raises(TemplateError) as error:
        parse("Hi {frist_name}")
    assert isinstance(error.value, InputError)
    assert "{frist_name}" in str(error.value)
    assert "{first_name} ('First Name')" in (error.value.hint or "")


def test_unknown_placeholder_without_close_match_lists_columns() -> None:
    with pytest.raises(TemplateError) as error:
        parse("Hi {zzz}")
    assert "{zzz}" in str(error.value)
    assert "Columns:" in (error.value.hint or "") and "{customer_id}" in (error.value.hint or "")


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("{first_name.upper}", "attribute access"),
        ("{first_name.__class__}", "attribute access"),
        ("{first_name[0]}", "index access"),
        ("{first_name!r}", "conversions"),
        ("{first_name:>10}", "format specs"),
        ("{0}", "names no column"),
        ("{a.b}", "attribute access"),
    ],
)
def test_templates_execute_nothing(text: str, what: str) -> None:
    with pytest.raises(TemplateError) as error:
        parse(text)
    assert what in str(error.value)


def test_column_whose_name_has_a_dot_or_colon_is_usable() -> None:
    template = parse("{No.} at {Time: start}", ["No.", "Time: start"])
    assert template.render({"No.": "7", "Time: start": "9:00"}) == "7 at 9:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi } there", "lone '}'"),
        ("Hi { there", "unclosed '{'"),
        ("Hi {first_name", "unclosed '{'"),
        ("Hi {first{name}", "unclosed '{'"),
        ("Hi {}", "empty placeholder"),
        ("Hi { |x}", "empty placeholder"),
        ("", "empty"),
        ("  \n", "empty"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as error:
        parse(text)
    assert message in str(error.value)
    assert error.value.hint


def test_read_template_arg_text_and_file(tmp_path: Path) -> None:
    assert read_template_arg("Hi {first_name}") == "Hi {first_name}"
    assert read_template_arg("@@home") == "@home"
    path = tmp_path / "message.txt"
    path.write_bytes("\ufeffHi {first_name},\nsee you “soon”\n\n".encode())
    assert read_template_arg(f"@{path}") == "Hi {first_name},\nsee you “soon”"


def test_read_template_arg_errors(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        read_template_arg(f"@{tmp_path / 'missing.txt'}")
    with pytest.raises(TemplateError, match="directory"):
        read_template_arg(f"@{tmp_path}")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Olá".encode("latin-1"))
    with pytest.raises(TemplateError, match="not UTF-8"):
        read_template_arg(f"@{latin}")


@pytest.mark.parametrize(
    ("placeholder", "first"),
    [
        ("{frist_name}", "{first_name} ('First Name')"),  # a typo
        ("{firstname}", "{first_name} ('First Name')"),  # no separator
        ("{FirstNme}", "{first_name} ('First Name')"),  # case and a typo
        ("{Frist Name}", "{first_name} ('First Name')"),  # spaces and a typo
        ("{customerid}", "{customer_id} ('CustomerID')"),
        ("{emial}", "{e_mail} ('E-mail')"),
        ("{phone_number}", "{phone} ('Phone')"),  # holds a column's name
    ],
)
def test_unknown_placeholder_names_the_closest_column_first(placeholder: str, first: str) -> None:
    """The README promises the closest columns: case, space and underscore variants of a
    column and typos in them are named first, not a list of every column."""
    with pytest.raises(TemplateError) as error:
        parse(f"Hi {placeholder}")
    hint = error.value.hint or ""
    assert hint.startswith(f"Did you mean {first}"), hint


def test_placeholder_errors_show_control_characters_escaped() -> None:
    for text in ("Hi {\x1b]0;owned\x07}", "Hi {name\x1b[2J.x}", "Hi {\u202e}"):
        with pytest.raises(TemplateError) as error:
            parse(text)
        shown = error.value.full()
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown


def test_read_template_arg_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "message.fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # never closed while reading: a read would never end
    outcome: list[BaseException | str] = []

    def read() -> None:
        try:
            outcome.append(read_template_arg(f"@{fifo}"))
        except BaseException as exc:
            outcome.append(exc)

    try:
        os.write(writer, b"Hi {name}")
        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "reading the FIFO did not end"
    finally:
        os.close(writer)
    (error,) = outcome
    assert isinstance(error, TemplateError)
    assert "is a pipe (FIFO), not a regular file" in str(error)
    with pytest.raises(TemplateError, match="character device"):
        read_template_arg("@/dev/zero")


def test_read_template_arg_refuses_a_huge_file(tmp_path: Path) -> None:
    from campaigns.compose.template import MAX_TEMPLATE_BYTES

    path = tmp_path / "big.txt"
    path.write_bytes(b"Hi {name} " * (MAX_TEMPLATE_BYTES // 10 + 1))
    with pytest.raises(TemplateError, match="larger than 64 KiB"):
        read_template_arg(f"@{path}")
    path.write_bytes(b"x" * MAX_TEMPLATE_BYTES)
    assert len(read_template_arg(f"@{path}")) == MAX_TEMPLATE_BYTES


def test_read_template_arg_names_the_bad_byte_and_refuses_nul(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Olá".encode("latin-1"))
    with pytest.raises(TemplateError, match=r"byte 0xE1 at offset 2"):
        read_template_arg(f"@{path}")
    path.write_bytes(b"Hi\x00 there")
    with pytest.raises(TemplateError, match="NUL byte"):
        read_template_arg(f"@{path}")
