"""What the processes of one deployment share (DESIGN.md section 10), kept in the database so
that N ``serve`` processes on one PostgreSQL behave as one:

- **leases**: which process runs a job that must run once across all processes (each
  periodic job, the webhook's registration at start). The holder renews its lease while
  it lives; when it stops renewing (it died), another process takes the lease over once it
  runs out, and one that stops cleanly hands its leases back at once.
- **Telegram update ids seen**: an update delivered twice (Telegram retrying, a balancer
  sending one request to two processes) is handled once, whichever processes get it;
  ids are forgotten after :data:`SEEN_UPDATES_FOR`. The ids that arrive together in one
  process are recorded together (:class:`Deliveries`), one statement on one connection.
- **rate buckets**: token buckets (burst, then a steady rate) that hold across processes,
  one upsert per request (the generic cell rate algorithm: a bucket is one number, the
  instant it will be full again).

Every function here works on SQLite too (one process; the tests run them on both).
Times are the wall clock (``now``): leases and buckets concern real processes and real
requests, never the booking clock that tests fix.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from slotbot.core.storage.db import is_sqlite, write_transaction
from slotbot.core.storage.models import Lease, RateBucket, SeenUpdate
from slotbot.core.storage.prepared import PreparedConnection

__all__ = [
    "SEEN_UPDATES_FOR",
    "WEB_MESSAGES_CHANNEL",
    "Deliveries",
    "Forgotten",
    "Rate",
    "forget_stale",
    "hand_back_leases",
    "process_identity",
    "take_lease",
    "take_token",
]

log = logging.getLogger(__name__)

#: How long an update id is remembered. Telegram retries an update it could not deliver
#: within minutes; a load balancer's retry comes within seconds.
SEEN_UPDATES_FOR = timedelta(hours=1)
#: The PostgreSQL channel on which each new widget message names its session (migration
#: 0013's trigger on ``web_messages``).
WEB_MESSAGES_CHANNEL = "slotbot_web_messages"

LEASES = cast(Table, Lease.__table__)
SEEN = cast(Table, SeenUpdate.__table__)
BUCKETS = cast(Table, RateBucket.__table__)


def process_identity() -> str:
    """A name for this process that no other process has: host, pid and a random part (a
    pid is reused after a restart; a lease of the old process must not pass to the new)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


