"""Settings: precedence of flags, environment, .env and config file; masking; clear errors.

Every test passes `env`, `cwd` and a config path inside tmp_path, so nothing reads the real
environment or home directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from campaigns.config.dotenv import parse_dotenv
from campaigns.config.settings import load_settings
from campaigns.errors import ConfigError
from campaigns.secrets import mask
from campaigns.twilio.credentials import Credentials, require_credentials

SID = "AC" + "0123456789abcdef" * 2
SID2 = "AC" + "fedcba9876543210" * 2
KEY = "SK" + "00112233445566778899aabbccddeeff"
TOKEN = "tok_secret_value_0123456789abcd"
TOKEN2 = "another_secret_token_zyxw"
SECRET = "api_secret_value_98765_wxyz"


@pytest.fixture
def place(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path


def load(place: Path, env: dict[str, str] | None = None, **flags: object):
    env = {"SMSCAST_CONFIG": str(place / "config.toml"), **(env or {})}
    return load_settings(env=env, cwd=place / "work", **flags)  # type: ignore[arg-type]


def write_config(place: Path, text: str) -> Path:
    path = place / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


# --- mask and Credentials ----------------------------------------------------------------


def test_mask_shows_at_most_last_four() -> None:
    assert mask(TOKEN) == "****abcd"
    assert mask("short") == "****"
    assert mask("") == ""
    assert mask(None) == ""


def test_credentials_repr_and_str_hide_the_secret() -> None:
    creds = Credentials(SID, SID, TOKEN, "flags")
    for text in (repr(creds), str(creds), f"{creds}", repr(load_settings_with(creds))):
        assert TOKEN not in text
        assert TOKEN[:-4] not in text
    assert "****abcd" in repr(creds)
    assert creds.kind == "auth_token"
    assert Credentials(SID, KEY, SECRET).kind == "api_key"


def load_settings_with(creds: Credentials):
    from campaigns.config.settings import Settings

    return Settings(credentials=creds)


# --- sources and precedence --------------------------------------------------------------


def test_nothing_set_gives_no_credentials_and_defaults(place: Path) -> None:
    settings = load(place)
    assert settings.credentials is None
    assert settings.credential_problem is None
    assert settings.base_url is None
    assert settings.region == "US"
    assert settings.db_path == settings.data_dir / "smscast.db"
    assert settings.warnings == ()


def test_environment_account_sid_and_token(place: Path) -> None:
    settings = load(place, {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN})
    assert settings.credentials == Credentials(SID, SID, TOKEN, "environment")


def test_environment_api_key_uses_key_as_username(place: Path) -> None:
    settings = load(
        place, {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": SECRET}
    )
    creds = require_credentials(settings)
    assert (creds.account_sid, creds.username, creds.password) == (SID, KEY, SECRET)


def test_api_key_without_account_sid_is_explained(place: Path) -> None:
    settings = load(place, {"TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": SECRET})
    assert settings.credentials is None
    with pytest.raises(ConfigError) as info:
        require_credentials(settings)
    assert "TWILIO_ACCOUNT_SID" in str(info.value)
    assert SECRET not in info.value.full()


def test_flags_beat_environment_beat_dotenv_beat_config(place: Path) -> None:
    write_config(
        place,
        f'[twilio]\naccount_sid = "{SID}"\nauth_token = "config_token_1234"\n'
        'from_number = "+15550000003"\n',
    )
    (place / "work" / ".env").write_text(
        "TWILIO_AUTH_TOKEN=dotenv_token_5678\nTWILIO_PHONE_NUMBER=+15550000002\n"
    )
    env = {"TWILIO_PHONE_NUMBER": "+15550000001"}
    settings = load(place, env)
    assert settings.credentials is not None
    assert settings.credentials.password == "dotenv_token_5678"
    assert settings.credentials.account_sid == SID
    assert settings.from_number == "+15550000001"

    settings = load(place, {**env, "TWILIO_AUTH_TOKEN": TOKEN2})
    assert settings.credentials is not None and settings.credentials.password == TOKEN2
    assert settings.credentials.source == "environment"

    settings = load(
        place,
        {**env, "TWILIO_AUTH_TOKEN": TOKEN2},
        auth_token=TOKEN,
        account_sid=SID2,
        from_number="+1 (555) 000-0009",
    )
    assert settings.credentials == Credentials(SID2, SID2, TOKEN, "flags")
    assert settings.from_number == "+15550000009"


def test_flag_token_beats_environment_api_key(place: Path) -> None:
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": KEY, "TWILIO_API_SECRET": SECRET}
    settings = load(place, env, auth_token=TOKEN)
    assert settings.credentials is not None
    assert settings.credentials.kind == "auth_token"
    assert settings.credentials.password == TOKEN


def test_config_file_alone_is_enough(place: Path) -> None:
    write_config(
        place,
        f"""
