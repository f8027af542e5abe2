"""Availability queries over the database: substitutes and the next free slots."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.calendars import substitutes_for, upcoming_slots
from slotbot.core.db import session_factory, writer
from slotbot.core.models import Service, SpecialistOverride
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def test_substitutes_are_those_free_soonest(engine: AsyncEngine, shop: Shop) -> None:
    async with writer(engine) as session:  # Boris is away for a week
        away = SpecialistOverride(
            specialist_id=shop.boris, starts_on=NOW.date(), ends_on=TOMORROW.replace(day=8),
            kind="vacation",
        )  # fmt: skip
        session.add(away)
    async with session_factory(engine)() as session:
        haircut = await session.get(Service, shop.haircut)
        assert haircut is not None
        found = await substitutes_for(session, shop.anna, haircut, now=NOW)
    assert [s.specialist_id for s in found] == [shop.carl, shop.boris]  # Dora does massage
    assert found[0].first_slot is not None and found[0].first_slot.start == at(NOW.date(), 9)
    assert found[1].first_slot is not None and found[1].first_slot.start == at(
        TOMORROW.replace(day=9), 9
    )


async def test_upcoming_slots_skip_what_is_taken(engine: AsyncEngine, shop: Shop) -> None:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    async with session_factory(engine)() as session:
        slots = await upcoming_slots(
            session, specialist_ids=[shop.anna], duration_minutes=60, after=held.starts_at, now=NOW
        )
    assert [s.start for s in slots] == [at(TOMORROW, 11), at(TOMORROW, 12), at(TOMORROW, 13)]


async def test_the_substitute_named_on_a_vacation_comes_first(
    engine: AsyncEngine, shop: Shop
) -> None:
    """Issue 6.8: Carl is named, so he leads though Boris is as free (and has a lower id)."""
    async with writer(engine) as session:
        session.add(
            SpecialistOverride(
                specialist_id=shop.anna, starts_on=TOMORROW, ends_on=TOMORROW.replace(day=8),
                kind="vacation", substitute_id=shop.carl,
            )
        )  # fmt: skip
    async with session_factory(engine)() as session:
        haircut = await session.get(Service, shop.haircut)
        assert haircut is not None
        found = await substitutes_for(session, shop.anna, haircut, now=NOW)
    assert [s.specialist_id for s in found] == [shop.carl, shop.boris]