@asynccontextmanager
async def _write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one small write: autocommit on PostgreSQL (one round trip, no
    BEGIN and COMMIT around it), the write transaction on SQLite."""
    if is_sqlite(engine):
        async with write_transaction(engine) as connection:
            yield connection
    else:
        async with engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def _insert(engine: AsyncEngine, table: Table) -> Any:
    return (sqlite_insert if is_sqlite(engine) else pg_insert)(table)


# --- leases ---------------------------------------------------------------------------------


async def take_lease(
    engine: AsyncEngine, name: str, *, holder: str, ttl: timedelta, now: datetime
) -> bool:
    """Take the lease ``name`` for ``holder`` until ``now + ttl``, or renew it if ``holder``
    has it already: True when ``holder`` has it now. Another holder's lease that has not
    run out is left alone (False). One statement, so two processes never both get it."""
    statement = _insert(engine, LEASES).values(name=name, holder=holder, expires_at=now + ttl)
    statement = statement.on_conflict_do_update(
        index_elements=[LEASES.c.name],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=(LEASES.c.holder == holder) | (LEASES.c.expires_at <= now),
    ).returning(LEASES.c.name)
    async with _write(engine) as connection:
        return (await connection.execute(statement)).first() is not None


async def hand_back_leases(engine: AsyncEngine, *, holder: str) -> int:
    """Give up every lease ``holder`` has (a process stopping cleanly), so another process
    takes its jobs over at its next tick instead of after the leases run out."""
    async with _write(engine) as connection:
        result = await connection.execute(delete(LEASES).where(LEASES.c.holder == holder))
        return int(result.rowcount or 0)


# --- Telegram update ids --------------------------------------------------------------------


#: How long :class:`Deliveries` goes the pool's way after the server refused its statement.
PREPARED_RETRY_S = 5.0
#: What :class:`Deliveries` runs on PostgreSQL: any number of ids in one prepared statement.
_RECORD_UPDATES_SQL = (
    "INSERT INTO seen_updates (update_id, seen_at)"
    " SELECT * FROM unnest($1::bigint[], $2::timestamptz[])"
    " ON CONFLICT (update_id) DO NOTHING RETURNING update_id"
)


@cache
def _record_update(sqlite: bool) -> Any:
    """The insert that records one update id, its values given when run: built once per
    dialect, since most Telegram updates arrive alone."""
    return (
        (sqlite_insert if sqlite else pg_insert)(SEEN)
        .on_conflict_do_nothing(index_elements=[SEEN.c.update_id])
        .returning(SEEN.c.update_id)
    )


class Deliveries:
    """Which Telegram updates arrive for the first time, across all processes.

    A burst of updates (a busy minute, Telegram sending what queued while we were away) used
    to take a pooled connection per update at once: more than the pool holds, so connections
    were opened and closed by the hundred, each costing far more CPU than its insert. Here
    the updates of one process that arrive while a write is on its way wait for it and are
    then recorded together, one statement on one connection; an update that arrives alone
    is written at once.

    On PostgreSQL the statement runs prepared on a connection of its own
    (:class:`PreparedConnection`: one round trip, about a fifth of the CPU of the pool's
    way), which suffices since one write is on its way at a time. Call :meth:`close` when
    done.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._waiting: list[tuple[int, datetime, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._prepared = (
            PreparedConnection(
                engine.url, {"record": _RECORD_UPDATES_SQL}, name="slotbot update ids"
            )
            if engine.url.get_driver_name() == "asyncpg"
            else None
        )
        self._prepared_after = 0.0

    async def close(self) -> None:
        """Close the connection of its own, if it has one."""
        if self._prepared is not None:
            await self._prepared.drop()

    async def first(self, update_id: int, *, now: datetime) -> bool:
        """Record that ``update_id`` arrived (at ``now``): True the first time in any
        process, False for the same update again, however many got it at the same moment."""
        arrived: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((update_id, now, arrived))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="slotbot-update-ids")
        return await asyncio.shield(arrived)  # a caller that goes away leaves the rest be

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                new = await self._record([(update_id, now) for update_id, now, _ in batch])
            except Exception as error:  # each waiter gets it (a 500: Telegram tries again)
                for *_, arrived in batch:
                    if not arrived.done():
                        arrived.set_exception(error)
                continue
            for update_id, _, arrived in batch:
                if not arrived.done():
                    arrived.set_result(update_id in new)
                new.discard(update_id)  # the same update twice in one batch: once

    async def _record(self, updates: list[tuple[int, datetime]]) -> set[int]:
        """Insert the ids; the ones that were not there yet."""
        prepared = self._prepared
        if prepared is not None and prepared.usable and time.monotonic() >= self._prepared_after:
            new = await self._record_prepared(prepared, updates)
            if new is not None:
                return new
        sqlite = is_sqlite(self.engine)
        async with _write(self.engine) as connection:
            if len(updates) == 1:
                ((update_id, now),) = updates
                values: dict[str, Any] = {"update_id": update_id, "seen_at": now}
                result = await connection.execute(_record_update(sqlite), values)
            else:
                rows = [{"update_id": update_id, "seen_at": now} for update_id, now in updates]
                statement = (
                    (sqlite_insert if sqlite else pg_insert)(SEEN)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=[SEEN.c.update_id])
                    .returning(SEEN.c.update_id)
                )
                result = await connection.execute(statement)
            return set(result.scalars())

    async def _record_prepared(
        self, prepared: PreparedConnection, updates: list[tuple[int, datetime]]
    ) -> set[int] | None:
        """:meth:`_record` by the statement of its own; None when the server refused it."""
        import asyncpg  # only with PostgreSQL

        ids, times = zip(*updates, strict=True)
        try:
            rows = await prepared.fetch("record", list(ids), list(times))
        except asyncpg.PostgresError as error:
            # The server refused the statement (say, a PgBouncer in transaction mode that
            # keeps no prepared statements), so nothing was written: the pool's way, for a
            # while. A connection lost on the way may have written, so that error goes up
            # instead (the webhook answers 500 and Telegram sends the updates again).
            log.warning("update ids: %s; through the pool for %.0f s", error, PREPARED_RETRY_S)
            self._prepared_after = time.monotonic() + PREPARED_RETRY_S
            return None
        return {row[0] for row in rows}


# --- rate buckets ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    """A token bucket's shape: ``burst`` requests at once, then ``per_second``."""

    burst: float
    per_second: float


async def take_token(engine: AsyncEngine, key: str, rate: Rate, *, now: float) -> float:
    """Take one token from the shared bucket ``key`` (``now`` in Unix seconds): 0 when
    allowed, else the seconds until a token is there (nothing is taken then).

    A bucket is the instant ``full_at`` at which it will be full again; each request moves
    it one period (``1 / per_second``) later, and a request that would move it more than
    ``burst`` periods past now is refused. Checked and moved in one upsert, so requests
    that race through different processes are counted like requests in one."""
    period = 1 / rate.per_second
    ahead = (rate.burst - 1) * period  # how far past now full_at may be for one more request
    statement = _insert(engine, BUCKETS).values(key=key, full_at=now + period)
    later = case((BUCKETS.c.full_at > now, BUCKETS.c.full_at), else_=now) + period
    statement = statement.on_conflict_do_update(
        index_elements=[BUCKETS.c.key],
        set_={"full_at": later},
        where=BUCKETS.c.full_at - now <= ahead,
    ).returning(BUCKETS.c.full_at)
    async with _write(engine) as connection:
        if (await connection.execute(statement)).first() is not None:
            return 0.0
        full_at = await connection.scalar(select(BUCKETS.c.full_at).where(BUCKETS.c.key == key))
    return max(float(full_at or now) - ahead - now, 1e-3)


# --- housekeeping ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgotten:
    updates: int
    buckets: int


async def forget_stale(engine: AsyncEngine, *, now: datetime) -> Forgotten:
    """Delete update ids older than :data:`SEEN_UPDATES_FOR` and buckets that are full
    again (a missing bucket is a full one)."""
    async with _write(engine) as connection:
        updates = await connection.execute(
            delete(SEEN).where(SEEN.c.seen_at < now - SEEN_UPDATES_FOR)
        )
        buckets = await connection.execute(
            delete(BUCKETS).where(BUCKETS.c.full_at < now.timestamp())
        )
    return Forgotten(updates=int(updates.rowcount or 0), buckets=int(buckets.rowcount or 0))
