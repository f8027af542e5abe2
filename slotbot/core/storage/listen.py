"""PostgreSQL ``LISTEN`` on a connection of its own, kept open for the process's lifetime.

A notification reaches every listening process within a millisecond or two of the commit
that sent it. While the connection is down nothing arrives, so whoever waits on
notifications must look for themselves meanwhile: :attr:`Listener.listening` says whether
notifications flow, and ``on_gap`` is called each time that changes (the connection lost,
or made again: what was written in between was never announced).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from slotbot.core.storage.db import POSTGRES_CONNECT_TIMEOUT_S

__all__ = ["Listener"]

log = logging.getLogger(__name__)


def connect_arguments(url: URL) -> dict[str, Any]:
    """asyncpg's ``connect`` arguments for a SQLAlchemy ``postgresql+asyncpg`` URL."""
    arguments: dict[str, Any] = url.translate_connect_args(username="user")
    if "ssl" in url.query:
        arguments["ssl"] = url.query["ssl"]
    arguments["timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    arguments["server_settings"] = {"application_name": "slotbot listen"}
    return arguments


class Listener:
    """Calls ``on_message(payload)`` for every notification on ``channel``; reconnects
    (every ``retry`` seconds) when the connection is lost."""

    def __init__(
        self,
        url: URL,
        channel: str,
        *,
        on_message: Callable[[str], None],
        on_gap: Callable[[], None],
        retry: float = 1.0,
    ) -> None:
        self.channel = channel
        self.on_message = on_message
        self.on_gap = on_gap
        self.retry = retry
        self._arguments = connect_arguments(url)
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        """Listen from now on; returns after the first attempt to connect (so notifications
        flow from the start, or :attr:`listening` is False and the caller looks itself)."""
        self._task = asyncio.create_task(self._run(), name=f"listen {self.channel}")
        await self._tried.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.on_message(payload)

    async def _run(self) -> None:
        while True:
            try:
                connection = await asyncpg.connect(**self._arguments)
            except (OSError, TimeoutError, asyncpg.PostgresError) as error:
                log.warning("LISTEN %s: cannot connect (%s); again in %.0f s",
                            self.channel, error, self.retry)  # fmt: skip
            else:
                await self._listen(connection)
            self._tried.set()
            await asyncio.sleep(self.retry)

    async def _listen(self, connection: Any) -> None:
        """Listen on ``connection`` until it is lost; then close it."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(self.channel, self._notified)
            self._connection = connection
            self._tried.set()
            self.on_gap()  # written while nobody listened: look once more
            await lost.wait()
            log.warning("LISTEN %s: connection lost; reconnecting", self.channel)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("LISTEN %s: %s; reconnecting", self.channel, error)
        finally:
            self._connection = None
            self.on_gap()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
