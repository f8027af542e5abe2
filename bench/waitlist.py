"""Benchmark: the waiting list's matching job (``core.waitlist.matching``), on SQLite and
PostgreSQL.

Run: .venv/bin/python bench/waitlist.py [--postgres URL] [--entries N] [--freed N]

A shop of 20 barbers (60-minute slots, 09-18, Monday to Saturday) is booked up for the week;
N clients wait (half for one barber, half for anyone; a day or the week; a third with a part
of the day). Then it prints how long one run of the job takes:

1. steady: nothing freed (what every process pays each minute);
2. freed: after N random bookings are cancelled (the run that finds and offers them);
3. again: the run after that (nothing new: each entry is offered each time once).

The job runs in every ``serve`` and ``worker`` process once a minute, so a run should stay well
under a second for a shop of this size. The PostgreSQL part runs when --postgres or
SLOTBOT_TEST_POSTGRES_URL gives a server; it creates a database of its own and drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import create_engine, session_factory, writer
from slotbot.core.storage.models import (
    Booking,
    Client,
    Service,
    Specialist,
    SpecialistSchedule,
    WaitlistEntry,
    specialist_services,
)
from slotbot.core.storage.schema import upgrade
from slotbot.core.waitlist.entries import WINDOWS
from slotbot.core.waitlist.matching import match

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a Monday, 07:00 in Berlin
FIRST = date(2026, 12, 1)
SPECIALISTS = 20


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


async def build(engine: AsyncEngine, waiting: int, seed: int = 7) -> list[int]:
    """The shop, booked up for two weeks from FIRST, and ``waiting`` entries; booking ids."""
    rng = random.Random(seed)
    async with writer(engine) as session:
        service = Service(key="cut", name={"en": "Cut"}, duration_minutes=60)
        session.add(service)
        await session.flush()
        people = [
            Specialist(key=f"s{n}", name=f"Barber {n}", title={}, timezone=ZONE.key)
            for n in range(SPECIALISTS)
        ]
        session.add_all(people)
        await session.flush()
        await session.execute(
            insert(specialist_services),
            [{"specialist_id": p.id, "service_id": service.id} for p in people],
        )
        await session.execute(
            insert(SpecialistSchedule),
            [
                {"specialist_id": p.id, "weekday": wd, "start_time": time(9),
                 "end_time": time(18), "slot_duration": 60, "break_after": 0}
                for p in people
                for wd in range(6)
            ],
        )  # fmt: skip
        walk_in = Client(name="Walk-in")
        session.add(walk_in)
        await session.flush()
        days = [FIRST + timedelta(days=d) for d in range(14)]  # every entry's range booked up
        await session.execute(
            insert(Booking),
            [
                {"client_id": walk_in.id, "specialist_id": p.id, "service_id": service.id,
                 "starts_at": _at(day, h), "ends_at": _at(day, h + 1), "status": "confirmed",
                 "channel": "staff", "created_at": NOW, "updated_at": NOW}
                for p in people
                for day in days
                for h in range(9, 18)
            ],
        )  # fmt: skip
        clients = [Client(name=f"Waiting {n}", telegram_chat_id=10_000 + n) for n in range(waiting)]
        session.add_all(clients)
        await session.flush()
        windows = [None, None, *WINDOWS.values()]
        rows = []
        for n, client in enumerate(clients):
            day = rng.choice(days[:7])
            week = rng.random() < 0.3
            window = rng.choice(windows)
            rows.append({
                "client_id": client.id, "service_id": service.id,
                "specialist_id": None if n % 2 else rng.choice(people).id,
                "first_day": day, "last_day": day + timedelta(days=6 if week else 0),
                "window_start": window[0] if window else None,
                "window_end": window[1] if window else None,
                "timezone": ZONE.key, "channel": "telegram",
                "created_at": NOW + timedelta(seconds=n),
            })  # fmt: skip
        await session.execute(insert(WaitlistEntry), rows)
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Booking.id)))


async def timed(engine: AsyncEngine, now: datetime) -> tuple[float, int, int]:
    started = clock.perf_counter()
    cpu = clock.process_time()
    tally = await match(engine, now=now)
    return clock.perf_counter() - started, clock.process_time() - cpu, tally.offers


async def run(url: str, label: str, waiting: int, freed: int) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        bookings = await build(engine, waiting)
        wall, cpu, offers = await timed(engine, NOW)
        print(f"{label}: {waiting} entries, steady run: {wall * 1000:.0f} ms "
              f"(CPU {cpu * 1000:.0f} ms), {offers} offers")  # fmt: skip
        cancelled = random.Random(3).sample(bookings, freed)
        async with writer(engine) as session:
            await session.execute(
                update(Booking).where(Booking.id.in_(cancelled)).values(status="cancelled")
            )
        wall, cpu, offers = await timed(engine, NOW + timedelta(minutes=1))
        print(f"{label}: {freed} bookings cancelled, run: {wall * 1000:.0f} ms "
              f"(CPU {cpu * 1000:.0f} ms), {offers} offers")  # fmt: skip
        wall, cpu, offers = await timed(engine, NOW + timedelta(minutes=2))
        print(f"{label}: the run after: {wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms), "
              f"{offers} offers")  # fmt: skip
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--freed", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.entries,
                  args.freed)  # fmt: skip
    if args.postgres:
        name = f"slotbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.postgres).set(database=name)
            await run(url.render_as_string(hide_password=False), "PostgreSQL", args.entries,
                      args.freed)  # fmt: skip
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
