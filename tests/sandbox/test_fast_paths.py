"""The create path's shortcuts give exactly what the slow, obvious code gives."""

from __future__ import annotations

import json
import random

import phonenumbers

from campaigns.compose.segments import analyze
from campaigns.sandbox.http import parse_form as _form
from campaigns.sandbox.render import message, message_json
from campaigns.sandbox.rules import number_region, segments
from campaigns.sandbox.store import Message


def test_number_region_matches_phonenumbers() -> None:
    rng = random.Random(5)
    numbers = ["+1" + "".join(rng.choice("0123456789") for _ in range(10)) for _ in range(3000)]
    numbers += ["+16135550123", "+12642350000", "+447911123456", "+33612345678", "+1415", "12"]
    for number in numbers:
        try:
            parsed = phonenumbers.parse(number, None)
            valid = phonenumbers.is_valid_number(parsed)
        except phonenumbers.NumberParseException:
            valid = False
        expected = phonenumbers.region_code_for_number(parsed) if valid else None
        assert number_region(number) == expected, number


def test_message_json_is_json_dumps_of_the_resource() -> None:
    base = dict(
        sid="SM" + "b" * 32,
        to="+14155550100",
        from_="+15017122661",
        segments=2,
        num_media=0,
        created=1000.0,
        accepted_until=1000.0,
        start=1001.0,
        sent_at=1002.0,
        final_at=1005.0,
        outcome="undelivered",
        error_code=30005,
        price=0.0158,
        service_sid=None,
    )
    bodies = ['He said "hi"\n\\ ünïcödé 😀 </script>', ""]
    for body in bodies:
        for extra in ({}, {"service_sid": "MG" + "c" * 32, "accepted_until": 1000.5}):
            m = Message(body=body, **{**base, **extra})
            for now in (1000.0, 1000.7, 1001.5, 1003.0, 1010.0):
                assert json.loads(message_json(m, "AC" + "d" * 32, now)) == message(
                    m, "AC" + "d" * 32, now
                )


def test_form_parsing_matches_parse_qsl() -> None:
    from urllib.parse import parse_qsl, urlencode

    fields = {"To": "+14155550100", "From": "55501", "Body": "a+b %20 & = ü 😀", "X": ""}
    raw = urlencode(fields).encode() + b"&MediaUrl=https%3A%2F%2Fe.x%2Fa&MediaUrl=b"
    form, media = _form(raw)
    assert form == dict(parse_qsl(urlencode(fields), keep_blank_values=True)) and media == 2


def test_segments_follow_campaigns_segments() -> None:
    for text in ("plain", "x" * 161, "é" * 71, "{}" * 80, "😀" * 40):
        assert segments(text) == analyze(text).segments
