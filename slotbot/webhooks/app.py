"""The FastAPI application: the composition root of the web process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from slotbot import __version__
from slotbot.core.jobs import build_scheduler
from slotbot.core.settings import Settings
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.schema import ensure_current
from slotbot.webhooks.notifications import dispatching
from slotbot.webhooks.routes import availability, health, notify


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] | None = None, jobs: bool = True
) -> FastAPI:
    """Wire settings, database, periodic jobs and routes into one app.

    ``clock`` overrides "now" in tests; ``jobs=False`` leaves the scheduler out.
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
        outbox = AsyncExitStack()  # the dispatcher's senders, closed after the scheduler
        dispatcher = (
            await outbox.enter_async_context(dispatching(engine, settings)) if jobs else None
        )
        scheduler = build_scheduler(
            engine, dispatcher=dispatcher, **({"clock": clock} if clock else {})
        )
        app.state.scheduler = scheduler
        if jobs:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await outbox.aclose()
            await engine.dispose()

    app = FastAPI(title="slotbot", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )
    app.include_router(health.router)
    app.include_router(availability.router)
    app.include_router(notify.router)
    return app
