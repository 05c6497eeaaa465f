"""Phone numbers: E.164 normalization, spreadsheet damage, repair suggestions, time zones.

`check_number` is the careful, one-number path: it explains every failure in a sentence and
offers (never applies) a repair. `normalize_unique` is the bulk path used by `contacts`
(about 4x faster per number): strings that are plainly digits split into calling code and
national number without `phonenumbers.parse` and are typed by `_Classifier`, phonenumbers'
own type rules with the patterns compiled once; everything else, and every failure, goes
through `check_number`. Tests hold the two paths to the same answers on every region's
example numbers.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult
from phonenumbers import timezone as pn_timezone
from phonenumbers import tzdata as pn_tzdata
from phonenumbers.phonenumberutil import is_number_type_geographical

__all__ = [
    "Normalized",
    "PhoneCheck",
    "check_number",
    "fast_number_type",
    "normalize_unique",
    "region_of",
    "timezones_for",
    "type_name",
]

_UNKNOWN_ZONE = "Etc/Unknown"

#: `PhoneNumberType` values as the lower-case words used in reports and JSON.
_TYPE_NAMES: dict[int, str] = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}

#: Formatting a person or a spreadsheet puts inside numbers; removed before the fast path.
_FORMATTING = str.maketrans("", "", " \t\u00a0\u2009\u202f()-.\u2010\u2011\u2012\u2013/")

#: `4.15555E+09`, `1,23E+10`: a spreadsheet showed the number in scientific notation and
#: rounded away its last digits.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d*)?[eE][+]?\d+$")

#: `4155552671.0`: a number column exported with a decimal part.
_DECIMAL = re.compile(r"^(\+?\d{6,})[.,]0+$")


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """What one raw cell says about a phone number; `e164` is set only when it is valid."""

    raw: str
    e164: str | None
    kind: str  # "ok" | "missing" | "invalid" | "scientific-notation"
    reason: str  # "" when ok; otherwise a sentence
    suggestion: str | None  # an E.164 repair the person may accept; never applied
    number_type: str  # "mobile", "fixed_line", "fixed_line_or_mobile", "voip", ...
    timezones: tuple[str, ...]  # IANA zones; "Etc/Unknown" dropped

    @property
    def ok(self) -> bool:
        """True when the number is valid."""
        return self.kind == "ok"


def type_name(number_type: int) -> str:
    """The lower-case word for a `PhoneNumberType` value ("mobile", "fixed_line", ...)."""
    return _TYPE_NAMES.get(number_type, "unknown")


def region_of(e164: str) -> str | None:
    """The region code ("US", "GB", ...) of a number in E.164, or None if it has none."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)


def timezones_for(number: phonenumbers.PhoneNumber, number_type: int) -> tuple[str, ...]:
    """The IANA zones of a valid number (as `phonenumbers.timezone` does, type known)."""
    if number_type == PhoneNumberType.UNKNOWN:
        return ()
    assert number.country_code is not None  # phonenumbers.parse always sets it
    if is_number_type_geographical(number_type, number.country_code):
        zones = pn_timezone.time_zones_for_geographical_number(number)
    else:
        zones = pn_timezone._country_level_time_zones_for_number(number)
    return tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)


