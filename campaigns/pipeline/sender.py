"""Who a campaign texts from and how fast it may go: one answer for the command line and the app.

The sender is a number (or short code) or a Messaging Service, never both. Configured, it is
the one found first in the settings' order (a flag, the environment, `.env`, the config file;
`Settings.preferred_sender`), the number when both come from the same place: Twilio sends
from `From` when a request names both, so a number beside a service is the more specific
choice. `smscast send --from` / `--messaging-service` are flags, so they win over everything.

`--rate auto` paces at the sender's throughput (`campaigns.send.pacing.sender_rate`): a
number's own, a Messaging Service's the sum of its senders; a sender Twilio did not list is
paced as its kind says (US/CA long code 1 segment a second, toll-free 3, short code 100).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from campaigns.errors import ConfigError, InputError

if TYPE_CHECKING:
    from campaigns.config.settings import Settings
    from campaigns.twilio.gateway import TwilioGateway
    from campaigns.twilio.models import Sender

#: How a Messaging Service SID begins (a number never does).
MESSAGING_SERVICE_PREFIX = "MG"


@dataclass(frozen=True, slots=True)
class SenderChoice:
    """The sender of a campaign: exactly one of a number and a Messaging Service SID."""

    from_number: str | None = None
    messaging_service_sid: str | None = None

    def __post_init__(self) -> None:
        if bool(self.from_number) == bool(self.messaging_service_sid):
            raise ValueError("a sender is a number or a Messaging Service, exactly one")

    @property
    def address(self) -> str:
        """What the person sees and picks: the number, or the service's SID."""
        return self.messaging_service_sid or self.from_number or ""

    @classmethod
    def of_address(cls, address: str, senders: Iterable[Sender] = ()) -> SenderChoice:
        """The sender at `address` (as listed by Twilio, or typed): a Messaging Service when
        Twilio lists it as one or its SID says so, else a number."""
        listed = next((s for s in senders if s.address == address), None)
        if listed is not None:
            service = listed.kind == "messaging_service"
        else:
            service = address.startswith(MESSAGING_SERVICE_PREFIX)
        return cls(messaging_service_sid=address) if service else cls(from_number=address)


def configured_sender(settings: Settings) -> SenderChoice | None:
    """The sender the settings name (see the module docstring for which wins); None if none."""
    number, service = settings.from_number, settings.messaging_service_sid
    if service and (not number or settings.preferred_sender == "messaging_service_sid"):
        return SenderChoice(messaging_service_sid=service)
    if number:
        return SenderChoice(from_number=number)
    return None


def require_sender(choice: SenderChoice | None) -> SenderChoice:
    """`choice`, or the ConfigError that says how to name a sender."""
    if choice is None:
        raise ConfigError(
            "No sender: which number (or Messaging Service) should the messages come from?",
            "Give --from +1555... or --messaging-service MG..., or set TWILIO_PHONE_NUMBER "
            "('smscast account' lists the account's numbers).",
        )
    return choice


def default_sender(
    settings: Settings | None, listed: Iterable[Sender], current: str | None
) -> str | None:
    """The address the app preselects once the account's senders are listed: the configured
    sender when Twilio lists it, else the one already chosen if still listed, else the
    configured one (even unlisted: Twilio will say if it is not the account's), else the
    first listed."""
    configured = configured_sender(settings) if settings is not None else None
    address = configured.address if configured is not None else None
    addresses = [s.address for s in listed]
    if address and address in addresses:
        return address
    if current in addresses:
        return current
    return address or (addresses[0] if addresses else None)


def listed_senders(gateway: TwilioGateway, sender: SenderChoice) -> list[Sender]:
    """The account's senders as Twilio lists them, with its Messaging Services when the
    campaign goes through one (not every account may list its services)."""
    senders = list(gateway.senders())
    if sender.messaging_service_sid:
        with contextlib.suppress(Exception):
            senders += list(gateway.messaging_services())
    return senders


def auto_rate(senders: Iterable[Sender], sender: SenderChoice) -> float:
    """`--rate auto` in segments per second for `sender`, among the listed `senders`."""
    from campaigns.send.pacing import sender_rate
    from campaigns.twilio.convert import sender_kind
    from campaigns.twilio.limits import segments_per_second
    from campaigns.twilio.models import Sender

    listed = list(senders)
    service = sender.messaging_service_sid
    if service and not any(s.address == service for s in listed):
        listed.append(Sender(service, "messaging_service", True, 0.0))
    rate = sender_rate(listed, sender.address)
    if rate is not None:
        return rate
    number = sender.from_number or ""
    return float(segments_per_second(number, sender_kind(number)))


def resolve_rate(
    text: str, sender: SenderChoice, senders: Callable[[], Iterable[Sender]]
) -> float | None:
    """`--rate auto|max|N` as segments per second (None = only the concurrency bound).
    `senders` is called only for `auto` (it may ask Twilio)."""
    from campaigns.send.pacing import RateChoice

    try:
        choice = RateChoice.parse(text)
    except ValueError as exc:
        raise InputError(str(exc), "Use --rate auto, --rate max or e.g. --rate 10.") from None
    if choice.mode != "auto":
        return choice.segments_per_second
    return auto_rate(senders(), sender)
