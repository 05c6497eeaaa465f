"""Credentials and configuration: where smscast finds them, and how it keeps secrets out of sight.

Every setting is looked up in four places, the first that has it wins:

1. command-line flags (`--account-sid`, `--auth-token`, `--api-key`, `--api-secret`, ...);
2. the environment (`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_API_KEY`,
   `TWILIO_API_SECRET`, `TWILIO_PHONE_NUMBER`, `TWILIO_MESSAGING_SERVICE_SID`,
   `SMSCAST_TWILIO_BASE_URL`, `SMSCAST_REGION`, `SMSCAST_DATA_DIR`, `SMSCAST_DB`,
   `SMSCAST_STATUS_CALLBACK_URL`, `SMSCAST_LISTEN_PORT`, `SMSCAST_LISTEN_HOST`,
   `SMSCAST_CONFIG`);
3. a `.env` file in the current directory (same names; never copied into `os.environ`);
4. the TOML config file, `config.toml` in the user config directory (or `SMSCAST_CONFIG`):

```toml
[twilio]
account_sid = "AC..."
auth_token = "..."                 # or api_key = "SK..." + api_secret = "..."
from_number = "+15551234567"       # or messaging_service_sid = "MG..."
base_url = "http://127.0.0.1:8080" # another API base (the sandbox); omit for Twilio

[smscast]
region = "US"                      # country of numbers written without +country code
data_dir = "~/smscast"             # where the campaign database lives
db_path = "~/smscast/smscast.db"
# The app's status callbacks (`smscast send --status-callback` is the command line's):
status_callback_url = "https://sms.example.com/receipts"  # the public URL Twilio posts to
listen_port = 8080                 # the app receives them while a campaign runs
listen_host = "127.0.0.1"          # (default) behind a reverse proxy or tunnel; 0.0.0.0: direct

[prices]                           # price per segment by region code, see campaigns.compose.pricing
US = 0.0083
```

Secrets (auth token, API secret) are masked wherever they could show: `repr`, `str` and every
error message carry at most their last four characters (`campaigns.secrets.mask`), and every
secret loaded is remembered so that `campaigns.secrets.scrub` hides it in any text. Loading
never fails for missing credentials (demo mode needs none);
`campaigns.twilio.credentials.require_credentials` says how to set them (`credentials_help`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import platformdirs

from campaigns.config.dotenv import parse_dotenv
from campaigns.errors import ConfigError
from campaigns.secrets import mask, remember_secret, scrub
from campaigns.twilio.credentials import Credentials
from campaigns.untrusted import excerpt

if TYPE_CHECKING:
    from campaigns.compose.pricing import PriceTable

APP_NAME = "smscast"
DEFAULT_REGION = "US"

_ENV_KEYS = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "api_key": "TWILIO_API_KEY",
    "api_secret": "TWILIO_API_SECRET",
    "from_number": "TWILIO_PHONE_NUMBER",
    "messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
    "base_url": "SMSCAST_TWILIO_BASE_URL",
    "region": "SMSCAST_REGION",
    "data_dir": "SMSCAST_DATA_DIR",
    "db_path": "SMSCAST_DB",
    "status_callback_url": "SMSCAST_STATUS_CALLBACK_URL",
    "listen_port": "SMSCAST_LISTEN_PORT",
    "listen_host": "SMSCAST_LISTEN_HOST",
}
# Config-file keys: the table each lives in.
_CONFIG_KEYS = {
    "twilio": (
        "account_sid",
        "auth_token",
        "api_key",
        "api_secret",
        "from_number",
        "messaging_service_sid",
        "base_url",
    ),
    "smscast": (
        "region",
        "data_dir",
        "db_path",
        "status_callback_url",
        "listen_port",
        "listen_host",
    ),
}
#: Config-file keys that may be written as a TOML integer too (listen_port = 8080).
_INTEGER_KEYS = frozenset({"listen_port"})
#: Where the app listens for status callbacks when only the port is set: loopback, the
#: address a reverse proxy or a tunnel on the same machine forwards to.
DEFAULT_LISTEN_HOST = "127.0.0.1"
_SECRET_KEYS = frozenset({"auth_token", "api_secret"})
_SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")

CREDENTIALS_HELP = (
    "Set them in one of these ways:\n"
    "  - in the environment: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and\n"
    "    TWILIO_API_SECRET, with TWILIO_ACCOUNT_SID);\n"
    "  - in a .env file in this directory, with the same names;\n"
    '  - in {config}: a [twilio] table with account_sid = "AC..." and auth_token = "...".\n'
    "To try smscast without a Twilio account, run 'smscast demo'."
)


@dataclass(frozen=True)
class Settings:
    """Everything smscast needs to know before it talks to Twilio, resolved once.

    `base_url` None means real Twilio. `region` is the country (ISO 3166 alpha-2) assumed for
    numbers written without a country code. `prices` is the `campaigns.compose.pricing.PriceTable`:
    its defaults overridden by the config file's `[prices]` table (kept as `price_overrides`).
    `credential_problem` explains incomplete credentials; `warnings` lists harmless oddities
    found while loading (a malformed `.env` line, an unknown config key).
    """

    credentials: Credentials | None = None
    #: The account SID with its auth token, when one is set (also beside an API key): what
    #: Twilio signs status callbacks with (`smscast listen`). None: no auth token is set.
    signing: Credentials | None = None
    from_number: str | None = None
    messaging_service_sid: str | None = None
    base_url: str | None = None
    region: str = DEFAULT_REGION
    price_overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    prices: PriceTable = field(default_factory=lambda: _price_table({}, None))
    data_dir: Path = field(default_factory=lambda: platformdirs.user_data_path(APP_NAME))
    db_path: Path = field(
        default_factory=lambda: platformdirs.user_data_path(APP_NAME) / "smscast.db"
    )
    config_path: Path | None = None
    credential_problem: str | None = None
    warnings: tuple[str, ...] = ()
    #: Seconds one request to Twilio may take (a command's `--timeout`); None = the gateway's
    #: default. Not read from files: it belongs to one run.
    request_timeout: float | None = None
    #: Which of `from_number` / `messaging_service_sid` names the sender when both are set:
    #: the one found first in the order above (a flag, then the environment, `.env`, the
    #: config file), the number when both come from the same place
    #: (`campaigns.pipeline.sender.configured_sender`).
    preferred_sender: str = "from_number"
    #: The app's status callbacks: the URL Twilio is asked to post each message's status
    #: changes to (as `smscast send --status-callback`), checked when a campaign starts
    #: (`campaigns.pipeline.listen.app_callbacks`); None: receipts come by sweeps only.
    status_callback_url: str | None = None
    #: The port (and address) the app receives them on while a campaign runs; None: the app
    #: does not listen (`smscast listen` does, on the server the URL reaches).
    listen_port: int | None = None
    listen_host: str = DEFAULT_LISTEN_HOST

    @property
    def credentials_help(self) -> str:
        """How to set the credentials (`campaigns.twilio.credentials.require_credentials` says
        it when there are none): the environment, `.env`, or this settings' config file."""
        return CREDENTIALS_HELP.format(config=self.config_path or default_config_path())


