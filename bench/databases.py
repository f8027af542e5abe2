"""A database of its own for a benchmark: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from slotbot.core.storage.db import create_engine


@asynccontextmanager
async def own_database(server: str | None, folder: Path) -> AsyncIterator[str]:
    """A SQLite file in ``folder``, or a fresh database on the PostgreSQL ``server``
    (created here and dropped afterwards)."""
    if server is None:
        yield f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        return
    name = f"slotbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
