"""Process settings from the environment (prefix ``SLOTBOT_``, ``.env`` honoured)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./slotbot.db"
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "dev-secret-key"}


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
    port: int = 8000

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key.strip().lower() in _PLACEHOLDERS or len(self.secret_key) < 32:
            problems.append("SLOTBOT_SECRET_KEY must be a random string of at least 32 characters")
        if self.public_url and self.telegram_token and not self.webhook_secret:
            problems.append("SLOTBOT_WEBHOOK_SECRET is required for a Telegram webhook")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
