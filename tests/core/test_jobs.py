"""Periodic housekeeping: run-out holds expire, ended bookings complete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.jobs import HOUSEKEEPING_SECONDS, JobLeases, build_scheduler, housekeeping
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import Booking
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def status_of(engine: AsyncEngine, booking_id: int) -> str:
    async with session_factory(engine)() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        return booking.status


async def test_housekeeping(engine: AsyncEngine, shop: Shop) -> None:
    async def hold(client: int, hour: int) -> Booking:
        return await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
            client_id=client, channel="web", now=NOW,
        )  # fmt: skip

    kept = await hold(await new_client(engine, 1), 10)
    await bookings.confirm(engine, booking_id=kept.id, now=NOW)
    lapsed = await hold(await new_client(engine, 2), 11)

    done = await housekeeping(engine, now=NOW + timedelta(minutes=5))
    assert (done.expired_holds, done.completed_bookings) == (0, 0)
    done = await housekeeping(engine, now=NOW + timedelta(minutes=10))
    assert (done.expired_holds, done.completed_bookings) == (1, 0)
    assert await status_of(engine, lapsed.id) == "expired"
    done = await housekeeping(engine, now=at(TOMORROW, 11))
    assert (done.expired_holds, done.completed_bookings) == (0, 1)
    assert await status_of(engine, kept.id) == "completed"
    again = await housekeeping(engine, now=at(TOMORROW, 12))
    assert (again.expired_holds, again.completed_bookings) == (0, 0)


async def test_the_scheduler_runs_housekeeping_at_start_and_again(
    engine: AsyncEngine, shop: Shop
) -> None:
    """Behaviour, not APScheduler's attributes: a started scheduler expires a run-out hold
    at once and keeps running on its interval."""
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    runs: list[datetime] = []

    def clock() -> datetime:
        runs.append(NOW + timedelta(minutes=11))
        return runs[-1]

    scheduler = build_scheduler(engine, clock=clock, interval_seconds=0.05)
    scheduler.start()
    try:
        for _ in range(200):
            if len(runs) >= 3 and await status_of(engine, held.id) == "expired":
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert await status_of(engine, held.id) == "expired"
    assert len(runs) >= 3  # the first run at start, then on the interval


def test_housekeeping_runs_every_minute_by_default() -> None:
    assert HOUSEKEEPING_SECONDS == 60


async def test_two_processes_run_housekeeping_in_one_of_them(
    database_url: str, engine: AsyncEngine, shop: Shop
) -> None:
    """Two schedulers on two engines (two processes): each tick runs in the lease holder
    alone; when it stops and hands its lease back, the other takes the job over.

    The lease lasts a minute here, not three 50 ms ticks: on a loaded machine a renewal
    that waits behind the other process's write lock must not hand the job over (that is
    what a process that died does, and ``test_shared_state`` covers it)."""
    runs: list[str] = []

    def clock_of(name: str) -> Callable[[], datetime]:
        def clock() -> datetime:  # called once per housekeeping run
            runs.append(name)
            return NOW

        return clock

    engines = {name: create_engine(database_url) for name in ("a", "b")}
    leases = {name: JobLeases(e, name, lease=timedelta(minutes=1)) for name, e in engines.items()}
    schedulers = {
        name: build_scheduler(e, clock=clock_of(name), interval_seconds=0.05, leases=leases[name])
        for name, e in engines.items()
    }
    try:
        for scheduler in schedulers.values():
            scheduler.start()
        for _ in range(200):
            if len(runs) >= 10:
                break
            await asyncio.sleep(0.05)
        first = runs[0]
        assert set(runs) == {first}, runs
        await leases[first].stop()
        schedulers[first].shutdown(wait=False)
        other = "b" if first == "a" else "a"
        handed = len(runs)
        for _ in range(100):
            if runs[handed:].count(other) >= 3:
                break
            await asyncio.sleep(0.05)
        assert runs[handed:].count(other) >= 3
        assert runs[handed:].count(first) <= 1  # at most a run already under way
    finally:
        for scheduler in schedulers.values():
            if scheduler.running:
                scheduler.shutdown(wait=False)
        for name in leases:
            await leases[name].stop()
        for e in engines.values():
            await e.dispose()
