"""Wiring the outbox dispatcher into a process: its senders from the settings (Telegram
through the given bot, or one of its own when a token is set), closed on the way out."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.error import TelegramError

from slotbot.bot import TelegramSender
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.senders import links_from_settings, senders_from_settings
from slotbot.core.settings import Settings
from slotbot.core.storage.models import NotificationChannel
from slotbot.web.widget_log import Hub, WidgetLogSender

__all__ = ["dispatching"]

log = logging.getLogger("slotbot.notify")


@contextlib.asynccontextmanager
async def dispatching(
    engine: AsyncEngine,
    settings: Settings,
    *,
    bot: Bot | None = None,
    widget_hub: Hub | None = None,
) -> AsyncIterator[Dispatcher]:
    """A dispatcher over the configured channels; unconfigured ones go to ``/outbox``. The
    widget's log is always there (``widget_hub`` wakes this process's widget streams)."""
    own: Bot | None = None
    if bot is None and settings.telegram_token:
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        own = Bot(settings.telegram_token, base_url=settings.telegram_api_url)
        try:
            await own.initialize()
        except TelegramError as error:
            log.error("Telegram notifications off: %s", error)
            own = None
        bot = own
    senders = {
        **senders_from_settings(settings, telegram=TelegramSender(bot) if bot else None),
        NotificationChannel.WEB: WidgetLogSender(engine, hub=widget_hub),
    }
    dispatcher = Dispatcher(engine, senders, links=links_from_settings(settings, chat_buttons=True))
    try:
        yield dispatcher
    finally:
        await dispatcher.aclose()
        if own is not None:
            await own.shutdown()
