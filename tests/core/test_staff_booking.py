"""Staff booking by phone (``core.booking.staff.book_by_phone``, behind ``slotbot book``): one
client per number, the contact details stored once the booking stands, and nothing left
behind by a refusal, also when refusals of one new number race with bookings of it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.booking.staff import book_by_phone
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, BookingStatus, Channel, Client
from tests.core.shop import NOW, TOMORROW, at, build_shop, new_client

PHONE = "+49 151 23456789"


async def _clients(engine: AsyncEngine) -> list[Client]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Client).order_by(Client.id)))


async def _bookings(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def test_books_and_confirms_for_the_one_client_of_the_number(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    first = await book_by_phone(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        name="Eva", phone=PHONE, now=NOW,
    )  # fmt: skip
    second = await book_by_phone(
        engine, service_id=shop.haircut, specialist_id=None, start=at(TOMORROW, 12),
        name="Eva Braun", phone="0151 23456789", email="eva@mail.test", now=NOW,
    )  # fmt: skip
    assert first.status == second.status == BookingStatus.CONFIRMED
    assert first.channel == Channel.STAFF and first.specialist_id == shop.anna
    (client,) = await _clients(engine)
    assert first.client_id == second.client_id == client.id
    assert client.web_session_id == "staff:+4915123456789"
    assert (client.name, client.email) == ("Eva Braun", "eva@mail.test")  # the latest given


async def test_a_refused_hold_leaves_no_client_behind(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    other = await new_client(engine)
    taken = await booking.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=other, channel=Channel.TELEGRAM, now=NOW,
    )  # fmt: skip
    with pytest.raises(BookingRefused) as refused:
        await book_by_phone(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
            name="Eva", phone=PHONE, now=NOW,
        )  # fmt: skip
    assert refused.value.reason == Refusal.SLOT_TAKEN
    assert [c.id for c in await _clients(engine)] == [other]
    assert await _bookings(engine) == 1 and taken.status == BookingStatus.HELD


async def test_a_client_with_a_booking_stays_when_the_next_one_is_refused(
    engine: AsyncEngine,
) -> None:
    shop = await build_shop(engine)
    booked = await book_by_phone(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        name="Eva", phone=PHONE, now=NOW,
    )  # fmt: skip
    with pytest.raises(BookingRefused) as refused:  # the same person, at the same time
        await book_by_phone(
            engine, service_id=shop.haircut, specialist_id=shop.boris, start=at(TOMORROW, 10),
            name="Eva", phone=PHONE, now=NOW,
        )  # fmt: skip
    assert refused.value.reason == Refusal.CLIENT_OVERLAP
    assert [c.id for c in await _clients(engine)] == [booked.client_id]


async def test_refusals_racing_with_bookings_of_one_new_number(engine: AsyncEngine) -> None:
    """Refused bookings remove the client they made while others of the same number are
    between making it and holding: those make it again; every free time is booked, for one
    client, and nothing refused leaves a row."""
    shop = await build_shop(engine)
    other = await new_client(engine)
    for hour in (9, 11, 12, 13, 15, 16):  # taken: each staff booking of these hours is refused
        held = await booking.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
            client_id=other, channel=Channel.TELEGRAM, now=NOW,
        )  # fmt: skip
        await booking.confirm(engine, booking_id=held.id, now=NOW)
    hours = range(9, 17)
    outcomes = await asyncio.gather(
        *(
            book_by_phone(
                engine,
                service_id=shop.haircut,
                specialist_id=shop.anna,
                start=at(TOMORROW, hour),
                name="Eva",
                phone=PHONE,
                now=NOW,
            )
            for hour in hours
        ),
        return_exceptions=True,
    )
    refused = {h for h, o in zip(hours, outcomes, strict=True) if isinstance(o, BookingRefused)}
    booked = [o for o in outcomes if isinstance(o, Booking)]
    assert refused == {9, 11, 12, 13, 15, 16}  # two free: a client's holds are limited
    assert [o.reason for o in outcomes if isinstance(o, BookingRefused)] == [Refusal.SLOT_TAKEN] * 6
    assert len(booked) == 2 and len({b.client_id for b in booked}) == 1
    assert [c.id for c in await _clients(engine)] == [other, booked[0].client_id]
    assert await _bookings(engine) == 8  # six taken, two booked
