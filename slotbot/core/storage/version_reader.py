"""The catalog and bookings versions as last committed, read in a few microseconds (SQLite)
or one round trip (PostgreSQL), outside any session: what a question that finds its answer
in the process cache costs (:mod:`slotbot.core.availability.free`).

Read through a session, the two numbers cost more than the cached answer they unlock
(measured on the bench's repeated calendar: 0.8-1.4 ms of CPU against 0.1 ms for the
lookup). On PostgreSQL the session's connection is checked out of the pool and carries
three round trips (``BEGIN``, the query, the ``ROLLBACK`` when it goes back), each a socket
send and an event loop wake-up; on SQLite each statement is a hop to aiosqlite's thread and
back. So each engine gets a reader of its own:

- SQLite: a read-only stdlib ``sqlite3`` connection to the same file, used in the event
  loop's thread. The engine runs the database in WAL mode, where a reader never waits for
  a writer; the connection waits for nothing (``timeout=0``), so the rare moment it would
  (a checkpoint resetting the log) is a miss, not a stall of the event loop. In autocommit,
  each read is its own transaction: it sees every commit that finished before it began.
- PostgreSQL: one asyncpg connection of its own (not one of the pool's: so one more
  connection per process), in autocommit, with the statement prepared: one round trip.
  One read at a time: a question that finds it busy (or closed, or lost) reads the versions
  through its session instead, as before; a lost connection is made again after
  :data:`RETRY_AFTER_S`.

A miss (``None``) is never wrong: the caller reads the versions in its session. A hit is
as fresh as a read in a new session would be, which is what the cache needs: a change
committed by any process before the question began is seen (LISTEN/NOTIFY would save the
round trip, but a notification arrives after the commit, so a question could start in
between and be answered from before it).

Only a session that has not begun a transaction may take the reader's versions: one that
has reads busy time at its transaction's snapshot on SQLite, which may be older than them
(see :class:`slotbot.core.availability.free.FreeTime`). The reader is closed when its
engine is disposed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.prepared import PreparedConnection

__all__ = ["Committed", "close_reader", "committed_versions"]

log = logging.getLogger(__name__)

#: Both versions, and each specialist whose busy time changed after the bookings version
#: given, with its busy version (one row of NULLs when none did): one statement, so they
#: agree (as :data:`slotbot.core.availability.busy.catch_up`'s; a missing row reads as 0).
VERSIONS_SQL = (
    "SELECT COALESCE((SELECT version FROM catalog_state WHERE id = 1), 0),"
    " COALESCE((SELECT version FROM bookings_state WHERE id = 1), 0),"
    " busy.specialist_id, busy.version"
    " FROM (SELECT 1 AS one) AS one"
    " LEFT OUTER JOIN busy_versions AS busy ON busy.version > {since}"
)


@dataclass(frozen=True, slots=True)
class Committed:
    """The versions as last committed, and who changed after the version asked about."""

    catalog: int
    bookings: int
    #: Specialist id -> busy version, for each whose busy time changed after ``since``.
    changed: dict[int, int]

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]]) -> Committed:
        changed = {int(r[2]): int(r[3]) for r in rows if r[2] is not None}
        return cls(int(rows[0][0]), int(rows[0][1]), changed)


#: How long a PostgreSQL reader whose read failed (no connection, lost, refused) leaves the
#: reads to sessions before it connects again.
RETRY_AFTER_S = 5.0
_SQLITE_SQL = VERSIONS_SQL.format(since="?")
_POSTGRES_SQL = VERSIONS_SQL.format(since="$1::bigint")


class _SQLiteReader:
    """A read-only connection to the database file, used without leaving the thread."""

    def __init__(self, path: str) -> None:
        self._connection: sqlite3.Connection | None = None
        try:
            self._connection = sqlite3.connect(
                f"file:{quote(path)}?mode=ro", uri=True, timeout=0, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
        except sqlite3.Error as error:
            log.info("versions: cannot open %s read-only (%s); reading through sessions",
                     path, error)  # fmt: skip

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def read(self, since: int) -> Committed | None:
        if self._connection is None:
            return None
        try:
            # fetchall steps to the end, which ends the read transaction (a statement left
            # open would keep its snapshot, and the log from being checkpointed).
            rows = self._connection.execute(_SQLITE_SQL, (since,)).fetchall()
        except sqlite3.Error:  # busy for a moment, or no tables yet
            return None
        return Committed.of(rows)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _PostgresReader:
    """A connection of its own (:class:`PreparedConnection`), opened at the first read,
    reopened after it is lost."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._prepared = PreparedConnection(engine.url, _POSTGRES_SQL, name="slotbot versions")
        self._closed = False
        self._retry_at = 0.0

    @property
    def connected(self) -> bool:
        return self._prepared.connected

    async def read(self, since: int) -> Committed | None:
        if self._closed or not self._prepared.usable:
            return None  # busy with another read, or opened by another event loop
        if time.monotonic() < self._retry_at:
            return None
        try:
            rows = await self._prepared.fetch(since)
        except Exception as error:  # whatever asyncpg raises: sessions read for a while
            log.warning("versions: %s; reading through sessions for %.0f s",
                        error, RETRY_AFTER_S)  # fmt: skip
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            return None
        return Committed.of(rows)

    def close(self) -> None:
        """Close the connection (from the engine's ``dispose``, in its greenlet)."""
        self._closed = True
        self._prepared.close_in_greenlet()


_Reader = _SQLiteReader | _PostgresReader
_readers: weakref.WeakKeyDictionary[object, _Reader] = weakref.WeakKeyDictionary()


def _reader(engine: AsyncEngine) -> _Reader | None:
    pool = engine.sync_engine.pool
    reader = _readers.get(pool)
    if reader is None:
        reader = _new_reader(engine)
        if reader is None:
            return None
        _readers[pool] = reader
        base = _base(engine.sync_engine)
        _reader_of[base] = reader
        if not event.contains(base, "engine_disposed", _disposed):
            event.listen(base, "engine_disposed", _disposed)
    return reader


def _new_reader(engine: AsyncEngine) -> _Reader | None:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or url.query.get("mode") == "memory":
            return None
        return _SQLiteReader(path)
    if url.get_driver_name() == "asyncpg":
        return _PostgresReader(engine)
    return None


#: The reader each engine closes when disposed (held here: the engine lets go of its old
#: pool, and with it the reader's entry in ``_readers``, before it says it was disposed).
_reader_of: weakref.WeakKeyDictionary[Engine, _Reader] = weakref.WeakKeyDictionary()


def _base(engine: Engine) -> Engine:
    """The engine that owns the pool (``execution_options`` makes engines that share it,
    and ``dispose`` is told to the owner's listeners only)."""
    while isinstance(proxied := getattr(engine, "_proxied", None), Engine):
        engine = proxied
    return engine


def _disposed(engine: Engine) -> None:
    reader = _reader_of.pop(engine, None)
    if reader is not None:
        reader.close()


def close_reader(engine: AsyncEngine) -> None:
    """Close ``engine``'s reader, if it has one (the next read opens another)."""
    reader = _readers.pop(engine.sync_engine.pool, None)
    if reader is not None:
        reader.close()


async def committed_versions(engine: AsyncEngine, *, since: int) -> Committed | None:
    """The catalog and bookings versions as last committed and the specialists whose busy
    time changed after bookings version ``since`` (-1: all that ever changed), or ``None``
    when this engine's reader cannot say now: read them in a session then (see the module
    docstring)."""
    reader = _reader(engine)
    return None if reader is None else await reader.read(since)
