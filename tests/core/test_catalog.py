"""The in-memory catalog: triggers move its version, and a stale copy never books wrongly."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core import catalog as catalogs
from slotbot.core.booking import BookingRefused, Refusal
from slotbot.core.catalog import VERSION
from slotbot.core.db import session_factory, writer
from slotbot.core.importer_format import parse_import_text
from slotbot.core.models import (
    Booking,
    BusinessSetting,
    Service,
    SpecialistBlock,
    SpecialistOverride,
    SpecialistSchedule,
)
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def version(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(VERSION)) or 0)


async def day_off(engine: AsyncEngine, specialist: int, day: date) -> None:
    async with writer(engine) as session:
        session.add(SpecialistOverride(specialist_id=specialist, starts_on=day, ends_on=day,
                                       kind="day_off", source="staff"))  # fmt: skip


async def test_catalog_changes_move_the_version(engine: AsyncEngine, shop: Shop) -> None:
    start = await version(engine)
    await day_off(engine, shop.anna, TOMORROW)
    assert await version(engine) > start
    moved = await version(engine)
    async with writer(engine) as session:
        await session.execute(
            update(Service).where(Service.id == shop.haircut).values(duration_minutes=45)
        )
    assert await version(engine) > moved


async def test_bookings_and_blocks_leave_the_version_alone(engine: AsyncEngine, shop: Shop) -> None:
    start = await version(engine)
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    async with writer(engine) as session:
        session.add(SpecialistBlock(specialist_id=shop.anna, starts_at=at(TOMORROW, 13),
                                    ends_at=at(TOMORROW, 14)))  # fmt: skip
    assert await version(engine) == start


async def test_a_stale_catalog_cannot_hold_a_day_off(engine: AsyncEngine, shop: Shop) -> None:
    stale = await catalogs.current(engine)
    await day_off(engine, shop.anna, TOMORROW)  # another process gives Anna the day off
    assert catalogs.cached(engine) is stale
    with pytest.raises(BookingRefused) as refused:
        await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
            client_id=await new_client(engine), channel="web", now=NOW,
        )  # fmt: skip
    assert refused.value.reason == Refusal.NOT_BOOKABLE
    assert (await catalogs.current(engine)).version == await version(engine)


async def test_a_stale_catalog_does_not_refuse_new_hours(engine: AsyncEngine, shop: Shop) -> None:
    await catalogs.current(engine)
    async with writer(engine) as session:  # Anna starts working Sundays
        session.add(
            SpecialistSchedule(specialist_id=shop.anna, weekday=6, start_time=time(10),
                               end_time=time(12), slot_duration=60, break_after=0)
        )  # fmt: skip
    sunday = TOMORROW + timedelta(days=4)
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(sunday, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    assert held.status == "held"


async def test_confirm_after_the_day_was_taken_off(engine: AsyncEngine, shop: Shop) -> None:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    await day_off(engine, shop.anna, TOMORROW)
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=NOW)
    assert refused.value.reason == Refusal.NOT_BOOKABLE
    async with session_factory(engine)() as session:
        booking = await session.get(Booking, held.id)
        assert booking is not None and booking.status == "expired"


async def test_the_cache_can_be_dropped(engine: AsyncEngine, shop: Shop) -> None:
    first = await catalogs.current(engine)
    catalogs.forget(engine)
    assert catalogs.cached(engine) is None
    again = await catalogs.current(engine)
    assert again is not first and again.version == first.version
    assert sorted(again.providers(shop.haircut)) == [shop.anna, shop.boris, shop.carl]


async def test_substitute_after_days_is_a_rule_from_the_settings(
    engine: AsyncEngine, shop: Shop
) -> None:
    assert (await catalogs.refresh(engine)).rules.substitute_after_days == 7  # the default
    spec = parse_import_text(
        "settings: {substitute_after_days: 3}\n"
        "services: [{key: haircut, name: {en: Haircut}, duration: 60}]\n"
    )
    assert spec.settings.substitute_after_days == 3
    async with writer(engine) as session:
        session.add(BusinessSetting(key="substitute_after_days", value=3))
    assert (await catalogs.refresh(engine)).rules.substitute_after == timedelta(days=3)
