"""Race tests: real concurrent connections, each with a pool of its own, at one slot.

On PostgreSQL the exclusion constraint decides; on SQLite BEGIN IMMEDIATE serialises the
check and the insert. Either way exactly the right number win and nobody sees an exception
other than a clear "slot taken".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.storage.db import create_engine, session_factory, writer
from slotbot.core.storage.models import Booking, Notification
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Fifty engines, so that every racer has a connection of its own."""
    made = [create_engine(database_url, pool_size=1, max_overflow=0) for _ in range(50)]
    try:
        yield made
    finally:
        await asyncio.gather(*(e.dispose() for e in made))


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def attempt(engine: AsyncEngine, shop: Shop, client: int, specialist: int | None):  # type: ignore[no-untyped-def]
    try:
        return await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=specialist, start=at(TOMORROW, 10),
            client_id=client, channel="web", now=NOW,
        )  # fmt: skip
    except BookingRefused as refused:
        return refused


async def test_fifty_clients_one_slot_one_winner(
    engine: AsyncEngine, engines: list[AsyncEngine], shop: Shop
) -> None:
    clients = [await new_client(engine, n) for n in range(50)]
    results = await asyncio.gather(
        *(attempt(e, shop, c, shop.anna) for e, c in zip(engines, clients, strict=True))
    )
    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if isinstance(r, BookingRefused)]
    assert len(winners) == 1 and len(losers) == 49
    assert {r.reason for r in losers} == {Refusal.SLOT_TAKEN}
    assert all(r.next_slots for r in losers)
    async with session_factory(engine)() as session:
        live = await session.scalar(select(func.count()).where(Booking.status == "held"))
    assert live == 1
    await assert_no_overlapping_live_bookings(engine)


async def test_twenty_clients_on_any_fill_three_specialists(
    engine: AsyncEngine, engines: list[AsyncEngine], shop: Shop
) -> None:
    clients = [await new_client(engine, n) for n in range(20)]
    results = await asyncio.gather(
        *(attempt(e, shop, c, None) for e, c in zip(engines[:20], clients, strict=True))
    )
    winners = [r for r in results if isinstance(r, Booking)]
    assert len(winners) == 3
    assert {w.specialist_id for w in winners} == {shop.anna, shop.boris, shop.carl}
    assert {r.reason for r in results if isinstance(r, BookingRefused)} == {Refusal.SLOT_TAKEN}
    await assert_no_overlapping_live_bookings(engine)


async def test_one_clients_racing_holds_are_checked_against_each_other(
    engine: AsyncEngine, engines: list[AsyncEngine], shop: Shop
) -> None:
    """One client holding on many connections at once (PostgreSQL locks the client's row
    before each insert): one of the overlapping times, and at most three holds in all."""
    client = await new_client(engine)
    barbers = (shop.anna, shop.boris, shop.carl)
    overlapping = await asyncio.gather(
        *(attempt(e, shop, client, barbers[n % 3]) for n, e in enumerate(engines[:9]))
    )
    assert len([r for r in overlapping if isinstance(r, Booking)]) == 1
    refusals = {r.reason for r in overlapping if isinstance(r, BookingRefused)}
    assert refusals <= {Refusal.CLIENT_OVERLAP, Refusal.SLOT_TAKEN} and refusals

    async def hold_at(engine: AsyncEngine, hour: int) -> Booking | BookingRefused:
        try:
            return await bookings.hold(
                engine, service_id=shop.haircut, specialist_id=None, start=at(TOMORROW, hour),
                client_id=client, channel="web", now=NOW,
            )  # fmt: skip
        except BookingRefused as refused:
            return refused

    hours = range(11, 18)  # 10:00 is held already: two more at most
    apart = await asyncio.gather(*(hold_at(engines[n], hour) for n, hour in enumerate(hours)))
    assert len([r for r in apart if isinstance(r, Booking)]) == 2
    assert {r.reason for r in apart if isinstance(r, BookingRefused)} == {Refusal.TOO_MANY_HOLDS}
    async with session_factory(engine)() as session:
        live = await session.scalar(select(func.count()).where(Booking.status == "held"))
    assert live == 3
    await assert_no_overlapping_live_bookings(engine)


