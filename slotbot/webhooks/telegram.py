"""Telegram in the web process: with a token the bot runs beside the app. With a public URL
as well, Telegram is told to post updates to our webhook (``setWebhook`` with the secret);
without one the bot polls (``slotbot demo`` on a laptop)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from slotbot.core.settings import Settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def serving(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Run the bot for the app's lifetime when a token is set."""
    if not settings.telegram_token:
        yield
        return
    from slotbot.bot import build_application, running
    from slotbot.webhooks.routes.telegram import PATH

    if not settings.public_url:
        async with running(build_application(settings, app.state.dialogs, polling=True)):
            log.info("Telegram: long polling (no SLOTBOT_PUBLIC_URL for a webhook)")
            yield
        return
    application = build_application(settings, app.state.dialogs, polling=False)
    async with running(application):
        url = settings.public_url.rstrip("/") + PATH
        await application.bot.set_webhook(
            url, secret_token=settings.webhook_secret or None, drop_pending_updates=False
        )
        log.info("Telegram posts updates to %s", url)
        app.state.telegram = application
        try:
            yield
        finally:
            app.state.telegram = None
