"""Real twilio SDK clients pointed at a sandbox (for the sandbox tests)."""

from __future__ import annotations

from twilio.rest import Client

from campaigns.sandbox import Sandbox


def sdk_client(sb: Sandbox, username: str | None = None, password: str | None = None) -> Client:
    """A sync twilio Client for `sb` (base URL redirected, edge and region cleared)."""
    client = Client(
        username or sb.account_sid, password or sb.auth_token, account_sid=sb.account_sid
    )
    client.api.base_url = sb.base_url
    client.edge = None
    client.region = None
    return client
