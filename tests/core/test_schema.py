"""The migrations create exactly the model's schema, on every database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.models import Base


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_every_table_exists(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names


async def test_downgrade_to_nothing_and_back(engine: AsyncEngine) -> None:
    from slotbot.core.storage.schema import downgrade, ensure_current, upgrade

    await downgrade(engine, "base")
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not names & set(Base.metadata.tables)
    await upgrade(engine)
    await ensure_current(engine)
