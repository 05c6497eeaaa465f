"""`smscast send` from senders in each US registration state, against the sandbox through
the real SDK: the dry run counts who is left out and why, a real send texts everyone else and
none of the doomed, a Messaging Service's campaign records the pool sender Twilio picked for
each message, and the journal keeps the registration seen at planning."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from registration_support import MG_REGISTERED, registration_config
from send_support import SMSCAST, run_cli, smscast_env, write_contacts

from campaigns.sandbox import Sandbox
from campaigns.store import journal as J

US = ["+14155550100", "+12125550199", "+13125550100"]
PR = ["+17875550123"]
CA = ["+16045550100", "+14165550100"]
SEND = ["--template", "Hi {name}", "--quiet-hours", "off", "--rate", "max"]


@pytest.mark.slow  # three smscast processes (~6 s)
def test_an_unregistered_long_code_texts_only_who_it_can_reach(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(registration_config(delivery_delay=0.05))
    contacts = write_contacts(tmp_path / "contacts.csv", [*US, *PR, *CA])
    db = tmp_path / "smscast.db"
    env = {**smscast_env(sb, tmp_path, db), "TWILIO_PHONE_NUMBER": "+15017122673"}

    dry = run_cli([*SMSCAST, "send", str(contacts), *SEND], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "Left out for US registration: 4" in dry.stdout
    assert "not registered for A2P 10DLC" in dry.stdout and "30034" in dry.stdout
    plan = json.loads(
        run_cli([*SMSCAST, "send", str(contacts), *SEND, "--json"], env, tmp_path).stdout
    )
    assert (plan["registration_excluded"], plan["messages"]) == (4, 2)
    assert plan["registration"]["state"] == "unregistered"
    assert sb.messages() == []

    sent = run_cli(
        [*SMSCAST, "send", str(contacts), *SEND, "--send", "--yes", "--track", "10"], env, tmp_path
    )
    assert sent.returncode == 0, sent.stderr
    assert sorted(m["to"] for m in sb.messages()) == sorted(CA)  # nobody doomed was texted
    with J.Journal.open(db) as journal:
        campaign = journal.latest()
        seen = journal.registration(campaign.id)
        assert seen is not None and seen["state"] == "unregistered"
        assert {"US", "PR"} <= set(seen["blocked_regions"]) and "CA" not in seen["blocked_regions"]
        rows = {r.to: r for r in journal.recipients(campaign.id)}
        assert {rows[n].status for n in US + PR} == {J.SKIPPED}
        assert all("A2P 10DLC" in (rows[n].error_message or "") for n in US + PR)
        assert {rows[n].status for n in CA} == {"delivered"}


def test_a_registered_service_texts_everyone_and_records_its_picks(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(registration_config(delivery_delay=0.05))
    contacts = write_contacts(tmp_path / "contacts.csv", [*US, *CA])
    db = tmp_path / "smscast.db"
    env = smscast_env(sb, tmp_path, db)
    args = [*SMSCAST, "send", str(contacts), *SEND, "--messaging-service", MG_REGISTERED]
    sent = run_cli([*args, "--send", "--yes", "--track", "10"], env, tmp_path)
    assert sent.returncode == 0, sent.stderr
    by_to = {m["to"]: m for m in sb.messages()}
    assert sorted(by_to) == sorted([*US, *CA])
    with J.Journal.open(db) as journal:
        campaign = journal.latest()
        seen = journal.registration(campaign.id)
        assert seen is not None and (seen["sender"], seen["state"]) == (MG_REGISTERED, "registered")
        rows = journal.recipients(campaign.id)
        assert {r.status for r in rows} == {"delivered"}
        pool = {"+15017122661", "+15017122662", "+12125550123", "+18445550100"}
        picks = {r.to: r.from_number for r in rows}
        assert set(picks.values()) <= pool and None not in picks.values()
        assert picks["+12125550199"] == "+12125550123"  # area-code geomatch


def test_account_lists_services_pools_and_what_to_do(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(registration_config())
    env = smscast_env(sb, tmp_path, tmp_path / "smscast.db")
    text = run_cli([*SMSCAST, "account"], env, tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Messaging Services: 5" in text.stdout
    assert "+15017122673: it is not registered for A2P 10DLC" in text.stdout
    assert "+18445550103: it has no toll-free verification" in text.stdout
    assert "SMSCAST" in text.stdout and "alphanumeric ID" in text.stdout
    data = json.loads(run_cli([*SMSCAST, "account", "--json"], env, tmp_path).stdout)
    services = {s["sid"]: s for s in data["messaging_services"]}
    mixed = services["MG" + "5" * 32]
    assert {(s["address"], s["kind"], s["registration"]) for s in mixed["senders"]} == {
        ("55501", "short_code", "not-needed"),
        ("+16045550123", "long_code", "not-needed"),
        ("+18445550101", "toll_free", "pending"),
    }
    assert mixed["segments_per_second"] == 104.0
    pending = services["MG" + "2" * 32]
    assert pending["a2p"] == "pending" and "still in review" in pending["what_to_do"]
    assert data["registration_unknown"] is None

    unreadable = sandbox_factory(registration_config(compliance_readable=False))
    env = smscast_env(unreadable, tmp_path, tmp_path / "smscast.db")
    shown = run_cli([*SMSCAST, "account"], env, tmp_path)
    assert shown.returncode == 0 and "could not be read" in shown.stderr
    assert "registration unknown" in shown.stdout