# my smscast config
[twilio]
account_sid = "{SID}"
auth_token = "{TOKEN}"
messaging_service_sid = "MG{"ab" * 16}"
base_url = "http://127.0.0.1:8999/"

[smscast]
region = "gb"
db_path = "{place / "db" / "x.db"}"

[prices]
US = 0.0083
GB = 0.04
""",
    )
    settings = load(place)
    assert settings.credentials is not None
    assert settings.credentials.source.startswith("config file")
    assert settings.messaging_service_sid == "MG" + "ab" * 16
    assert settings.base_url == "http://127.0.0.1:8999"
    assert settings.region == "GB"
    assert settings.db_path == place / "db" / "x.db"
    assert dict(settings.price_overrides) == {"US": 0.0083, "GB": 0.04}
    assert settings.prices.for_region("GB") == 0.04


def test_default_prices_and_bad_prices(place: Path) -> None:
    from campaigns.compose.pricing import PriceTable

    assert load(place).prices == PriceTable()
    path = write_config(place, '[prices]\nUS = "cheap"\n')
    with pytest.raises(ConfigError) as info:
        load(place)
    assert str(path) in str(info.value) and "[prices]" in str(info.value)


def test_base_url_and_paths_from_environment(place: Path) -> None:
    settings = load(
        place,
        {
            "SMSCAST_TWILIO_BASE_URL": "http://127.0.0.1:1234",
            "SMSCAST_DATA_DIR": str(place / "data"),
        },
    )
    assert settings.base_url == "http://127.0.0.1:1234"
    assert settings.data_dir == place / "data"
    assert settings.db_path == place / "data" / "smscast.db"
    settings = load(place, {"SMSCAST_DB": str(place / "elsewhere.db")})
    assert settings.db_path == place / "elsewhere.db"


def test_bad_base_url_is_a_config_error(place: Path) -> None:
    with pytest.raises(ConfigError, match="base URL"):
        load(place, {"SMSCAST_TWILIO_BASE_URL": "127.0.0.1:1234"})


# --- .env parsing ------------------------------------------------------------------------


def test_dotenv_parser_handles_comments_export_and_quotes() -> None:
    text = """
