"""campaigns.contacts.phones: E.164, problem kinds and reasons, suggestions, time zones, the
fast path."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from campaigns.contacts.phones import (
    PhoneCheck,
    check_number,
    fast_number_type,
    normalize_unique,
    region_of,
    type_name,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("1-415-555-2671", "US", "+14155552671"),
        ("  +1 415 555 2671 ", "US", "+14155552671"),
        ("+44 7400 123456", "US", "+447400123456"),
        ("07400 123456", "GB", "+447400123456"),
        ("0044 7400 123456", "GB", "+447400123456"),
        ("011 44 7400 123456", "US", "+447400123456"),
        ("+49 151 23456789", "US", "+4915123456789"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+39 06 1234 5678", "US", "+390612345678"),
    ],
)
def test_valid_numbers_become_e164(raw: str, region: str, e164: str) -> None:
    check = check_number(raw, region)
    assert check == PhoneCheck(
        raw=raw,
        e164=e164,
        kind="ok",
        reason="",
        suggestion=None,
        number_type=check.number_type,
        timezones=check.timezones,
    )
    assert check.ok
    assert check.number_type != "unknown"


def test_number_type_and_time_zones() -> None:
    us = check_number("(415) 555-2671")
    assert us.number_type == "fixed_line_or_mobile"
    assert us.timezones == ("America/Los_Angeles",)
    de = check_number("+49 151 23456789")
    assert de.number_type == "mobile"
    assert de.timezones == ("Europe/Berlin",)
    gb_landline = check_number("+44 20 7946 0958")
    assert gb_landline.number_type == "fixed_line"
    assert gb_landline.timezones == ("Europe/London",)


def test_unknown_zone_is_dropped() -> None:
    # A non-geographic (+800 international freephone) number has no real zone.
    check = check_number("+800 1234 5678")
    assert check.ok
    assert "Etc/Unknown" not in check.timezones


@pytest.mark.parametrize("raw", ["", "   ", "\t"])
def test_missing(raw: str) -> None:
    check = check_number(raw)
    assert (check.kind, check.e164, check.reason) == ("missing", None, "no phone number")


@pytest.mark.parametrize("raw", ["4.15555E+09", "4,15555E+09", "1.23457e+11", "4E+09"])
def test_scientific_notation_says_what_happened_and_how_to_fix(raw: str) -> None:
    check = check_number(raw)
    assert check.kind == "scientific-notation"
    assert check.e164 is None
    assert check.suggestion is None
    assert "destroyed" in check.reason
    assert "Text" in check.reason


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("+1 415 555 01", "too short for a US number"),
        ("12", "too short for a US number"),
        ("+1 415 555 267112", "too long for a US number"),
        ("+999 1234567", "invalid country code"),
        ("call me", "not a phone number"),
        ("+1 999 123 4567", "not a valid US number"),
        ("555-2671", "without its area code"),
    ],
)
def test_invalid_reasons(raw: str, words: str) -> None:
    check = check_number(raw)
    assert check.kind == "invalid"
    assert check.e164 is None
    assert words in check.reason


def test_lost_plus_is_suggested_never_applied() -> None:
    check = check_number("447911123456")
    assert check.kind == "invalid"
    assert check.e164 is None
    assert check.suggestion == "+447911123456"


def test_lost_trunk_zero_is_suggested_never_applied() -> None:
    check = check_number("612345678", "IT")  # Rome 06 1234 5678 after a spreadsheet
    assert check.kind == "invalid"
    assert check.e164 is None
    assert check.suggestion == "+390612345678"


@pytest.mark.parametrize(
    ("raw", "suggestion"), [("4155552671.0", "+14155552671"), ("447911123456.00", "+447911123456")]
)
def test_decimal_part_from_a_number_column(raw: str, suggestion: str) -> None:
    check = check_number(raw)
    assert (check.kind, check.e164, check.suggestion) == ("invalid", None, suggestion)
    assert "decimal part" in check.reason


def test_no_suggestion_when_nothing_plausible() -> None:
    assert check_number("+1 415 555 01").suggestion is None


def test_region_of() -> None:
    assert region_of("+447400123456") == "GB"
    assert region_of("+15145557723") == "CA"
    assert region_of("+14155552671") == "US"
    assert region_of("not a number") is None


def test_type_name() -> None:
    assert type_name(PhoneNumberType.MOBILE) == "mobile"
    assert type_name(PhoneNumberType.FIXED_LINE_OR_MOBILE) == "fixed_line_or_mobile"


def _corpus() -> list[tuple[str, str]]:
    """Example numbers of every type in every region, in several formats, plus damage."""
    out: list[tuple[str, str]] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in (
            PhoneNumberType.MOBILE,
            PhoneNumberType.FIXED_LINE,
            PhoneNumberType.TOLL_FREE,
            PhoneNumberType.VOIP,
        ):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
            national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
            intl = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
            digits = str(example.national_number)
            damaged = (e164[1:], e164[:-1], e164 + "9", e164[:-1] + ".0", digits + ".00")
            for raw in (e164, national, intl, digits, *damaged):
                out.append((raw, region))
            out.append((national, "US"))
            out.append((e164[1:], "US"))
    return out


def test_fast_path_agrees_with_check_number_everywhere() -> None:
    corpus = _corpus()
    for region in {r for _, r in corpus}:
        raws = sorted({raw.strip() for raw, r in corpus if r == region})
        result = normalize_unique(raws, region)
        assert len(result.e164) == len(raws)
        for i, raw in enumerate(raws):
            check = check_number(raw, region)
            assert result.e164[i] == check.e164, (raw, region)
            if check.e164 is None:
                assert result.failures[i] == check
                assert result.types[i] == 0xFF  # -1 as a byte
            else:
                assert i not in result.failures
                assert type_name(result.types[i]) == check.number_type, (raw, region)
                zone = int.from_bytes(result.zone_codes[2 * i : 2 * i + 2], "little")
                assert result.zone_table[zone] == check.timezones, (raw, region)


def test_fast_number_type_matches_phonenumbers_on_nanpa() -> None:
    # +1 is shared by 25 regions: the region is picked the same way as phonenumbers does.
    for e164 in ("+14155552671", "+15145557723", "+18765551234", "+12642351234", "+19995551234"):
        number = phonenumbers.parse(e164)
        nsn = str(number.national_number)
        assert fast_number_type(1, nsn) == phonenumbers.number_type(number), e164
