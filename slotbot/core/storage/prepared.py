"""One PostgreSQL statement on an asyncpg connection of its own, outside the engine's pool.

For a statement run on nearly every request, the pool's way is a checkout, ``BEGIN``, the
statement, ``COMMIT`` and the checkin, each through SQLAlchemy's execution layer; here it
is one prepared statement in autocommit: one round trip and a fraction of the CPU. The
price is one more connection per process and per user (the README's ``max_connections``
counts them).

One statement at a time: a caller that may run concurrently either waits its turn itself
or finds :attr:`PreparedConnection.busy` and goes the pool's way. The connection is opened
at the first run and, after any failure, dropped and opened again at the next.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.util import await_only

from slotbot.core.storage.listen import connect_arguments

__all__ = ["PreparedConnection"]


class PreparedConnection:
    """``sql`` prepared on a connection to ``url`` named ``name`` (``application_name``)."""

    def __init__(self, url: URL, sql: str, *, name: str) -> None:
        self.url = url
        self.sql = sql
        self.name = name
        self.busy = False
        self._connection: Any = None
        self._statement: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def usable(self) -> bool:
        """Not running a statement, and not opened by another event loop."""
        return not self.busy and (
            self._connection is None or self._loop is asyncio.get_running_loop()
        )

    async def fetch(self, *arguments: Any) -> list[Any]:
        """The statement's rows; asyncpg's errors (the connection is dropped then)."""
        if not self.usable:
            raise RuntimeError(f"{self.name}: in use, or opened by another event loop")
        self.busy = True
        try:
            if self._connection is None:
                await self._open()
            rows: list[Any] = await self._statement.fetch(*arguments)
            return rows
        except BaseException:
            await self.drop()
            raise
        finally:
            self.busy = False

    async def _open(self) -> None:
        import asyncpg  # only with PostgreSQL

        arguments = connect_arguments(self.url)
        arguments["server_settings"] = {"application_name": self.name}
        connection = await asyncpg.connect(**arguments)
        try:
            self._statement = await connection.prepare(self.sql)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._loop = connection, asyncio.get_running_loop()

    async def drop(self) -> None:
        """Close the connection, if open (the next :meth:`fetch` opens another)."""
        connection, self._connection, self._statement = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    def close_in_greenlet(self) -> None:
        """Close the connection from SQLAlchemy's ``dispose`` (in its greenlet), or end it
        at once where that cannot wait (no running loop, another loop's connection)."""
        connection, self._connection, self._statement = self._connection, None, None
        if connection is None:
            return
        try:
            if self._loop is asyncio.get_running_loop():
                await_only(connection.close(timeout=2))
                return
        except Exception:  # no running loop, not in a greenlet, or the server went away
            pass
        with contextlib.suppress(Exception):
            connection.terminate()
