"""The FastAPI application: the composition root of the web process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from slotbot import __version__
from slotbot.core.jobs import JobLeases, build_scheduler
from slotbot.core.limits import TELEGRAM_BODY_MAX, WEB_BODY_MAX
from slotbot.core.settings import Settings, get_settings
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.schema import ensure_current
from slotbot.core.storage.shared import process_identity
from slotbot.dialogs.engine import Dialogs
from slotbot.web import errors, telegram
from slotbot.web.guards import BodyLimit, WidgetLimits, limiter_for
from slotbot.web.log_privacy import HideReviewTokens
from slotbot.web.notifications import dispatching
from slotbot.web.parameters import RefuseControlCharacters
from slotbot.web.routes import availability, health, notify, site, widget
from slotbot.web.routes import telegram as telegram_route
from slotbot.web.widget_log import Hub

DESCRIPTION = """\
Booking of specialists by conversation. The public API under `/api/v1/` answers which
services and specialists there are and when they are free (read-only, no authentication);
the widget API under `/api/v1/widget/` carries the chat widget's conversation.
"""


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    jobs: bool = True,
    widget_limits: WidgetLimits | None = None,
    demo_page: bool = False,
) -> FastAPI:
    """Wire settings, database, dialog, periodic jobs and routes into one app.

    ``clock`` overrides "now" in tests; ``jobs=False`` leaves the scheduler out;
    ``widget_limits`` replaces the widget API's rate limits (benchmarks); ``demo_page`` puts
    the demo clinic's page with the widget at ``/`` (``slotbot demo``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, echo=settings.database_echo)
        try:
            await ensure_current(engine)  # refuse to serve an old schema: say so at start
        except Exception:
            await engine.dispose()
            raise
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.dialogs = Dialogs(
            engine, sms_ready=bool(settings.sms_api_url), link_secret=settings.secret_key,
            **({"clock": clock} if clock else {}),
        )  # fmt: skip
        app.state.widget_limiter = limiter_for(engine, app.state.widget_limits)
        leases = JobLeases(engine, app.state.process)
        async with AsyncExitStack() as stack:  # closed in reverse: Telegram, the jobs, ...
            stack.push_async_callback(engine.dispose)
            stack.push_async_callback(leases.stop)  # handed back to the other processes
            await app.state.widget_hub.listen(engine)
            stack.push_async_callback(app.state.widget_hub.close)
            dispatcher = (
                await stack.enter_async_context(
                    dispatching(engine, settings, widget_hub=app.state.widget_hub)
                )
                if jobs
                else None
            )
            scheduler = build_scheduler(
                engine, dispatcher=dispatcher, leases=leases,
                **({"clock": clock} if clock else {}),
            )  # fmt: skip
            app.state.scheduler = scheduler
            if jobs:
                scheduler.start()
                stack.callback(scheduler.shutdown, wait=False)
                stack.push_async_callback(leases.stop)  # runs under way end before shutdown
            await stack.enter_async_context(telegram.serving(app, settings))
            yield

    app = FastAPI(title="slotbot", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    app.state.demo_page = demo_page
    app.state.process = process_identity()  # in the leases of jobs that run once
    app.state.widget_limits = widget_limits or WidgetLimits()
    app.state.widget_hub = Hub()
    app.state.widget_turns = {}
    app.state.telegram = None
    errors.install(app)
    if settings.allowed_origins:
        # Tokens travel in a header and no cookies are used: never allow credentials.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "Last-Event-ID"],
            max_age=600,
        )
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(
        BodyLimit,
        limits={"/api/v1/widget/": WEB_BODY_MAX, "/telegram/": TELEGRAM_BODY_MAX},
        default=WEB_BODY_MAX,
    )
    app.add_middleware(HideReviewTokens)  # the outermost: before any answer is logged
    app.include_router(health.router)
    app.include_router(availability.router)
    app.include_router(widget.router)
    app.include_router(site.router)
    app.include_router(telegram_route.router)
    app.include_router(notify.router)
    return app


def serve_app() -> FastAPI:
    """The app of one ``slotbot serve --workers N`` process, from the environment's
    settings (uvicorn calls this in each worker process it starts)."""
    return create_app(get_settings())
