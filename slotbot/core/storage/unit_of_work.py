"""A unit of work: one session whose reads come first and whose writes commit or roll back
as a whole.

A dialog turn opens one, reads through :attr:`UnitOfWork.session`, then writes (a hold, a
confirm and its outbox rows, the saved dialog session) through the core functions that take
``uow=``; leaving the ``async with`` block commits them together, and an exception rolls them
all back. Nothing written in a turn outlives a turn that failed half way, so no code has to
undo a write by hand.

How reads turn into writes differs per database:

- PostgreSQL: one transaction from the first read to the commit (READ COMMITTED: each
  statement sees what is committed, the turn's own writes included).
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
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from slotbot.core.storage.db import (
    is_sqlite,
    session_factory,
    sqlite_write_turn,
    write_transaction,
    writer,
)
from slotbot.core.storage.sqlite_driver import write_from_here

__all__ = ["UnitOfWork", "write_connection", "write_session"]


class UnitOfWork:
    """One session: reads, then writes, committed on leaving ``async with`` without an
    exception and rolled back otherwise."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session: AsyncSession = session_factory(engine)()
        #: Writes begun so far: what was read and kept (cached free time) is stale when it moved.
        self.writes = 0
        self._turn = AsyncExitStack()

    @property
    def writing(self) -> bool:
        """Whether a write has begun (the unit then has something to commit)."""
        return self.writes > 0

    async def begin_write(self) -> AsyncSession:
        """The session, ready to write in (see the module's docstring per database)."""
        if self.writes == 0 and is_sqlite(self.engine):
            await self._turn.enter_async_context(sqlite_write_turn(self.engine))
            if self.session.in_transaction():  # the read snapshot ends, on the same connection
                await write_from_here(await self.session.connection())
                self.session.expire_all()  # what was loaded is read again, as after a rollback
            else:
                await self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        else:
            self.session.expire_all()  # what was loaded is read again, as after a rollback
        self.writes += 1
        return self.session

    async def commit(self) -> None:
        """Commit what was written and end the unit."""
        try:
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
    engine: AsyncEngine, uow: UnitOfWork | None, *, savepoint: bool = True
) -> AsyncIterator[AsyncSession]:
    """A session to write in: inside ``uow`` (in a savepoint of its own, so an exception
    undoes just this write; with ``savepoint=False`` the write is flushed on leaving the block
    and an exception undoes nothing, which only a write that raises before writing may
    choose), or without one in a transaction of its own that commits on leaving the block
    (:func:`writer`)."""
    if uow is None:
        async with writer(engine) as session:
            yield session
        return
    session = await uow.begin_write()
    if not savepoint:
        yield session
        await session.flush()  # as leaving a savepoint does: later Core reads see the write
        return
    async with session.begin_nested():
        yield session


@asynccontextmanager
async def write_connection(
    engine: AsyncEngine, uow: UnitOfWork | None, *, savepoint: bool = True
) -> AsyncIterator[AsyncConnection]:
    """Like :func:`write_session`, for Core statements (without a unit: a connection in a
    transaction of its own, :func:`write_transaction`)."""
    if uow is None:
        async with write_transaction(engine) as connection:
            yield connection
        return
    if not savepoint:  # Core statements: nothing to flush
        session = await uow.begin_write()
        yield await session.connection()
        return
    async with write_session(engine, uow) as session:
        yield await session.connection()
