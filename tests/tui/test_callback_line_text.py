"""The Send screen's callbacks line never shows a password in the callback URL (Twilio
accepts `https://user:password@host/...` for HTTP basic auth on its callbacks)."""

from __future__ import annotations

from tui.engine_runner import CallbackCount
from tui.widgets.callback_line import callback_text


def test_the_callback_url_s_password_is_masked() -> None:
    url = "https://hook:S3cretPassw0rd@receipts.example.com/twilio"
    for count in (
        CallbackCount(url, listening="127.0.0.1:8089", received=3, recorded=2),
        CallbackCount(url, elsewhere=True),
        CallbackCount(url),
    ):
        text = callback_text(count)
        assert "S3cretPassw0rd" not in text and "receipts.example.com/twilio" in text
