"""The Audience screen's line-types toggle (l): it asks with the count and cost before
anything is billed, a "no" leaves the filter off and Twilio unasked, a "yes" looks the
audience up once and leaves the untextable numbers out with their reason; Compose shows
where the prices come from."""

from __future__ import annotations

from pathlib import Path

from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from tui.app import SmscastApp
from tui.screens.dialogs import ConfirmDialog


async def test_lookup_toggle_asks_then_excludes(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "phone,name\n+14155550100,Ann\n+14155550101,Bob\n+18005550100,Toll\n", encoding="utf-8"
    )
    config = SandboxConfig(
        trial=False,
        line_types={"+14155550100": "mobile", "+14155550101": "landline"},
    )
    with Sandbox(config) as sandbox:
        app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
        async with app.run_test(size=(100, 30)) as pilot:
            assert await until(pilot, lambda: app.draft.audience is not None)
            app.set_template("Hi {name}")
            await pilot.press("3")
            await pilot.press("l")
            assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert "3 numbers" in str(app.screen.question) and "USD" in str(app.screen.question)
            await pilot.press("n")
            assert await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
            await pilot.pause()
            assert app.draft.filters.line_types is False and sandbox.lookups_billed == 0

            await pilot.press("l")
            assert await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            assert await until(
                pilot,
                lambda: (
                    app.draft.audience is not None
                    and app.draft.audience.counts.get("line-type") == 2
                ),
            )
            assert sandbox.lookups_billed == 3
            assert [c.phone for c in app.draft.audience.included] == ["+14155550100"]
            reasons = {e.row: e.reason for e in app.draft.audience.excluded}
            assert "a landline" in reasons[3] and "a toll-free number" in reasons[4]

            await pilot.press("l")  # off: everyone is back, nothing asked or billed
            assert await until(
                pilot,
                lambda: app.draft.audience is not None and len(app.draft.audience.included) == 3,
            )
            await pilot.press("l")  # on again: known already, no question, no bill
            assert await until(
                pilot,
                lambda: app.draft.audience is not None and len(app.draft.audience.included) == 1,
            )
            assert not isinstance(app.screen, ConfirmDialog) and sandbox.lookups_billed == 3
            assert await until(pilot, lambda: app.draft.pricing is not None)
            assert app.draft.pricing is not None
            assert "prices from Twilio" in app.draft.pricing.label()
