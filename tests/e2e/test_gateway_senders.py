"""The gateway reads Messaging Services, their pools and every sender's US registration
from the sandbox through the real SDK (messaging.twilio.com/v1), and paces a service at its
pool's combined throughput."""

from __future__ import annotations

from registration_support import (
    MG_FAILED,
    MG_MIXED,
    MG_NONE,
    MG_PENDING,
    MG_REGISTERED,
    registration_config,
)

from campaigns.sandbox import Sandbox
from campaigns.twilio.credentials import Credentials
from campaigns.twilio.gateway import TwilioGateway


def _gateway(sb: Sandbox) -> TwilioGateway:
    creds = Credentials(sb.account_sid, sb.account_sid, sb.auth_token, "test")
    return TwilioGateway(creds, base_url=sb.base_url)


def test_every_sender_with_its_registration() -> None:
    with Sandbox(registration_config()) as sb, _gateway(sb) as gateway:
        found = gateway.account_senders()
    assert found.unknown == ""
    states = {s.address: s.registration for s in found.numbers}
    assert states == {
        "+15017122661": "registered",
        "+15017122662": "registered",
        "+12125550123": "registered",
        "+18445550100": "approved",
        "+15017122670": "pending",
        "+15017122671": "failed",
        "+15017122672": "unregistered",
        "+15017122673": "unregistered",
        "+18445550101": "pending",
        "+18445550102": "rejected",
        "+18445550103": "unverified",
        "55501": "not-needed",
        "+16045550123": "not-needed",
    }
    assert {s.sid: s.a2p for s in found.services} == {
        MG_REGISTERED: "registered",
        MG_PENDING: "pending",
        MG_FAILED: "failed",
        MG_NONE: "unregistered",
        MG_MIXED: "registered",
    }
    mixed = found.service(MG_MIXED)
    assert mixed is not None
    kinds = {(s.address, s.kind, s.country) for s in mixed.senders}
    assert kinds == {
        ("55501", "short_code", "US"),
        ("+16045550123", "long_code", "CA"),
        ("+18445550101", "toll_free", "US"),
    }
    assert mixed.alpha_senders == ("SMSCAST",)
    # The pool's pace: short code 100 + Canadian long code 1 + toll-free 3 segments a second.
    assert mixed.segments_per_second == 104.0


def test_a_service_paces_at_its_pools_throughput() -> None:
    from campaigns.pipeline.sender import SenderChoice, auto_rate, listed_senders

    with Sandbox(registration_config()) as sb, _gateway(sb) as gateway:
        choice = SenderChoice(messaging_service_sid=MG_REGISTERED)
        rate = auto_rate(listed_senders(gateway, choice), choice)
    assert rate == 1.0 + 1.0 + 1.0 + 3.0  # three US long codes and a toll-free number


def test_unreadable_compliance_is_unknown_not_guessed() -> None:
    with Sandbox(registration_config(compliance_readable=False)) as sb, _gateway(sb) as gw:
        found = gw.account_senders()
    assert found.unknown
    assert sb.auth_token not in found.unknown
    states = {s.address: s.registration for s in found.numbers}
    assert states["+15017122673"] == "unknown" and states["+18445550103"] == "unknown"
    assert states["55501"] == "not-needed"
    assert {s.a2p for s in found.services} == {"unknown"}
