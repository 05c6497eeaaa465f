"""Keeping secrets out of sight: how a secret may be shown (`mask`), and the process-wide
registry of loaded secrets that `scrub` removes from any text before it is shown, printed,
logged or exported.

A foundation module (it imports nothing of smscast): the settings register what they load
(`remember_secret`), the Twilio gateway registers its credentials and scrubs its errors, and
the command line's and the app's error handlers scrub whatever they show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask(secret: str | None) -> str:
    """A secret as it may be shown: at most its last four characters, never the whole.

    Short secrets (under 16 characters) show nothing at all, since four characters of them
    would give away too much.
    """
    if not secret:
        return ""
    return f"****{secret[-4:]}" if len(secret) >= 16 else "****"


#: Every auth token / API secret this process has loaded: `scrub` masks them wherever they
#: appear, so an error text from any library cannot show one.
_known_secrets: set[str] = set()
#: Shorter values are not masked inside other text (they would mangle ordinary words).
_MIN_SECRET_LENGTH = 8
#: The userinfo of a URL ("http://user:secret@host" -> "http://****@host").
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")
#: Something that looks like a Twilio auth token: 32 hexadecimal characters standing alone
#: (a SID's 32 hex digits follow its two letters, so SIDs are left as they are).
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32}(?![0-9A-Za-z])")


def remember_secret(secret: str | None) -> None:
    """Add `secret` to what `scrub` masks in every text, from now on."""
    if secret and len(secret) >= _MIN_SECRET_LENGTH:
        _known_secrets.add(secret)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` as it may be shown, printed, logged or exported: every secret smscast has loaded
    (and those given) masked wherever it appears, any URL's user name and password replaced by
    `****`, and anything that looks like an auth token (32 hex digits) masked.

    The one scrubber: the gateway's errors, the settings' messages, the command line's and the
    app's error handlers all call it. Cheap on text without secrets (error paths only)."""
    for secret in sorted({*_known_secrets, *(s for s in secrets if s)}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    if "@" in text:
        text = _USERINFO.sub(r"\1****@", text)
    return _HEX_TOKEN.sub(lambda found: mask(found[0]), text)
