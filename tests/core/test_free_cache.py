"""The process's availability cache never answers differently from a fresh computation: after
bookings and blocks written by other processes, holds running out with nobody writing, the
minimum notice and the date moving with ``now``, catalog changes (whether the versions come
from the engine's reader or from a query in the session); and a repeated question costs no
statement through the engine's pool (the reader's read, or one small query without it)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability import answers as answers_module
from slotbot.core.availability import cache as caches
from slotbot.core.availability import free as free_module
from slotbot.core.availability.busy import Stretch, Versions, read_versions
from slotbot.core.availability.cache import LRU
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking.service import BookingRefused
from slotbot.core.storage.db import create_engine, session_factory, writer
from slotbot.core.storage.models import Booking, SpecialistBlock, SpecialistOverride
from slotbot.core.storage.sessions import load_session
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client

NOTICE = timedelta(minutes=30)  # the shop's minimum notice (the default)
HOLD = timedelta(minutes=10)


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


@asynccontextmanager
async def asking(engine: AsyncEngine, **kw: Any) -> AsyncIterator[FreeTime]:
    kw.setdefault("now", NOW)
    async with session_factory(engine)() as session:
        yield FreeTime(session, **kw)


async def starts(engine: AsyncEngine, shop: Shop, day: date = TOMORROW, **kw: Any) -> list[Any]:
    """Anna's free starts on ``day``, cached and afresh: the two must agree."""
    async with asking(engine, **kw) as cached, asking(engine, cached=False, **kw) as afresh:
        found = await cached.slots(shop.haircut, [shop.anna], day)
        assert found == await afresh.slots(shop.haircut, [shop.anna], day)
    return [s.start for s in found]


# --- others write: seen at once ---------------------------------------------------------------


def cli(url: str, *argv: str) -> str:
    """The ``slotbot`` command in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "slotbot.cli", *argv],
        env={**os.environ, "SLOTBOT_DATABASE_URL": url}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_booking_by_another_process_is_seen_by_the_next_question(
    engine: AsyncEngine, database_url: str, shop: Shop
) -> None:
    ten = at(TOMORROW, 10)
    assert ten in await starts(engine, shop)  # asked and kept
    assert ten in await starts(engine, shop)
    out = cli(
        database_url, "book", "--service", "haircut", "--specialist", "anna",
        "--start", "2026-12-02T10:00", "--name", "Walk In", "--phone", "+4915100000077",
        "--now", NOW.isoformat(), "--json",
    )  # fmt: skip
    assert ten not in await starts(engine, shop)
    booking_id = __import__("json").loads(out)["id"]
    cli(database_url, "cancel", str(booking_id), "--now", NOW.isoformat())
    assert ten in await starts(engine, shop)


@pytest.mark.parametrize("reader", [True, False], ids=["reader", "session"])
async def test_blocks_time_off_and_bookings_by_another_engine_are_seen_at_once(
    engine: AsyncEngine, database_url: str, shop: Shop, reader: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if not reader:
        monkeypatch.setattr(free_module, "committed_versions", no_reader)
    other = create_engine(database_url)  # another process's pool and cache
    try:
        assert at(TOMORROW, 10) in await starts(engine, shop)
        async with writer(other) as session:
            session.add(SpecialistBlock(specialist_id=shop.anna, starts_at=at(TOMORROW, 10),
                                        ends_at=at(TOMORROW, 11)))  # fmt: skip
        assert at(TOMORROW, 10) not in await starts(engine, shop)
        held = await bookings.hold(
            other, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 12),
            client_id=await new_client(other), channel="web", now=NOW,
        )  # fmt: skip
        assert at(TOMORROW, 12) not in await starts(engine, shop)
        await bookings.release(other, booking_id=held.id, now=NOW)
        assert at(TOMORROW, 12) in await starts(engine, shop)
        async with writer(other) as session:  # a catalog change
            session.add(SpecialistOverride(specialist_id=shop.anna, starts_on=TOMORROW,
                                           ends_on=TOMORROW, kind="day_off"))  # fmt: skip
        assert await starts(engine, shop) == []
    finally:
        await other.dispose()


async def test_who_changed_read_with_the_dialogs_session_is_caught_up_on(
    engine: AsyncEngine, database_url: str, shop: Shop
) -> None:
    """The dialog reads the versions and whose busy time changed with its session
    (``load_session(busy_since=...)``): questions at those versions read only those
    specialists' busy time again, and answer as a fresh computation does."""
    other = create_engine(database_url)  # another process's pool and cache
    try:
        assert at(TOMORROW, 10) in await starts(engine, shop)  # asked and kept
        held = await bookings.hold(
            other, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
            client_id=await new_client(other), channel="web", now=NOW,
        )  # fmt: skip
        known = caches.cache_of(engine).known
        loaded = await load_session(
            engine, channel="telegram", conversation_id="u", busy_since=known
        )
        assert loaded.busy_changed == {shop.anna: loaded.bookings_version}
        versions = Versions(
            loaded.catalog_version, loaded.bookings_version, loaded.busy_changed, known
        )
        async with statements(engine) as seen:
            assert at(TOMORROW, 10) not in await starts(engine, shop, versions=versions)
        assert not [sql for sql in seen if "busy_versions" in sql]  # not read again
        assert caches.cache_of(engine).known == loaded.bookings_version
        await bookings.release(other, booking_id=held.id, now=NOW)
        assert at(TOMORROW, 10) in await starts(engine, shop)
    finally:
        await other.dispose()