# a comment
export TWILIO_ACCOUNT_SID=AC123   # trailing comment
TWILIO_AUTH_TOKEN = 'literal # not a comment \\n'
QUOTED="line\\nbreak \\"q\\" # kept"
EMPTY=
HASH=abc#def
SPACED =  value with spaces{TRAILING}
not a line
BROKEN="never closed
1BAD=x
""".replace("{TRAILING}", "  ")
    values, warnings = parse_dotenv(text, "x.env")
    assert values == {
        "TWILIO_ACCOUNT_SID": "AC123",
        "TWILIO_AUTH_TOKEN": "literal # not a comment \\n",
        "QUOTED": 'line\nbreak "q" # kept',
        "EMPTY": "",
        "HASH": "abc#def",
        "SPACED": "value with spaces",
    }
    assert [w.split(":")[0] for w in warnings] == [
        "x.env, line 9",
        "x.env, line 10",
        "x.env, line 11",
    ]
    assert all("never closed" not in w for w in warnings)


def test_dotenv_is_read_from_cwd_and_not_copied_into_os_environ(place: Path) -> None:
    (place / "work" / ".env").write_text(
        f'\ufeffexport TWILIO_ACCOUNT_SID="{SID}"\nTWILIO_AUTH_TOKEN={TOKEN}\nbad line\n'
    )
    settings = load(place)
    assert settings.credentials is not None
    assert settings.credentials.password == TOKEN
    assert settings.credentials.source.startswith(".env file")
    assert "TWILIO_AUTH_TOKEN" not in os.environ or os.environ["TWILIO_AUTH_TOKEN"] != TOKEN
    assert len(settings.warnings) == 1 and "line 3" in settings.warnings[0]


# --- config-file errors ------------------------------------------------------------------


def test_bad_toml_names_the_file_and_line(place: Path) -> None:
    path = write_config(place, '[twilio]\naccount_sid = "AC1"\nauth_token = secret_here\n')
    with pytest.raises(ConfigError) as info:
        load(place)
    text = info.value.full()
    assert str(path) in text
    assert "line 3" in text
    assert "secret_here" not in text


def test_wrong_types_and_unknown_keys(place: Path) -> None:
    write_config(place, "[twilio]\naccount_sid = 12\n")
    with pytest.raises(ConfigError, match=r"twilio\.account_sid"):
        load(place)
    write_config(place, '[twilio]\nauth-token = "x"\n[other]\nx = 1\n')
    settings = load(place)
    assert any("twilio.auth-token" in w for w in settings.warnings)
    assert any("'other'" in w for w in settings.warnings)


def test_world_readable_config_with_secret_warns(place: Path) -> None:
    path = write_config(place, f'[twilio]\naccount_sid = "{SID}"\nauth_token = "{TOKEN}"\n')
    assert load(place).warnings == ()
    path.chmod(0o644)
    warnings = load(place).warnings
    assert len(warnings) == 1 and "chmod 600" in warnings[0]
    assert TOKEN not in warnings[0]


def test_config_path_flag_and_missing_file(place: Path) -> None:
    other = place / "other.toml"
    other.write_text(f'[twilio]\naccount_sid = "{SID}"\nauth_token = "{TOKEN}"\n')
    settings = load_settings(config_path=other, env={}, cwd=place / "work")
    assert settings.credentials is not None and settings.config_path == other
    settings = load_settings(config_path=place / "absent.toml", env={}, cwd=place / "work")
    assert settings.credentials is None


# --- require_credentials -----------------------------------------------------------------


def test_no_credentials_message_says_how_and_points_to_demo(place: Path) -> None:
    settings = load(place)
    with pytest.raises(ConfigError) as info:
        require_credentials(settings)
    text = info.value.full()
    for needle in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        ".env",
        "config.toml",
        "smscast demo",
    ):
        assert needle in text


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"TWILIO_ACCOUNT_SID": SID}, "no auth token"),
        ({"TWILIO_AUTH_TOKEN": TOKEN}, "no account SID"),
        ({"TWILIO_ACCOUNT_SID": "ACnothex", "TWILIO_AUTH_TOKEN": TOKEN}, "32 hexadecimal"),
        ({"TWILIO_ACCOUNT_SID": KEY, "TWILIO_AUTH_TOKEN": TOKEN}, "TWILIO_API_KEY"),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_SECRET": SECRET}, "no API key"),
    ],
)
def test_incomplete_credentials_are_explained_without_the_secret(
    place: Path, env: dict[str, str], needle: str
) -> None:
    settings = load(place, env)
    assert settings.credentials is None
    with pytest.raises(ConfigError) as info:
        require_credentials(settings)
    text = info.value.full()
    assert needle in text
    assert TOKEN not in text and SECRET not in text
    assert "smscast demo" in text


def test_token_in_the_sid_slot_is_masked_in_the_error(place: Path) -> None:
    settings = load(place, {"TWILIO_ACCOUNT_SID": TOKEN, "TWILIO_AUTH_TOKEN": TOKEN2})
    with pytest.raises(ConfigError) as info:
        require_credentials(settings)
    assert TOKEN not in info.value.full()
    assert TOKEN2 not in info.value.full()
    assert TOKEN2 not in repr(settings)


def test_region_validation(place: Path) -> None:
    assert load(place, {"SMSCAST_REGION": "de"}).region == "DE"
    with pytest.raises(ConfigError, match="two-letter"):
        load(place, region="Germany")


# --- secrets in any text: scrub ------------------------------------------------------------


def test_scrub_masks_userinfo_tokens_and_known_secrets() -> None:
    from campaigns.secrets import remember_secret, scrub

    hex_token = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # unlike any secret another test loads
    assert scrub("GET http://bob:pa55word@10.0.0.1:8080/x failed") == (
        "GET http://****@10.0.0.1:8080/x failed"
    )
    assert scrub(f"token={hex_token}&x=1") == "token=****b1a0&x=1"
    remember_secret("my-api-secret-value-42")
    assert scrub("a my-api-secret-value-42 b") == "a ****e-42 b"
    assert scrub("given", ("given-secret-xyz",)) == "given"
    assert scrub("x given-secret-xyz", ("given-secret-xyz",)) == "x ****-xyz"
    # SIDs (two letters + 32 hex) and a sha256 (64 hex) are not tokens: left as they are.
    sid, digest = "AC" + hex_token, hex_token * 2
    assert scrub(f"{sid} {digest}") == f"{sid} {digest}"


def test_loaded_secrets_are_scrubbed_everywhere_afterwards(place: Path) -> None:
    from campaigns.secrets import scrub

    load(place, {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN})
    assert TOKEN not in scrub(f"an error quoting {TOKEN} verbatim")


@pytest.mark.parametrize(
    "value",
    [
        "http://admin:s3cret-pass-word@127.0.0.1:8080",
        "http://only-a-user-name-secret@127.0.0.1:8080",
    ],
)
def test_base_url_userinfo_is_refused_and_masked(place: Path, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(place, {"SMSCAST_TWILIO_BASE_URL": value})
    text = error.value.full()
    assert "user name or password" in text and "http://****@127.0.0.1:8080" in text
    assert "s3cret" not in text and "secret" not in text.replace("SMSCAST", "")


def test_token_pasted_as_base_url_or_other_setting_is_masked(place: Path) -> None:
    token = "f" * 32
    for variable in ("SMSCAST_TWILIO_BASE_URL", "TWILIO_MESSAGING_SERVICE_SID", "SMSCAST_REGION"):
        with pytest.raises(ConfigError) as error:
            load(place, {variable: token})
        assert token[:-4] not in error.value.full(), variable


# --- warnings reach every command -----------------------------------------------------------


def test_warnings_are_reported_once_each_while_a_sink_listens(place: Path) -> None:
    from campaigns.config.settings import warnings_reported_to

    (place / "work" / ".env").write_text("garbage line\n")
    seen: list[str] = []
    assert load(place).warnings  # no sink: only kept on the settings
    with warnings_reported_to(seen.append):
        load(place)
        load(place)  # loaded twice in one command: shown once
    load(place)
    assert len(seen) == 1 and "line 1: expected KEY=VALUE" in seen[0]


@pytest.mark.parametrize(
    "argv",
    [["campaigns"], ["send", "c.csv", "-t", "Hi {name}"], ["suppress", "list"]],
    ids=["campaigns", "send", "suppress"],
)
def test_every_command_that_reads_settings_shows_their_warnings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    """A world-readable config holding a secret, and a bad .env line: before this, only
    `smscast account` said so."""
    from campaigns.cli.main import main

    for name in list(os.environ):
        if name.startswith(("TWILIO_", "SMSCAST_")):
            monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    # A token without an account SID: no credentials, so no command here asks Twilio anything.
    config.write_text(f'[twilio]\nauth_token = "{TOKEN}"\n')
    config.chmod(0o644)
    monkeypatch.setenv("SMSCAST_CONFIG", str(config))
    monkeypatch.setenv("SMSCAST_DB", str(tmp_path / "j.db"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("this is not a setting\n")
    (tmp_path / "c.csv").write_text("phone,name\n+14155550100,Ann\n")
    main(argv)
    err = capsys.readouterr().err
    assert err.count("line 1: expected KEY=VALUE") == 1
    assert err.count(f"run 'chmod 600 {config}'") == 1
    assert TOKEN not in err
