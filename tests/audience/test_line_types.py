"""The line-type filter: untextable types leave the audience with a reason, the counts and
deferrals follow, and a number Lookup could not type stays in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from campaigns.audience.filters import build_audience
from campaigns.audience.line_types import KIND_LINE_TYPE, exclude_line_types
from campaigns.contacts.book import load_contacts
from campaigns.twilio.models import LineType


def test_untextable_types_are_excluded_with_their_reason(tmp_path: Path) -> None:
    phones = ["+14155550100", "+14155550101", "+14155550102", "+18005550100", "+16135550123"]
    path = tmp_path / "c.csv"
    path.write_text("name,phone\n" + "".join(f"P{i},{p}\n" for i, p in enumerate(phones)))
    book = load_contacts(path, region="US")
    audience = build_audience(
        book,
        suppressed=set(),
        verified=None,
        quiet_hours=None,
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert audience.counts["included"] == 5
    found = {
        phones[0]: LineType(phones[0], True, "mobile", "AT&T Wireless"),
        phones[1]: LineType(phones[1], True, "landline", "Lumen Technologies"),
        phones[2]: LineType(phones[2], True, "voicemail"),
        phones[3]: LineType(phones[3], True, "tollFree"),
        phones[4]: LineType(phones[4], True, None, error_code=60601),  # unknown: kept
    }
    when = {phones[1]: datetime(2026, 11, 30, tzinfo=UTC)}
    after = exclude_line_types(audience, found, when)
    assert [c.phone for c in after.included] == [phones[0], phones[4]]
    assert after.counts["included"] == 2 and after.counts[KIND_LINE_TYPE] == 3
    reasons = {e.row: e.reason for e in after.excluded if e.kind == KIND_LINE_TYPE}
    assert reasons[3] == (
        "a landline (Lumen Technologies) by Twilio Lookup, 2026-11-30: it cannot receive SMS"
    )
    assert "voicemail" in reasons[4] and "toll-free" in reasons[5]
    assert exclude_line_types(audience, {}) is audience