def check_number(raw: str, region: str = "US") -> PhoneCheck:
    """Check one cell against `region` (used when the number has no `+` country code)."""
    text = raw.strip()
    if not text:
        return _problem(raw, "missing", "no phone number")
    if _SCIENTIFIC.match(text):
        return _problem(
            raw,
            "scientific-notation",
            f"{text} is scientific notation: the spreadsheet turned the number into a figure "
            "and destroyed its last digits. Format the phone column as Text (Excel: select the "
            "column, Format Cells > Text), retype or re-import the numbers, and export the CSV "
            "again",
        )
    decimal = _DECIMAL.match(text)
    if decimal:
        inner = check_number(decimal.group(1), region)
        return _problem(
            raw,
            "invalid",
            f"{text} has a decimal part: the spreadsheet stored the number as a figure; "
            "format the phone column as Text and export the CSV again",
            inner.e164 or inner.suggestion,
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return _problem(raw, "invalid", _parse_reason(exc, region), _suggest(text, region))
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        return _problem(raw, "invalid", _invalid_reason(number), _suggest(text, region))
    return PhoneCheck(
        raw=raw,
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        kind="ok",
        reason="",
        suggestion=None,
        number_type=type_name(number_type),
        timezones=timezones_for(number, number_type),
    )


def _problem(raw: str, kind: str, reason: str, suggestion: str | None = None) -> PhoneCheck:
    return PhoneCheck(raw, None, kind, reason, suggestion, "unknown", ())


def _parse_reason(exc: NumberParseException, region: str) -> str:
    kinds = NumberParseException
    return {
        kinds.INVALID_COUNTRY_CODE: "invalid country code",
        kinds.NOT_A_NUMBER: "not a phone number",
        kinds.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
        kinds.TOO_SHORT_NSN: f"too short for a {region} number",
        kinds.TOO_LONG: "too long to be a phone number",
    }.get(exc.error_type, "not a phone number")


def _invalid_reason(number: phonenumbers.PhoneNumber) -> str:
    assert number.country_code is not None  # phonenumbers.parse always sets it
    region = phonenumbers.region_code_for_country_code(number.country_code)
    where = region if region not in (None, "ZZ", "001") else f"+{number.country_code}"
    result = phonenumbers.is_possible_number_with_reason(number)
    if result == ValidationResult.INVALID_COUNTRY_CODE:
        return "invalid country code"
    if result == ValidationResult.TOO_SHORT:
        return f"too short for a {where} number"
    if result == ValidationResult.TOO_LONG:
        return f"too long for a {where} number"
    if result == ValidationResult.INVALID_LENGTH:
        return f"wrong number of digits for a {where} number"
    if result == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"a local number without its area code ({where})"
    return f"not a valid {where} number (no such area code or prefix)"


def _suggest(text: str, region: str) -> str | None:
    """A plausible E.164 repair of spreadsheet damage, or None. Never applied by us."""
    digits = text.translate(_FORMATTING)
    if not digits.isascii() or not digits.isdigit():
        return None
    candidates = [f"+{digits}"]  # a lost leading "+": 447911123456
    if not digits.startswith("0"):
        candidates.append(f"0{digits}")  # a lost trunk "0": 7911123456 read as a number
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# --- the bulk path -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RegionRules:
    """What the fast path must not touch for one calling code (see `_fast_number`)."""

    country_code: int
    national_prefix: re.Pattern[str] | None  # national_prefix_for_parsing, anchored
    international_prefix: re.Pattern[str] | None  # the IDD ("011" in the US), anchored


@lru_cache(maxsize=512)
def _rules_for_code(country_code: int) -> _RegionRules | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    national = metadata.national_prefix_for_parsing or metadata.national_prefix
    international = metadata.international_prefix
    return _RegionRules(
        country_code=country_code,
        national_prefix=re.compile(national) if national else None,
        international_prefix=re.compile(international) if international else None,
    )


def _fast_number(text: str, default_code: int) -> tuple[int, str] | None:
    """(calling code, national number) of plain digits, or None to take the slow path.

    Gives up on anything where `phonenumbers.parse` could do more than split off the country
    code: a national number starting with 0 or with the national or international prefix,
    letters, extensions. For the rest the result equals `parse` (it strips nothing else).
    """
    if text.endswith("0") and _DECIMAL.match(text):
        return None  # "4930901820.0" must get check_number's explanation
    digits = text.translate(_FORMATTING)
    international = digits.startswith("+")
    if international:
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit() or not 4 <= len(digits) <= 17:
        return None
    if international:
        for length in (1, 2, 3):
            code = int(digits[:length])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return None
        national = digits[length:]
    else:
        code, national = default_code, digits
    rules = _rules_for_code(code)
    if rules is None or not national or national[0] == "0":
        return None
    if rules.national_prefix is not None and rules.national_prefix.match(national):
        return None
    if (
        not international
        and rules.international_prefix is not None
        and rules.international_prefix.match(national)
    ):
        return None
    return code, national


#: A compiled national-number pattern's fullmatch.
Matcher = Callable[[str], "re.Match[str] | None"]
#: A compiled PhoneNumberDesc: possible lengths (empty = any) and its matcher.
_Desc = tuple[frozenset[int], Matcher]
#: For one length: general matcher, (type, matcher) specials, fixed-line and mobile matchers.
_Plan = tuple[Matcher, tuple[tuple[int, Matcher], ...], Matcher | None, Matcher | None]


class _Classifier:
    """`phonenumbers._number_type_helper` for one region with its patterns compiled once.

    phonenumbers looks its regular expressions up in a cache on every call; this keeps them
    bound, which makes typing a number about three times faster. Tests check it against
    `phonenumbers.number_type` on many numbers.
    """

    _ORDER = (
        ("premium_rate", PhoneNumberType.PREMIUM_RATE),
        ("toll_free", PhoneNumberType.TOLL_FREE),
        ("shared_cost", PhoneNumberType.SHARED_COST),
        ("voip", PhoneNumberType.VOIP),
        ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
        ("pager", PhoneNumberType.PAGER),
        ("uan", PhoneNumberType.UAN),
        ("voicemail", PhoneNumberType.VOICEMAIL),
    )

    def __init__(self, metadata: phonenumbers.PhoneMetadata) -> None:
        self._general = self._desc(metadata.general_desc)
        self._special = [
            (number_type, desc)
            for attribute, number_type in self._ORDER
            if (desc := self._desc(getattr(metadata, attribute))) is not None
        ]
        self._fixed = self._desc(metadata.fixed_line)
        self._mobile = self._desc(metadata.mobile)
        self._same_pattern = bool(metadata.same_mobile_and_fixed_line_pattern)
        leading = metadata.leading_digits
        self.leading = re.compile(leading).match if leading is not None else None
        self._plans: dict[int, _Plan | None] = {}

    @staticmethod
    def _desc(desc: Any) -> _Desc | None:  # desc: phonenumbers' untyped PhoneNumberDesc
        if desc is None or not desc.national_number_pattern:
            return None
        lengths = frozenset(desc.possible_length or ())
        return lengths, re.compile(desc.national_number_pattern).fullmatch

    def _plan(self, length: int) -> _Plan | None:
        """The patterns to try for numbers of one length (possible lengths checked once)."""

        def applies(desc: _Desc | None) -> Matcher | None:
            if desc is None or (desc[0] and length not in desc[0]):
                return None
            return desc[1]

        general = applies(self._general)
        if general is None:
            return None
        special = tuple(
            (number_type, matcher)
            for number_type, desc in self._special
            if (matcher := applies(desc)) is not None
        )
        return general, special, applies(self._fixed), applies(self._mobile)

    def number_type(self, nsn: str) -> int:
        """The `PhoneNumberType` of a national significant number in this region."""
        length = len(nsn)
        if length in self._plans:
            plan = self._plans[length]
        else:
            plan = self._plans[length] = self._plan(length)
        if plan is None:
            return PhoneNumberType.UNKNOWN
        general, special, fixed, mobile = plan
        if general(nsn) is None:
            return PhoneNumberType.UNKNOWN
        for number_type, matcher in special:
            if matcher(nsn) is not None:
                return number_type
        if fixed is not None and fixed(nsn) is not None:
            if self._same_pattern or (mobile is not None and mobile(nsn) is not None):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self._same_pattern and mobile is not None and mobile(nsn) is not None:
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


@lru_cache(maxsize=512)
def _classifiers(country_code: int) -> tuple[_Classifier, ...]:
    """The classifiers of the regions sharing a calling code, in phonenumbers' order."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    out = []
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            country_code, region
        )
        if metadata is not None:
            out.append(_Classifier(metadata))
    return tuple(out)


def fast_number_type(country_code: int, nsn: str) -> int:
    """`phonenumbers.number_type` for a number without a leading zero, with compiled patterns."""
    classifiers = _classifiers(country_code)
    if len(classifiers) == 1:
        return classifiers[0].number_type(nsn)
    for classifier in classifiers:  # as `region_code_for_number` picks the region
        if classifier.leading is not None:
            if classifier.leading(nsn):
                return classifier.number_type(nsn)
        else:
            number_type = classifier.number_type(nsn)
            if number_type != PhoneNumberType.UNKNOWN:
                return number_type
    return PhoneNumberType.UNKNOWN


@lru_cache(maxsize=512)
def _country_zones(country_code: int) -> tuple[str, ...]:
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=0)
    zones = pn_timezone._country_level_time_zones_for_number(number)
    return tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)


def _fast_zones(e164: str, country_code: int, number_type: int) -> tuple[str, ...]:
    """`timezones_for` from the E.164 digits (same prefix table, no formatting)."""
    if not is_number_type_geographical(number_type, country_code):
        return _country_zones(country_code)
    digits = e164[1:]
    data = pn_tzdata.TIMEZONE_DATA
    for length in range(min(pn_tzdata.TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        zones = data.get(digits[:length])
        if zones is not None:
            return tuple(zone for zone in zones if zone != _UNKNOWN_ZONE)
    return ()


@dataclass(frozen=True, slots=True)
class Normalized:
    """The bulk result for a list of distinct strings, compact enough to pickle quickly.

    Item i: `e164[i]` (None when not valid), `types[i]` (a `PhoneNumberType` value, -1 when not
    valid, int8), `zone_codes[i]` (index into `zone_table`, uint16); `failures[i]` is the
    `PhoneCheck` explaining each string that is not valid.
    """

    e164: list[str | None]
    types: bytes
    zone_codes: bytes
    zone_table: list[tuple[str, ...]]
    failures: dict[int, PhoneCheck]


def normalize_unique(raws: Sequence[str], region: str) -> Normalized:
    """Check each (distinct, stripped) string once; see `Normalized`.

    Plain digit strings take the fast path (compiled patterns, same answers as phonenumbers);
    the rest, and every failure, go through `check_number` for an exact reason.
    """
    default_code = phonenumbers.country_code_for_region(region)
    zone_index: dict[tuple[str, ...], int] = {}
    e164s: list[str | None] = []
    types = array("b")
    zone_codes = array("H")
    failures: dict[int, PhoneCheck] = {}
    for i, raw in enumerate(raws):
        number = _fast_number(raw, default_code)
        if number is not None:
            code, nsn = number
            number_type = fast_number_type(code, nsn)
            if number_type != PhoneNumberType.UNKNOWN:
                e164 = f"+{code}{nsn}"
                zones = _fast_zones(e164, code, number_type)
                e164s.append(e164)
                types.append(number_type)
                zone_codes.append(zone_index.setdefault(zones, len(zone_index)))
                continue
        check = check_number(raw, region)
        e164s.append(check.e164)
        if check.e164 is None:
            failures[i] = check
            types.append(-1)
            zone_codes.append(0)
        else:
            types.append(_TYPE_VALUES[check.number_type])
            zone_codes.append(zone_index.setdefault(check.timezones, len(zone_index)))
    return Normalized(e164s, types.tobytes(), zone_codes.tobytes(), list(zone_index), failures)


_TYPE_VALUES: dict[str, int] = {name: value for value, name in _TYPE_NAMES.items()}
