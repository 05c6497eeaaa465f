"""The line-type filter (opt-in: each lookup is billed): numbers Twilio's Lookup calls a
landline, fixed VoIP, toll-free, premium-rate, pager or voicemail line cannot receive an SMS
(or should not be sent one), so they are excluded with that reason.

It runs after the other filters (`campaigns.audience.filters`), on the audience they leave, so
only people who would be texted are looked up. A number Lookup could not type (an error such
as 60601 for Canadian numbers without Twilio's approval, or "unknown") stays included: smscast
never drops a person on a guess. Without a lookup, the contact book's free phonenumbers guess
("landline" warnings) is all there is, and it only warns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from campaigns.audience.filters import Audience, Exclusion
from campaigns.twilio.models import LineType

KIND_LINE_TYPE = "line-type"

#: Lookup's types that get no message, and how a sentence names each.
UNTEXTABLE: Mapping[str, str] = {
    "landline": "a landline",
    "fixedVoip": "a fixed VoIP line",
    "tollFree": "a toll-free number",
    "premium": "a premium-rate number",
    "pager": "a pager",
    "voicemail": "a voicemail-only line",
}


def exclusion_reason(line_type: LineType, fetched_at: datetime | None) -> str | None:
    """Why a number of this line type is not texted, or None when it may be."""
    name = UNTEXTABLE.get(line_type.type or "")
    if name is None:
        return None
    when = f", {fetched_at:%Y-%m-%d}" if fetched_at is not None else ""
    carrier = f" ({line_type.carrier_name})" if line_type.carrier_name else ""
    return f"{name}{carrier} by Twilio Lookup{when}: it cannot receive SMS"


def exclude_line_types(
    audience: Audience,
    line_types: Mapping[str, LineType],
    fetched_at: Mapping[str, datetime] | None = None,
) -> Audience:
    """`audience` less the included contacts whose line type is in `UNTEXTABLE`, each an
    `Exclusion` of kind "line-type" with its reason; the counts and hints follow."""
    exclusions = []
    for contact in audience.included:
        found = line_types.get(contact.phone)
        if found is None:
            continue
        reason = exclusion_reason(found, (fetched_at or {}).get(contact.phone))
        if reason is not None:
            exclusions.append(Exclusion(contact.row, contact.phone, KIND_LINE_TYPE, reason))
    if not exclusions:
        return audience
    rest = audience.without({exclusion.row for exclusion in exclusions})
    counts = dict(rest.counts)
    counts[KIND_LINE_TYPE] = counts.get(KIND_LINE_TYPE, 0) + len(exclusions)
    excluded = sorted([*rest.excluded, *exclusions], key=lambda exclusion: exclusion.row)
    return replace(rest, excluded=excluded, counts=counts)
