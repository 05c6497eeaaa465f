"""Pilot tests of the app's screens one by one, against the real sandbox over loopback.

Each test builds `SmscastApp` with injected settings and a journal in `tmp_path`, so nothing
touches the person's home. Waiting is bounded (`until`), never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, Switch, TextArea
from tui_support import sandbox_settings, until

from campaigns.sandbox import Sandbox, SandboxConfig
from tui.app import SmscastApp
from tui.commands import SmscastCommands
from tui.widgets.path_input import complete_path

CONTACTS = """first_name,last_name,phone,city
Ana,Silva,+14155550100,SF
Bob,Jones,+14155550101,SF
Cleo,,+14155550102,NYC
Dan,Brown,+12025550143,DC
Eve,White,+16175551212,Boston
Finn,Gray,+12125550199,NYC
Gus,Lee,12345,LA
Hal,Ng,+14155550100,SF
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A trial account: five of the contacts above are verified, Finn is not."""
    with Sandbox(SandboxConfig(speedup=50)) as running:
        yield running


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    return path


async def test_missing_credentials_explains_and_offers_the_demo(
    tmp_path: Path, contacts: Path
) -> None:
    app = SmscastApp(settings=sandbox_settings(None, tmp_path), db_path=tmp_path / "j.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.current_mode == "account"
        info = str(app.screen.query_one("#account-info").render())
        assert "No Twilio account is configured" in info
        assert "TWILIO_ACCOUNT_SID" in info
        assert "smscast demo" in info
        assert not app.has_credentials
        app.contacts_file = str(contacts)
        await pilot.press("d")
        assert await until(pilot, lambda: app.draft.account is not None)
        assert app.demo and app.has_credentials
        assert app.draft.account.type == "Trial"
        # the demo's journal is private, never the person's
        assert app.db_path is not None and "smscast-demo-" in str(app.db_path)
        assert await until(pilot, lambda: app.draft.book is not None)


async def test_account_shows_trial_sender_and_verified_numbers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.account is not None)
        await pilot.pause()
        info = str(app.screen.query_one("#account-info").render())
        assert "Trial" in info
        assert app.draft.sender == sandbox.phone_number
        verified = str(app.screen.query_one("#verified").render())
        assert "+14155550100" in verified
        assert app.db_path == tmp_path / "journal.db"


async def test_contacts_open_by_path_shows_detection_and_problems(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        path_input = app.screen.query_one("#path", Input)
        path_input.focus()
        path_input.value = str(contacts)
        await pilot.press("enter")
        assert await until(pilot, lambda: app.draft.book is not None)
        await pilot.pause()
        summary = str(app.screen.query_one("#file-summary").render())
        assert "utf-8" in summary.lower()
        assert "comma" in summary
        assert "phone" in summary
        assert "6 valid" in summary
        table = app.screen.query_one("#problems", DataTable)
        cells = [table.get_row_at(i) for i in range(table.row_count)]
        kinds = " ".join(str(row[3]) for row in cells)
        assert "invalid" in kinds and "duplicate" in kinds
        assert any(row[0] == "8" for row in cells)  # the spreadsheet row of "12345"
        # choosing another phone column reloads the file with it
        app.load_contacts(str(contacts), phone_column="city")
        assert await until(pilot, lambda: app.draft.book.phone_column == "city")


async def test_contacts_open_the_sample_vcard_and_workbook(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # the samples the demo ships (scripts/make_sample_contacts.py) open as the CSV does
    from campaigns.pipeline.demo import sample_contacts_path

    sample = sample_contacts_path()
    assert sample is not None
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        for name, shown in (
            ("sample_contacts.vcf", "vCard 3.0 (row N = card N)"),
            ("sample_contacts.xlsx", "Excel workbook (.xlsx), sheet 'Contacts'"),
        ):
            path_input = app.screen.query_one("#path", Input)
            path_input.focus()
            path_input.value = str(sample.with_name(name))
            await pilot.press("enter")
            assert await until(
                pilot, lambda n=name: app.draft.book is not None and app.draft.book.path.name == n
            )
            await pilot.pause()
            summary = str(app.screen.query_one("#file-summary").render())
            assert shown in summary and "23 valid" in summary, summary
            assert "name columns: 'First Name', 'Last Name'" in summary or name.endswith(".vcf")


async def test_audience_toggles_recount(sandbox: Sandbox, tmp_path: Path, contacts: Path) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(
            pilot, lambda: app.draft.audience is not None and app.draft.account is not None
        )
        await pilot.press("3")
        assert await until(pilot, lambda: len(app.draft.audience.included) == 5)
        excluded = app.draft.audience.excluded
        assert any(e.kind == "unverified" and e.phone == "+12125550199" for e in excluded)
        assert app.screen.query_one("#switch-verified_only", Switch).value is True
        await pilot.press("v")
        assert await until(pilot, lambda: len(app.draft.audience.included) == 6)
        assert app.draft.filters.verified_only is False
        label = str(app.screen.query_one("#label-verified_only").render())
        assert "0 excluded" in label


async def test_compose_preview_warnings_and_smart_fix(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.audience is not None)
        await pilot.press("4")
        editor = app.screen.query_one("#template", TextArea)
        editor.text = "Hi {first_name} \u201cwelcome\u201d"
        assert await until(pilot, lambda: app.draft.template_text == editor.text)
        assert await until(pilot, lambda: app.draft.plan is not None)
        await pilot.pause()
        line = str(app.screen.query_one("#segments-line").render())
        assert "UCS-2" in line and "\u201c" in line
        warnings = str(app.screen.query_one("#compose-warnings").render())
        assert "opt-out" in warnings
        await pilot.press("ctrl+f")
        assert await until(pilot, lambda: "\u201c" not in app.draft.template_text)
        await pilot.pause()
        assert "GSM-7" in str(app.screen.query_one("#segments-line").render())
        first = str(app.screen.query_one("#preview-head").render())
        await pilot.press("ctrl+n")
        assert str(app.screen.query_one("#preview-head").render()) != first
        assert app.draft.preview_index == 1
        # a column inserted at the cursor
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+o")
        columns = app.screen.query_one("#columns", OptionList)
        assert columns.has_focus
        columns.highlighted = 1  # the second column: last_name
        await pilot.press("enter")
        assert await until(pilot, lambda: "{last_name}" in app.draft.template_text)


async def test_unknown_placeholder_is_a_sentence_not_a_traceback(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.book is not None)
        await pilot.press("4")
        app.set_template("Hi {frist_name}")
        await pilot.pause()
        assert app.draft.template_error is not None
        assert "frist_name" in app.draft.template_error
        assert "Traceback" not in app.draft.template_error
        assert app.draft.plan is None


async def test_command_palette_lists_screens_and_actions(sandbox: Sandbox, tmp_path: Path) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        provider = SmscastCommands(app.screen)
        names = [str(hit.display) for hit in [h async for h in provider.discover()]]
        assert "Go to History" in names and "Pause sending" in names
        hits = [h async for h in provider.search("histo")]
        assert hits and "History" in str(hits[0].text)
        hits[0].command()
        await pilot.pause()
        assert app.current_mode == "history"


async def test_app_is_usable_at_80x24(sandbox: Sandbox, tmp_path: Path, contacts: Path) -> None:
    app = SmscastApp(settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: app.draft.plan is not None)
        for key in "1234567":
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode is not None
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.current_mode == "history"


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("phone\n")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "zeta.txt").write_text("")
    assert complete_path(str(tmp_path / "contr")) == str(tmp_path / "contracts") + "/"
    assert complete_path(str(tmp_path / "contacts")) == str(tmp_path / "contacts.csv")
    assert complete_path(str(tmp_path / "nothing-here")) is None
    assert complete_path("") is None


class RecordingApp(SmscastApp):
    """The app, remembering what it told the person."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.told: list[tuple[str, str]] = []

    def notify(self, message: str, *, severity: str = "information", **kwargs) -> None:
        self.told.append((severity, message))
        super().notify(message, severity=severity, **kwargs)


async def test_bad_canary_number_is_refused_with_a_next_step(
    sandbox: Sandbox, tmp_path: Path, contacts: Path
) -> None:
    app = RecordingApp(
        settings=sandbox_settings(sandbox, tmp_path), contacts_file=contacts, quiet_hours=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: app.draft.plan is not None and app.draft.sender)
        await pilot.press("5")
        # The first visit to a screen takes a while under load: type only once it is there.
        assert await until(pilot, lambda: bool(app.screen.query("#confirm")))
        await pilot.press("c", *"12", "enter")  # Enter moves on to the confirmation
        assert app.screen.query_one("#confirm", Input).has_focus
        await pilot.press(*"SEND", "enter")
        assert await until(pilot, lambda: any(s == "error" for s, _ in app.told))
        assert await until(pilot, lambda: not app.draft.sending)
        errors = [text for severity, text in app.told if severity == "error"]
        assert "canary number 12" in errors[0] and "country code" in errors[0]
        assert "Traceback" not in errors[0]
        assert app.runner is None  # nothing was sent
    assert sandbox.messages() == []  # no test in this module sends
