"""The registration preflight: can the campaign's sender reach each US-bound recipient today?

Twilio accepts a message from a US long code that is not registered for A2P 10DLC, or from a
toll-free number that is not verified, and then the carriers block it (undelivered, 30034 /
30032, and charged): a campaign from such a sender would fail for every US recipient. The
preflight reads each sender's registration (`TwilioGateway.account_senders`) once, at planning,
and says per destination region whether the sender is blocked there
(`campaigns.twilio.registration.blocked`). The audience then excludes those recipients with the
reason and what to do, and texts the rest.

A Messaging Service is judged by the senders Twilio would pick for that region, in the order
of Twilio's sender selection: a short code of the region, else its long codes, else its
toll-free numbers, else any sender of the pool. Recipients are excluded only when every one of
those is blocked; when only some are, it is a warning (Twilio may pick either). Where Twilio
could not say (no permission, an old account, a sender it does not list), nothing is excluded
and the preflight warns plainly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from campaigns.contacts.phones import region_of
from campaigns.twilio import registration as reg
from campaigns.twilio.models import AccountSenders, MessagingService, Sender

KIND_REGISTRATION = "registration"


@dataclass(frozen=True, slots=True)
class RegionBlock:
    """Why the campaign's sender cannot text one region's numbers, and what to do."""

    region: str
    code: int
    reason: str
    advice: str

    def sentence(self) -> str:
        """The exclusion's reason, with what to do (shown per row and in the export)."""
        return (
            f"{self.reason} (Twilio would accept it, then it ends with {self.code}): {self.advice}"
        )


@dataclass(frozen=True)
class Preflight:
    """What the sender can reach: `blocks` per region code, and `warnings` (cannot tell, or
    a pool where only some senders are blocked). `record()` is what the journal keeps."""

    sender: str
    state: str
    blocks: dict[str, RegionBlock] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    senders: tuple[tuple[str, str, str], ...] = ()

    def block_for(self, phone: str) -> RegionBlock | None:
        """The block a recipient's number meets, or None (only +1 numbers can meet one)."""
        if not self.blocks or not phone.startswith("+1"):
            return None
        return self.blocks.get(_nanp_region(phone[:5]) or "")

    def record(self) -> dict[str, Any]:
        """The registration seen at planning, as the journal stores it."""
        return {
            "sender": self.sender,
            "state": self.state,
            "blocked_regions": sorted(self.blocks),
            "senders": [{"address": a, "kind": k, "registration": s} for a, k, s in self.senders],
            "warnings": list(self.warnings),
        }


def regions_text(regions: Iterable[str]) -> str:
    """ "US and Canadian" for the regions of a block (the US territories go with the US)."""
    chosen = set(regions)
    parts = []
    if chosen & reg.A2P_REGIONS:
        parts.append("US" if chosen >= reg.A2P_REGIONS else "/".join(sorted(chosen - {"CA"})))
    if "CA" in chosen:
        parts.append("Canadian")
    return " and ".join(parts)


@lru_cache(maxsize=2048)
def _nanp_region(prefix: str) -> str | None:
    """The region of a +1 number from its area code ("+1787" -> "PR"): in the North American
    plan every area code belongs to one country or territory."""
    return region_of(prefix + "2345678")


def preflight(address: str, *, service: bool, senders: AccountSenders) -> Preflight:
    """The preflight for the sender at `address` (a number, or a Messaging Service's SID)."""
    if senders.unknown:
        return Preflight(
            address,
            reg.UNKNOWN,
            warnings=(
                "Warning: smscast could not read the senders' US registration "
                f"({senders.unknown}), so US recipients were not checked: Twilio blocks "
                "messages to the US from long codes not registered for A2P 10DLC (30034) "
                "and from unverified toll-free numbers (30032).",
            ),
        )
    if service:
        pool = senders.service(address)
        if pool is None:
            return _unlisted(address, "Messaging Service")
        return _service_preflight(pool)
    number = senders.number(address)
    if number is None:
        return _unlisted(address, "number")
    blocks = {}
    for region in sorted(reg.TOLL_FREE_REGIONS):
        found = reg.blocked(number.kind, number.country, number.registration, region)
        if found is not None:
            reason = f"the sender {address} cannot text {region} numbers: {found.reason}"
            blocks[region] = RegionBlock(region, found.code, reason, found.advice)
    return Preflight(address, number.registration, blocks, senders=_listed([number]))


def _service_preflight(pool: MessagingService) -> Preflight:
    blocks: dict[str, RegionBlock] = {}
    warnings: list[str] = []
    for region in sorted(reg.TOLL_FREE_REGIONS):
        candidates = _candidates(pool.senders, region)
        judged = [(s, reg.blocked(s.kind, s.country, s.registration, region)) for s in candidates]
        stopped = [(s, b) for s, b in judged if b is not None]
        if not stopped:
            continue
        first, block = stopped[0]
        assert block is not None
        if len(stopped) == len(judged):
            reason = (
                f"every sender the Messaging Service {pool.sid} would use for {region} numbers "
                f"is blocked: {first.address}: {block.reason}"
            )
            blocks[region] = RegionBlock(region, block.code, reason, block.advice)
        else:
            names = ", ".join(s.address for s, _ in stopped)
            warnings.append(
                f"Warning: some senders of {pool.sid} cannot text {region} numbers ({names}: "
                f"{block.reason}), and Twilio may pick them: {block.advice}."
            )
    return Preflight(pool.sid, pool.a2p, blocks, tuple(warnings), _listed(pool.senders))


def _candidates(pool: Sequence[Sender], region: str) -> list[Sender]:
    """The senders Twilio picks from for `region`, in its sender-selection order."""
    usable = [s for s in pool if s.sms]
    local = [s for s in usable if s.country == region]
    for kind in ("short_code", "long_code", "toll_free"):
        found = [s for s in local if s.kind == kind]
        if found:
            return found
    return usable


def _unlisted(address: str, what: str) -> Preflight:
    return Preflight(
        address,
        reg.UNKNOWN,
        warnings=(
            f"Warning: Twilio does not list the {what} {address} among the account's senders, "
            "so its US registration could not be checked.",
        ),
    )


def _listed(senders: Iterable[Sender]) -> tuple[tuple[str, str, str], ...]:
    return tuple((s.address, s.kind, s.registration) for s in senders)
