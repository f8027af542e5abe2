"""The SQLite engine's own plumbing: WAL, foreign keys, IMMEDIATE writers, clean returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from slotbot.core.storage.db import create_engine, write_transaction, writer


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'plumbing.db'}"


async def test_pragmas(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_writers_begin_immediate(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with writer(engine) as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        async with write_transaction(engine) as connection:
            # a reserved lock is taken at BEGIN: another connection cannot start writing
            other = create_engine(sqlite_url)
            try:
                async with other.connect() as second:
                    await second.execute(text("PRAGMA busy_timeout=0"))
                    with pytest.raises(Exception, match="locked"):
                        await second.execute(text("INSERT INTO t VALUES (1)"))
            finally:
                await other.dispose()
            await connection.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        await engine.dispose()


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url, pool_size=1, max_overflow=0)
    try:
        async with writer(engine) as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.execute_fetchall("BEGIN IMMEDIATE")  # behind SQLAlchemy's back
            await driver.execute_fetchall("INSERT INTO t VALUES (1)")
        # the pool's reset rolled it back: the write lock is free and the row is gone
        async with asyncio.timeout(5), write_transaction(engine) as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await engine.dispose()
