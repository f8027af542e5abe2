"""Running the real bot against the stand-in, marking each update when the bot is done with it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from slotbot.bot import AnyApplication, Conversation, build_application, running
from slotbot.core.settings import Settings
from tests.bot.botapi import BotApi

__all__ = ["polling"]


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
