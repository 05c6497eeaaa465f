"""The pause line names the pause once: a signal's reason already says "Paused ..." and the
renderer must not print "Paused: Paused: ..." (seen after SIGTERM and SIGHUP)."""

from __future__ import annotations

import io

import pytest

from campaigns.cli.sending import PAUSING_SIGNALS, Renderer
from campaigns.send.events import CampaignPaused


@pytest.mark.parametrize("reason", sorted(PAUSING_SIGNALS.values()))
def test_a_signal_pause_is_named_once(reason: str) -> None:
    err = io.StringIO()
    render = Renderer(json_mode=False, out=io.StringIO(), err=err)
    render(CampaignPaused("c1", reason=reason, hint="", kind="user"))
    assert err.getvalue() == f"{reason}\n"
    assert err.getvalue().count("Paused") == 1


def test_another_pause_reason_is_introduced_by_paused() -> None:
    err = io.StringIO()
    render = Renderer(json_mode=False, out=io.StringIO(), err=err)
    render(CampaignPaused("c1", reason="12 transient errors in a row.", hint="", kind="errors"))
    assert err.getvalue() == "Paused: 12 transient errors in a row.\n"
