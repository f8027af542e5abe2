"""A unit of work: one session whose reads come first and whose writes commit or roll back
as a whole.

A dialog turn opens one, reads through :attr:`UnitOfWork.session`, then writes (a hold, a
confirm and its outbox rows, the saved dialog session) through the core functions that take
``uow=``; leaving the ``async with`` block commits them together, and an exception rolls them
all back. Nothing written in a turn outlives a turn that failed half way, so no code has to
undo a write by hand.

How reads turn into writes differs per database:

- PostgreSQL: the reads run without a transaction (READ COMMITTED gives each statement a
  snapshot of its own either way, so they see the same; what is left out is a BEGIN and a
  COMMIT, a round trip each). The first write begins the transaction, which lasts to the
  commit. A write that is the unit's only one and a single statement (the saved session of a
  turn that wrote nothing else: ``begin_write(alone=True)``) is atomic by itself and runs
  without one; nothing may be written after it.
- SQLite: the reads run in a deferred transaction, which WAL keeps on the snapshot it began
  with and which SQLite refuses to turn into a write once another connection wrote. So the
  first write ends it and begins ``BEGIN IMMEDIATE`` on the same session and connection (one
  trip to aiosqlite's thread, :func:`~slotbot.core.storage.sqlite_driver.write_from_here`),
  in this process's write turn (:func:`~slotbot.core.storage.db.sqlite_write_turn`); reads
  after it see the database as of that moment plus the unit's own writes.

Each write through a core function runs in a savepoint of its own (:func:`write_session`),
so a refused operation (a slot just taken, a quota reached) leaves the rest of the unit as it
was and the turn goes on to say so. A write that writes nothing before it can be refused
(or writes only what is to be kept then) goes without one: a savepoint is two more
statements, each a round trip. Objects loaded before a write are expired when it begins
(as a rollback would): read them again after it, never across it.

A unit holds one pooled connection at a time, which is what sizes the bot's concurrency
(:func:`slotbot.core.storage.db.turn_capacity`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from slotbot.core.storage.db import (
    is_sqlite,
    sqlite_write_turn,
    write_transaction,
    writer,
)
from slotbot.core.storage.sqlite_driver import write_from_here

__all__ = ["UnitOfWork", "write_connection", "write_session"]


#: ``Session.info`` keys: the asyncpg connection (SQLAlchemy's adapter) reading without a
#: transaction, asyncpg's own connection under it, and whether a write has begun (a
#: connection taken after that begins one as usual).
_READING, _DRIVER, _WRITING = "slotbot_reading", "slotbot_driver", "slotbot_writing"


#: What :meth:`UnitOfWork.direct` gives where there is no driver connection to use.
_NO_DRIVER: AbstractAsyncContextManager[None] = nullcontext()


class _UnitSession(Session):
    """The sessions of units of work (their reads go without a transaction on PostgreSQL)."""


@event.listens_for(_UnitSession, "after_begin")
def _read_without_transaction(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    """On asyncpg, a unit that has not written yet sends no BEGIN: the driver's connection
    runs in autocommit until :meth:`UnitOfWork.begin_write` (the pool turns it back when the
    connection is checked in, :func:`slotbot.core.storage.db.create_engine`)."""
    if connection.dialect.driver != "asyncpg" or session.info.get(_WRITING):
        return
    adapter: Any = connection.connection.dbapi_connection
    adapter.autocommit = True
    session.info[_READING] = adapter
    session.info[_DRIVER] = connection.connection.driver_connection


class UnitOfWork:
    """One session: reads, then writes, committed on leaving ``async with`` without an
    exception and rolled back otherwise."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = AsyncSession(engine, expire_on_commit=False, sync_session_class=_UnitSession)
        #: Writes begun so far: what was read and kept (cached free time) is stale when it moved.
        self.writes = 0
        self._turn = AsyncExitStack()
        self._sealed = False  # wrote its one statement without a transaction
        self._asyncpg = engine.dialect.driver == "asyncpg"

    @property
    def writing(self) -> bool:
        """Whether a write has begun (the unit then has something to commit)."""
        return self.writes > 0

    async def begin_write(self, *, alone: bool = False) -> AsyncSession:
        """The session, ready to write in (see the module's docstring per database).

        ``alone``: this write is one statement and the unit's last; on PostgreSQL, when
        nothing was written before it, it runs without a transaction (it is atomic by
        itself) and any later write is refused with a ``RuntimeError``."""
        if self._sealed:
            raise RuntimeError("this unit of work wrote its last statement already")
        if self.writes == 0 and is_sqlite(self.engine):
            await self._turn.enter_async_context(sqlite_write_turn(self.engine))
            if self.session.in_transaction():  # the read snapshot ends, on the same connection
                await write_from_here(await self.session.connection())
                self.session.expire_all()  # what was loaded is read again, as after a rollback
            else:
                await self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        else:
            self.session.expire_all()  # what was loaded is read again, as after a rollback
            if self.writes == 0:
                info = self.session.sync_session.info
                if alone and _READING in info:
                    self._sealed = True
                else:  # the next statement begins the transaction
                    info[_WRITING] = True
                    if (reading := info.pop(_READING, None)) is not None:
                        reading.autocommit = False
        self.writes += 1
        return self.session

    def direct(self) -> AbstractAsyncContextManager[Any | None]:
        """asyncpg's connection of this unit while the unit runs without a transaction (its
        reads, or its one write ``alone``), for :class:`~slotbot.core.storage.direct.
        DirectStatement`; None otherwise (go through SQLAlchemy). A failure that is not the
        server's answer (the connection broke) invalidates the connection, as SQLAlchemy
        does with the errors it sees."""
        if not self._asyncpg or (self.writes and not self._sealed):
            return _NO_DRIVER
        return self._direct()

    @asynccontextmanager
    async def _direct(self) -> AsyncIterator[Any | None]:
        info = self.session.sync_session.info
        if _DRIVER not in info:
            await self.session.connection()  # checked out: the session event fills info
        if _READING not in info and not self._sealed:
            yield None
            return
        try:
            yield info[_DRIVER]
        except Exception as error:
            import asyncpg  # only with PostgreSQL

            if not isinstance(error, asyncpg.PostgresError):
                await (await self.session.connection()).invalidate()
            raise

    async def commit(self) -> None:
        """Commit what was written and end the unit (on PostgreSQL a unit that ran without a
        transaction has nothing to commit: it is closed, unless the ORM session holds
        changes never written, which a commit then writes)."""
        try:
            sync = self.session.sync_session
            if _READING not in sync.info or sync.new or sync.dirty or sync.deleted:
                await self.session.commit()
        finally:
            await self.close()

    async def rollback(self) -> None:
        """Drop everything written and end the unit."""
        try:
            await self.session.rollback()
        finally:
            await self.close()

    async def close(self) -> None:
        try:
            await self.session.close()
        finally:
            await self._turn.aclose()

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            await self.commit()
        else:
            await self.rollback()


