"""What the conversation reads about the shop: names in a locale, offers by keys, a client's
own bookings."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.availability.directory import (
    UnknownKey,
    client_booking,
    client_bookings,
    load_directory,
    resolve_offer,
)
from slotbot.core.storage.db import session_factory
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


async def test_names_in_a_locale_and_providers(engine: AsyncEngine) -> None:
    shop: Shop = await build_shop(engine)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
        assert await load_directory(session) is directory  # cached while nothing changes
    service = directory.services[shop.haircut]
    assert service.name("en") and service.name("xx") == service.name("en")
    assert shop.anna in directory.providers(shop.haircut)


async def test_offers_by_keys(engine: AsyncEngine) -> None:
    shop: Shop = await build_shop(engine)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
    anyone = resolve_offer(directory, service_key="haircut", specialist_key="any")
    assert anyone.specialist_ids == (shop.anna, shop.boris, shop.carl)
    assert anyone.duration == 60 and anyone.keys[shop.anna] == "anna"
    anna = resolve_offer(directory, service_key="haircut", specialist_key="anna")
    assert anna.specialist_ids == (shop.anna,)
    for service, specialist, said in [
        ("nails", None, "unknown service 'nails'"),
        ("haircut", "zoe", "unknown specialist 'zoe'"),
        ("haircut", "dora", "specialist 'dora' does not offer 'haircut'"),
    ]:
        with pytest.raises(UnknownKey, match=said):
            resolve_offer(directory, service_key=service, specialist_key=specialist)


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
