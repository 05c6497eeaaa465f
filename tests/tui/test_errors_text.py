"""tui.errors_text: every sentence the app shows for a failure is true to what failed."""

from __future__ import annotations

import pytest

from campaigns.errors import InputError
from tui.errors_text import OPERATIONS, describe_error


def test_a_failed_contacts_load_never_claims_a_saved_campaign() -> None:
    text = describe_error(ValueError("bad value(s) in fds_to_keep"), "Contacts")
    assert "while reading the contacts file" in text
    assert "Nothing was saved or sent" in text
    assert "saved in the journal" not in text


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_only_the_engine_speaks_of_a_campaign_in_the_journal(operation: str) -> None:
    text = describe_error(RuntimeError("boom"), operation)
    assert OPERATIONS[operation].doing in text and "boom" in text
    assert ("Your campaign is in the journal" in text) == (operation == "Engine")


def test_unknown_operations_claim_nothing_and_expected_errors_keep_their_text() -> None:
    text = describe_error(RuntimeError("boom"))
    assert "journal" not in text and "saved" not in text
    assert describe_error(InputError("Bad file.", "Fix it."), "Contacts") == "Bad file.\nFix it."


def test_an_unexpected_error_quotes_only_a_short_visible_excerpt() -> None:
    text = describe_error(ValueError("\x1b]0;owned\x07" + "x" * 10_000), "Contacts")
    assert len(text) < 500
    assert "\x1b" not in text and "\\x1b" in text
    os_error = describe_error(PermissionError(13, "Permission denied", "/tmp/a\x1b[2Jb"))
    assert "\x1b" not in os_error and "/tmp/a\\x1b[2Jb" in os_error
