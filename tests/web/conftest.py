"""The small shop of the command-line tests and the Bot API stand-in, for the web tests; and
the web app over that shop, asked through httpx at a fixed time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from slotbot.bootstrap import create_app
from slotbot.core.importing.importer import import_file
from slotbot.core.settings import Settings
from slotbot.core.storage.db import create_engine
from tests.cli.conftest import botapi, shop, shop_file, use_database

__all__ = ["NOW", "botapi", "client", "shop", "shop_file", "use_database"]

NOW = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
async def client(database_url: str, shop_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app over the small shop, with the clock at :data:`NOW` and no periodic jobs."""
    engine = create_engine(database_url)
    await import_file(engine, shop_file)
    await engine.dispose()
    app = create_app(Settings(database_url=database_url), clock=lambda: NOW, jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