@asynccontextmanager
async def write_session(
    engine: AsyncEngine, uow: UnitOfWork | None, *, savepoint: bool = True, alone: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session to write in: inside ``uow`` (in a savepoint of its own, so an exception
    undoes just this write; with ``savepoint=False`` the write is flushed on leaving the block
    and an exception undoes nothing, which only a write that raises before writing may
    choose), or without one in a transaction of its own that commits on leaving the block
    (:func:`writer`). ``alone``: see :meth:`UnitOfWork.begin_write` (implies no savepoint)."""
    if uow is None:
        async with writer(engine) as session:
            yield session
        return
    session = await uow.begin_write(alone=alone)
    if not savepoint or alone:
        yield session
        await session.flush()  # as leaving a savepoint does: later Core reads see the write
        return
    async with session.begin_nested():
        yield session


@asynccontextmanager
async def write_connection(
    engine: AsyncEngine, uow: UnitOfWork | None, *, savepoint: bool = True, alone: bool = False
) -> AsyncIterator[AsyncConnection]:
    """Like :func:`write_session`, for Core statements (without a unit: a connection in a
    transaction of its own, :func:`write_transaction`)."""
    if uow is None:
        async with write_transaction(engine) as connection:
            yield connection
        return
    if not savepoint or alone:  # Core statements: nothing to flush
        session = await uow.begin_write(alone=alone)
        yield await session.connection()
        return
    async with write_session(engine, uow) as session:
        yield await session.connection()
