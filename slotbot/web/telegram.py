"""Telegram in the web process: with a token the bot runs beside the app. With a public URL
as well, Telegram is told to post updates to our webhook (``setWebhook`` with the secret);
without one the bot polls (``slotbot demo`` on a laptop).

With a webhook every process runs the bot (an update may come to any of them), but only
one of the processes that start together registers the webhook and the command menu: the
one that takes the lease named after the webhook's address and secret. So N processes make
one ``setWebhook``, and changing the address or the secret registers again at once."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from slotbot.core.settings import Settings
from slotbot.core.storage.shared import take_lease

log = logging.getLogger(__name__)

#: Processes that start within this long of the one that registered the webhook leave it.
REGISTERED_FOR = timedelta(minutes=1)


async def _registers(app: FastAPI, url: str, secret: str) -> bool:
    """Whether this process is the one to register ``url`` (see the module's docstring)."""
    fingerprint = hashlib.sha256(f"{url}\n{secret}".encode()).hexdigest()[:16]
    return await take_lease(
        app.state.engine, f"telegram-webhook:{fingerprint}", holder=app.state.process,
        ttl=REGISTERED_FOR, now=datetime.now(UTC),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def serving(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Run the bot for the app's lifetime when a token is set."""
    if not settings.telegram_token:
        yield
        return
    from slotbot.bot import build_application, running
    from slotbot.web.routes.telegram import PATH

    if not settings.public_url:
        async with running(build_application(settings, app.state.dialogs, polling=True)) as bot:
            app.state.dialogs.telegram_username = bot.bot.username or ""
            log.info("Telegram: long polling (no SLOTBOT_PUBLIC_URL for a webhook)")
            yield
        return
    application = build_application(settings, app.state.dialogs, polling=False)
    url = settings.public_url.rstrip("/") + PATH
    registers = await _registers(app, url, settings.webhook_secret)
    async with running(application, announce=registers):
        app.state.dialogs.telegram_username = application.bot.username or ""
        if registers:
            await application.bot.set_webhook(
                url, secret_token=settings.webhook_secret or None, drop_pending_updates=False
            )
            log.info("Telegram posts updates to %s", url)
        app.state.telegram = application
        try:
            yield
        finally:
            app.state.telegram = None
