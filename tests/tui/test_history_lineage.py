"""History shows lineage: which campaign a retry or follow-up came from (the From column and
the detail line) and the chain's combined outcome, each person once."""

from __future__ import annotations

from pathlib import Path

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable
from tui_support import sandbox_settings, until

from campaigns.store import journal as J
from tui.app import SmscastApp


def _campaign(journal: J.Journal, rows: dict[int, str], **link: str) -> str:
    cid = journal.create_campaign(
        template="Hi {name}",
        source_name="/data/people.csv",
        source_sha256="d" * 64,
        sender="+15017122661",
        messaging_service_sid=None,
        settings={},
        recipients=[J.NewRecipient(row, f"+1415555{row:04d}", "Hi", 1, 0.0) for row in rows],
        **link,
    )
    journal.apply(cid, outcomes=[J.Outcome(row, status) for row, status in rows.items()])
    journal.set_state(cid, J.FINISHED)
    return cid


def drawn(widget: Widget) -> str:
    """Every line the widget draws, as text (what a person sees, cut where it is cut)."""
    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_history_names_the_parent_and_the_chain_outcome(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with J.Journal.open(db) as journal:
        root = _campaign(journal, {2: "delivered", 3: "undelivered", 4: "undelivered"})
        retry = _campaign(journal, {3: "delivered", 4: "undelivered"}, parent_id=root, kind="retry")
        thanks = _campaign(
            journal, {2: "delivered", 3: "delivered"}, parent_id=root, kind="follow-up"
        )
    app = SmscastApp(settings=sandbox_settings(None, tmp_path), db_path=db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        table = app.screen.query_one("#campaigns", DataTable)
        assert await until(pilot, lambda: table.row_count == 3)
        made_from = {str(key.value): table.get_row(key)[6] for key in table.rows}
        suffix = root.rsplit("-", 1)[-1]
        assert made_from == {
            root: "",
            retry: f"retry {suffix}",
            thanks: f"follow {suffix}",
        }

        table.move_cursor(row=table.get_row_index(retry))
        await pilot.pause()
        detail = " ".join(drawn(app.screen.query_one("#campaign-detail")).split())
        assert f"Retry of {root}" in detail
        # 3 people, each once: 2 and 3 delivered (3 on the retry), 4 still undelivered
        assert f"{root} with its 1 retry: 3 people, 2 delivered, 1 undelivered" in detail
        assert "Template: Hi {name}" in detail  # nothing cut off below the chain line
        assert f"retry {suffix}" in drawn(table)  # the From cells whole at 80 columns
        assert f"follow {suffix}" in drawn(table)

        table.move_cursor(row=table.get_row_index(thanks))
        await pilot.pause()
        detail = " ".join(drawn(app.screen.query_one("#campaign-detail")).split())
        assert f"Follow-up of {root}" in detail and "retry:" not in detail
