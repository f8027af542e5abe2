"""The bookings version (migration 0011): triggers move it on every change of busy time and
stamp the specialists whose busy time changed; nothing else moves it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability.busy import read_versions
from slotbot.core.availability.engine import OverrideKind
from slotbot.core.storage.db import create_engine, is_sqlite, session_factory, writer
from slotbot.core.storage.models import (
    OVERRIDE_KINDS,
    Booking,
    Client,
    SpecialistBlock,
    SpecialistOverride,
)
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def versions(engine: AsyncEngine, since: int = -1) -> tuple[int, dict[int, int]]:
    """The bookings version and the specialists changed after ``since``."""
    async with session_factory(engine)() as session:
        read, changes = await read_versions(session, since=since)
    return read.bookings, changes


async def test_every_change_of_busy_time_moves_it(engine: AsyncEngine, shop: Shop) -> None:
    client, other = await new_client(engine), await new_client(engine, 2)
    seen, _ = await versions(engine)

    async def moved(*specialists: int) -> None:
        """The version moved, and exactly ``specialists`` were stamped with the new one."""
        nonlocal seen
        now, changes = await versions(engine, since=seen)
        assert now > seen
        assert set(changes) == set(specialists) and set(changes.values()) <= {now}
        seen = now

    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip
    await moved(shop.anna)  # inserted
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    await moved(shop.anna)  # status
    changes = [
        {"starts_at": at(TOMORROW, 11), "ends_at": at(TOMORROW, 12)},  # time
        {"hold_expires_at": at(TOMORROW, 9)},
        {"client_id": other},  # whose own bookings it is
    ]
    for values in changes:
        async with writer(engine) as session:
            await session.execute(update(Booking).where(Booking.id == held.id).values(**values))
        await moved(shop.anna)
    async with writer(engine) as session:
        await session.execute(
            update(Booking).where(Booking.id == held.id).values(specialist_id=shop.boris)
        )
    await moved(shop.anna, shop.boris)  # both specialists' busy time changed
    async with writer(engine) as session:
        await session.execute(delete(Booking).where(Booking.id == held.id))
    await moved(shop.boris)

    async with writer(engine) as session:
        block = await session.scalar(
            insert(SpecialistBlock)
            .values(specialist_id=shop.carl, starts_at=at(TOMORROW, 13), ends_at=at(TOMORROW, 14))
            .returning(SpecialistBlock.id)
        )
    await moved(shop.carl)
    async with writer(engine) as session:
        await session.execute(
            update(SpecialistBlock)
            .where(SpecialistBlock.id == block)
            .values(ends_at=at(TOMORROW, 15))
        )
    await moved(shop.carl)
    async with writer(engine) as session:
        await session.execute(delete(SpecialistBlock).where(SpecialistBlock.id == block))
    await moved(shop.carl)


async def test_what_is_not_busy_time_leaves_it_alone(engine: AsyncEngine, shop: Shop) -> None:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    before = await versions(engine)
    async with writer(engine) as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == held.id)
            .values(channel="telegram", starts_at=held.starts_at, status=held.status)
        )
        await session.execute(update(Client).values(name="Renamed"))
        session.add(  # a catalog change: the catalog's version moves instead
            SpecialistOverride(specialist_id=shop.anna, starts_on=TOMORROW, ends_on=TOMORROW,
                               kind="day_off")
        )  # fmt: skip
    assert await versions(engine) == before


async def test_the_override_kinds_stored_are_the_engines() -> None:
    assert set(OVERRIDE_KINDS) == {kind.value for kind in OverrideKind}


async def test_a_writer_waiting_to_commit_holds_up_nobody(
    engine: AsyncEngine, database_url: str, shop: Shop
) -> None:
    """PostgreSQL: the counter's row is taken at commit only, so a transaction that has
    written busy time and not committed (a dialog turn still working) does not keep
    another process from committing its own."""
    if is_sqlite(engine):
        pytest.skip("SQLite has one writer at a time anyway")
    other = create_engine(database_url)
    try:
        async with engine.begin() as slow:
            await slow.execute(
                insert(SpecialistBlock).values(
                    specialist_id=shop.anna, starts_at=at(TOMORROW, 9), ends_at=at(TOMORROW, 10)
                )
            )

            async def commit_another() -> None:
                async with other.begin() as quick:
                    await quick.execute(
                        insert(SpecialistBlock).values(
                            specialist_id=shop.boris, starts_at=at(TOMORROW, 9),
                            ends_at=at(TOMORROW, 10),
                        )
                    )  # fmt: skip

            await asyncio.wait_for(commit_another(), timeout=5)
            quick_version, changes = await versions(other)
            assert set(changes) == {shop.boris}
        slow_version, changes = await versions(engine, since=quick_version)
        assert slow_version > quick_version and set(changes) == {shop.anna}
    finally:
        await other.dispose()