def _price_table(overrides: Mapping[str, Any], config_path: Path | None) -> PriceTable:
    """The default prices with the `[prices]` overrides; a bad entry is a `ConfigError`.

    `campaigns.compose.pricing` is imported here, not at the top, so that `smscast --help` (which
    imports this module through the commands' flags) stays light.
    """
    from campaigns.compose.pricing import PriceTable

    try:
        return PriceTable(dict(overrides))
    except (TypeError, ValueError) as exc:
        where = f" in {config_path}" if config_path else ""
        raise ConfigError(
            f"The [prices] table{where} is not usable: {exc}",
            "Give each region code (US, GB, ...) a price per segment, e.g. US = 0.0083.",
        ) from exc


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """`SMSCAST_CONFIG` if set, else `config.toml` in the user config directory."""
    env = os.environ if env is None else env
    explicit = env.get("SMSCAST_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def _read_config(path: Path) -> tuple[dict[str, Any], Mapping[str, Any], list[str]]:
    """Flat settings and the `[prices]` table from the TOML file (empty if it does not exist)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, {}, []
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the config file {path}: {exc.strerror}.",
            "Fix its permissions, or point SMSCAST_CONFIG at another file.",
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not UTF-8 text.", "Save it as UTF-8."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {exc}.",
            'Fix that line (strings need double quotes: auth_token = "...").',
        ) from exc
    flat: dict[str, Any] = {}
    warnings: list[str] = []
    for table, value in data.items():
        if table == "prices":
            continue
        if table not in _CONFIG_KEYS or not isinstance(value, dict):
            warnings.append(f"{path}: unknown setting '{table}' was ignored.")
            continue
        for key, item in value.items():
            if key not in _CONFIG_KEYS[table]:
                warnings.append(f"{path}: unknown setting '{table}.{key}' was ignored.")
                continue
            if key in _INTEGER_KEYS and isinstance(item, int) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise ConfigError(
                    f"The config file {path}: '{table}.{key}' must be a string in quotes.",
                    f'Write it as {key} = "...".',
                )
            flat[key] = item
    prices = data.get("prices", {})
    if not isinstance(prices, dict):
        raise ConfigError(
            f"The config file {path}: 'prices' must be a table ([prices]).",
            "Write [prices] on its own line, then one 'US = 0.0083' line per region.",
        )
    if _SECRET_KEYS & flat.keys() and _readable_by_others(path):
        warnings.append(
            f"{path} holds a secret and other users can read it: run 'chmod 600 {path}'."
        )
    return flat, MappingProxyType(dict(prices)), warnings


def _readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


class _Layers:
    """The four sources in order; `get` answers a key with its value and where it came from."""

    def __init__(self, layers: list[tuple[str, Mapping[str, Any]]]) -> None:
        self._layers = layers

    def get(self, key: str) -> tuple[str | None, str]:
        for source, values in self._layers:
            value = values.get(key)
            if value not in (None, ""):
                return str(value), source
        return None, ""

    def first_set(self, *keys: str) -> str | None:
        """Which of `keys` has a value in the highest layer (on a tie, the first of `keys`)."""
        for _, values in self._layers:
            for key in keys:
                if values.get(key) not in (None, ""):
                    return key
        return None


#: Where `load_settings` reports its warnings (None: nowhere, the caller shows
#: `Settings.warnings` itself); and the warnings already reported, so each shows once.
_warning_sink: Callable[[str], None] | None = None
_reported: set[str] = set()


@contextlib.contextmanager
def warnings_reported_to(sink: Callable[[str], None]) -> Iterator[None]:
    """While inside, every settings warning goes to `sink` once, as settings are loaded.

    The command line wraps each command in this (one line on stderr each, before the
    command's output), so every command that reads settings shows them, whichever way it
    loads them. Outside (the app, tests), nothing is reported: the app shows
    `Settings.warnings` as a notice.
    """
    global _warning_sink
    saved = _warning_sink, set(_reported)
    _warning_sink = sink
    _reported.clear()
    try:
        yield
    finally:
        _warning_sink = saved[0]
        _reported.clear()
        _reported.update(saved[1])


def _report(warnings: Iterable[str]) -> None:
    sink = _warning_sink
    if sink is None:
        return
    for warning in warnings:
        if warning not in _reported:
            _reported.add(warning)
            sink(warning)


def load_settings(
    *,
    account_sid: str | None = None,
    auth_token: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    from_number: str | None = None,
    messaging_service_sid: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    data_dir: str | Path | None = None,
    db_path: str | Path | None = None,
    status_callback_url: str | None = None,
    listen_port: int | str | None = None,
    listen_host: str | None = None,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings from flags (these arguments), environment, `.env` and config file.

    `env` defaults to `os.environ` and `cwd` (where `.env` is looked for) to the current
    directory; tests pass both so they never read the real environment or home. Raises
    `ConfigError` for an unreadable or invalid config file or a malformed setting; missing or
    incomplete credentials are not an error here (see `require_credentials`).
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    flags = {
        "account_sid": account_sid,
        "auth_token": auth_token,
        "api_key": api_key,
        "api_secret": api_secret,
        "from_number": from_number,
        "messaging_service_sid": messaging_service_sid,
        "base_url": base_url,
        "region": region,
        "data_dir": data_dir,
        "db_path": db_path,
        "status_callback_url": status_callback_url,
        "listen_port": listen_port,
        "listen_host": listen_host,
    }
    warnings: list[str] = []
    dotenv_path = cwd / ".env"
    dotenv: dict[str, str] = {}
    if dotenv_path.is_file():
        try:
            dotenv, dotenv_warnings = parse_dotenv(
                dotenv_path.read_text(encoding="utf-8-sig"), str(dotenv_path)
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read {dotenv_path}: {exc}.", "Fix the file or remove it."
            ) from exc
        warnings.extend(dotenv_warnings)
    env_view = {name: env[var] for name, var in _ENV_KEYS.items() if env.get(var)}
    dotenv_view = {name: dotenv[var] for name, var in _ENV_KEYS.items() if dotenv.get(var)}
    if config_path is None:
        config_var = env.get("SMSCAST_CONFIG") or dotenv.get("SMSCAST_CONFIG")
        config_file = Path(config_var).expanduser() if config_var else default_config_path({})
    else:
        config_file = Path(config_path).expanduser()
    config, prices, config_warnings = _read_config(config_file)
    warnings.extend(config_warnings)
    layers = _Layers(
        [
            ("flags", flags),
            ("environment", env_view),
            (f".env file {dotenv_path}", dotenv_view),
            (f"config file {config_file}", config),
        ]
    )

    for _, values in layers._layers:
        for key in _SECRET_KEYS:
            remember_secret(values.get(key))
    credentials, problem = _credentials(layers)
    data_dir_value, _ = layers.get("data_dir")
    resolved_data_dir = (
        Path(data_dir_value).expanduser()
        if data_dir_value
        else platformdirs.user_data_path(APP_NAME)
    )
    db_value, _ = layers.get("db_path")
    _report(warnings)
    token, token_source = layers.get("auth_token")
    account_sid, _ = layers.get("account_sid")
    signing = (
        Credentials(account_sid, account_sid, token, token_source)
        if token is not None and account_sid is not None
        else None
    )
    return Settings(
        credentials=credentials,
        signing=signing,
        from_number=_sender(layers.get("from_number")[0]),
        messaging_service_sid=_checked_sid(layers, "messaging_service_sid", "MG"),
        base_url=_base_url(*layers.get("base_url")),
        region=_region(*layers.get("region")),
        price_overrides=prices,
        prices=_price_table(prices, config_file),
        data_dir=resolved_data_dir,
        db_path=Path(db_value).expanduser() if db_value else resolved_data_dir / "smscast.db",
        config_path=config_file,
        credential_problem=problem,
        warnings=tuple(warnings),
        preferred_sender=layers.first_set("from_number", "messaging_service_sid") or "from_number",
        status_callback_url=_stripped(layers.get("status_callback_url")[0]),
        listen_port=_port(*layers.get("listen_port")),
        listen_host=_stripped(layers.get("listen_host")[0]) or DEFAULT_LISTEN_HOST,
    )


def _credentials(layers: _Layers) -> tuple[Credentials | None, str | None]:
    """Pick the auth method from the highest source that gives a secret, then fill it in."""
    token, token_source = layers.get("auth_token")
    secret, secret_source = layers.get("api_secret")
    account_sid, sid_source = layers.get("account_sid")
    order = [name for name, _ in layers._layers]
    use_key = secret is not None and (
        token is None or order.index(secret_source) <= order.index(token_source)
    )
    if use_key and secret is not None:  # (use_key implies a secret; mypy sees it here)
        api_key, key_source = layers.get("api_key")
        if api_key is None:
            return None, f"An API secret is set ({secret_source}) but no API key (TWILIO_API_KEY)."
        if account_sid is None:
            return None, (
                f"An API key is set ({key_source}) but not the account SID it belongs to "
                "(TWILIO_ACCOUNT_SID)."
            )
        problem = _sid_problem(account_sid, "AC", "account SID", sid_source) or _sid_problem(
            api_key, "SK", "API key", key_source
        )
        if problem:
            return None, problem
        return Credentials(account_sid, api_key, secret, secret_source), None
    if token is None:
        if account_sid is not None:
            return None, f"The account SID is set ({sid_source}) but no auth token."
        return None, None
    if account_sid is None:
        return None, f"An auth token is set ({token_source}) but no account SID."
    problem = _sid_problem(account_sid, "AC", "account SID", sid_source)
    if problem:
        return None, problem
    return Credentials(account_sid, account_sid, token, token_source), None


def _sid_problem(value: str, prefix: str, what: str, source: str) -> str | None:
    if _SID_PATTERN.fullmatch(value) and value.startswith(prefix):
        return None
    shown = value if len(value) <= 40 else value[:8] + "..."
    if value.startswith("SK") and prefix == "AC":
        return (
            f"The account SID ({source}) is an API key SID ({shown}); give it as "
            "TWILIO_API_KEY and set TWILIO_ACCOUNT_SID to the account's AC... SID."
        )
    return (
        f"The {what} ({source}) should be {prefix} followed by 32 hexadecimal characters, "
        f"not {shown if _SID_PATTERN.fullmatch(value) else mask(value) or 'empty'}."
    )


def _checked_sid(layers: _Layers, key: str, prefix: str) -> str | None:
    value, source = layers.get(key)
    if value is None:
        return None
    value = value.strip()
    if not (value.startswith(prefix) and _SID_PATTERN.fullmatch(value)):
        raise ConfigError(
            f"The Messaging Service SID ({source}) should be {prefix} followed by 32 "
            f"hexadecimal characters, not {excerpt(scrub(value))}.",
            "Copy it from Console > Messaging > Services.",
        )
    return value


def _sender(value: str | None) -> str | None:
    """The sender as given, without spaces (E.164 or a short code); checked by Twilio."""
    if value is None:
        return None
    return re.sub(r"[\s().-]", "", value)


def _base_url(value: str | None, source: str) -> str | None:
    """The API base as `scheme://host[:port][/path]`. A user name or password in it is refused:
    the SDK authenticates with the credentials' Authorization header, which replaces them, and
    a secret there would be shown wherever the URL is. Messages show the value scrubbed."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (a port that is not a number raises ValueError here)
    except ValueError:
        parts = None
    shown = excerpt(scrub(value))
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"The Twilio base URL ({source}) must look like http://127.0.0.1:8080, not {shown}.",
            "Unset SMSCAST_TWILIO_BASE_URL to use the real Twilio.",
        )
    if "@" in parts.netloc:
        raise ConfigError(
            f"The Twilio base URL ({source}) holds a user name or password ({shown}).",
            "Remove them (write it as http://HOST:PORT): smscast signs in with the account "
            "SID and auth token (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN).",
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _stripped(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _port(value: str | None, source: str) -> int | None:
    """The app's listening port (`listen_port`): a number from 1 to 65535."""
    if value is None:
        return None
    text = value.strip()
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise ConfigError(
            f"The port to receive status callbacks on ({source}) must be a number from 1 to "
            f"65535, not {excerpt(scrub(value))}.",
            "One above 1023 needs no privileges, e.g. listen_port = 8080.",
        )
    return int(text)


def _region(value: str | None, source: str) -> str:
    if value is None:
        return DEFAULT_REGION
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ConfigError(
            f"The default region ({source}) must be a two-letter country code such as US or "
            f"GB, not {excerpt(scrub(value))}.",
        )
    return code
