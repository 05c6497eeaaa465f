"""Checking that a status callback comes from Twilio: its `X-Twilio-Signature`, with the SDK's
own `RequestValidator` (the one place smscast checks signatures; only this package imports the
SDK).

Twilio signs every webhook with the account's primary auth token, also when the messages were
created with an API key: an API key's secret cannot check a signature, so an API-key-only
setup cannot receive callbacks (`campaigns.pipeline.listen` says so).
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


class SignatureCheck:
    """`valid(url, params, signature)`: whether Twilio, holding `auth_token`, signed this
    form POST to `url` (the URL exactly as Twilio was given it, query included)."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)

    def __repr__(self) -> str:
        return "SignatureCheck(auth_token=***)"

    def valid(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        if not signature:
            return False
        return bool(self._validator.validate(url, dict(params), signature))
