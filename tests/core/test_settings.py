"""Settings: environment with the SLOTBOT_ prefix; no placeholder or weak secrets in production,
only secrets Telegram takes, and the trusted proxies as addresses and networks."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from slotbot.core.secret_strength import SECRET_KEY, WEBHOOK_SECRET, estimated_bits
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


def production(**values: str) -> Settings:
    return Settings(_env_file=None, environment="production", **values)  # type: ignore[call-arg]


GOOD_KEY = secrets.token_urlsafe(32)
WEBHOOK = {"telegram_token": "123:abc", "public_url": "https://shop.example"}


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("dev-secret-key", "is a placeholder"),  # the development default
        ("changeme", "is a placeholder"),
        ("", "is not set"),
        ("short", "is too short (5 characters, at least 32 needed)"),
        (secrets.token_urlsafe(16), "is too short"),  # random, but 22 characters
        ("a" * 32, "is too predictable"),
        ("a" * 64, "is too predictable"),
        ("ab" * 20, "is too predictable"),
        ("abcd" * 10, "is too predictable"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "is too predictable"),  # one long run
        ("Password123!Password123!Password", "is too predictable"),
        ("0" * 31 + "123456789", "is too predictable"),
    ],
)
def test_production_refuses_weak_secret_keys(secret: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        production(secret_key=secret)
    message = str(refused.value)
    assert f"SLOTBOT_SECRET_KEY {why}" in message
    assert "secrets.token_urlsafe(32)" in message  # says how to make a good one


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex])
def test_generated_secret_keys_always_pass(make: Callable[[int], str]) -> None:
    for _ in range(2000):
        key = make(32)
        assert SECRET_KEY.problem(key) is None, key
    assert production(secret_key=GOOD_KEY).secret_key == GOOD_KEY


def test_the_estimate_errs_low() -> None:
    assert estimated_bits("") == 0
    assert estimated_bits("a" * 100) == 0
    assert estimated_bits("abcdefghijklmnopqrstuvwxyz") < 5  # a run counts once
    assert estimated_bits(secrets.token_urlsafe(32)) > 120


def test_production_needs_a_webhook_secret_for_a_webhook() -> None:
    with pytest.raises(ValidationError, match="SLOTBOT_WEBHOOK_SECRET is not set"):
        production(secret_key=GOOD_KEY, **WEBHOOK)
    assert production(secret_key=GOOD_KEY).environment == "production"  # no webhook, no need


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("changeme", "is a placeholder"),
        ("Ab3-Ab3-Ab3-Ab3", "is too short (15 characters, at least 16 needed)"),
        ("a" * 16, "is too predictable"),
        ("abab" * 10, "is too predictable"),
        ("abcdefghijklmnop", "is too predictable"),
    ],
)
def test_production_refuses_weak_webhook_secrets(secret: str, why: str) -> None:
    with pytest.raises(ValidationError, match=f"SLOTBOT_WEBHOOK_SECRET {re.escape(why)}"):
        production(secret_key=GOOD_KEY, webhook_secret=secret, **WEBHOOK)


@pytest.mark.parametrize(
    "secret",
    ["tele gram-secret-1234", "secret/token/123456", "ключ" * 5, "x" * 257, "abc=def+ghi/jkl0123"],
)
def test_webhook_secrets_telegram_would_refuse_are_refused_everywhere(secret: str) -> None:
    for environment in ("development", "production"):
        with pytest.raises(ValidationError, match="A-Z, a-z, 0-9, _ and -"):
            Settings(
                _env_file=None,
                environment=environment,
                secret_key=GOOD_KEY,  # type: ignore[call-arg]
                webhook_secret=secret,
                **WEBHOOK,
            )


def test_good_webhook_secrets_pass() -> None:
    for make in (lambda: secrets.token_urlsafe(32), lambda: secrets.token_urlsafe(12)):
        for _ in range(2000):
            secret = make()
            assert WEBHOOK_SECRET.problem(secret) is None, secret
    secret = secrets.token_urlsafe(32)
    assert production(secret_key=GOOD_KEY, webhook_secret=secret, **WEBHOOK).webhook_secret
    assert production(secret_key=GOOD_KEY, webhook_secret="x" * 256)  # the longest allowed


def test_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).trusted_proxies == []  # type: ignore[call-arg]
    monkeypatch.setenv("SLOTBOT_TRUSTED_PROXIES", '["10.0.0.5", "10.1.2.3/16", "::1", "*x"]')
    with pytest.raises(ValidationError, match="'\\*x' is not an IP address or network"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("SLOTBOT_TRUSTED_PROXIES", '["10.0.0.5", "10.1.2.3/16", "::1/128"]')
    read = Settings(_env_file=None)  # type: ignore[call-arg]
    assert read.trusted_proxies == ["10.0.0.5", "10.1.0.0/16", "::1"]
    monkeypatch.setenv("SLOTBOT_TRUSTED_PROXIES", '["*"]')
    assert Settings(_env_file=None).trusted_proxies == ["*"]  # type: ignore[call-arg]
