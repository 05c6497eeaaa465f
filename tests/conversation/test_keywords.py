"""Reply kinds: Twilio's keywords exactly as Twilio matches them (whole message, any case,
surrounding white space, one trailing . or !; a keyword inside a sentence is not one), and the
possible opt-outs in a few languages. The sandbox keeps its own copy of Twilio's rules: the two
must agree on every body here."""

from __future__ import annotations

import pytest

from campaigns.conversation.keywords import ReplyKind, classify
from campaigns.sandbox.inbound import OPT_IN, OPT_OUT
from campaigns.sandbox.inbound import keyword as sandbox_keyword

K = ReplyKind
CASES = [
    ("STOP", K.OPT_OUT),
    ("stop", K.OPT_OUT),
    ("  sToP \n", K.OPT_OUT),
    ("Stop.", K.OPT_OUT),
    ("STOP!", K.OPT_OUT),
    ("STOPALL", K.OPT_OUT),
    ("unsubscribe", K.OPT_OUT),
    ("Cancel", K.OPT_OUT),
    ("END", K.OPT_OUT),
    ("quit", K.OPT_OUT),
    ("REVOKE", K.OPT_OUT),
    ("optout", K.OPT_OUT),
    ("START", K.OPT_IN),
    ("yes", K.OPT_IN),
    ("Unstop", K.OPT_IN),
    ("HELP", K.HELP),
    ("info", K.HELP),
    ("STOP PLEASE", K.POSSIBLE_OPT_OUT),  # not a keyword: Twilio blocks nothing
    ("please stop", K.POSSIBLE_OPT_OUT),
    ("Stop texting me", K.POSSIBLE_OPT_OUT),
    ("unsubscribe me!!", K.POSSIBLE_OPT_OUT),
    ("Remove me from this list", K.POSSIBLE_OPT_OUT),
    ("wrong number", K.POSSIBLE_OPT_OUT),
    ("OPT OUT", K.POSSIBLE_OPT_OUT),
    ("No más mensajes por favor", K.POSSIBLE_OPT_OUT),
    ("Darme de baja", K.POSSIBLE_OPT_OUT),
    ("Arrêt", K.POSSIBLE_OPT_OUT),
    ("bitte abmelden", K.POSSIBLE_OPT_OUT),
    ("Keine SMS mehr", K.POSSIBLE_OPT_OUT),
    ("não quero receber", K.POSSIBLE_OPT_OUT),
    ("yes I'll come", K.REPLY),
    ("Thanks, see you at the end of the day", K.REPLY),
    ("I can't quit laughing", K.REPLY),
    ("HELP ME find the venue?", K.REPLY),
    ("Who is this?", K.REPLY),
    ("Stopp", K.REPLY),
    ("STOP..", K.POSSIBLE_OPT_OUT),  # two dots: not the keyword, but it says stop
    ("", K.REPLY),
    ("\x1b[31mSTOP\x1b[0m", K.POSSIBLE_OPT_OUT),  # not Twilio's keyword; offered for review
    ("\x1b]0;title\x07thanks", K.REPLY),
]


@pytest.mark.parametrize(("body", "kind"), CASES)
def test_classify(body: str, kind: ReplyKind) -> None:
    assert classify(body) is kind


@pytest.mark.parametrize(("body", "kind"), CASES)
def test_smscast_and_the_sandbox_agree_on_what_twilio_acts_on(body: str, kind: ReplyKind) -> None:
    word = sandbox_keyword(body)
    if kind is K.OPT_OUT:
        assert word in OPT_OUT
    elif kind is K.OPT_IN:
        assert word in OPT_IN
    elif kind is K.HELP:
        assert word in ("HELP", "INFO")
    else:
        assert word is None
