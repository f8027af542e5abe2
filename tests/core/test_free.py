"""One way to ask about free time (``core.availability.free``), over the database: each
question with and without the process cache, and a client's own bookings left out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability.free import FreeTime
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import SpecialistBlock, SpecialistOverride
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


@pytest.fixture(params=[True, False], ids=["cached", "afresh"])
def cached(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@asynccontextmanager
async def asking(engine: AsyncEngine, cached: bool, **kw: object) -> AsyncIterator[FreeTime]:
    """A :class:`FreeTime` over a session of its own (``now`` defaults to ``NOW``)."""
    kw.setdefault("now", NOW)
    async with session_factory(engine)() as session:
        yield FreeTime(session, cached=cached, **kw)  # type: ignore[arg-type]


async def book(engine: AsyncEngine, client: int, specialist: int, start: datetime) -> int:
    """A confirmed haircut (the shop's first service)."""
    held = await bookings.hold(
        engine, service_id=1, specialist_id=specialist, start=start, client_id=client,
        channel="web", now=NOW,
    )  # fmt: skip
    return (await bookings.confirm(engine, booking_id=held.id, now=NOW)).id


async def test_substitutes_are_those_free_soonest(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    async with writer(engine) as session:  # Boris is away for a week
        away = SpecialistOverride(
            specialist_id=shop.boris, starts_on=NOW.date(), ends_on=TOMORROW.replace(day=8),
            kind="vacation",
        )  # fmt: skip
        session.add(away)
    async with asking(engine, cached) as free:
        found = await free.substitutes(shop.anna, shop.haircut)
    assert [s.specialist_id for s in found] == [shop.carl, shop.boris]  # Dora does massage
    assert found[0].first_slot is not None and found[0].first_slot.start == at(NOW.date(), 9)
    assert found[1].first_slot is not None and found[1].first_slot.start == at(
        TOMORROW.replace(day=9), 9
    )


async def test_the_substitute_named_on_a_vacation_comes_first(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    """Issue 6.8: Carl is named, so he leads though Boris is as free (and has a lower id)."""
    async with writer(engine) as session:
        session.add(
            SpecialistOverride(
                specialist_id=shop.anna, starts_on=TOMORROW, ends_on=TOMORROW.replace(day=8),
                kind="vacation", substitute_id=shop.carl,
            )
        )  # fmt: skip
    async with asking(engine, cached) as free:
        found = await free.substitutes(shop.anna, shop.haircut)
    assert [s.specialist_id for s in found] == [shop.carl, shop.boris]


async def test_upcoming_slots_skip_what_is_taken(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine), channel="web", now=NOW,
    )  # fmt: skip
    async with asking(engine, cached) as free:
        slots = await free.upcoming(shop.haircut, [shop.anna], after=held.starts_at)
    assert [s.start for s in slots] == [at(TOMORROW, 11), at(TOMORROW, 12), at(TOMORROW, 13)]


async def test_the_first_slot_of_every_specialist_in_one_call(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    await book(engine, await new_client(engine), shop.anna, at(NOW.date(), 9))
    async with asking(engine, cached) as free:
        firsts = await free.first_slots(shop.haircut)
        soonest = await free.soonest(shop.haircut)
    assert list(firsts) == [shop.anna, shop.boris, shop.carl]
    assert firsts[shop.anna] is not None and firsts[shop.anna].start == at(NOW.date(), 10)
    assert firsts[shop.boris] is not None and firsts[shop.boris].start == at(NOW.date(), 9)
    # Boris and Carl are both free first: the soonest slot names both
    assert soonest is not None and soonest.specialist_ids == (shop.boris, shop.carl)
    assert soonest.start == at(NOW.date(), 9)


async def test_every_question_leaves_out_the_clients_own_bookings(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    """Issue 15: a client holding Boris at 9:00 today and booked with Carl at 10:00
    tomorrow is offered neither time with anyone; others are."""
    client = await new_client(engine)
    await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.boris, start=at(NOW.date(), 9),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip
    await book(engine, client, shop.carl, at(TOMORROW, 10))
    async with writer(engine) as session:  # Anna is free tomorrow from 10 to 11 only
        for start, end in ((9, 10), (11, 18)):
            session.add(SpecialistBlock(specialist_id=shop.anna, starts_at=at(TOMORROW, start),
                                        ends_at=at(TOMORROW, end)))  # fmt: skip
    async with asking(engine, cached) as anyone, asking(engine, cached, client_id=client) as own:
        for free, ten_tomorrow, nine_today in ((anyone, True, True), (own, False, False)):
            slots = await free.slots(shop.haircut, [shop.anna], TOMORROW)
            assert (at(TOMORROW, 10) in [s.start for s in slots]) is ten_tomorrow
            days = await free.days(shop.haircut, [shop.anna], TOMORROW, TOMORROW)
            assert days == {TOMORROW: ten_tomorrow}
            first = (await free.first_slots(shop.haircut, [shop.anna]))[shop.anna]
            assert first is not None and (first.start == at(NOW.date(), 9)) is nine_today
            soonest = await free.soonest(shop.haircut)
            assert soonest is not None and (soonest.start == at(NOW.date(), 9)) is nine_today
            after = await free.upcoming(shop.haircut, [shop.anna], after=at(TOMORROW, 9))
            assert (after[0].start == at(TOMORROW, 10)) is ten_tomorrow
            subs = await free.substitutes(shop.boris, shop.haircut)
            firsts = [s.first_slot.start for s in subs if s.first_slot]
            assert (at(NOW.date(), 9) in firsts) is nine_today
        assert [s.start for s in await own.slots(shop.haircut, [shop.anna], TOMORROW)] == []


async def test_a_hold_that_ran_out_or_a_cancelled_booking_is_the_clients_again(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    client = await new_client(engine)
    await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.boris, start=at(TOMORROW, 9),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip
    confirmed = await book(engine, client, shop.carl, at(TOMORROW, 10))
    await bookings.cancel(engine, booking_id=confirmed, now=NOW, by="client")
    later = NOW + timedelta(minutes=10)  # the hold ran out (nobody wrote anything)
    async with asking(engine, cached, client_id=client, now=later) as free:
        starts = [s.start for s in await free.slots(shop.haircut, [shop.anna], TOMORROW)]
    assert at(TOMORROW, 9) in starts and at(TOMORROW, 10) in starts


async def test_a_reschedule_leaves_out_the_others_not_the_one_being_moved(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    client = await new_client(engine)
    moving = await book(engine, client, shop.anna, at(TOMORROW, 10))
    await book(engine, client, shop.boris, at(TOMORROW, 14))
    async with asking(engine, cached, client_id=client) as free:
        still = [s.start for s in await free.slots(shop.haircut, [shop.anna], TOMORROW)]
        moved = free.ignoring(moving)
        starts = [s.start for s in await moved.slots(shop.haircut, [shop.anna], TOMORROW)]
        days = await moved.days(shop.haircut, [shop.anna], TOMORROW, TOMORROW)
    assert at(TOMORROW, 10) not in still and at(TOMORROW, 14) not in still
    assert at(TOMORROW, 10) in starts and at(TOMORROW, 14) not in starts
    assert days == {TOMORROW: True}


async def test_an_unknown_or_withdrawn_service_has_no_free_time(
    engine: AsyncEngine, shop: Shop, cached: bool
) -> None:
    async with asking(engine, cached) as free:
        assert await free.first_slots(999) == {}
        assert await free.soonest(999) is None
        assert await free.slots(999, None, TOMORROW) == []
        assert await free.days(999, None, TOMORROW, TOMORROW) == {TOMORROW: False}
        # Dora does not do haircuts, and an unknown specialist is nobody
        assert await free.first_slots(shop.haircut, [shop.dora, 999]) == {}
