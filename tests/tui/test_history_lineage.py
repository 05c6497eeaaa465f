"""History shows lineage: which campaign a retry or follow-up came from (the From column and
the detail line) and the chain's combined outcome, each person once."""

from __future__ import annotations

from pathlib import Path

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


async def test_history_names_the_parent_and_the_chain_outcome(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with J.Journal.open(db) as journal:
        root = _campaign(journal, {2: "delivered", 3: "undelivered", 4: "undelivered"})
        retry = _campaign(journal, {3: "delivered", 4: "undelivered"}, parent_id=root, kind="retry")
        thanks = _campaign(
            journal, {2: "delivered", 3: "delivered"}, parent_id=root, kind="follow-up"
        )
    app = SmscastApp(settings=sandbox_settings(None, tmp_path), db_path=db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("7")
        table = app.screen.query_one("#campaigns", DataTable)
        assert await until(pilot, lambda: table.row_count == 3)
        made_from = {str(key.value): table.get_row(key)[6] for key in table.rows}
        suffix = root.rsplit("-", 1)[-1]
        assert made_from == {
            root: "",
            retry: f"retry of {suffix}",
            thanks: f"follow-up of {suffix}",
        }

        table.move_cursor(row=table.get_row_index(retry))
        await pilot.pause()
        detail = str(app.screen.query_one("#campaign-detail").render())
        assert f"Retry of {root}" in detail
        # 3 people, each once: 2 and 3 delivered (3 on the retry), 4 still undelivered
        assert f"{root} with its 1 retry: 3 people, 2 delivered, 1 undelivered" in detail

        table.move_cursor(row=table.get_row_index(thanks))
        await pilot.pause()
        detail = str(app.screen.query_one("#campaign-detail").render())
        assert f"Follow-up of {root}" in detail and "retry:" not in detail
