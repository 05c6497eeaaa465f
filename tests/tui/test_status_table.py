"""StatusTable: the model against a brute-force oracle, and the widget through Pilot."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from tui.widgets.status_table import (
    COLUMNS,
    STATUS_GLYPHS,
    RecipientModel,
    RecipientRow,
    StatusTable,
    error_text,
    short_sid,
    status_label,
)

STATUSES = ("pending", "sent", "delivered", "undelivered", "failed", "unknown")
RANK = {status: rank for rank, status in enumerate(STATUS_GLYPHS)}


def make_rows(count: int) -> list[RecipientRow]:
    names = ("Ana", "bob", "Chloé", "dan", "Émile", "ana maria")
    return [
        RecipientRow(
            recipient_id=100 + i,
            row=i + 2,
            name=f"{names[i % len(names)]} {i:03d}",
            phone=f"+1555{i:07d}",
            status=STATUSES[i % 3],
            segments=1 + i % 3,
            sid=None,
            error_code=None,
        )
        for i in range(count)
    ]


# -- the model against an oracle ------------------------------------------------------------
def expected_view(
    rows: list[RecipientRow], status: str | None, search: str, column: str, reverse: bool
) -> list[int]:
    groups = {"problems": {"failed", "undelivered", "unknown", "canceled"}}
    wanted = groups.get(status, {status}) if status else None
    needle = search.strip().casefold()
    kept = [
        r
        for r in rows
        if (wanted is None or r.status in wanted)
        and (not needle or needle in r.name.casefold() or needle in r.phone)
    ]
    keys = {
        "row": lambda r: r.row,
        "name": lambda r: (r.name.casefold(), r.phone),
        "phone": lambda r: r.phone,
        "status": lambda r: RANK[r.status],
        "segments": lambda r: r.segments,
        "sid": lambda r: r.sid or "",
        "error": lambda r: r.error_code or 1_000_000,
    }
    kept.sort(key=keys[column], reverse=reverse)  # stable: ties stay in load order
    return [r.recipient_id for r in kept]


def shown(model: RecipientModel) -> list[int]:
    return [model.row_at(p).recipient_id for p in range(len(model))]


def test_model_matches_the_oracle_through_random_changes_filters_and_sorts() -> None:
    rng = random.Random(7)
    rows = make_rows(300)
    model = RecipientModel()
    model.load(rows)
    current = {r.recipient_id: r for r in rows}
    status, search, column, reverse = None, "", "row", False
    for step in range(400):
        action = rng.random()
        if action < 0.08:
            status = rng.choice([None, "failed", "problems", "delivered", "pending"])
            model.set_filter(status)
        elif action < 0.14:
            search = rng.choice(["", "ana", "555000001", "ÉMILE", "zzz"])
            model.set_search(search)
        elif action < 0.22:
            column, reverse = rng.choice(COLUMNS), rng.random() < 0.5
            model.set_sort(column, reverse)
        else:
            batch = []
            for _ in range(rng.randint(1, 25)):
                old = current[rng.choice(list(current))]
                status_new = rng.choice(STATUSES)
                new = replace(
                    old,
                    status=status_new,
                    sid=old.sid or f"SM{rng.getrandbits(128):032x}",
                    error_code=rng.choice([30003, 21610, None]) if status_new == "failed" else None,
                )
                current[new.recipient_id] = new
                batch.append(new)
            model.apply(batch)
        in_order = sorted(current.values(), key=lambda r: r.recipient_id)
        assert shown(model) == expected_view(in_order, status, search, column, reverse), step
        for p in range(0, len(model), 37):
            index = model.index_at(p)
            assert model.position_of(index) == p


def test_model_apply_reports_whether_the_view_changed() -> None:
    rows = make_rows(10)
    model = RecipientModel()
    model.load(rows)
    model.set_filter("failed")
    assert len(model) == 0
    changed, view_changed = model.apply([replace(rows[3], status="failed")])
    assert changed == [3] and view_changed
    assert shown(model) == [103]
    changed, view_changed = model.apply([replace(rows[3], status="failed", sid="SMx")])
    assert changed == [3] and not view_changed  # still shown, same place
    assert model.apply([replace(rows[3], status="failed", sid="SMx")]) == ([], False)
    model.apply([RecipientRow(999, 99, "New", "+15550009999", "failed", 1, None, None)])
    assert shown(model) == [103, 999]
    assert model.get(999) is not None and model.total == 11


def test_sort_by_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        RecipientModel().set_sort("colour")


def test_cell_texts() -> None:
    assert status_label("delivered") == "✓ delivered"
    assert status_label("failed") == "✗ failed"
    assert short_sid("SM" + "0" * 26 + "abcdef") == "SM…abcdef"
    assert short_sid(None) == ""
    assert error_text(30003).startswith("30003 Handset is unreachable")
    assert error_text(12345) == "12345 (Twilio error 12345)"
    assert error_text(None) == ""


# -- the widget through Pilot ---------------------------------------------------------------
class TableApp(App[None]):
    def __init__(self, rows: list[RecipientRow]) -> None:
        super().__init__()
        self.rows = rows
        self.selected: list[RecipientRow] = []
        self.highlighted: list[RecipientRow | None] = []
        self.views: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        yield StatusTable(self.rows)

    def on_mount(self) -> None:
        self.query_one(StatusTable).focus()

    def on_status_table_selected(self, message: StatusTable.Selected) -> None:
        self.selected.append(message.row)

    def on_status_table_highlighted(self, message: StatusTable.Highlighted) -> None:
        self.highlighted.append(message.row)

    def on_status_table_view_changed(self, message: StatusTable.ViewChanged) -> None:
        self.views.append((message.shown, message.total))


def lines(table: StatusTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def body(table: StatusTable) -> list[str]:
    return [line for line in lines(table)[1:] if line.strip()]


async def test_renders_header_and_rows_within_80_columns() -> None:
    rows = make_rows(50)
    rows[4] = replace(rows[4], status="failed", sid="SM" + "1" * 32, error_code=30003)
    app = TableApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(StatusTable)
        header, *rest = lines(table)
        for title in ("#", "Name", "Number", "Status", "Error"):
            assert title in header
        assert all(cell_len(line) <= 80 for line in lines(table))
        assert len(rest) == table.scrollable_content_region.height - 1
        assert rest[0].startswith("›")  # the cursor is marked by a glyph, not colour alone
        assert "+15550000000" in rest[0] and "· pending" in rest[0]
        assert "✗ failed" in rest[4] and "30003 Handset" in rest[4]
        screenshot = app.export_screenshot()
        assert "Number" in screenshot


async def test_status_words_survive_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    rows = make_rows(6)
    rows[1] = replace(rows[1], status="delivered")
    rows[2] = replace(rows[2], status="undelivered", error_code=30005)
    app = TableApp(rows)
    async with app.run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        assert app.no_color
        text = "\n".join(body(app.query_one(StatusTable)))
        for word in ("· pending", "✓ delivered", "✗ undelivered", "→ sent"):
            assert word in text


async def test_cursor_keys_scroll_and_select() -> None:
    app = TableApp(make_rows(200))
    async with app.run_test(size=(90, 20)) as pilot:
        table = app.query_one(StatusTable)
        await pilot.press("down", "down", "j")
        assert table.cursor == 3
        assert table.selected_row == app.rows[3]
        await pilot.press("up")
        assert table.cursor == 2
        await pilot.press("pagedown")
        page = table.scrollable_content_region.height - 2
        assert table.cursor == 2 + page
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == 199
        assert body(table)[-1].startswith("›") and "+15550000199" in body(table)[-1]
        await pilot.press("home", "pageup")
        assert table.cursor == 0
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.selected == [app.rows[1]]
        assert app.highlighted[-1] == app.rows[1]


async def test_filter_search_and_sort_change_what_shows() -> None:
    app = TableApp(make_rows(60))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(StatusTable)
        table.set_filter("sent")
        await pilot.pause()
        assert table.shown_count == 20 and table.total_count == 60
        assert all("→ sent" in line for line in body(table))
        assert app.views[-1] == (20, 60)

        table.set_search("ANA")  # name, case-insensitive, within the filter
        await pilot.pause()
        assert {r.recipient_id for r in map(table.model.row_at, range(table.shown_count))} == {
            r.recipient_id for r in app.rows if r.status == "sent" and "ana" in r.name.casefold()
        }
        table.set_filter(None)
        table.set_search("555 000 0042")  # a number typed with spaces
        await pilot.pause()
        assert table.shown_count == 1 and "+15550000042" in body(table)[0]

        table.set_search("")
        table.set_search("nobody")
        await pilot.pause()
        assert "No recipients match" in lines(table)[1]

        table.set_search("")
        table.sort_by("row", reverse=True)
        await pilot.pause()
        assert "#▼" in lines(table)[0]
        assert "+15550000059" in body(table)[0]
        table.sort_by("status")
        await pilot.pause()
        assert "Status▲" in lines(table)[0]
        assert "· pending" in body(table)[0]


async def test_apply_changes_while_filtered_updates_the_rows_shown() -> None:
    rows = make_rows(30)
    app = TableApp(rows)
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(StatusTable)
        table.set_filter("failed")
        await pilot.pause()
        assert table.shown_count == 0
        table.apply_changes(
            [
                replace(rows[5], status="failed", error_code=21610),
                replace(rows[2], status="failed", error_code=30003),
                replace(rows[9], status="delivered"),
            ]
        )
        await pilot.pause()
        assert [table.model.row_at(p).recipient_id for p in range(2)] == [102, 105]
        shown_lines = body(table)
        assert len(shown_lines) == 2
        assert "21610" in shown_lines[1] and "opted out" in shown_lines[1]
        assert app.views[-1] == (2, 30)
        assert table.selected_row is not None and table.selected_row.recipient_id == 102

        table.apply_changes([replace(rows[2], status="delivered")])  # leaves the filter
        await pilot.pause()
        assert table.shown_count == 1
        assert table.selected_row is not None and table.selected_row.recipient_id == 105
        assert app.highlighted[-1] is not None and app.highlighted[-1].recipient_id == 105

        table.set_filter(None)
        await pilot.pause()
        table.apply_changes([replace(table.model.get(100), status="sent", segments=3)])
        await pilot.pause()
        assert "→ sent" in body(table)[0]
        assert app.highlighted[-1] is not None and app.highlighted[-1].status == "sent"


async def test_a_click_moves_the_cursor() -> None:
    app = TableApp(make_rows(40))
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(StatusTable)
        await pilot.click(StatusTable, offset=(5, 4))
        assert table.cursor == 3


async def test_narrow_terminal_drops_columns_and_resize_keeps_the_cursor_visible() -> None:
    rows = [replace(r, sid="SM" + "a" * 26 + f"{i:06d}") for i, r in enumerate(make_rows(100))]
    app = TableApp(rows)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(StatusTable)
        assert "SID" in lines(table)[0] and "SM…000000" in body(table)[0]
        table.cursor = 25
        await pilot.resize_terminal(60, 12)
        await pilot.pause()
        header = lines(table)[0]
        assert "SID" not in header and "Status" in header and "Name" in header
        assert all(cell_len(line) <= 60 for line in lines(table))
        cursor_lines = [line for line in body(table) if line.startswith("›")]
        assert len(cursor_lines) == 1 and "+15550000025" in cursor_lines[0]


def test_highlighted_and_view_changed_coalesce_per_table_only() -> None:
    one, two = StatusTable(), StatusTable()
    row = make_rows(1)[0]
    newer = StatusTable.Highlighted(one, row)
    assert newer.can_replace(StatusTable.Highlighted(one, None))
    assert not newer.can_replace(StatusTable.Highlighted(two, None))
    assert not newer.can_replace(StatusTable.Selected(one, row))
    assert StatusTable.ViewChanged(one, 1, 2).can_replace(StatusTable.ViewChanged(one, 3, 4))
    assert not StatusTable.Selected(one, row).can_replace(StatusTable.Selected(one, row))


async def test_control_characters_in_a_name_or_number_are_drawn_visible() -> None:
    """Names come from the file (and so does the "number" of a skipped row): an escape
    sequence, a bidi override or a C1 control is drawn as its escape, never raw, and a line
    break keeps the row on one line."""
    rows = make_rows(3)
    rows[0] = replace(rows[0], name="Ann\nLine\tTwo\x1b]0;owned\x07")
    rows[1] = replace(rows[1], name="\u202eevil\x9b2J", phone="\x1b[2J+1555")
    app = TableApp(rows)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(StatusTable)
        strips = [table.render_line(y) for y in range(1, 3)]
        texts = ["".join(segment.text for segment in strip) for strip in strips]
        for text in texts:
            assert not any(char in text for char in "\x1b\x07\u202e\x9b\n\t"), text
        assert "Ann\\x0aLine\\x09Two\\x1b" in texts[0]  # (the name column is 24 wide)
        assert "\\u202eevil\\x9b2J" in texts[1] and "\\x1b[2J+1555" in texts[1]
