"""The real python-telegram-bot Application polling the loopback Bot API stand-in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from slotbot.bot import AnyApplication, Conversation
from slotbot.core.settings import Settings, get_settings
from tests.bot.botapi import TOKEN, BotApi
from tests.bot.harness import polling

Run = Callable[[Conversation], contextlib.AbstractAsyncContextManager[AnyApplication]]


@pytest.fixture
async def botapi() -> AsyncIterator[BotApi]:
    """The stand-in, serving on 127.0.0.1; no request may break the Bot API's rules."""
    api = BotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    assert api.violations == []


@pytest.fixture
def bot_settings(botapi: BotApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings read from the environment, pointing at the stand-in."""
    monkeypatch.setenv("SLOTBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SLOTBOT_TELEGRAM_API_URL", botapi.url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def run_bot(bot_settings: Settings, botapi: BotApi) -> Run:
    """``async with run_bot(dialogs) as application:`` the bot runs."""

    def start(dialogs: Conversation) -> Any:
        return polling(bot_settings, botapi, dialogs)

    return start
