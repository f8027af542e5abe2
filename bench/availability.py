"""Benchmark: availability from SQLite (or PostgreSQL) with 50 specialists and 5,000 bookings
over 90 days.

Run: .venv/bin/python bench/availability.py [--runs N] [--seed S] [--postgres URL]

The 31-day calendar for "any" specialist of one service, one day's slots and the soonest
slot, asked through ``FreeTime`` as the web API and the dialog ask, a fresh session each run
(medians of ``--runs``):

- uncached: computed afresh every time (``FreeTime(cached=False)``: busy time read and the
  engine run each time, the catalog kept in memory): the path every question took before
  the process cache, and the reference the ratios are against;
- cold: the first question of a process (the catalog and the cache both empty);
- warm: the question after a booking was made through another engine (another process's
  pool) in between: the versions read, the changed specialist's busy time read again and
  computed, the rest from the cache;
- repeated: the same question again with nothing changed in between, as the web API asks
  it: the versions read by the engine's reader (``core/storage/version_reader.py``: a
  read-only ``sqlite3`` connection in the event loop's thread, or one prepared statement
  on a PostgreSQL connection of its own; no statement through the pool), then a lookup;
- lookup: the same with the versions read by the dialog turn's own query (passed in): the
  lookup alone.

The repeated question's session is closed after the clock stops (as before the reader,
when that close carried the ROLLBACK of the versions query; now it carries nothing).

It then runs the seed brief's per-day algorithm (one query round per specialist and day)
on the same data and checks that it agrees with the calendar. Targets (issue 18): the
calendar <= 3 ms warm and <= 0.3 ms repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time as clock
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from databases import own_database
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core import booking as bookings
from slotbot.core.availability import cache as caches
from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.busy import Versions, read_versions
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking.service import BookingRefused
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


Question = Callable[[FreeTime], Awaitable[object]]


@dataclass(frozen=True)
class Timing:
    wall: float  # ms
    cpu: float  # ms of this process's CPU (all threads: aiosqlite's too)


async def timed(
    engine: AsyncEngine, question: Question, *, cached: bool = True,
    versions: Versions | None = None,
) -> tuple[Timing, object]:  # fmt: skip
    """One question in a fresh session: how long it took and the answer."""
    async with session_factory(engine)() as session:
        wall, cpu = clock.perf_counter(), clock.process_time()
        answer = await question(FreeTime(session, now=NOW, cached=cached, versions=versions))
        taken = Timing((clock.perf_counter() - wall) * 1000, (clock.process_time() - cpu) * 1000)
        return taken, answer


async def current_versions(engine: AsyncEngine) -> Versions:
    async with session_factory(engine)() as session:
        versions, _ = await read_versions(session, since=2**62)
    return versions


class Booker:
    """Books a free haircut through another engine (another process), between runs."""

    def __init__(self, other: AsyncEngine, service: int, ids: tuple[int, ...], seed: int) -> None:
        self.other, self.service, self.ids = other, service, ids
        self.rng = random.Random(seed)
        self.client = 0

    async def book_one(self) -> None:
        for _ in range(50):
            sid = self.rng.choice(self.ids)
            day = NOW.astimezone(ZONE).date() + timedelta(days=self.rng.randrange(1, 31))
            _, slots = await timed(
                self.other, lambda f, sid=sid, day=day: f.slots(self.service, [sid], day),
                cached=False,
            )  # fmt: skip
            if not slots:
                continue
            self.client = self.client % 500 + 1
            try:
                await bookings.hold(
                    self.other, service_id=self.service, specialist_id=sid,
                    start=self.rng.choice(slots).start, client_id=self.client,  # type: ignore[attr-defined]
                    channel="web", now=NOW,
                )  # fmt: skip
                return
            except BookingRefused:
                continue
        raise RuntimeError("found nothing to book")


async def figures(
    engine: AsyncEngine, booker: Booker, question: Question, runs: int
) -> dict[str, Timing]:
    """Cold, uncached, warm, repeated and lookup medians of one question."""
    catalogs.forget(engine)
    caches.forget(engine)
    found: dict[str, list[Timing]] = {"cold": [(await timed(engine, question))[0]]}
    found["uncached"] = [(await timed(engine, question, cached=False))[0] for _ in range(runs)]
    for _ in range(runs):
        await booker.book_one()
        found.setdefault("warm", []).append((await timed(engine, question))[0])
        found.setdefault("repeated", []).append((await timed(engine, question))[0])
        versions = await current_versions(engine)
        found.setdefault("lookup", []).append((await timed(engine, question, versions=versions))[0])
    _, fresh = await timed(engine, question, cached=False)
    _, kept = await timed(engine, question)
    assert fresh == kept, "the cache and a fresh computation disagree"
    return {
        kind: Timing(statistics.median(t.wall for t in ts), statistics.median(t.cpu for t in ts))
        for kind, ts in found.items()
    }


def table(found: dict[str, dict[str, Timing]], what: str) -> None:
    kinds = ("uncached", "cold", "warm", "repeated", "lookup")
    print(f"  {what:24}" + "".join(f" {k:>9}" for k in kinds) + f" {'x warm':>7} {'x rep.':>7}")
    for name, f in found.items():
        ms = {k: getattr(f[k], "wall" if what.startswith("wall") else "cpu") for k in kinds}
        print(
            f"  {name:24}" + "".join(f" {ms[k]:9.3f}" for k in kinds)
            + f" {ms['uncached'] / ms['warm']:7.1f} {ms['uncached'] / ms['repeated']:7.1f}"
        )  # fmt: skip


async def main(runs: int, seed: int, server: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with own_database(server, Path(folder)) as url:
            await measure(url, runs, seed)


async def measure(url: str, runs: int, seed: int) -> None:
    engine, other = create_engine(url), create_engine(url)
    try:
        started = clock.perf_counter()
        await build(engine, random.Random(seed))
        print(f"built 50 specialists, 5,000 bookings in {clock.perf_counter() - started:.1f} s")
        first = NOW.astimezone(ZONE).date()
        last = first + timedelta(days=30)
        async with session_factory(engine)() as session:
            catalog = await catalogs.fresh(session)
        haircut = next(s.id for s in catalog.services.values() if s.key == "haircut")
        ids = tuple(catalog.providers(haircut))
        duration = catalog.services[haircut].duration_minutes

        async def seed_run(session: AsyncSession) -> dict[date, bool]:
            return await seed_calendar(session, ids, first, 31, duration)

        async with session_factory(engine)() as session:
            started = clock.perf_counter()
            theirs = await seed_run(session)
            seed_ms = (clock.perf_counter() - started) * 1000
        _, ours = await timed(engine, lambda f: f.days(haircut, None, first, last), cached=False)
        assert ours == theirs, "the engine and the seed algorithm disagree on the calendar"

        booker = Booker(other, haircut, ids, seed)
        questions: dict[str, Question] = {
            "31-day calendar (any)": lambda f: f.days(haircut, None, first, last),
            "one day's slots (any)": lambda f: f.slots(haircut, None, first + timedelta(days=1)),
            "soonest slot (any)": lambda f: f.soonest(haircut),
        }
        found = {name: await figures(engine, booker, q, runs) for name, q in questions.items()}
    finally:
        await engine.dispose()
        await other.dispose()

    print(f"service 'haircut', 'any' of {len(ids)} specialists, {engine.dialect.name}, "
          f"median of {runs} runs, in ms:")  # fmt: skip
    table(found, "wall clock")
    table(found, "CPU of this process")
    calendar = found["31-day calendar (any)"]
    print(
        f"  calendar: warm {calendar['warm'].wall:.2f} ms wall, {calendar['warm'].cpu:.2f} CPU"
        f" (target <= 3); repeated {calendar['repeated'].wall:.3f} ms wall,"
        f" {calendar['repeated'].cpu:.3f} CPU with the reader's versions,"
        f" {calendar['lookup'].wall:.3f} ms with the turn's (target <= 0.3)"
    )
    print(f"  seed per-day calendar {seed_ms:.1f} ms: {seed_ms / calendar['uncached'].wall:.0f} x"
          " the uncached calendar")  # fmt: skip
    print("  cold: first question of a process; warm: after one booking by another engine;")
    print("  repeated: nothing changed in between, the versions from the engine's reader;")
    print("  lookup: repeated with the versions read by the dialog turn's own query (passed in);")
    print("  x: uncached / warm, uncached / repeated")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.seed, args.postgres))
