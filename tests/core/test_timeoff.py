"""Specialist time off entered by staff: previews, keeping or cancelling what is in the way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.catalog import VERSION
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking import timeoff
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import (
    Booking,
    Notification,
    SpecialistBlock,
    SpecialistOverride,
)
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, later, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def hold(engine: AsyncEngine, shop: Shop, client: int, hour: int, specialist: int) -> Booking:
    return await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=specialist, start=at(TOMORROW, hour),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip


async def tomorrows_bookings(engine: AsyncEngine, shop: Shop) -> dict[str, int]:
    """Anna: 10:00 confirmed, 12:00 held, 14:00 a hold that ran out; Boris: 10:00 confirmed."""
    confirmed = await hold(engine, shop, await new_client(engine, 1), 10, shop.anna)
    await bookings.confirm(engine, booking_id=confirmed.id, now=NOW)
    held = await hold(engine, shop, await new_client(engine, 2), 12, shop.anna)
    boris = await hold(engine, shop, await new_client(engine, 3), 10, shop.boris)
    await bookings.confirm(engine, booking_id=boris.id, now=NOW)
    lapsed = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 14),
        client_id=await new_client(engine, 4), channel="web", now=later(-11),
    )  # fmt: skip
    return {"confirmed": confirmed.id, "held": held.id, "boris": boris.id, "lapsed": lapsed.id}


async def statuses(engine: AsyncEngine) -> dict[int, tuple[str, str | None, str | None]]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(Booking))
        return {b.id: (b.status, b.cancelled_by, b.cancel_reason) for b in rows}


async def count(engine: AsyncEngine, table: type[SpecialistOverride | SpecialistBlock]) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def version(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(VERSION)) or 0)


async def test_a_preview_lists_live_bookings_in_the_way_and_writes_nothing(
    engine: AsyncEngine, shop: Shop
) -> None:
    ids = await tomorrows_bookings(engine, shop)
    overrides, blocks = (
        await count(engine, SpecialistOverride),
        await count(engine, SpecialistBlock),
    )
    day = await timeoff.day_off_conflicts(engine, specialist_id=shop.anna, day=TOMORROW, now=NOW)
    assert [b.id for b in day] == [ids["confirmed"], ids["held"]]
    week = await timeoff.vacation_conflicts(
        engine, specialist_id=shop.anna, first=TOMORROW - timedelta(days=1),
        last=TOMORROW + timedelta(days=6), now=NOW,
    )  # fmt: skip
    assert [b.id for b in week] == [ids["confirmed"], ids["held"]]
    lunch = await timeoff.block_conflicts(
        engine, specialist_id=shop.anna, start=at(TOMORROW, 11), end=at(TOMORROW, 13), now=NOW
    )
    assert [b.id for b in lunch] == [ids["held"]]
    elsewhere = await timeoff.day_off_conflicts(
        engine, specialist_id=shop.anna, day=TOMORROW + timedelta(days=1), now=NOW
    )
    assert elsewhere == []
    assert (await count(engine, SpecialistOverride), await count(engine, SpecialistBlock)) == (
        overrides,
        blocks,
    )


async def test_a_day_off_keeping_the_bookings(engine: AsyncEngine, shop: Shop) -> None:
    ids = await tomorrows_bookings(engine, shop)
    stale = await catalogs.current(engine)
    before = await version(engine)
    added = await timeoff.add_day_off(
        engine, specialist_id=shop.anna, day=TOMORROW, reason="dentist", now=NOW
    )
    assert [b.id for b in added.conflicts] == [ids["confirmed"], ids["held"]]
    assert added.cancelled == ()
    assert (await statuses(engine))[ids["confirmed"]][0] == "confirmed"
    async with session_factory(engine)() as session:
        row = await session.get(SpecialistOverride, added.id)
        assert row is not None
        assert (row.kind, row.source, row.reason) == ("day_off", "staff", "dentist")
    assert await version(engine) > before
    assert catalogs.cached(engine) is stale  # a process that has not reloaded yet
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine, 9), 16, shop.anna)
    assert refused.value.reason == Refusal.NOT_BOOKABLE


async def test_a_day_off_cancelling_the_bookings(engine: AsyncEngine, shop: Shop) -> None:
    ids = await tomorrows_bookings(engine, shop)
    added = await timeoff.add_day_off(
        engine, specialist_id=shop.anna, day=TOMORROW, reason="ill", now=later(1),
        cancel_conflicts=True,
    )  # fmt: skip
    assert set(added.cancelled) == {ids["confirmed"], ids["held"]}
    now = await statuses(engine)
    assert now[ids["confirmed"]] == ("cancelled", "specialist", "ill")
    assert now[ids["held"]][0] == "expired"
    assert now[ids["boris"]][0] == "confirmed"
    async with session_factory(engine)() as session:
        told = await session.scalars(
            select(Notification.channel).where(
                Notification.booking_id == ids["confirmed"],
                Notification.kind == "cancelled_by_specialist",
            )
        )
        assert sorted(told) == ["email", "sms", "telegram"]


async def test_a_vacation_with_a_substitute(engine: AsyncEngine, shop: Shop) -> None:
    first, last = TOMORROW, TOMORROW + timedelta(days=6)
    added = await timeoff.add_vacation(
        engine, specialist_id=shop.anna, first=first, last=last, reason="skiing",
        substitute_id=shop.carl, now=NOW,
    )  # fmt: skip
    async with session_factory(engine)() as session:
        row = await session.get(SpecialistOverride, added.id)
        assert row is not None
        assert (row.kind, row.source, row.substitute_id) == ("vacation", "staff", shop.carl)
        found = await FreeTime(session, now=NOW).substitutes(shop.anna, shop.haircut)
    assert found[0].specialist_id == shop.carl
    with pytest.raises(ValueError, match="themselves"):
        await timeoff.add_vacation(
            engine, specialist_id=shop.anna, first=first, last=last, reason=None,
            substitute_id=shop.anna, now=NOW,
        )  # fmt: skip
    with pytest.raises(ValueError, match="before the first"):
        await timeoff.add_vacation(
            engine, specialist_id=shop.anna, first=last, last=first, reason=None, now=NOW
        )


async def test_a_block_cancelling_and_refusing_holds(engine: AsyncEngine, shop: Shop) -> None:
    ids = await tomorrows_bookings(engine, shop)
    await catalogs.current(engine)  # blocks are busy time: no reload is needed to see them
    added = await timeoff.add_block(
        engine, specialist_id=shop.anna, start=at(TOMORROW, 9), end=at(TOMORROW, 11),
        reason="meeting", now=NOW, cancel_conflicts=True, cancel_reason="a meeting came up",
    )  # fmt: skip
    assert added.cancelled == (ids["confirmed"],)
    assert (await statuses(engine))[ids["confirmed"]] == (
        "cancelled",
        "specialist",
        "a meeting came up",
    )
    async with session_factory(engine)() as session:
        row = await session.get(SpecialistBlock, added.id)
        assert row is not None and row.source == "staff"
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine, 9), 9, shop.anna)
    assert refused.value.reason == Refusal.SLOT_TAKEN
    with pytest.raises(ValueError, match="not after"):
        await timeoff.add_block(
            engine, specialist_id=shop.anna, start=at(TOMORROW, 11), end=at(TOMORROW, 11),
            reason=None, now=NOW,
        )  # fmt: skip


async def test_unknown_specialist_and_long_reason(engine: AsyncEngine, shop: Shop) -> None:
    with pytest.raises(LookupError):
        await timeoff.add_day_off(engine, specialist_id=999, day=TOMORROW, reason=None, now=NOW)
    with pytest.raises(ValueError, match="longer than"):
        await timeoff.add_day_off(
            engine, specialist_id=shop.anna, day=TOMORROW, reason="x" * 1000, now=NOW
        )
    assert await count(engine, SpecialistOverride) == 1  # only the shop's own day off


async def test_a_reimport_keeps_staff_time_off(engine: AsyncEngine, shop: Shop) -> None:
    from slotbot.core.importing.format import parse_import_text
    from slotbot.core.importing.importer import apply_import

    await timeoff.add_day_off(engine, specialist_id=shop.anna, day=date(2026, 12, 4), reason=None,
                              now=NOW)  # fmt: skip
    await apply_import(engine, parse_import_text("services: []\n"))
    async with session_factory(engine)() as session:
        kept = await session.scalar(
            select(func.count()).where(SpecialistOverride.source == "staff")
        )
    assert kept == 1
