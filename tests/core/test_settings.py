"""Settings: environment with the SLOTBOT_ prefix, and no placeholder secrets in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from slotbot.core.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults_need_no_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLOTBOT_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.environment == "development"


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", "postgresql+asyncpg://db/shop")
    monkeypatch.setenv("SLOTBOT_ALLOWED_ORIGINS", '["https://clinic.example"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+asyncpg://db/shop"
    assert settings.allowed_origins == ["https://clinic.example"]


@pytest.mark.parametrize("secret", ["dev-secret-key", "changeme", "short"])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="SLOTBOT_SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key=secret)  # type: ignore[call-arg]


def test_production_needs_a_webhook_secret_for_a_webhook() -> None:
    with pytest.raises(ValidationError, match="SLOTBOT_WEBHOOK_SECRET"):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            environment="production",
            secret_key="x" * 40,
            telegram_token="123:abc",
            public_url="https://shop.example",
        )
    ok = Settings(_env_file=None, environment="production", secret_key="x" * 40)  # type: ignore[call-arg]
    assert ok.environment == "production"