# --- time passes, nobody writes ---------------------------------------------------------------


async def test_a_hold_running_out_frees_its_time_at_that_instant(
    engine: AsyncEngine, shop: Shop
) -> None:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    assert held.hold_expires_at == NOW + HOLD
    tick = timedelta(microseconds=1)
    for now, free in [(NOW, False), (NOW + HOLD - tick, False), (NOW + HOLD, True),
                      (NOW + HOLD - tick, False), (NOW + HOLD + tick, True)]:  # fmt: skip
        assert (at(TOMORROW, 10) in await starts(engine, shop, now=now)) is free, now


async def test_the_minimum_notice_moves_with_now(engine: AsyncEngine, shop: Shop) -> None:
    """Today's 9:00 is offered until 8:30 and not a microsecond later."""
    today, tick = NOW.date(), timedelta(microseconds=1)
    edge = at(today, 9) - NOTICE
    for now, nine in [(NOW, True), (edge, True), (edge + tick, False), (edge, True)]:
        assert (at(today, 9) in await starts(engine, shop, today, now=now)) is nine
        async with asking(engine, now=now) as cached, asking(engine, now=now, cached=False) as a:
            assert await cached.soonest(shop.haircut) == await a.soonest(shop.haircut)
            first = (await cached.first_slots(shop.haircut))[shop.anna]
            assert first is not None and (first.start == at(today, 9)) is nine


async def test_a_new_day_moves_today_and_the_horizon(engine: AsyncEngine, shop: Shop) -> None:
    """The horizon is 60 days: on Thursday 3 December, Monday 1 February opens at local
    midnight."""
    today = NOW.date()
    first, last = today, today + timedelta(days=62)
    midnight = at(today + timedelta(days=2), 0)
    for now in (NOW, midnight - timedelta(microseconds=1), midnight, NOW):
        async with asking(engine, now=now) as cached, asking(engine, now=now, cached=False) as a:
            days = await cached.days(shop.haircut, None, first, last)
            assert days == await a.days(shop.haircut, None, first, last)
            assert days[date(2027, 2, 1)] is (now >= midnight)


# --- what a repeated question costs -----------------------------------------------------------


@asynccontextmanager
async def statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The SQL statements ``engine`` runs meanwhile."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if not sql.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def no_reader(_engine: AsyncEngine, *, since: int, busy_over: object = None) -> None:
    """:func:`~slotbot.core.storage.version_reader.committed_versions` when the reader
    cannot say (busy, lost, or none for this database)."""


