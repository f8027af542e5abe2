"""The FastAPI application: its routes, middleware and state. What serves it (database,
dialog, jobs, the bot) comes up in the lifespan that ``slotbot.bootstrap`` hands in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from slotbot import __version__
from slotbot.core.limits import TELEGRAM_BODY_MAX, WEB_BODY_MAX
from slotbot.core.settings import Settings
from slotbot.core.storage.shared import process_identity
from slotbot.web import errors
from slotbot.web.guards import BodyLimit, WidgetLimits
from slotbot.web.log_privacy import HideReviewTokens
from slotbot.web.parameters import RefuseControlCharacters
from slotbot.web.routes import availability, health, notify, site, telegram, widget
from slotbot.web.widget_log import Hub

__all__ = ["Lifespan", "build_app"]

#: What brings up the app's engine, dialogs, jobs and bot, and takes them down again: it
#: sets ``app.state.engine``, ``deliveries``, ``sessions``, ``dialogs``, ``widget_limiter``,
#: ``scheduler`` (and ``telegram`` while a webhook bot runs).
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

DESCRIPTION = """\
Booking of specialists by conversation. The public API under `/api/v1/` answers which
services and specialists there are and when they are free (read-only, no authentication);
the widget API under `/api/v1/widget/` carries the chat widget's conversation.
"""


def build_app(
    settings: Settings,
    *,
    lifespan: Lifespan,
    clock: Callable[[], datetime] | None = None,
    widget_limits: WidgetLimits | None = None,
    demo_page: bool = False,
) -> FastAPI:
    """The routes and middleware over ``settings`` (``slotbot.bootstrap.create_app`` says
    what the options mean)."""
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
    app.include_router(telegram.router)  # first: the most requests, matched in one try
    app.include_router(health.router)
    app.include_router(availability.router)
    app.include_router(widget.router)
    app.include_router(site.router)
    app.include_router(notify.router)
    return app
