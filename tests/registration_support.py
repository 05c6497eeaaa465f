"""One sandbox account for the US-registration tests: Messaging Services in every A2P 10DLC
state, toll-free numbers in every verification state, a mixed pool (short code, Canadian long
code, toll-free, alphanumeric ID), and numbers in no service."""

from __future__ import annotations

from typing import Any

from campaigns.sandbox import SandboxConfig
from campaigns.sandbox.config import SenderSpec, ServiceSpec

MG_REGISTERED = "MG" + "1" * 32
MG_PENDING = "MG" + "2" * 32
MG_FAILED = "MG" + "3" * 32
MG_NONE = "MG" + "4" * 32
MG_MIXED = "MG" + "5" * 32

SENDERS = (
    SenderSpec("+15017122661"),  # 501: registered
    SenderSpec("+15017122662"),  # 501: registered
    SenderSpec("+12125550123"),  # 212: registered
    SenderSpec("+18445550100", "toll_free"),  # approved, registered service
    SenderSpec("+15017122670"),  # pending campaign
    SenderSpec("+15017122671"),  # failed campaign
    SenderSpec("+15017122672"),  # service without a campaign
    SenderSpec("+15017122673"),  # in no service
    SenderSpec("+18445550101", "toll_free", verification="pending"),
    SenderSpec("+18445550102", "toll_free", verification="rejected"),
    SenderSpec("+18445550103", "toll_free", verification="unverified"),
    SenderSpec("55501", "short_code", voice=False),
    SenderSpec("+16045550123"),  # Canadian long code
)
SERVICES = (
    ServiceSpec(
        MG_REGISTERED,
        "Registered",
        senders=("+15017122661", "+15017122662", "+12125550123", "+18445550100"),
    ),
    ServiceSpec(MG_PENDING, "Pending", senders=("+15017122670",), a2p="pending"),
    ServiceSpec(MG_FAILED, "Failed", senders=("+15017122671",), a2p="failed"),
    ServiceSpec(MG_NONE, "No campaign", senders=("+15017122672",), a2p="unregistered"),
    ServiceSpec(
        MG_MIXED,
        "Mixed pool",
        senders=("55501", "+16045550123", "+18445550101"),
        alpha_senders=("SMSCAST",),
    ),
)
US, US_212, CA, GB = "+14155550100", "+12125550199", "+16045550100", "+447400123456"


def registration_config(**fields: Any) -> SandboxConfig:
    """A full (not trial) account with the senders and services above, fast."""
    values: dict[str, Any] = {
        "trial": False,
        "senders": SENDERS,
        "services": SERVICES,
        "speedup": 1000.0,
    }
    return SandboxConfig(**{**values, **fields})
