"""What the SDK authenticates with (`Credentials`), and the one check that there are some
(`require_credentials`) before anything talks to Twilio.

Free of the SDK and of the settings: `require_credentials` takes any `CredentialSource`
(the config layer's `Settings` is one), so the gateway needs nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from campaigns.errors import ConfigError
from campaigns.secrets import mask


@dataclass(frozen=True, repr=False)
class Credentials:
    """What the SDK authenticates with (HTTP Basic `username:password`).

    `username` is the account SID (with an auth token) or an API key SID `SK...` (with its
    secret); the account SID always names the account in request paths. `source` says where
    the secret came from ("flags", "environment", ".env file ...", "config file ...").
    """

    account_sid: str
    username: str
    password: str
    source: str = ""

    @property
    def kind(self) -> Literal["auth_token", "api_key"]:
        """Whether the secret is the account's auth token or an API key secret."""
        return "auth_token" if self.username == self.account_sid else "api_key"

    def __repr__(self) -> str:
        return (
            f"Credentials(account_sid={self.account_sid!r}, username={self.username!r}, "
            f"password={mask(self.password)!r}, source={self.source!r})"
        )

    __str__ = __repr__


class CredentialSource(Protocol):
    """Where credentials may have been found: the credentials, or why they are incomplete,
    and how to set them (the sentence a person reads when there are none)."""

    @property
    def credentials(self) -> Credentials | None: ...

    @property
    def credential_problem(self) -> str | None: ...

    @property
    def credentials_help(self) -> str: ...


def require_credentials(source: CredentialSource) -> Credentials:
    """The credentials, or a `ConfigError` saying how to set them (and about `smscast demo`)."""
    if source.credentials is not None:
        return source.credentials
    message = source.credential_problem or "No Twilio credentials were found."
    raise ConfigError(message, source.credentials_help)
