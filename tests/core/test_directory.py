"""What the conversation reads about the shop: names in a locale, next free slots in one
batch, a client's own bookings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.db import session_factory
from slotbot.core.directory import client_booking, client_bookings, load_directory, next_slots
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


async def test_names_in_a_locale_and_providers(engine: AsyncEngine) -> None:
    shop: Shop = await build_shop(engine)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
        assert await load_directory(session) is directory  # cached while nothing changes
    service = directory.services[shop.haircut]
    assert service.name("en") and service.name("xx") == service.name("en")
    assert shop.anna in directory.providers(shop.haircut)


async def test_next_slot_of_every_specialist_in_one_call(engine: AsyncEngine) -> None:
    shop: Shop = await build_shop(engine)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
        firsts = await next_slots(session, directory, shop.haircut, now=NOW)
    assert set(firsts) == set(directory.providers(shop.haircut))
    assert all(s is None or s.start >= NOW + timedelta(minutes=30) for s in firsts.values())


async def test_a_clients_bookings_and_nobody_elses(engine: AsyncEngine) -> None:
    shop: Shop = await build_shop(engine)
    client = await new_client(engine)
    held = await booking.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    await booking.confirm(engine, booking_id=held.id, now=NOW)
    async with session_factory(engine)() as session:
        upcoming, past = await client_bookings(session, client, now=NOW)
        assert [b.id for b in upcoming] == [held.id] and past == []
        assert upcoming[0].local_start().hour == 10
        assert await client_booking(session, client + 999, held.id) is None
        later = at(TOMORROW, 12)
        upcoming, past = await client_bookings(session, client, now=later)
        assert upcoming == [] and [b.id for b in past] == [held.id]
