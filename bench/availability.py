"""Benchmark: availability from SQLite with 50 specialists and 5,000 bookings over 90 days.

Run: .venv/bin/python bench/availability.py [--runs N] [--seed S]

Times (median of repeated runs, database load included, a fresh session each run; as in a
running server the catalog of schedules is cached and only its version and the busy time are
read each run, and the first, cold run that loads the catalog is printed as well):
the 31-day calendar for "any" specialist of one service, one day's slots, next available.
It then runs the seed brief's per-day algorithm (one query round per specialist and day,
the ``any(slot.overlaps(b) for b in busy)`` filter) on the same data, checks both agree, and
prints both figures and the ratio. Target: calendar <= 50 ms and >= 20x the seed's speed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.calendars import calendar_days, day_slots, first_slot, resolve_offer
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    Service,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
    SpecialistSchedule,
    specialist_services,
)
from slotbot.core.storage.schema import upgrade

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
SERVICES = [
    ("consultation", 30), ("checkup", 45), ("haircut", 60), ("beard", 30), ("coloring", 90),
    ("training", 60), ("massage", 60), ("physio", 45), ("manicure", 45), ("dental", 30),
]  # fmt: skip
SHIFTS = [  # (weekdays, [(start, end)], slot, break)
    ([0, 1, 2, 3, 4], [("09:00", "18:00")], 60, 15),
    ([0, 1, 2, 3, 4], [("08:00", "12:00"), ("13:00", "17:00")], 30, 0),
    ([1, 2, 3, 4, 5], [("10:00", "14:00"), ("15:00", "20:00")], 45, 10),
    ([0, 2, 4], [("07:00", "13:00")], 60, 0),
    ([0, 1, 2, 3, 4, 5], [("09:00", "13:00"), ("14:00", "18:00")], 30, 5),
]


def _t(text: str) -> time:
    return time.fromisoformat(text)


async def build(engine: AsyncEngine, rng: random.Random) -> None:
    """50 specialists, their schedules, overrides, blocks and 5,000 bookings over 90 days."""
    await upgrade(engine)
    first = NOW.date() - timedelta(days=14)
    async with session_factory(engine)() as db, db.begin():
        await db.execute(
            insert(Service),
            [{"key": k, "name": {"en": k}, "duration_minutes": d, "is_active": True}
             for k, d in SERVICES],
        )  # fmt: skip
        await db.execute(
            insert(Client), [{"name": f"client {i}", "locale": "en"} for i in range(500)]
        )
        specialists, links, schedules, overrides, blocks = [], [], [], [], []
        shift_of = {}
        for n in range(1, 51):
            specialists.append(
                {"key": f"s{n}", "name": f"Specialist {n}", "title": {}, "timezone": ZONE.key,
                 "is_active": True}
            )  # fmt: skip
            offered = {1 + (n % 10), *rng.sample(range(1, 11), rng.randint(1, 3))}
            links += [{"specialist_id": n, "service_id": s} for s in offered]
            days, windows, slot, pause = shift_of[n] = rng.choice(SHIFTS)
            for weekday in days:
                for start, end in windows:
                    schedules.append(
                        {"specialist_id": n, "weekday": weekday, "start_time": _t(start),
                         "end_time": _t(end), "slot_duration": slot, "break_after": pause}
                    )  # fmt: skip
            for _ in range(3):
                day = first + timedelta(days=rng.randrange(90))
                overrides.append(
                    {"specialist_id": n, "starts_on": day, "ends_on": day, "kind": "day_off",
                     "source": "import"}
                )  # fmt: skip
            if n % 5 == 0:
                start = first + timedelta(days=rng.randrange(80))
                overrides.append(
                    {"specialist_id": n, "starts_on": start, "ends_on": start + timedelta(days=9),
                     "kind": "vacation", "source": "import", "substitute_id": n - 1}
                )  # fmt: skip
            day = first + timedelta(days=rng.randrange(90))
            overrides.append(
                {"specialist_id": n, "starts_on": day, "ends_on": day, "kind": "custom_hours",
                 "start_time": time(10), "end_time": time(14), "slot_duration": 30,
                 "break_after": 0, "source": "import"}
            )  # fmt: skip
            for _ in range(10):
                day = first + timedelta(days=rng.randrange(90))
                start = datetime.combine(day, time(rng.choice([11, 12, 13])), ZONE)
                blocks.append(
                    {"specialist_id": n, "starts_at": start, "ends_at": start + timedelta(hours=1),
                     "reason": "meeting", "source": "import"}
                )  # fmt: skip
        await db.execute(insert(Specialist), specialists)
        await db.execute(insert(specialist_services), links)
        await db.execute(insert(SpecialistSchedule), schedules)
        await db.execute(insert(SpecialistOverride), overrides)
        await db.execute(insert(SpecialistBlock), blocks)

        bookings, taken = [], set()
        statuses = [BookingStatus.CONFIRMED] * 8 + [BookingStatus.CANCELLED, BookingStatus.HELD]
        while len(bookings) < 5000:
            n = rng.randint(1, 50)
            days, windows, slot, pause = shift_of[n]
            day = first + timedelta(days=rng.randrange(90))
            if day.weekday() not in days:
                continue
            start_text, end_text = rng.choice(windows)
            span = (_t(end_text).hour - _t(start_text).hour) * 60
            k = rng.randrange(max(1, span // (slot + pause)))
            start = datetime.combine(day, _t(start_text), ZONE) + timedelta(
                minutes=k * (slot + pause)
            )
            if (n, start) in taken:
                continue
            taken.add((n, start))
            status = rng.choice(statuses)
            bookings.append(
                {"client_id": rng.randint(1, 500), "specialist_id": n, "service_id": 1 + (n % 10),
                 "starts_at": start, "ends_at": start + timedelta(minutes=slot), "status": status,
                 "hold_expires_at": NOW + timedelta(minutes=5) if status == "held" else None,
                 "channel": "web"}
            )  # fmt: skip
        await db.execute(insert(Booking), bookings)


# --- the seed brief's algorithm, one query round per specialist and day --------------------


@dataclass(frozen=True)
class TimeSlot:
    start: datetime
    end: datetime

    def overlaps(self, other: TimeSlot) -> bool:
        return self.start < other.end and other.start < self.end


async def seed_slots(
    session: AsyncSession, specialist_id: int, day: date, duration: timedelta
) -> list[TimeSlot]:
    """The brief's get_available_slots, faithful in shape, extended to split shifts."""
    overrides = (
        await session.scalars(
            select(SpecialistOverride).where(
                SpecialistOverride.specialist_id == specialist_id,
                SpecialistOverride.starts_on <= day,
                SpecialistOverride.ends_on >= day,
            )
        )
    ).all()
    if any(o.kind in ("day_off", "vacation") for o in overrides):
        return []
    custom = [o for o in overrides if o.kind == "custom_hours"]
    if custom:
        windows = [(o.start_time, o.end_time, o.slot_duration or 60, o.break_after or 0)
                   for o in custom]  # fmt: skip
    else:
        rows = (
            await session.scalars(
                select(SpecialistSchedule).where(
                    SpecialistSchedule.specialist_id == specialist_id,
                    SpecialistSchedule.weekday == day.weekday(),
                )
            )
        ).all()
        windows = [(r.start_time, r.end_time, r.slot_duration, r.break_after) for r in rows]
    day_start = datetime.combine(day, time(), ZONE)
    day_end = day_start + timedelta(days=1)
    blocks = (
        await session.execute(
            select(SpecialistBlock.starts_at, SpecialistBlock.ends_at).where(
                SpecialistBlock.specialist_id == specialist_id,
                SpecialistBlock.starts_at < day_end,
                SpecialistBlock.ends_at > day_start,
            )
        )
    ).all()
    bookings = (
        await session.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.specialist_id == specialist_id,
                Booking.starts_at < day_end,
                Booking.ends_at > day_start,
                or_(
                    Booking.status == "confirmed",
                    and_(Booking.status == "held", Booking.hold_expires_at > NOW),
                ),
            )
        )
    ).all()
    busy = [TimeSlot(s, e) for s, e in [*blocks, *bookings]]
    slots = []
    for start_time, end_time, slot, pause in windows:
        current = datetime.combine(day, start_time, ZONE)
        end = datetime.combine(day, end_time, ZONE)
        while current + duration <= end:
            slots.append(TimeSlot(current, current + duration))
            current += timedelta(minutes=slot + pause)
    return [
        s for s in slots
        if not any(s.overlaps(b) for b in busy) and s.start >= NOW + timedelta(minutes=30)
    ]  # fmt: skip


