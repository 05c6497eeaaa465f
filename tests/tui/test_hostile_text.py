"""The app draws hostile text literally: terminal escapes, bidi and C1 controls made visible,
Rich/Textual markup never interpreted (a name cannot retitle the terminal, a file name cannot
clear the screen, a cell cannot bind a click to quit). Checked on what the widgets draw."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from campaigns.store.journal import Journal, NewRecipient
from tui.app import SmscastApp

RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"
MARKUP = "[bold red]x[@click=app.quit]"


def drawn(widget: Widget) -> str:
    """Every line the widget draws, as text."""
    width, height = widget.outer_size  # with the border and padding
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    assert found is None, repr(text)


async def test_audience_compose_account_and_history_draw_hostile_text_literally(
    tmp_path: Path,
) -> None:
    contacts = tmp_path / f"list{CLEAR}.csv"
    with contacts.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(
            [
                ["phone", "name"],
                ["+14155550100", f"{TITLE}Ann"],
                ["+14155550101", MARKUP],
                ["+14155550102", f"{RLO}gpj.exe"],
            ]
        )
    db = tmp_path / "journal.db"
    with Journal.open(db) as journal:
        journal.create_campaign(
            template=f"Hi {CLEAR}",
            source_name=str(tmp_path / f"old{CLEAR}{RLO}.csv"),
            source_sha256="0" * 64,
            sender="+15005550006",
            messaging_service_sid=None,
            settings={},
            recipients=[NewRecipient(2, "+14155550100", "Hi", 1, 0.01, fields={"name": "A"})],
        )
    config = SandboxConfig(trial=False, friendly_name=f"{TITLE}Acme{MARKUP}", speedup=50)
    with Sandbox(config) as sandbox:
        app = SmscastApp(
            settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts, db_path=db
        )
        async with app.run_test(size=(120, 36)) as pilot:
            assert await until(
                pilot, lambda: app.draft.account is not None and app.draft.audience is not None
            )
            await pilot.press("1")
            await pilot.pause()
            account = drawn(app.screen.query_one("#account-info"))
            assert_clean(account)
            assert f"\\x1b]0;owned\\x07Acme{MARKUP}" in account

            await pilot.press("3")
            await pilot.pause()
            table = app.screen.query_one("#included-table", DataTable)
            assert await until(pilot, lambda: table.row_count == 3)
            await pilot.pause()
            included = drawn(table)
            assert_clean(included)
            assert "\\x1b]0;owned\\x07Ann" in included
            assert MARKUP in included  # drawn as typed, not as bold red
            assert "\\u202egpj.exe" in included

            app.set_template(f"Hi {{name}}{CLEAR}!")
            await pilot.press("4")
            assert await until(pilot, lambda: app.draft.plan is not None)
            await pilot.pause()
            preview = drawn(app.screen.query_one("#preview")) + drawn(
                app.screen.query_one("#preview-head")
            )
            assert_clean(preview)
            assert "\\x1b]0;owned\\x07Ann\\x1b[2J!" in preview
            warnings = drawn(app.screen.query_one("#compose-warnings"))
            assert "ESC" in warnings and "sent as it is" in warnings

            await pilot.press("7")
            history = app.screen.query_one("#campaigns", DataTable)
            assert await until(pilot, lambda: history.row_count == 1)
            await pilot.pause()
            shown = drawn(history) + drawn(app.screen.query_one("#campaign-detail"))
            assert_clean(shown)
            assert "old\\x1b[2J\\u202e.csv" in shown and "Hi \\x1b[2J" in shown


async def test_compose_and_review_count_rows_left_out_for_a_blank_message(
    tmp_path: Path,
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "phone,name\n+14155550100,Ann\n+14155550101,\n+14155550102,\u200b\n", encoding="utf-8"
    )
    with Sandbox(SandboxConfig(trial=False, speedup=50)) as sandbox:
        app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
        async with app.run_test(size=(120, 36)) as pilot:
            assert await until(pilot, lambda: app.draft.audience is not None)
            app.set_template("{name}")
            await pilot.press("4")
            assert await until(
                pilot, lambda: app.draft.plan is not None and app.draft.plan.summary.messages == 1
            )
            await pilot.pause()
            totals = drawn(app.screen.query_one("#totals"))
            assert "2 left out: 1 with an empty message, 1 with a blank message" in totals
            await pilot.press("5")
            await pilot.pause()
            review = drawn(app.screen.query_one("#review-summary"))
            assert "Messages: 1," in review and "2 left out" in review


async def test_contacts_phone_column_choices_draw_hostile_headers_literally(
    tmp_path: Path,
) -> None:
    """The phone-column list offers the file's own header cells: a header holding an escape
    sequence must be drawn made visible when the list opens (it retitled the terminal)."""
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay

    contacts = tmp_path / "contacts.csv"
    contacts.write_text(f"phone,c{TITLE}ity\n+14155550100,Paris\n", encoding="utf-8")
    app = SmscastApp(settings=sandbox_settings(None, tmp_path), contacts_file=contacts)
    async with app.run_test(size=(120, 36)) as pilot:
        assert await until(pilot, lambda: app.draft.book is not None)
        await pilot.press("2")
        await pilot.pause()
        select = app.screen.query_one("#phone-column", Select)
        select.expanded = True
        await pilot.pause()
        overlay = select.query_one(SelectOverlay)
        assert await until(pilot, lambda: overlay.option_count >= 2)
        shown = drawn(overlay)
        assert_clean(shown)
        assert "c\\x1b]0;owned\\x07ity" in shown
        assert select.value == "phone"  # the value stays the header as the file has it


async def test_the_path_box_draws_a_hostile_file_name_visibly_and_keeps_the_real_path(
    tmp_path: Path,
) -> None:
    """The File (o) box was filled with the real path and Textual's Input drew it raw: a file
    named with ESC ] 0 ; ... BEL retitled the terminal. The box keeps the value (Enter opens
    the real file) and draws each control as one visible cell."""
    from textual.widgets import Input

    contacts = tmp_path / f"x{TITLE}{RLO}y.csv"
    contacts.write_text("first_name,phone\nA,+14155550101\n", encoding="utf-8")
    app = SmscastApp(settings=None, contacts_file=contacts, db_path=tmp_path / "j.db")
    async with app.run_test(size=(120, 36)) as pilot:
        assert await until(pilot, lambda: app.draft.book is not None)
        await pilot.press("2")
        await pilot.pause()
        box = app.screen.query_one("#path", Input)
        assert box.value == str(contacts)
        shown = drawn(box)
        assert_clean(shown)
        assert "x␛]0;owned␇\ufffdy.csv" in shown
