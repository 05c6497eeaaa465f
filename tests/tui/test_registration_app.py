"""The app and US registration, against the sandbox over loopback: the Account screen lists
each sender's registration and the Messaging Services' pools with what to do; choosing a
sender recounts the audience (an unregistered long code leaves its US recipients out, with the
reason), and Review says how many and what to do."""

from __future__ import annotations

from pathlib import Path

from registration_support import MG_REGISTERED, registration_config
from textual.widgets import Select, Static
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox
from tui.app import SmscastApp

CONTACTS = """name,phone
Ana,+14155550100
Bob,+12125550199
Cleo,+17875550123
Dan,+16045550100
"""
UNREGISTERED = "+15017122673"


def _text(app: SmscastApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_choosing_a_sender_recounts_who_it_can_reach(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    with Sandbox(registration_config()) as sb:
        app = SmscastApp(
            settings=sandbox_settings(sb, tmp_path),
            contacts_file=contacts,
            quiet_hours=False,
        )
        async with app.run_test(size=(100, 40)) as pilot:
            assert await until(
                pilot, lambda: app.draft.account_senders is not None and app.draft.book
            )
            await pilot.press("1")
            shown = _text(app, "#registration")
            assert f"{UNREGISTERED}  long code: A2P 10DLC unregistered" in shown
            assert "it is not registered for A2P 10DLC" in shown
            assert f"Messaging Service {MG_REGISTERED}" in shown and "SMSCAST" in shown

            app.screen.query_one("#sender", Select).value = UNREGISTERED
            assert await until(
                pilot,
                lambda: (
                    app.draft.audience is not None
                    and app.draft.audience.counts.get("registration") == 3
                ),
            )
            reasons = {e.phone: e.reason for e in app.draft.audience.excluded}
            assert set(reasons) == {"+14155550100", "+12125550199", "+17875550123"}
            assert all("30034" in r and "register" in r for r in reasons.values())
            assert [c.phone for c in app.draft.audience.included] == ["+16045550100"]
            await pilot.press("5")
            assert await until(
                pilot, lambda: "Left out for US registration: 3" in _text(app, "#review-summary")
            )

            await pilot.press("1")
            app.screen.query_one("#sender", Select).value = MG_REGISTERED
            assert await until(
                pilot,
                lambda: (
                    app.draft.audience is not None
                    and app.draft.audience.registration is not None
                    and app.draft.audience.registration.sender == MG_REGISTERED
                ),
            )
            assert "registration" not in app.draft.audience.counts
            assert len(app.draft.audience.included) == 4