async def test_ten_confirms_of_one_hold_make_one_booking(
    engine: AsyncEngine, engines: list[AsyncEngine], shop: Shop
) -> None:
    held = await attempt(engine, shop, await new_client(engine), shop.anna)
    assert isinstance(held, Booking)
    confirmed = await asyncio.gather(
        *(bookings.confirm(e, booking_id=held.id, now=NOW) for e in engines[:10])
    )
    assert {b.id for b in confirmed} == {held.id}
    assert {b.status for b in confirmed} == {"confirmed"}
    async with session_factory(engine)() as session:
        rows = await session.scalar(select(func.count()).select_from(Notification))
        count = await session.scalar(select(func.count()).select_from(Booking))
    assert (rows, count) == (10, 1)  # no chat confirmation: the web chat's done screen was it
    await assert_no_overlapping_live_bookings(engine)


async def test_postgres_itself_refuses_overlapping_live_bookings(
    engine: AsyncEngine, shop: Shop
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    client = await new_client(engine)
    insert = text(
        "INSERT INTO bookings (client_id, specialist_id, service_id, starts_at, ends_at, status,"
        " channel, created_at, updated_at) VALUES (:c, :s, :v, :a, :b, :st, 'web', now(), now())"
    )
    values = {"c": client, "s": shop.anna, "v": shop.haircut}
    async with writer(engine) as session:
        await session.execute(
            insert, {**values, "a": at(TOMORROW, 10), "b": at(TOMORROW, 11), "st": "confirmed"}
        )
        # a cancelled booking may overlap; touching intervals are fine
        await session.execute(
            insert, {**values, "a": at(TOMORROW, 10), "b": at(TOMORROW, 11), "st": "cancelled"}
        )
        await session.execute(
            insert, {**values, "a": at(TOMORROW, 11), "b": at(TOMORROW, 12), "st": "held"}
        )
    with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
        async with writer(engine) as session:
            await session.execute(
                insert,
                {**values, "a": at(TOMORROW, 10, 30), "b": at(TOMORROW, 11, 30), "st": "held"},
            )
    await assert_no_overlapping_live_bookings(engine)


async def test_a_confirm_and_a_hold_across_the_expiry_instant_never_both_win(
    engine: AsyncEngine, engines: list[AsyncEngine], shop: Shop
) -> None:
    """Client A confirms with a clock just before its hold runs out while client B holds the
    same time with a clock just after; rounds over several times, from separate pools."""
    rounds = [(shop.anna, hour) for hour in (10, 11, 12, 13, 14)]
    rounds += [(shop.boris, hour) for hour in (10, 11, 12, 13, 14)]
    first = [await new_client(engine, n) for n in range(len(rounds))]
    second = [await new_client(engine, 100 + n) for n in range(len(rounds))]
    held = [
        await bookings.hold(
            engine,
            service_id=shop.haircut,
            specialist_id=specialist,
            start=at(TOMORROW, hour),
            client_id=client,
            channel="web",
            now=NOW,
        )
        for (specialist, hour), client in zip(rounds, first, strict=True)
    ]
    expiry = NOW + timedelta(minutes=10)
    before, after = expiry - timedelta(seconds=1), expiry + timedelta(seconds=1)

    async def confirm(e: AsyncEngine, booking: Booking) -> Booking | BookingRefused:
        try:
            return await bookings.confirm(e, booking_id=booking.id, now=before)
        except BookingRefused as refused:
            return refused

    async def hold(e: AsyncEngine, n: int) -> Booking | BookingRefused:
        specialist, hour = rounds[n]
        try:
            return await bookings.hold(
                e, service_id=shop.haircut, specialist_id=specialist, start=at(TOMORROW, hour),
                client_id=second[n], channel="web", now=after,
            )  # fmt: skip
        except BookingRefused as refused:
            return refused

    racers = []
    for n, booking in enumerate(held):
        racers += [confirm(engines[2 * n], booking), hold(engines[2 * n + 1], n)]
    results = await asyncio.gather(*racers)
    for n in range(len(rounds)):
        confirmed, taken = results[2 * n], results[2 * n + 1]
        won = [r for r in (confirmed, taken) if isinstance(r, Booking)]
        assert len(won) == 1, (n, confirmed, taken)
        lost = confirmed if isinstance(confirmed, BookingRefused) else taken
        assert isinstance(lost, BookingRefused)
        assert lost.reason in (Refusal.HOLD_EXPIRED, Refusal.SLOT_TAKEN)
    await assert_no_overlapping_live_bookings(engine)
