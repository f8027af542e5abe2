"""The python-telegram-bot Application: one factory for long polling and webhooks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import BotCommand
from telegram.ext import Application

from slotbot.bot._calls import deliver
from slotbot.bot._handlers import AnyApplication, ChatHandlers, Conversation
from slotbot.bot._show import Presenter
from slotbot.bot._transport import AiohttpRequest
from slotbot.core.settings import Settings
from slotbot.dialogs.commands import command_menu

__all__ = ["MENU", "build_application", "register_commands", "running"]

#: The command menu per language ("" is every language without its own menu).
MENU: dict[str, tuple[tuple[str, str], ...]] = {
    language: tuple(entries) for language, entries in command_menu().items()
}


async def register_commands(application: AnyApplication) -> None:
    """Publish the command menu in English (the default) and Russian."""
    for language, entries in MENU.items():
        commands = [BotCommand(name, description) for name, description in entries]
        await deliver(
            lambda c=commands, code=language: application.bot.set_my_commands(  # type: ignore[misc]
                c, language_code=code or None
            ),
            what=f"setMyCommands {language or 'default'}",
        )


def build_application(
    settings: Settings, dialogs: Conversation, *, polling: bool = True
) -> AnyApplication:
    """The bot over ``dialogs``, long polling for updates; without ``polling`` the bot
    alone, with no updater and no handlers (webhook mode: the updates that Telegram posts
    go to a :class:`~slotbot.bot.WebhookUpdates` over ``application.bot``)."""
    # Time periods as timedelta (PTB 23's behaviour); otherwise PTB 22 warns on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .concurrent_updates(dialogs.turns_at_once)  # as many as the handlers take
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connections=1))
    )
    if not polling:
        return builder.updater(None).build()
    application = builder.build()
    ChatHandlers(dialogs, Presenter(application.bot)).install(application)
    return application


@contextlib.asynccontextmanager
async def running(
    application: AnyApplication,
    *,
    poll_timeout: timedelta = timedelta(seconds=10),
    announce: bool = True,
) -> AsyncIterator[AnyApplication]:
    """Start the bot (the menu registered unless not ``announce``: another process of the
    same bot did it; long polling when it has an updater), stop it after."""
    await application.initialize()
    try:
        if announce:
            await register_commands(application)
        await application.start()
        if application.updater is not None:
            await application.updater.start_polling(timeout=poll_timeout)
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
