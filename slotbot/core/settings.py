"""Process settings from the environment (prefix ``SLOTBOT_``, ``.env`` honoured)."""

from __future__ import annotations

import importlib.util
import ipaddress
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from slotbot.core.limits import IMPORT_MAX_BYTES
from slotbot.core.secret_strength import SECRET_KEY, TELEGRAM_SECRET_TOKEN, WEBHOOK_SECRET

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./slotbot.db"
#: The database drivers slotbot runs on (async SQLAlchemy), with the package each needs.
DRIVERS = {"sqlite+aiosqlite": "aiosqlite", "postgresql+asyncpg": "asyncpg"}
_URL_EXAMPLES = "e.g. sqlite+aiosqlite:///./slotbot.db or postgresql+asyncpg://user@host/db"
#: How to give a setting whose value could not be read at all.
_HINTS = {
    "allowed_origins": 'a JSON list of origins, e.g. ["https://shop.example"]',
    "environment": "one of development, test, production",
    "trusted_proxies": 'a JSON list of proxy addresses or networks, e.g. ["10.0.0.0/8"]',
}


_UNSHOWN = ("url", "secret", "token", "password", "key")
"""Settings whose values are not repeated in an error (they may hold credentials)."""


class ConfigError(Exception):
    """A setting that is wrong; ``str()`` names it and says how to fix it, on one line."""


class Settings(BaseSettings):
    """Everything a slotbot process reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SLOTBOT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False

    telegram_token: str = ""
    telegram_api_url: str = "https://api.telegram.org/bot"
    public_url: str = ""
    webhook_secret: str = ""
    secret_key: str = "dev-secret-key"
    allowed_origins: list[str] = Field(default_factory=list)
    #: The reverse proxies whose X-Forwarded-For is believed (addresses, networks, or "*"
    #: where nothing but the proxy can reach the app); by default nobody's.
    trusted_proxies: list[str] = Field(default_factory=list)

    # a Twilio-compatible Messages API; SMS is "not configured" while the URL is empty
    sms_api_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = ""
    sms_from: str = ""
    # e-mail; "not configured" while the host is empty
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "slotbot@localhost"
    smtp_starttls: bool = False
    smtp_tls: bool = False  # implicit TLS (port 465)
    smtp_timeout: float = 30

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    import_max_bytes: int = Field(default=IMPORT_MAX_BYTES, ge=1)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """A URL of a driver slotbot runs on, whose package is installed."""
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL ({_URL_EXAMPLES})") from None
        driver = url.drivername
        if driver not in DRIVERS:
            raise ValueError(
                f"unsupported database driver {driver!r}: use {' or '.join(DRIVERS)}"
                f" ({_URL_EXAMPLES})"
            )
        if importlib.util.find_spec(DRIVERS[driver]) is None:
            raise ValueError(f"the {DRIVERS[driver]} package is not installed: pip install it")
        if driver.startswith("sqlite") and not url.database:
            raise ValueError("give the SQLite file, e.g. sqlite+aiosqlite:///./slotbot.db")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str) -> str:
        """Only what Telegram takes as ``secret_token``, or setWebhook fails at start."""
        if value and not TELEGRAM_SECRET_TOKEN.fullmatch(value):
            raise ValueError(
                "may hold only A-Z, a-z, 0-9, _ and - (what Telegram accepts), 1 to 256 of them"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: list[str]) -> list[str]:
        """Addresses and networks, written the way uvicorn's proxy check compares them."""
        if value == ["*"]:
            return value
        proxies = []
        for proxy in value:
            try:
                network = ipaddress.ip_network(proxy.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{proxy[:60]!r} is not an IP address or network (e.g. 10.0.0.5 or "
                    '10.0.0.0/8; "*" alone trusts any peer)'
                ) from None
            single = network.num_addresses == 1
            proxies.append(str(network.network_address) if single else str(network))
        return proxies

    def secret_problems(self) -> list[str]:
        """What is wrong with the secrets for a server others can reach, one line each:
        the signing key, and the webhook secret when Telegram posts to a webhook."""
        problems = [SECRET_KEY.problem(self.secret_key)]
        if self.public_url and self.telegram_token:
            problems.append(WEBHOOK_SECRET.problem(self.webhook_secret))
        return [problem for problem in problems if problem]

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        if self.environment == "production" and (problems := self.secret_problems()):
            raise ValueError("; ".join(problems))
        return self


def env_name(field: str) -> str:
    """The environment variable of a setting: ``port`` -> ``SLOTBOT_PORT``."""
    return f"SLOTBOT_{field.upper()}"


def _problem(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
    if not loc:  # a check across settings: its message names them
        return message
    message = message[:1].lower() + message[1:]
    value = error.get("input")
    secret = any(word in loc[0] for word in _UNSHOWN)
    shown = f" (got {value!r})" if isinstance(value, str | int) and value != "" else ""
    return f"{env_name(loc[0])}: {message}{'' if secret else shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raises :class:`ConfigError` naming each wrong one."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError("; ".join(_problem(e) for e in error.errors())) from None
    except SettingsError as error:  # a value that is not even JSON, for a list setting
        field = next((name for name in Settings.model_fields if f'"{name}"' in str(error)), "")
        hint = _HINTS.get(field, "see the README")
        raise ConfigError(f"{env_name(field)}: cannot read the value; give {hint}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; raises :class:`ConfigError`."""
    return load_settings()