async def test_a_repeated_question_reads_only_the_versions(
    engine: AsyncEngine, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    month = (TOMORROW, TOMORROW + timedelta(days=30))
    async with asking(engine) as free:
        first = await free.days(shop.haircut, None, *month)
    async with statements(engine) as seen, asking(engine) as free:
        assert await free.days(shop.haircut, None, *month) == first
        assert await free.soonest(shop.haircut) is not None  # same moment: no second read
    assert seen == []  # the versions came from the engine's reader, outside the pool
    monkeypatch.setattr(free_module, "committed_versions", no_reader)
    async with statements(engine) as seen, asking(engine) as free:
        assert await free.days(shop.haircut, None, *month) == first
        assert await free.soonest(shop.haircut) is not None
    assert len(seen) == 1 and "bookings_state" in seen[0]  # without it: one small query
    async with session_factory(engine)() as session:
        versions, _ = await read_versions(session, since=-1)
    async with statements(engine) as seen, asking(engine, versions=versions) as free:
        assert await free.days(shop.haircut, None, *month) == first
    assert seen == []  # the dialog reads the versions with its session: nothing more


async def test_only_the_specialist_whose_time_changed_is_read_again(
    engine: AsyncEngine, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Boris's booking, the next calendar reads the versions (which say Boris changed),
    then Boris's busy time (both by the engine's reader, or else two statements in the
    session); the others' answers are kept."""
    month = (TOMORROW, TOMORROW + timedelta(days=30))
    read: list[list[int]] = []
    reread: list[frozenset[int]] = []
    real_read, real_catch_up = answers_module.busy_stretches, free_module.catch_up

    async def spy_read(session: Any, ids: Sequence[int], *args: Any) -> Any:
        read.append(sorted(ids))
        return await real_read(session, ids, *args)

    async def spy_catch_up(session: Any, **kw: Any) -> Any:
        up = await real_catch_up(session, **kw)
        reread.append(up.reread)
        return up

    monkeypatch.setattr(answers_module, "busy_stretches", spy_read)
    monkeypatch.setattr(free_module, "catch_up", spy_catch_up)
    async with asking(engine) as free:
        await free.days(shop.haircut, None, *month)
    assert read == [sorted([shop.anna, shop.boris, shop.carl])]
    await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.boris, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    async with statements(engine) as seen, asking(engine) as free:
        days = await free.days(shop.haircut, None, *month)
    # the versions and Boris's busy time from the reader: nothing through the pool
    assert seen == [] and read[1:] == [] and reread[-1] == {shop.boris}
    async with asking(engine, cached=False) as afresh:
        assert days == await afresh.days(shop.haircut, None, *month)
    await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.carl, start=at(TOMORROW, 10),
        client_id=await new_client(engine, 2), channel="web", now=NOW,
    )  # fmt: skip
    monkeypatch.setattr(free_module, "committed_versions", no_reader)
    async with statements(engine) as seen, asking(engine) as free:
        days = await free.days(shop.haircut, None, *month)
    # without the reader: the versions, then Carl's busy time, through the session
    assert len(seen) == 2 and read[1:] == [] and reread[-1] == {shop.carl}
    async with asking(engine, cached=False) as afresh:
        assert days == await afresh.days(shop.haircut, None, *month)


async def test_the_cache_is_bounded_and_can_be_dropped(engine: AsyncEngine, shop: Shop) -> None:
    kept: LRU[int, str] = LRU(2)
    for key in (1, 2, 3):
        kept.put(key, str(key))
    assert len(kept) == 2 and kept.get(1) is None and kept.get(3) == "3"
    kept.get(2)
    kept.put(4, "4")  # 3 was used least recently
    assert kept.get(3) is None and kept.get(2) == "2"

    before = await starts(engine, shop)
    assert len(caches.cache_of(engine).answers) > 0
    caches.forget(engine)
    assert len(caches.cache_of(engine).answers) == 0
    assert await starts(engine, shop) == before


# --- cached against afresh over a walk of bookings, holds, blocks and clock moves ---------------


@dataclass
class Walk:
    """A shop, its clients, and what has been done to it so far."""

    engine: AsyncEngine
    shop: Shop
    clients: list[int]
    now: datetime = NOW
    booked: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    holds: list[datetime] = field(default_factory=list)  # hold expiries, to step the clock to

    @property
    def specialists(self) -> list[int]:
        return [self.shop.anna, self.shop.boris, self.shop.carl]


def day_of(n: int) -> date:
    return NOW.date() + timedelta(days=n % 4)


