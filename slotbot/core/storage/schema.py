"""Bring a database to the newest schema with the packaged Alembic migrations, and the
lock that makes migrations and imports of several processes take turns."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from slotbot.core.storage.db import is_sqlite, write_transaction

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_LOCK_KEY = 0x5107_B07
"""The PostgreSQL advisory lock taken by migrations and imports (any 64-bit number that
nothing else on the server uses)."""


@asynccontextmanager
async def schema_lock(
    engine: AsyncEngine, *, shared: bool = False
) -> AsyncIterator[AsyncConnection]:
    """A connection in one transaction (committed on success) that runs alone among the
    migrations and imports of every process on this database, or, ``shared``, at least
    not during one (to read the schema's version).

    PostgreSQL: a transaction-scoped advisory lock, taken first thing. SQLite: ``flock`` on
    ``<database>.lock`` beside the file, and an exclusive user writes in a ``BEGIN
    IMMEDIATE`` transaction. Whoever comes second waits for the first to finish, so several
    ``init-db`` or ``import`` started at once all succeed, one after the other.
    """
    async with AsyncExitStack() as stack:
        if is_sqlite(engine):
            path = engine.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                await stack.enter_async_context(_file_lock(Path(f"{path}.lock"), shared=shared))
            if shared:
                connection = await stack.enter_async_context(engine.begin())
            else:
                connection = await stack.enter_async_context(write_transaction(engine))
        else:
            connection = await stack.enter_async_context(engine.begin())
            how = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
            await connection.execute(text(f"SELECT {how}(:key)"), {"key": SCHEMA_LOCK_KEY})
        yield connection


@asynccontextmanager
async def _file_lock(path: Path, *, shared: bool) -> AsyncIterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's own locking alone
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # flock blocks: wait in a thread so the event loop keeps running meanwhile
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def alembic_config(url: str = "") -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _run(engine: AsyncEngine, step: Callable[[Config, str], None], revision: str) -> None:
    async with schema_lock(engine) as connection:

        def _step(sync_connection: object) -> None:
            config = alembic_config()
            config.attributes["connection"] = sync_connection
            step(config, revision)

        await connection.run_sync(_step)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on ``engine``."""
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo the migrations down to ``revision`` (``"base"``: an empty database)."""
    await _run(engine, command.downgrade, revision)


class SchemaNotReady(RuntimeError):
    """The database is missing or behind the code's migrations."""


def _current(sync_connection: object) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(sync_connection).get_current_revision()  # type: ignore[arg-type]


async def ensure_current(engine: AsyncEngine) -> None:
    """Raise :class:`SchemaNotReady` unless the database is at the newest migration."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with schema_lock(engine, shared=True) as connection:
        current = await connection.run_sync(_current)
    if current != head:
        state = "has no schema" if current is None else f"is at {current}, the code at {head}"
        raise SchemaNotReady(f"the database {state}: run `slotbot init-db` first")
