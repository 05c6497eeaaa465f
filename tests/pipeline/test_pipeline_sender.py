"""Which sender a campaign texts from (`campaigns.pipeline.sender`), as both faces choose it.

The settings' own order decides: a flag, then the environment, `.env`, the config file; a
number and a Messaging Service from the same place: the number (Twilio sends from `From`
when a request names both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.config.settings import Settings, load_settings
from campaigns.errors import ConfigError
from campaigns.pipeline.sender import (
    SenderChoice,
    auto_rate,
    configured_sender,
    default_sender,
    require_sender,
    resolve_rate,
)
from campaigns.twilio.models import Sender

NUMBER = "+15017122661"
OTHER = "+15017122662"
SERVICE = "MG" + "ab" * 16


def settings(tmp_path: Path, *, config: str = "", env: dict[str, str] | None = None, **flags):
    path = tmp_path / "config.toml"
    path.write_text(config, encoding="utf-8")
    return load_settings(config_path=path, env=env or {}, cwd=tmp_path, **flags)


def test_a_number_and_a_service_from_the_same_place_send_from_the_number(tmp_path: Path) -> None:
    env = {"TWILIO_PHONE_NUMBER": NUMBER, "TWILIO_MESSAGING_SERVICE_SID": SERVICE}
    assert configured_sender(settings(tmp_path, env=env)) == SenderChoice(from_number=NUMBER)
    both = f'[twilio]\nfrom_number = "{NUMBER}"\nmessaging_service_sid = "{SERVICE}"\n'
    assert configured_sender(settings(tmp_path, config=both)) == SenderChoice(from_number=NUMBER)


def test_the_environment_beats_the_config_file_for_the_sender(tmp_path: Path) -> None:
    number_in_config = f'[twilio]\nfrom_number = "{NUMBER}"\n'
    service_in_env = {"TWILIO_MESSAGING_SERVICE_SID": SERVICE}
    chosen = configured_sender(settings(tmp_path, config=number_in_config, env=service_in_env))
    assert chosen == SenderChoice(messaging_service_sid=SERVICE)
    service_in_config = f'[twilio]\nmessaging_service_sid = "{SERVICE}"\n'
    chosen = configured_sender(
        settings(tmp_path, config=service_in_config, env={"TWILIO_PHONE_NUMBER": NUMBER})
    )
    assert chosen == SenderChoice(from_number=NUMBER)


def test_a_flag_beats_the_environment_for_the_sender(tmp_path: Path) -> None:
    env = {"TWILIO_PHONE_NUMBER": NUMBER, "TWILIO_MESSAGING_SERVICE_SID": SERVICE}
    by_service = settings(tmp_path, env=env, messaging_service_sid=SERVICE)
    assert configured_sender(by_service) == SenderChoice(messaging_service_sid=SERVICE)
    by_number = settings(tmp_path, env={"TWILIO_MESSAGING_SERVICE_SID": SERVICE}, from_number=OTHER)
    assert configured_sender(by_number) == SenderChoice(from_number=OTHER)


def test_no_sender_is_a_config_error_that_says_how() -> None:
    assert configured_sender(Settings()) is None
    with pytest.raises(ConfigError, match="No sender"):
        require_sender(None)


def test_an_address_is_a_service_when_twilio_lists_it_as_one() -> None:
    listed = [Sender(NUMBER, "long_code", True, 1.0), Sender(SERVICE, "messaging_service", True, 0)]
    assert SenderChoice.of_address(SERVICE, listed).messaging_service_sid == SERVICE
    assert SenderChoice.of_address(SERVICE).messaging_service_sid == SERVICE  # by its SID
    assert SenderChoice.of_address(NUMBER, listed).from_number == NUMBER
    with pytest.raises(ValueError, match="exactly one"):
        SenderChoice(from_number=NUMBER, messaging_service_sid=SERVICE)


def test_the_app_preselects_the_configured_sender_when_listed() -> None:
    listed = [Sender(NUMBER, "long_code", True, 1.0), Sender(OTHER, "long_code", True, 1.0)]
    configured = Settings(from_number=OTHER, messaging_service_sid=SERVICE)
    assert default_sender(configured, listed, NUMBER) == OTHER
    assert default_sender(Settings(), listed, OTHER) == OTHER  # the person's pick stays
    assert default_sender(Settings(), listed, None) == NUMBER
    assert default_sender(Settings(from_number="+15550001111"), listed, None) == "+15550001111"


def test_rate_auto_paces_at_the_sender_and_an_unlisted_one_by_its_kind() -> None:
    listed = [Sender(NUMBER, "long_code", True, 0.0), Sender("+18445550100", "toll_free", True, 0)]
    assert auto_rate(listed, SenderChoice(from_number="+18445550100")) == 3.0
    assert auto_rate(listed, SenderChoice(messaging_service_sid=SERVICE)) == 4.0  # 1 + 3
    assert auto_rate([], SenderChoice(from_number="+18445550199")) == 3.0  # toll-free, unlisted
    asked: list[bool] = []

    def senders() -> list[Sender]:
        asked.append(True)
        return listed

    number = SenderChoice(from_number=NUMBER)
    assert resolve_rate("max", number, senders) is None
    assert resolve_rate("12", number, senders) == 12.0
    assert not asked  # only auto asks Twilio
    assert resolve_rate("auto", number, senders) == 1.0
