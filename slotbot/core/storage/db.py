"""The async engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import await_only

from slotbot.core.settings import ConfigError
from slotbot.core.storage import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
#: Connections a process keeps open to PostgreSQL (SQLAlchemy's default overflow of 10 more
#: come and go in a burst). As many as a serve process uses at once when busy: the bot's
#: concurrent updates with one connection each (:func:`turn_capacity`), and the web
#: requests and jobs beside them. Fewer, and connections are opened and closed all the time
#: under load, each costing far more CPU than the queries it carries (measured: 94 opened
#: for 430 Telegram updates with the default 5, 20 ms of CPU per update against 15.6 ms with
#: 15; bench/dialog.py).
POSTGRES_POOL_SIZE = 15
#: Pooled connections a process leaves to what runs beside its dialog turns (the
#: notification dispatcher, periodic jobs, a web request).
POOL_HEADROOM = 2


class DatabaseUnavailable(ConfigError):
    """The database of ``SLOTBOT_DATABASE_URL`` cannot be opened; says what to check."""


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    """Whether a URL or an engine speaks SQLite."""
    if isinstance(url_or_engine, AsyncEngine):
        return url_or_engine.dialect.name == "sqlite"
    return url_or_engine.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``; on SQLite with WAL, foreign keys and explicit BEGIN.

    SQLite transactions start with ``BEGIN`` (deferred) unless the connection carries the
    execution option ``sqlite_begin="IMMEDIATE"``, which writers that must check-then-insert
    use (see :func:`writer`); pysqlite's own implicit transaction handling is switched off.
    """
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        kwargs.setdefault("pool_reset_on_return", None)  # see _on_reset
        if make_url(url).get_driver_name() == "aiosqlite":  # one thread trip per statement
            kwargs.setdefault("module", sqlite_driver.dbapi())
    else:
        # No pre-ping (a round trip per checkout); recycle instead, and let a dropped
        # connection fail one request rather than tax every request.
        kwargs.setdefault("pool_recycle", 1800)
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", POSTGRES_CONNECT_TIMEOUT_S)
    engine = create_async_engine(url, echo=echo, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
    elif engine.dialect.driver == "asyncpg":
        event.listen(engine.sync_engine, "checkin", _transactions_again)
    return engine


def _transactions_again(dbapi_connection: Any, _record: Any) -> None:
    """A connection back in the pool begins transactions again: a unit of work reads
    without one (:mod:`slotbot.core.storage.unit_of_work`) until it writes, if it does."""
    if dbapi_connection is not None:
        dbapi_connection.autocommit = False


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    # Every call through aiosqlite is a round trip to its thread (a statement takes one,
    # :mod:`sqlite_driver`); on a busy write path those add up. So a deferred BEGIN travels
    # with the transaction's first statement (SQLite defers its snapshot to the first read
    # anyway); BEGIN IMMEDIATE, which takes the write lock, goes straight to the driver (one
    # round trip), as every BEGIN does on a stock connection. A connection going back to the
    # pool is rolled back only when it is in a transaction (usually it is not: the
    # transaction was committed).

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        adapted = connection.connection.dbapi_connection
        if mode == "DEFERRED" and isinstance(adapted, sqlite_driver.OneTripConnection):
            adapted.begin_with_next(mode)
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        await_only(driver.execute_fetchall(f"BEGIN {mode}"))

    @event.listens_for(engine.sync_engine.pool, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()
        elif (
            isinstance(dbapi_connection, sqlite_driver.OneTripConnection)
            and dbapi_connection.begin_pending
        ):
            dbapi_connection.rollback()  # drops the BEGIN not sent yet, without a trip


async def check_database(engine: AsyncEngine) -> None:
    """Open one connection; raise :class:`DatabaseUnavailable` with a one-line reason
    (missing folder, server not listening, unknown database, login refused) otherwise."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise DatabaseUnavailable(
                f"{_SETTING}: the folder {folder} does not exist; create it or change the URL"
            )
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # what a driver raises on connect differs per driver
        raise DatabaseUnavailable(_unavailable(url, error)) from None


_SETTING = "SLOTBOT_DATABASE_URL"


def _unavailable(url: URL, error: Exception) -> str:
    cause: BaseException = getattr(error, "orig", None) or error
    reason = " ".join(str(cause).split()) or type(cause).__name__
    where = _SETTING
    if url.get_backend_name() == "sqlite":
        return f"{where}: cannot open the SQLite file {url.database}: {reason}"
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    state = getattr(cause, "sqlstate", None)
    if state == "3D000":  # invalid_catalog_name
        return (
            f"{where}: the database {url.database!r} does not exist on {server};"
            f" create it (createdb {url.database}) or change the URL"
        )
    if state in ("28000", "28P01"):  # invalid authorization, invalid password
        return f"{where}: PostgreSQL at {server} refused the login: {reason}"
    if isinstance(cause, OSError | TimeoutError):
        return (
            f"{where}: cannot reach PostgreSQL at {server} ({reason});"
            " is the server running, and are host and port right?"
        )
    return f"{where}: cannot open the database at {server}: {reason}"


def turn_capacity(engine: AsyncEngine) -> int:
    """How many dialog turns may run at once on ``engine`` (the bot's concurrent updates).

    A turn's unit of work holds one pooled connection at a time, so: the pool's size less
    :data:`POOL_HEADROOM`, and at least one. The pool's overflow is not counted on: it
    opens and closes a connection per use, which costs more than the turn's queries. A
    pool without a size (one shared connection, or none kept) allows one turn at a time.
    """
    pool = engine.sync_engine.pool
    size = pool.size() if isinstance(pool, QueuePool) else 1
    return max(1, size - POOL_HEADROOM)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def writer_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, but SQLite transactions begin IMMEDIATE (take the write lock first).

    Used for check-then-write transactions so that two writers never both pass the check.
    On PostgreSQL it is the engine itself; constraints and row locks do that job there.
    """
    if is_sqlite(engine):
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


_sqlite_write_locks: weakref.WeakKeyDictionary[object, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sqlite_write_lock(engine: AsyncEngine) -> asyncio.Lock:
    """One lock per connection pool: writers of this process queue here, woken in order,
    instead of polling SQLite's busy handler (which sleeps up to 100 ms a turn)."""
    pool = engine.sync_engine.pool
    lock = _sqlite_write_locks.get(pool)
    if lock is None:
        lock = _sqlite_write_locks[pool] = asyncio.Lock()
    return lock


_sqlite_writers: weakref.WeakKeyDictionary[object, asyncio.Task[Any]] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def sqlite_write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """This process's turn to write to a SQLite database (nothing on PostgreSQL).

    A task that already holds the turn and asks again would wait for itself forever (a
    write through the engine inside a unit of work that is writing): that is refused with
    a ``RuntimeError`` saying so, instead."""
    if not is_sqlite(engine):
        yield
        return
    pool = engine.sync_engine.pool
    task = asyncio.current_task()
    if task is not None and _sqlite_writers.get(pool) is task:
        raise RuntimeError("this task is writing in a unit of work already: pass uow= to the write")
    async with _sqlite_write_lock(engine):
        if task is not None:
            _sqlite_writers[pool] = task
        try:
            yield
        finally:
            _sqlite_writers.pop(pool, None)


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Like :func:`writer`, for Core statements: a connection in one write transaction."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(sqlite_write_turn(engine))
        yield await stack.enter_async_context(writer_engine(engine).begin())


@asynccontextmanager
async def writer(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session in one write transaction: committed on success, rolled back on error.

    On SQLite the transaction begins IMMEDIATE; writers of one process also take turns on an
    in-process lock. Other processes are still kept out by SQLite's own lock.
    """
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(sqlite_write_turn(engine))
        session = await stack.enter_async_context(session_factory(writer_engine(engine))())
        await stack.enter_async_context(session.begin())
        yield session
