"""Benchmark: booking throughput and a contention run, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/booking.py [--postgres URL] [--bookings N] [--attempts N]

1. Throughput: 16 concurrent clients hold and confirm distinct slots; prints bookings/s.
2. Contention: 10,000 hold+confirm attempts spread over 100 contested slots, 32 at a time;
   afterwards a direct SQL self-join counts live bookings of one specialist that overlap
   (the double bookings; must be 0) and checks each slot has exactly one booking.

The PostgreSQL part runs when --postgres or SLOTBOT_TEST_POSTGRES_URL gives a server; it
creates a database of its own and drops it afterwards.
Targets: >= 300 bookings/s on SQLite, >= 500/s on PostgreSQL (2 cores). It runs on uvloop,
the loop `slotbot serve` runs on, unless --loop asyncio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time as clock
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.booking.service import BookingRefused
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import (
    Client,
    Service,
    Specialist,
    SpecialistSchedule,
    specialist_services,
)
from slotbot.core.storage.schema import upgrade

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
SPECIALISTS = 20
HOURS = range(9, 18)  # nine 60-minute slots a day

DOUBLE_BOOKINGS = """
SELECT count(*) FROM bookings a JOIN bookings b
  ON a.specialist_id = b.specialist_id AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')
"""


async def build(engine: AsyncEngine, clients: int) -> None:
    await upgrade(engine)
    async with session_factory(engine)() as db, db.begin():
        await db.execute(
            insert(Service), [{"key": "cut", "name": {"en": "Cut"}, "duration_minutes": 60}]
        )
        await db.execute(
            insert(Specialist),
            [{"key": f"s{n}", "name": f"S{n}", "title": {}, "timezone": ZONE.key}
             for n in range(1, SPECIALISTS + 1)],
        )  # fmt: skip
        await db.execute(
            insert(specialist_services),
            [{"specialist_id": n, "service_id": 1} for n in range(1, SPECIALISTS + 1)],
        )
        await db.execute(
            insert(SpecialistSchedule),
            [{"specialist_id": n, "weekday": d, "start_time": time(HOURS.start),
              "end_time": time(HOURS.stop), "slot_duration": 60, "break_after": 0}
             for n in range(1, SPECIALISTS + 1) for d in range(7)],
        )  # fmt: skip
        await db.execute(
            insert(Client),
            [{"name": f"c{i}", "phone": f"+49151{i:08d}", "email": f"c{i}@mail.test",
              "telegram_user_id": i, "telegram_chat_id": i} for i in range(clients)],
        )  # fmt: skip


def slots(count: int) -> list[tuple[int, datetime]]:
    """``count`` distinct (specialist, start) pairs from tomorrow on."""
    found: list[tuple[int, datetime]] = []
    day = NOW.date() + timedelta(days=1)
    while len(found) < count:
        for hour in HOURS:
            start = datetime.combine(day, time(hour), ZONE).astimezone(UTC)
            found += [(n, start) for n in range(1, SPECIALISTS + 1)]
        day += timedelta(days=1)
    return found[:count]


async def book(engine: AsyncEngine, specialist: int, start: datetime, client: int) -> bool:
    try:
        held = await bookings.hold(
            engine, service_id=1, specialist_id=specialist, start=start, client_id=client,
            channel="web", now=NOW,
        )  # fmt: skip
        await bookings.confirm(engine, booking_id=held.id, now=NOW)
    except BookingRefused:
        return False
    return True


async def throughput(engine: AsyncEngine, total: int, workers: int = 16) -> float:
    await build(engine, total)
    queue = list(enumerate(slots(total), start=1))

    async def worker(mine: list[tuple[int, tuple[int, datetime]]]) -> None:
        for client, (specialist, start) in mine:
            assert await book(engine, specialist, start, client)

    started = clock.perf_counter()
    await asyncio.gather(*(worker(queue[w::workers]) for w in range(workers)))
    return total / (clock.perf_counter() - started)


async def contention(
    engine: AsyncEngine, attempts: int, contested: int = 100
) -> tuple[int, int, float]:
    await build(engine, attempts)
    targets = slots(contested)
    rng = random.Random(5)
    plan = [(client, *rng.choice(targets)) for client in range(1, attempts + 1)]
    gate = asyncio.Semaphore(32)

    async def one(client: int, specialist: int, start: datetime) -> bool:
        async with gate:
            return await book(engine, specialist, start, client)

    started = clock.perf_counter()
    won = sum(await asyncio.gather(*(one(*p) for p in plan)))
    elapsed = clock.perf_counter() - started
    async with engine.connect() as connection:
        doubles = int((await connection.execute(text(DOUBLE_BOOKINGS))).scalar_one())
    return won, doubles, elapsed


@asynccontextmanager
async def sqlite() -> AsyncIterator[AsyncEngine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()


@asynccontextmanager
async def postgres(url: str) -> AsyncIterator[AsyncEngine]:
    name = f"slotbot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(
        make_url(url).set(database=name).render_as_string(hide_password=False),
        pool_size=32, max_overflow=0,
    )  # fmt: skip
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def main(postgres_url: str, total: int, attempts: int) -> None:
    kinds = [("SQLite", sqlite, 300)]
    if postgres_url:
        kinds.append(("PostgreSQL", lambda: postgres(postgres_url), 500))
    else:
        print("PostgreSQL skipped: pass --postgres URL or set SLOTBOT_TEST_POSTGRES_URL")
    for label, database, target in kinds:
        async with database() as engine:
            rate = await throughput(engine, total)
        print(f"{label:10} hold+confirm, 16 clients, {total} distinct slots: "
              f"{rate:7.0f} bookings/s  (target >= {target})")  # fmt: skip
        async with database() as engine:
            won, doubles, elapsed = await contention(engine, attempts)
        print(f"{label:10} contention: {attempts} attempts on 100 slots in {elapsed:.1f} s: "
              f"{won} booked, double bookings found by SQL: {doubles}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop",
        help="event loop; uvloop is what `slotbot serve` runs on (uvicorn[standard])",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"event loop: {args.loop}")
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(main(args.postgres, args.bookings, args.attempts))
    else:
        asyncio.run(main(args.postgres, args.bookings, args.attempts))
