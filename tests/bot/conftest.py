"""The real python-telegram-bot Application polling the loopback Bot API stand-in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from slotbot.bot import AnyApplication, Conversation, build_application, running
from slotbot.core.settings import Settings, get_settings
from tests.bot.botapi import TOKEN, BotApi

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


@contextlib.asynccontextmanager
async def polling(
    settings: Settings, api: BotApi, dialogs: Conversation
) -> AsyncIterator[AnyApplication]:
    """The bot over ``dialogs``, long-polling ``api``; each finished update is marked there."""
    application = build_application(settings, dialogs)

    async def finished(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        api.mark_handled(update.update_id)

    application.add_handler(TypeHandler(Update, finished), group=1)
    async with running(application, poll_timeout=timedelta(seconds=1)):
        yield application


@pytest.fixture
def run_bot(bot_settings: Settings, botapi: BotApi) -> Run:
    """``async with run_bot(dialogs) as application:`` the bot runs."""

    def start(dialogs: Conversation) -> Any:
        return polling(bot_settings, botapi, dialogs)

    return start
