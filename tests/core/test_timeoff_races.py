"""Time off racing clients: a block written while holds and confirms of the same time run
on other connections. Whoever commits first, no live booking ends up inside a block that
was written to cancel what stood in its way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.booking import timeoff
from slotbot.core.booking.service import BookingRefused
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import LIVE_STATUSES, Booking, SpecialistBlock
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client

ROUNDS = 8


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    made = [create_engine(database_url, pool_size=2, max_overflow=0) for _ in range(2)]
    try:
        yield made
    finally:
        for engine in made:
            await engine.dispose()


async def live_inside_blocks(engine: AsyncEngine) -> list[int]:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(Booking.id)
            .join(
                SpecialistBlock,
                (SpecialistBlock.specialist_id == Booking.specialist_id)
                & (SpecialistBlock.starts_at < Booking.ends_at)
                & (SpecialistBlock.ends_at > Booking.starts_at),
            )
            .where(Booking.status.in_(LIVE_STATUSES))
        )
        return [r[0] for r in rows]


async def block(engine: AsyncEngine, shop: Shop, start: datetime) -> None:
    await timeoff.add_block(
        engine, specialist_id=shop.anna, start=start, end=start + timedelta(hours=1),
        reason="meeting", now=NOW, cancel_conflicts=True, cancel_reason="meeting",
    )  # fmt: skip


async def test_a_block_racing_holds(engine: AsyncEngine, engines: list[AsyncEngine]) -> None:
    shop = await build_shop(engine)
    clients = [await new_client(engine, n) for n in range(ROUNDS)]
    for n in range(ROUNDS):
        start = at(TOMORROW, 9 + n)

        async def hold(n: int = n, start: datetime = start) -> None:
            with contextlib.suppress(BookingRefused):
                await bookings.hold(
                    engines[0], service_id=shop.haircut, specialist_id=shop.anna, start=start,
                    client_id=clients[n], channel="web", now=NOW,
                )  # fmt: skip

        await asyncio.gather(hold(), block(engines[1], shop, start))
    assert await live_inside_blocks(engine) == []
    await assert_no_overlapping_live_bookings(engine)


async def test_a_block_racing_confirms(engine: AsyncEngine, engines: list[AsyncEngine]) -> None:
    shop = await build_shop(engine)
    clients = [await new_client(engine, n) for n in range(ROUNDS)]
    held = [
        await bookings.hold(
            engine,
            service_id=shop.haircut,
            specialist_id=shop.anna,
            start=at(TOMORROW, 9 + n),
            client_id=clients[n],
            channel="web",
            now=NOW,
        )
        for n in range(ROUNDS)
    ]
    for n, hold in enumerate(held):

        async def confirm(hold: Booking = hold) -> None:
            with contextlib.suppress(BookingRefused):
                await bookings.confirm(engines[0], booking_id=hold.id, now=NOW)

        await asyncio.gather(confirm(), block(engines[1], shop, at(TOMORROW, 9 + n)))
    assert await live_inside_blocks(engine) == []
    await assert_no_overlapping_live_bookings(engine)
