"""What a reply is: an opt-out, an opt-in, a request for help, a possible opt-out, or a reply.

Twilio's default keywords (its support article "Twilio support for opt-out keywords (SMS STOP
filtering)"): the opt-out words STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT;
the opt-in words START, YES, UNSTOP; the help words HELP, INFO. Twilio acts on a message that
IS one of them, case-insensitively, surrounding white space ignored: "Only single-word messages
will trigger the block", so "STOP PLEASE" does not. smscast classifies them exactly so, since
what Twilio blocks (21610) is what smscast must record.

Assumed (Twilio documents nothing): one trailing `.` or `!` is ignored ("Stop." is STOP). That
is the side that texts nobody who meant to stop; the sandbox assumes the same.

A message that is not a keyword but says "stop" in other words ("stop texting me", "remove
me", "wrong number", "STOP PLEASE", "no más mensajes") is a `possible-opt-out`: never acted on
silently (Twilio did not block anything), always offered to a person for review. The phrases
are matched on words after case folding and accent stripping, in English, Spanish, French,
German, Portuguese and Italian.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class ReplyKind(StrEnum):
    """A reply's kind, stored and printed as its plain word."""

    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    HELP = "help"
    POSSIBLE_OPT_OUT = "possible-opt-out"
    REPLY = "reply"


OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

#: Opt-out words that, inside a longer message, still mean it ("STOP PLEASE", "pls unsubscribe
#: me"). END, QUIT, CANCEL are left out: inside a sentence they are everyday words.
_INSIDE = ("stop", "stopall", "unsubscribe", "optout", "opt out")

#: Phrases of people who want no more texts (normalised: lower case, no accents, words
#: separated by one space).
_PHRASES = (
    # English
    "stop texting",
    "stop messaging",
    "stop sending",
    "stop contacting",
    "unsubscribe me",
    "remove me",
    "remove my number",
    "take me off",
    "opt me out",
    "dont text",
    "don t text",
    "do not text",
    "dont message",
    "do not message",
    "do not contact",
    "dont contact",
    "no more texts",
    "no more messages",
    "leave me alone",
    "wrong number",
    "lose my number",
    # Spanish
    "no me escribas",
    "no me escriba",
    "no mas mensajes",
    "dejen de escribir",
    "deja de escribir",
    "darme de baja",
    "dame de baja",
    "denme de baja",
    "no me manden",
    "numero equivocado",
    "baja",
    # French
    "arret",
    "arrete",
    "desabonner",
    "desinscrire",
    "ne plus recevoir",
    "arretez de m envoyer",
    "plus de messages",
    "mauvais numero",
    # German
    "abmelden",
    "abbestellen",
    "keine sms mehr",
    "keine nachrichten mehr",
    "nicht mehr schreiben",
    "falsche nummer",
    # Portuguese
    "parar",
    "pare de enviar",
    "nao quero receber",
    "descadastrar",
    "me descadastre",
    "numero errado",
    # Italian
    "basta messaggi",
    "non scrivermi",
    "cancellami",
    "numero sbagliato",
)
_PATTERN = re.compile(
    r"(?:^| )(?:" + "|".join(re.escape(p) for p in (*_PHRASES, *_INSIDE)) + r")(?: |$)"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
#: Terminal escape sequences (CSI, OSC): dropped before phrases are looked for, so a STOP
#: wrapped in colour codes is still offered for review (it is never a Twilio keyword).
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def keyword(body: str) -> str | None:
    """The Twilio keyword the whole message is (upper case), or None."""
    word = body.strip()
    if word[-1:] in (".", "!"):
        word = word[:-1]
    word = word.upper()
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS or word in HELP_WORDS:
        return word
    return None


def _normalised(body: str) -> str:
    """Lower case, accents removed, every run of non-letters one space."""
    folded = unicodedata.normalize("NFKD", _ESCAPES.sub(" ", body).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain).strip()


def classify(body: str) -> ReplyKind:
    """The kind of a reply's body (see the module docstring for the rules)."""
    word = keyword(body)
    if word is not None:
        if word in OPT_OUT_WORDS:
            return ReplyKind.OPT_OUT
        if word in OPT_IN_WORDS:
            return ReplyKind.OPT_IN
        return ReplyKind.HELP
    if _PATTERN.search(_normalised(body)):
        return ReplyKind.POSSIBLE_OPT_OUT
    return ReplyKind.REPLY