async def act(walk: Walk, op: tuple[Any, ...]) -> None:
    """One change: a booking step, a block, a day off, or the clock moving."""
    kind, a, b, c = op
    engine, shop = walk.engine, walk.shop
    pick = walk.booked[a % len(walk.booked)] if walk.booked else None
    try:
        if kind == "hold":
            held = await bookings.hold(
                engine, service_id=shop.haircut, specialist_id=walk.specialists[a % 3],
                start=at(day_of(b), 9 + c % 9), client_id=walk.clients[c % len(walk.clients)],
                channel="web", now=walk.now,
            )  # fmt: skip
            walk.booked.append(held.id)
            assert held.hold_expires_at is not None
            walk.holds.append(held.hold_expires_at)
        elif kind == "confirm" and pick:
            await bookings.confirm(engine, booking_id=pick, now=walk.now)
        elif kind == "cancel" and pick:
            await bookings.cancel(engine, booking_id=pick, by="client", now=walk.now)
        elif kind == "release" and pick:
            await bookings.release(engine, booking_id=pick, now=walk.now)
        elif kind == "move" and pick:
            moved = await bookings.reschedule(
                engine, booking_id=pick, start=at(day_of(b), 9 + c % 9), now=walk.now
            )
            walk.booked.append(moved.id)
        elif kind == "block":  # an hour or so, or the whole working day
            start = at(day_of(b), 9 if c % 4 == 3 else 9 + c % 9)
            end = at(day_of(b), 18) if c % 4 == 3 else start + timedelta(minutes=30 + 30 * (c % 3))
            async with writer(engine) as session:
                block = await session.scalar(
                    insert(SpecialistBlock)
                    .values(specialist_id=walk.specialists[a % 3], starts_at=start, ends_at=end)
                    .returning(SpecialistBlock.id)
                )
            assert block is not None
            walk.blocks.append(block)
        elif kind == "unblock" and walk.blocks:
            async with writer(engine) as session:
                gone = walk.blocks.pop(a % len(walk.blocks))
                await session.execute(delete(SpecialistBlock).where(SpecialistBlock.id == gone))
        elif kind == "day_off":
            async with writer(engine) as session:
                session.add(SpecialistOverride(specialist_id=walk.specialists[a % 3],
                                               starts_on=day_of(b), ends_on=day_of(b),
                                               kind="day_off"))  # fmt: skip
        elif kind == "expire":
            await bookings.expire_holds(engine, now=walk.now)
        elif kind == "clock":
            walk.now += timedelta(minutes=a % 200 - 40)  # mostly forward, sometimes back
        elif kind == "to_expiry" and walk.holds:  # just before, at or just after a hold ends
            walk.now = walk.holds[a % len(walk.holds)] + timedelta(microseconds=b % 3 - 1)
        elif kind == "to_midnight":  # just before, at or just after a local date begins
            walk.now = at(day_of(a), 0) + timedelta(microseconds=b % 3 - 1)
        elif kind == "to_notice":  # a slot start just coming within the minimum notice
            walk.now = at(day_of(a), 9 + b % 9) - NOTICE + timedelta(microseconds=c % 3 - 1)
    except BookingRefused:
        pass  # refused steps are part of the walk too


async def agree(walk: Walk, n: int) -> None:
    """Ask the same questions cached and afresh, for anyone and for clients (one of them
    moving a booking): the answers are equal. The questions recur from step to step, so
    kept answers are asked again after each change."""
    shop = walk.shop
    day = day_of(n % 2)
    after = at(day, 10 + n % 2, 30)
    moving = walk.booked[-1] if walk.booked else None
    panel = [
        (None, None, None),
        (walk.clients[0], [shop.anna], None),
        (walk.clients[1], [shop.boris, shop.carl], moving),
        (walk.clients[2], walk.specialists, None),
    ]
    for client, ids, ignore in panel:
        kw = {"now": walk.now, "client_id": client, "ignore_booking": ignore}
        answers = []
        for cached in (True, False):
            async with session_factory(walk.engine)() as session:
                free = FreeTime(session, cached=cached, **kw)
                answers.append([
                    await free.days(shop.haircut, ids, NOW.date(), NOW.date() + timedelta(days=9)),
                    await free.slots(shop.haircut, ids, day),
                    await free.first_slots(shop.haircut, ids),
                    await free.soonest(shop.haircut, ids),
                    await free.upcoming(shop.haircut, ids, after=after, limit=3),
                    await free.substitutes(walk.specialists[n % 3], shop.haircut),
                    await free.slots(shop.massage, None, day),
                ])  # fmt: skip
        assert answers[0] == answers[1], (walk.now, kw, ids, day, after)


