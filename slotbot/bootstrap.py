"""The one place that assembles a process (DESIGN.md section 1): the database engine, the
dialogs, the outbox's senders (SMS, e-mail, Telegram, the widget's log), the dispatcher and
the periodic jobs with their leases, for ``slotbot serve``, ``bot``, ``worker`` and ``chat``.

It stands above the channels (``web``, ``bot``, ``terminal``) and below the command line:
``cli -> bootstrap -> web, bot, terminal -> dialogs -> core``. The channels never import
each other; what joins them (the bot beside the web app, the widget's log as a sender of
the bot's process) is joined here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from slotbot.bot import TelegramSender, WebhookUpdates, build_application, running
from slotbot.core.jobs import JobLeases, build_scheduler
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.senders import links_from_settings, senders_from_settings
from slotbot.core.settings import ConfigError, Settings, get_settings
from slotbot.core.storage.db import check_database, create_engine, session_factory
from slotbot.core.storage.models import NotificationChannel
from slotbot.core.storage.schema import ensure_current
from slotbot.core.storage.shared import Deliveries, take_lease
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Visitor
from slotbot.terminal.chat import TerminalChat
from slotbot.web.app import build_app
from slotbot.web.guards import WidgetLimits, limiter_for
from slotbot.web.routes.telegram import PATH as WEBHOOK_PATH
from slotbot.web.widget_log import Hub, WidgetLogSender

__all__ = [
    "create_app",
    "database",
    "dialogs_for",
    "dispatching",
    "periodic_jobs",
    "run_bot",
    "run_chat",
    "run_worker",
    "serve",
    "serve_app",
]

log = logging.getLogger(__name__)
notify_log = logging.getLogger("slotbot.notify")
Clock = Callable[[], datetime]
Say = Callable[[str], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


#: Processes that start within this long of the one that registered the webhook leave it.
REGISTERED_FOR = timedelta(minutes=1)


@contextlib.asynccontextmanager
async def database(settings: Settings, *, current: bool = True) -> AsyncIterator[AsyncEngine]:
    """The engine on the settings' database, checked reachable (and at the newest schema
    unless not ``current``: ``init-db`` makes it so); disposed of on the way out."""
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    try:
        await check_database(engine)
        if current:
            await ensure_current(engine)  # refuse to run on an old schema: say so at start
        yield engine
    finally:
        await engine.dispose()


def dialogs_for(engine: AsyncEngine, settings: Settings, *, clock: Clock | None = None) -> Dialogs:
    """The conversation over ``engine`` as every channel of this process shares it."""
    return Dialogs(
        engine, clock=clock or _utcnow, sms_ready=bool(settings.sms_api_url),
        link_secret=settings.secret_key,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def dispatching(
    engine: AsyncEngine,
    settings: Settings,
    *,
    bot: Bot | None = None,
    widget_hub: Hub | None = None,
) -> AsyncIterator[Dispatcher]:
    """A dispatcher over the configured channels; unconfigured ones go to ``/outbox``. The
    widget's log is always there (``widget_hub`` wakes this process's widget streams).
    Telegram goes through ``bot``, or one of its own when a token is set."""
    own: Bot | None = None
    if bot is None and settings.telegram_token:
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        own = Bot(settings.telegram_token, base_url=settings.telegram_api_url)
        try:
            await own.initialize()
        except TelegramError as error:
            notify_log.error("Telegram notifications off: %s", error)
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


@contextlib.asynccontextmanager
async def periodic_jobs(
    engine: AsyncEngine,
    settings: Settings,
    *,
    start: bool = True,
    process: str | None = None,
    clock: Clock | None = None,
    bot: Bot | None = None,
    widget_hub: Hub | None = None,
) -> AsyncIterator[AsyncIOScheduler]:
    """The scheduler of housekeeping and the outbox's dispatcher, each job run where its
    lease is held (``process`` names this process in the leases). Not ``start``: built, not
    run, and no dispatcher (tests drive the jobs themselves)."""
    leases = JobLeases(engine, process)
    async with AsyncExitStack() as stack:
        # Handed back last, also when the jobs never ran: this process's other leases too
        # (the webhook registration's), so that a process starting next takes them at once.
        stack.push_async_callback(leases.stop)
        dispatcher = (
            await stack.enter_async_context(
                dispatching(engine, settings, bot=bot, widget_hub=widget_hub)
            )
            if start
            else None
        )
        scheduler = build_scheduler(
            engine, clock=clock or _utcnow, dispatcher=dispatcher, leases=leases
        )
        if start:
            scheduler.start()
            stack.callback(scheduler.shutdown, wait=False)
            stack.push_async_callback(leases.stop)  # runs under way end, leases handed back
        yield scheduler


# --- serve: the web app, the jobs and (with a token) the bot ---------------------------------


async def _registers(app: FastAPI, url: str, secret: str) -> bool:
    """Whether this process registers the webhook: with a webhook every process runs the
    bot (an update may come to any of them), but only one of the processes that start
    together calls ``setWebhook`` and ``setMyCommands``: the one that takes the lease named
    after the webhook's address and secret (a changed one registers again at once)."""
    fingerprint = hashlib.sha256(f"{url}\n{secret}".encode()).hexdigest()[:16]
    return await take_lease(
        app.state.engine, f"telegram-webhook:{fingerprint}", holder=app.state.process,
        ttl=REGISTERED_FOR, now=datetime.now(UTC),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def _telegram_beside(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """With a token the bot runs beside the app: by webhook with a public URL (Telegram is
    told to post updates there, with the secret), by long polling without one (``slotbot
    demo`` on a laptop)."""
    if not settings.telegram_token:
        yield
        return
    if not settings.public_url:
        async with running(build_application(settings, app.state.dialogs, polling=True)) as bot:
            app.state.dialogs.telegram_username = bot.bot.username or ""
            log.info("Telegram: long polling (no SLOTBOT_PUBLIC_URL for a webhook)")
            yield
        return
    application = build_application(settings, app.state.dialogs, polling=False)
    url = settings.public_url.rstrip("/") + WEBHOOK_PATH
    registers = await _registers(app, url, settings.webhook_secret)
    async with running(application, announce=registers):
        app.state.dialogs.telegram_username = application.bot.username or ""
        if registers:
            await application.bot.set_webhook(
                url, secret_token=settings.webhook_secret or None, drop_pending_updates=False
            )
            log.info("Telegram posts updates to %s", url)
        app.state.telegram = WebhookUpdates(application.bot, app.state.dialogs)
        try:
            yield
        finally:
            app.state.telegram = None


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    jobs: bool = True,
    widget_limits: WidgetLimits | None = None,
    demo_page: bool = False,
) -> FastAPI:
    """The web app with what serves it: database, dialog, periodic jobs and, with a token,
    the bot.

    ``clock`` overrides "now" in tests; ``jobs=False`` leaves the scheduler stopped;
    ``widget_limits`` replaces the widget API's rate limits (benchmarks); ``demo_page`` puts
    the demo clinic's page with the widget at ``/`` (``slotbot demo``).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:  # closed in reverse: Telegram, the jobs, ...
            engine = await stack.enter_async_context(database(settings))
            app.state.engine = engine
            app.state.deliveries = Deliveries(engine)
            stack.push_async_callback(app.state.deliveries.close)
            app.state.sessions = session_factory(engine)
            app.state.dialogs = dialogs_for(engine, settings, clock=clock)
            app.state.widget_limiter = limiter_for(engine, app.state.widget_limits)
            await app.state.widget_hub.listen(engine)
            stack.push_async_callback(app.state.widget_hub.close)
            app.state.scheduler = await stack.enter_async_context(
                periodic_jobs(
                    engine, settings, start=jobs, process=app.state.process, clock=clock,
                    widget_hub=app.state.widget_hub,
                )
            )  # fmt: skip
            await stack.enter_async_context(_telegram_beside(app, settings))
            yield

    return build_app(
        settings, lifespan=lifespan, clock=clock, widget_limits=widget_limits, demo_page=demo_page
    )


def serve_app() -> FastAPI:
    """The app of one ``slotbot serve --workers N`` process, from the environment's
    settings (uvicorn calls this in each worker process it starts)."""
    return create_app(get_settings())


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with slotbot's own messages (INFO and up) on its console."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["slotbot"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(settings: Settings, *, host: str, port: int, workers: int, demo: bool) -> None:
    """Serve the web app until stopped: one process, or ``workers`` processes that uvicorn
    starts, each building its own app from the environment's settings (:func:`serve_app`)."""
    import uvicorn

    trusted = settings.trusted_proxies
    app: Any = (
        "slotbot.bootstrap:serve_app" if workers > 1 else create_app(settings, demo_page=demo)
    )
    uvicorn.run(
        app, factory=workers > 1, workers=workers, host=host, port=port, log_level="info",
        log_config=_log_config(),
        # X-Forwarded-For is believed from SLOTBOT_TRUSTED_PROXIES alone (uvicorn's own
        # default would believe any process on this computer, and FORWARDED_ALLOW_IPS).
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or [],
    )  # fmt: skip


# --- worker, bot, chat -----------------------------------------------------------------------


async def _until_stopped() -> None:
    await asyncio.Event().wait()


async def run_worker(settings: Settings, *, ready: Say) -> None:
    """The periodic jobs and the outbox alone, until cancelled."""
    async with database(settings) as engine, periodic_jobs(engine, settings):
        ready("slotbot worker: running periodic jobs and notifications; Ctrl+C stops")
        await _until_stopped()


async def run_bot(settings: Settings, *, ready: Say) -> None:
    """The Telegram bot by long polling, with the periodic jobs, until cancelled. A token
    Telegram refuses is a :class:`ConfigError`."""
    try:
        async with database(settings) as engine:
            application = build_application(settings, dialogs_for(engine, settings))
            async with (
                running(application),
                periodic_jobs(engine, settings, bot=application.bot),
            ):
                name = application.bot.username
                ready(f"slotbot bot: @{name} is polling for updates; Ctrl+C stops")
                await _until_stopped()
    except InvalidToken as error:
        raise ConfigError(f"Telegram refused the token: {error}") from None


async def run_chat(
    settings: Settings, *, who: str, language: str, now: datetime | None = None
) -> None:
    """The client dialog in this terminal as ``who``, until the input ends (``now``: a
    fixed time for the whole chat)."""
    async with database(settings) as engine:
        dialogs = dialogs_for(engine, settings, clock=(lambda: now) if now else None)
        visitor = Visitor("terminal", who, name=who, language=language)
        await TerminalChat(dialogs, visitor).run(echo=not sys.stdin.isatty())
