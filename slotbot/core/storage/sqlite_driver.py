"""SQLAlchemy's aiosqlite adapter with one trip to aiosqlite's thread per statement.

aiosqlite runs every call on a thread of its own, and each call is a round trip there and
back (a queue put, a wake-up, a future resolved through the event loop): about 80 µs of CPU
on the loaded 2-core machine, whatever the statement. SQLAlchemy's stock cursor makes four
per SELECT (open a cursor, execute, fetch all, close) and three per write, so a dialog turn's
seven statements cost some 28 round trips. This cursor does the four steps in one call on
aiosqlite's thread and keeps the result (rows, description, row count, last row id) on the
Python side, as the stock cursor keeps the fetched rows; to SQLAlchemy it behaves the same.

A deferred transaction's ``BEGIN`` can travel with its first statement
(:meth:`OneTripConnection.begin_with_next`): one trip fewer per transaction, and none at all
for a transaction that runs no statement.

Server-side cursors (``stream()``), commits, rollbacks and the connection's own calls stay
SQLAlchemy's. The private parts used here, ``aiosqlite.Connection._execute`` and ``._conn``,
are the ones SQLAlchemy's adapter itself reaches for (its isolation-level setter).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["OneTripConnection", "dbapi", "write_from_here"]

_Outcome = tuple[Any, Sequence[Any], int, int | None]


def _execute(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: str | None
) -> _Outcome:
    """On aiosqlite's thread: begin the transaction when it is still to begin, then run one
    statement and collect all it returns."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description and not many else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement, fetch and close are one aiosqlite call."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # no aiosqlite cursor is opened: the statement opens and closes its own
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing is open on aiosqlite's side once a statement has run."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            begin, adapted._begin = adapted._begin, None
            outcome: _Outcome = await driver._execute(  # type: ignore[no-untyped-call]
                _execute, driver._conn, operation, parameters, many, begin
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


def _write_from_here(connection: sqlite3.Connection) -> None:
    """On aiosqlite's thread: end the read transaction, then begin a write one."""
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.execute("BEGIN IMMEDIATE")


async def write_from_here(connection: AsyncConnection) -> None:
    """End the read transaction ``connection`` is in and begin ``BEGIN IMMEDIATE`` on the same
    connection, in one trip to aiosqlite's thread.

    To SQLAlchemy the transaction goes on (it commits or rolls back the write one); what was
    read before is the old snapshot's. Cheaper than a rollback, which hands the connection
    back to the pool, and a new transaction on a connection checked out again.
    """
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    driver: aiosqlite.Connection = adapted._connection
    async with adapted._execute_mutex:
        if isinstance(adapted, OneTripConnection):
            adapted._begin = None  # a BEGIN not sent yet is replaced by this one
        await driver._execute(_write_from_here, driver._conn)  # type: ignore[no-untyped-call]


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin",)
    _cursor_cls = OneTripCursor

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        #: The ``BEGIN ...`` to send before the next statement (a transaction begun, not sent).
        self._begin: str | None = None

    def begin_with_next(self, mode: str) -> None:
        """Begin a transaction (``BEGIN mode``) with the next statement, in its trip."""
        self._begin = f"BEGIN {mode}"

    @property
    def begin_pending(self) -> bool:
        """Whether a transaction was begun whose ``BEGIN`` is not sent yet."""
        return self._begin is not None

    def commit(self) -> None:
        if self._begin is not None:
            self._begin = None  # nothing was run: nothing to commit
            return
        super().commit()

    def rollback(self) -> None:
        if self._begin is not None:
            self._begin = None
            return
        super().rollback()


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        stock = super().connect(*arg, **kw)
        return OneTripConnection(self, stock._connection)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module for ``create_async_engine(module=...)`` on SQLite."""
    return _Dbapi(aiosqlite, sqlite3)
