"""Bring a database to the newest schema with the packaged Alembic migrations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str = "") -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _run(engine: AsyncEngine, step: Callable[[Config, str], None], revision: str) -> None:
    async with engine.begin() as connection:

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
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    if current != head:
        state = "has no schema" if current is None else f"is at {current}, the code at {head}"
        raise SchemaNotReady(f"the database {state}: run `slotbot init-db` first")
