"""Messaging Service sender pools and US registration, as Twilio applies them to a create.

Which sender of a pool Twilio picks (its "Sender selection" for Messaging Services, in this
order): the sticky sender already mapped to the recipient (when `sticky_sender` is on and it
still suits the recipient's country); a short code of the recipient's country; a long code of
the recipient's area code (`area_code_geomatch`, US/Canada); a long code, then a toll-free
number, of the recipient's country; then any number of the pool. Within one class the least
busy sender is taken, so the pool's throughput is the sum of its senders'. Twilio does not
document whether a long code is preferred to a toll-free number of the same country: the
sandbox assumes it is. Alphanumeric sender IDs are listed but never picked (the sandbox's
recipients are numbers of countries where Twilio's senders pick a number first: assumed).

What US registration does to the message (the create still answers 201, as at Twilio):
- A2P 10DLC: a US long code that is not in a Messaging Service with an approved campaign
  (pending, failed or no campaign) cannot text US numbers (US, Puerto Rico, the US Virgin
  Islands, Guam, American Samoa, the Northern Marianas): undelivered, 30034. Canada is not
  affected.
- Toll-free verification: a toll-free number whose verification is not approved (pending,
  rejected or never submitted) cannot text the US or Canada: undelivered, 30032 (Twilio's
  error page for 30032: "to a mobile subscriber in the United States or Canada").
Statuses and states are Twilio's own words, kept here as plain strings (see `store`).
"""

from __future__ import annotations

from collections.abc import Iterable

from campaigns.sandbox.config import SandboxConfig, SenderSpec, ServiceSpec
from campaigns.sandbox.rules import number_region
from campaigns.sandbox.store import SenderQueue

#: Regions A2P 10DLC covers (Twilio: "US numbers, including US territories").
A2P_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
#: Regions toll-free verification covers.
TOLL_FREE_REGIONS = A2P_REGIONS | {"CA"}
UNREGISTERED_10DLC = 30034
UNVERIFIED_TOLL_FREE = 30032


def sender_region(spec: SenderSpec) -> str | None:
    """The country a sender belongs to: a number's region; short codes here are US ones."""
    if spec.kind == "short_code":
        return "US"
    return number_region(spec.address)


def _area_code(number: str) -> str | None:
    return number[2:5] if number.startswith("+1") and len(number) == 12 else None


class Pools:
    """The account's Messaging Services with their queues, sticky mappings and registration."""

    def __init__(self, config: SandboxConfig, queues: dict[str, SenderQueue]) -> None:
        self.services: dict[str, ServiceSpec] = {s.sid: s for s in config.all_services()}
        self.queues = queues
        self.sticky: dict[tuple[str, str], str] = {}
        registered = {
            address
            for service in self.services.values()
            if service.a2p == "registered"
            for address in service.senders
        }
        self.specs = {s.address: s for s in config.senders}
        self.registered = frozenset(registered)

    def pool(self, service_sid: str) -> list[SenderQueue]:
        """The queues of a service's SMS-capable senders, in the pool's order."""
        service = self.services[service_sid]
        return [self.queues[a] for a in service.senders if a in self.queues]

    def pick(self, service_sid: str, to: str, region: str) -> SenderQueue | None:
        """The sender Twilio takes from the service's pool for `to` (see the docstring)."""
        service = self.services[service_sid]
        pool = self.pool(service_sid)
        if not pool:
            return None
        key = (service_sid, to)
        if service.sticky_sender:
            mapped = self.queues.get(self.sticky.get(key, ""))
            if mapped is not None and sender_region(mapped.spec) == region:
                return mapped
        chosen = _least_busy(self._preferred(pool, to, region, service.area_code_geomatch))
        if service.sticky_sender:
            self.sticky[key] = chosen.spec.address
        return chosen

    @staticmethod
    def _preferred(
        pool: list[SenderQueue], to: str, region: str, geomatch: bool
    ) -> list[SenderQueue]:
        local = [q for q in pool if sender_region(q.spec) == region]
        area = _area_code(to) if geomatch else None
        classes: list[Iterable[SenderQueue]] = [
            (q for q in local if q.spec.kind == "short_code"),
            (
                q
                for q in local
                if area and q.spec.kind == "long_code" and _area_code(q.spec.address) == area
            ),
            (q for q in local if q.spec.kind == "long_code"),
            (q for q in local if q.spec.kind == "toll_free"),
        ]
        for candidates in classes:
            found = list(candidates)
            if found:
                return found
        return pool

    def blocked(self, spec: SenderSpec, region: str) -> int | None:
        """The error a message from `spec` to a number of `region` ends with for want of US
        registration (30034 / 30032), or None when registration does not stop it. Twilio's
        magic test number (not one of the account's senders) is never blocked."""
        if spec.address not in self.specs:
            return None
        us_long_code = spec.kind == "long_code" and sender_region(spec) in A2P_REGIONS
        if us_long_code and region in A2P_REGIONS and spec.address not in self.registered:
            return UNREGISTERED_10DLC
        toll_free = spec.kind == "toll_free" and region in TOLL_FREE_REGIONS
        if toll_free and spec.verification != "approved":
            return UNVERIFIED_TOLL_FREE
        return None

    def service_of(self, address: str) -> ServiceSpec | None:
        """The first service whose pool holds `address` (a number belongs to one service)."""
        return next((s for s in self.services.values() if address in s.senders), None)


def _least_busy(queues: list[SenderQueue]) -> SenderQueue:
    return min(queues, key=lambda q: q.next_free)
