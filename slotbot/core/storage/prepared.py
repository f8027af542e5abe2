"""PostgreSQL statements prepared on an asyncpg connection of their own, outside the pool.

For a statement run on nearly every request, the pool's way is a checkout, ``BEGIN``, the
statement, ``COMMIT`` and the checkin, each through SQLAlchemy's execution layer; here it
is one prepared statement in autocommit: one round trip and a fraction of the CPU. The
price is one more connection per process and per user (the README's ``max_connections``
counts them).

One use at a time (:meth:`PreparedConnection.using`, one or more statements): a caller
that may run concurrently either waits its turn itself or finds the connection not
:attr:`~PreparedConnection.usable` and goes the pool's way. The connection is opened
at the first run and, after any failure, dropped and opened again at the next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.util import await_only

from slotbot.core.storage.listen import connect_arguments

__all__ = ["PreparedConnection"]


class PreparedConnection:
    """``statements`` (key -> SQL) prepared on a connection to ``url`` named ``name``
    (its ``application_name``)."""

    def __init__(self, url: URL, statements: dict[str, str], *, name: str) -> None:
        self.url = url
        self.statements = statements
        self.name = name
        self.busy = False
        self._connection: Any = None
        self._prepared: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def usable(self) -> bool:
        """Not in use, and not opened by another event loop."""
        return not self.busy and (
            self._connection is None or self._loop is asyncio.get_running_loop()
        )

    @contextlib.asynccontextmanager
    async def using(self) -> AsyncIterator[dict[str, Any]]:
        """The prepared statements (asyncpg's), the connection opened if need be; on any
        error in the block the connection is dropped and the error goes up."""
        if not self.usable:
            raise RuntimeError(f"{self.name}: in use, or opened by another event loop")
        self.busy = True
        try:
            if self._connection is None:
                await self._open()
            yield self._prepared
        except BaseException:
            await self.drop()
            raise
        finally:
            self.busy = False

    async def fetch(self, key: str, *arguments: Any) -> list[Any]:
        """The rows of statement ``key``."""
        async with self.using() as prepared:
            rows: list[Any] = await prepared[key].fetch(*arguments)
            return rows

    async def _open(self) -> None:
        import asyncpg  # only with PostgreSQL

        arguments = connect_arguments(self.url)
        arguments["server_settings"] = {"application_name": self.name}
        connection = await asyncpg.connect(**arguments)
        try:
            prepared = {key: await connection.prepare(sql) for key, sql in self.statements.items()}
        except BaseException:
            await connection.close()
            raise
        self._connection, self._prepared = connection, prepared
        self._loop = asyncio.get_running_loop()

    async def drop(self) -> None:
        """Close the connection, if open (the next use opens another)."""
        connection, self._connection, self._prepared = self._connection, None, {}
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    def close_in_greenlet(self) -> None:
        """Close the connection from SQLAlchemy's ``dispose`` (in its greenlet), or end it
        at once where that cannot wait (no running loop, another loop's connection)."""
        connection, self._connection, self._prepared = self._connection, None, {}
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
