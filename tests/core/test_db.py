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


async def test_a_statement_is_one_trip_to_aiosqlites_thread(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows, row counts, last row ids and errors come back as SQLAlchemy's own cursor gave
    them, each statement in one call on aiosqlite's thread (sqlite_driver)."""
    engine = create_engine(sqlite_url)
    calls: list[str] = []
    try:
        async with writer(engine) as session:
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)"))
        async with write_transaction(engine) as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            stock = type(driver)._execute

            async def counted(self: object, fn: object, *args: object) -> object:
                calls.append(getattr(fn, "__name__", ""))
                return await stock(self, fn, *args)  # type: ignore[arg-type]

            monkeypatch.setattr(type(driver), "_execute", counted)
            inserted = await connection.execute(text("INSERT INTO t (x) VALUES (5), (6)"))
            assert (inserted.rowcount, inserted.lastrowid) == (2, 2)
            many = await connection.execute(text("UPDATE t SET x = x + :n"), [{"n": 1}, {"n": 2}])
            assert many.rowcount == 4
            rows = await connection.execute(text("SELECT id, x FROM t ORDER BY id"))
            assert list(rows.keys()) == ["id", "x"]
            assert rows.all() == [(1, 8), (2, 9)]
            assert calls == ["_execute"] * 3
            with pytest.raises(Exception, match="no such table"):
                await connection.execute(text("SELECT * FROM missing"))
    finally:
        await engine.dispose()
