"""The command palette (ctrl+p): every screen and the main actions, found by fuzzy search."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.state import STEPS

if TYPE_CHECKING:
    from tui.app import SmscastApp


class SmscastCommands(Provider):
    """Go to a screen, or run one of the main actions of the flow."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("SmscastApp", self.app)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (f"Go to {title}", f"Show the {title} screen (key {i})", partial(app.action_go, name))
            for i, (name, title) in enumerate(STEPS, start=1)
        ]
        commands += [
            ("Start the demo sandbox", "Use a built-in Twilio sandbox account", app.start_demo),
            (
                "Reload account",
                "Ask Twilio for the account, senders and verified numbers",
                app.load_account,
            ),
            ("Pause sending", "Pause the running campaign (resumable)", app.pause_campaign),
            ("Resume sending", "Resume the paused campaign", app.resume_campaign),
            (
                "Cancel sending",
                "Stop the running campaign: nothing more is sent",
                app.cancel_campaign,
            ),
            ("Refresh history", "Read past campaigns from the journal", app.load_history),
            (
                "Show replies",
                "What people answered the campaign: threads, opt-outs to review (key 8)",
                app.show_replies,
            ),
            (
                "Retry failed",
                "A new campaign to the campaign's people a second try can reach, on Review (t on "
                "History)",
                app.retry_campaign,
            ),
            (
                "Follow up...",
                "A new message to some of the campaign's people: delivered, failed, replied... "
                "(f on History)",
                app.follow_up_campaign,
            ),
            (
                "Export results",
                "Write the current campaign's results to a CSV file",
                app.export_current,
            ),
        ]
        return commands

    async def discover(self) -> Hits:
        """Everything, before the person types."""
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """The commands matching what the person typed."""
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