async def seed_calendar(
    session: AsyncSession, ids: tuple[int, ...], first: date, days: int, minutes: int
) -> dict[date, bool]:
    result = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        found = False
        for specialist_id in ids:
            if await seed_slots(session, specialist_id, day, timedelta(minutes=minutes)):
                found = True
        result[day] = found
    return result


async def median_ms(engine: AsyncEngine, runs: int, work) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    timings, result = [], None
    for _ in range(runs):
        async with sessions() as session:
            started = clock.perf_counter()
            result = await work(session)
            timings.append((clock.perf_counter() - started) * 1000)
    return statistics.median(timings), result


async def main(runs: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        started = clock.perf_counter()
        await build(engine, random.Random(seed))
        print(f"built 50 specialists, 5,000 bookings in {clock.perf_counter() - started:.1f} s")
        first = NOW.astimezone(ZONE).date()
        last = first + timedelta(days=30)

        async def offer(session: AsyncSession, specialist: str = "any"):  # type: ignore[no-untyped-def]
            return await resolve_offer(session, service_key="haircut", specialist_key=specialist)

        async def calendar(session: AsyncSession) -> dict[date, bool]:
            return await calendar_days(session, await offer(session), first, last, now=NOW)

        async def one_day(session: AsyncSession):  # type: ignore[no-untyped-def]
            return await day_slots(
                session, await offer(session), first + timedelta(days=1), now=NOW
            )

        async def soonest(session: AsyncSession):  # type: ignore[no-untyped-def]
            return await first_slot(session, await offer(session), now=NOW)

        async with session_factory(engine)() as session:
            any_offer = await offer(session)
        catalogs.forget(engine)
        cold_ms, _ = await median_ms(engine, 1, calendar)
        cal_ms, ours = await median_ms(engine, runs, calendar)
        day_ms, slots = await median_ms(engine, runs, one_day)
        next_ms, _ = await median_ms(engine, runs, soonest)

        async def seed_run(session: AsyncSession) -> dict[date, bool]:
            return await seed_calendar(
                session, any_offer.specialist_ids, first, 31, any_offer.duration
            )

        seed_ms, theirs = await median_ms(engine, max(3, runs // 5), seed_run)
        await engine.dispose()

    assert ours == theirs, "the engine and the seed algorithm disagree on the calendar"
    n = len(any_offer.specialist_ids)
    print(f"service 'haircut', 'any' of {n} specialists, median of {runs} runs:")
    print(f"  31-day calendar (any)      {cal_ms:8.2f} ms   target <= 50 ms")
    print(f"    first run, cold catalog  {cold_ms:8.2f} ms")
    print(f"  one day's slots (any)      {day_ms:8.2f} ms   ({len(slots)} slots)")  # type: ignore[arg-type]
    print(f"  next available (any)       {next_ms:8.2f} ms")
    print(f"  seed per-day calendar      {seed_ms:8.2f} ms")
    print(f"  speed-up over the seed     {seed_ms / cal_ms:8.1f} x   target >= 20x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.seed))