KINDS = ("hold", "hold", "confirm", "cancel", "release", "move", "block", "block", "unblock",
         "day_off", "expire", "clock", "clock", "to_expiry", "to_expiry", "to_notice",
         "to_midnight")  # fmt: skip
OPS = st.tuples(st.sampled_from(KINDS), *[st.integers(0, 1000)] * 3)


async def walk_through(engine: AsyncEngine, ops: Sequence[tuple[Any, ...]]) -> None:
    shop = await build_shop(engine)
    walk = Walk(engine, shop, [await new_client(engine, n) for n in (1, 2, 3)])
    await agree(walk, 0)
    for n, op in enumerate(ops, start=1):
        await act(walk, op)
        await agree(walk, n)


def random_ops(seed: int, count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    return [(rng.choice(KINDS), *(rng.randrange(1000) for _ in range(3))) for _ in range(count)]


@pytest.mark.parametrize("seed", [1, 2])
async def test_cached_answers_are_fresh_answers_over_a_walk(engine: AsyncEngine, seed: int) -> None:
    await walk_through(engine, random_ops(seed, 40))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=3, max_size=18))
def test_cached_answers_are_fresh_answers_for_any_walk(
    sqlite_template: Path, ops: list[tuple[Any, ...]]
) -> None:
    """Hypothesis shrinks a failing walk to the few steps that matter (SQLite)."""

    async def run(path: Path) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await walk_through(engine, ops)
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "walk.db"
        shutil.copyfile(sqlite_template, path)
        asyncio.run(run(path))


async def test_a_session_in_a_transaction_reads_the_versions_itself(
    engine: AsyncEngine, database_url: str, shop: Shop
) -> None:
    """A session that began its transaction before another engine's booking reads busy time
    as it was then (SQLite keeps the snapshot): the versions it answers at must be read in
    it too, or the cache would keep the old busy time under the new version."""
    ten = at(TOMORROW, 10)
    assert ten in await starts(engine, shop)
    other = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await session.execute(select(Booking.id).limit(1))  # the snapshot is taken
            await bookings.hold(
                other, service_id=shop.haircut, specialist_id=shop.anna, start=ten,
                client_id=await new_client(other), channel="web", now=NOW,
            )  # fmt: skip
            free = FreeTime(session, now=NOW)
            await free.slots(shop.haircut, [shop.anna], TOMORROW)
        assert ten not in await starts(engine, shop)
    finally:
        await other.dispose()


_stretch_shapes = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 20), st.integers(1, 4), st.booleans()),
    max_size=12,
)


def _stretches(shapes: list[tuple[int, int, int, bool]]) -> tuple[Stretch, ...]:
    """Blocks (id 0) and bookings (ids unique in one read, as a read gives them)."""
    found, ids = [], set()
    for booking_id, hour, hours, held in shapes:
        if booking_id in ids:
            continue
        if booking_id:
            ids.add(booking_id)
        start = NOW + timedelta(hours=hour)
        expires = NOW + timedelta(minutes=10) if held and booking_id else None
        found.append(Stretch(start, start + timedelta(hours=hours), booking_id, expires))
    return tuple(found)


@settings(max_examples=200, deadline=None)
@given(_stretch_shapes, _stretch_shapes)
def test_the_stretches_that_differ_are_those_of_a_symmetric_difference(
    now: list[tuple[int, int, int, bool]], before: list[tuple[int, int, int, bool]]
) -> None:
    """What tells the dates a re-read changed: matched by booking id, the same as a set's
    symmetric difference (a hold confirmed, moved, cancelled or new; a block added or gone)."""
    a, b = _stretches(now), _stretches(before)
    assert Counter(caches._differing(a, b)) == Counter(set(a) ^ set(b))  # each once
