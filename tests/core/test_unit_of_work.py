"""The unit of work: core's writes passed ``uow=`` commit together, roll back together, and a
refused one leaves the others in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.clients import set_contact
from slotbot.core.storage.db import create_engine, is_sqlite, session_factory
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    Notification,
    WaitlistEntry,
)
from slotbot.core.storage.sessions import load_session, save_session
from slotbot.core.storage.unit_of_work import UnitOfWork
from slotbot.core.waitlist.entries import WaitlistRefused, Why, join
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


class Boom(Exception):
    pass


async def counts(engine: AsyncEngine) -> tuple[dict[str, int], int]:
    async with session_factory(engine)() as session:
        grouped = await session.execute(
            select(Booking.status, func.count()).group_by(Booking.status)
        )
        statuses = {status: int(n) for status, n in grouped.all()}
        outbox = await session.scalar(select(func.count()).select_from(Notification))
    return statuses, int(outbox or 0)


async def hold(engine: AsyncEngine, shop: Shop, client: int, hour: int, uow: UnitOfWork) -> Booking:
    return await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
        client_id=client, channel="telegram", now=NOW, uow=uow,
    )  # fmt: skip


async def test_a_hold_its_confirmation_and_the_session_commit_together(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    client = await new_client(engine)
    async with UnitOfWork(engine) as uow:
        loaded = await load_session(engine, channel="telegram", conversation_id="u", uow=uow)
        held = await hold(engine, shop, client, 10, uow)
        await bookings.confirm(engine, booking_id=held.id, now=NOW, uow=uow)
        await save_session(engine, loaded, state={"booking": held.id}, locale="en", now=NOW,
                           uow=uow)  # fmt: skip
        assert await counts(engine) == ({}, 0)  # nothing is seen outside before the commit
    statuses, outbox = await counts(engine)
    assert statuses == {BookingStatus.CONFIRMED: 1} and outbox > 0
    saved = await load_session(engine, channel="telegram", conversation_id="u")
    assert (saved.version, saved.state) == (1, {"booking": held.id})


async def test_an_exception_rolls_the_whole_unit_back(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    client = await new_client(engine)
    with pytest.raises(Boom):
        async with UnitOfWork(engine) as uow:
            held = await hold(engine, shop, client, 10, uow)
            await bookings.confirm(engine, booking_id=held.id, now=NOW, uow=uow)
            await set_contact(engine, client_id=client, name="Changed", uow=uow)
            raise Boom()
    assert await counts(engine) == ({}, 0)
    async with session_factory(engine)() as session:
        assert (await session.get(Client, client)).name != "Changed"  # type: ignore[union-attr]


async def test_a_refused_write_leaves_the_units_other_writes(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    async with UnitOfWork(engine) as uow:
        kept = await hold(engine, shop, first, 10, uow)
        with pytest.raises(BookingRefused) as refused:
            await hold(engine, shop, second, 10, uow)  # the unit's own hold is in the way
        assert refused.value.reason == Refusal.SLOT_TAKEN
        assert refused.value.next_slots  # read in the unit: 10:00 is not among them
        assert all(s.start != at(TOMORROW, 10) for s in refused.value.next_slots)

        async def too_many(*_: object) -> None:
            raise Boom()

        with pytest.raises(Boom):  # a check after the insert undoes just that hold
            await bookings.hold(
                engine, service_id=shop.haircut, specialist_id=shop.anna,
                start=at(TOMORROW, 12), client_id=second, channel="telegram", now=NOW,
                within=too_many, uow=uow,
            )  # fmt: skip
    async with session_factory(engine)() as session:
        left = [(b.id, b.status) for b in await session.scalars(select(Booking))]
    assert left == [(kept.id, BookingStatus.HELD)]
    await assert_no_overlapping_live_bookings(engine)


async def test_a_refused_release_leaves_the_units_other_writes(engine: AsyncEngine) -> None:
    """A release refuses before it writes (it runs without a savepoint): someone else's
    hold is not found and a confirmed booking is not let go, and the unit's hold stays."""
    shop = await build_shop(engine)
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    async with UnitOfWork(engine) as uow:
        booked = await hold(engine, shop, second, 12, uow)
        await bookings.confirm(engine, booking_id=booked.id, now=NOW, uow=uow)
    async with UnitOfWork(engine) as uow:
        kept = await hold(engine, shop, first, 10, uow)
        with pytest.raises(BookingRefused) as refused:
            await bookings.release(engine, booking_id=kept.id, now=NOW, client_id=second, uow=uow)
        assert refused.value.reason == Refusal.NOT_FOUND
        with pytest.raises(BookingRefused) as refused:
            await bookings.release(engine, booking_id=booked.id, now=NOW, uow=uow)
        assert refused.value.reason == Refusal.WRONG_STATE
        let_go = await hold(engine, shop, first, 14, uow)
        released = await bookings.release(
            engine, booking_id=let_go.id, now=NOW, client_id=first, uow=uow
        )
        assert (released.status, released.hold_expires_at) == (BookingStatus.EXPIRED, NOW)
        again = await bookings.release(engine, booking_id=let_go.id, now=NOW, uow=uow)
        assert again.status == BookingStatus.EXPIRED  # a second tap: nothing to do
    async with session_factory(engine)() as session:
        left = {b.id: b.status for b in await session.scalars(select(Booking))}
    assert left == {
        booked.id: BookingStatus.CONFIRMED, kept.id: BookingStatus.HELD,
        let_go.id: BookingStatus.EXPIRED,
    }  # fmt: skip
    await assert_no_overlapping_live_bookings(engine)


async def test_refusals_without_a_savepoint_leave_the_units_other_writes(
    engine: AsyncEngine,
) -> None:
    """Cancelling, reporting a no-show and joining the waiting list refuse before they
    write (they run without a savepoint): in a unit that holds, each refusal leaves the hold
    and changes nothing else."""
    shop = await build_shop(engine)
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    async with UnitOfWork(engine) as uow:
        theirs = await hold(engine, shop, second, 12, uow)
        await bookings.confirm(engine, booking_id=theirs.id, now=NOW, uow=uow)
    _, outbox = await counts(engine)
    async with UnitOfWork(engine) as uow:
        kept = await hold(engine, shop, first, 10, uow)
        with pytest.raises(BookingRefused) as refused:  # someone else's booking
            await bookings.cancel(
                engine, booking_id=theirs.id, by="client", now=NOW, client_id=first, uow=uow
            )
        assert refused.value.reason == Refusal.NOT_FOUND
        with pytest.raises(BookingRefused) as refused:  # under way already
            await bookings.cancel(
                engine, booking_id=theirs.id, by="client", now=at(TOMORROW, 12, 30), uow=uow
            )
        assert refused.value.reason == Refusal.WRONG_STATE
        with pytest.raises(BookingRefused) as refused:  # not started yet
            await bookings.mark_no_show(engine, booking_id=theirs.id, now=NOW, uow=uow)
        assert refused.value.reason == Refusal.WRONG_STATE
        with pytest.raises(WaitlistRefused) as waiting:  # a range already over
            await join(
                engine, client_id=first, service_id=shop.haircut, specialist_id=None,
                first_day=NOW.date() - timedelta(days=2), last_day=NOW.date() - timedelta(days=1),
                window=None, timezone="Europe/Berlin", channel="telegram", now=NOW, uow=uow,
            )  # fmt: skip
        assert waiting.value.why == Why.PASSED
    async with session_factory(engine)() as session:
        left = {b.id: b.status for b in await session.scalars(select(Booking))}
        entries = await session.scalar(select(func.count()).select_from(WaitlistEntry))
    assert left == {theirs.id: BookingStatus.CONFIRMED, kept.id: BookingStatus.HELD}
    assert entries == 0
    assert (await counts(engine))[1] == outbox  # no cancellation notices


async def test_a_write_beside_a_writing_unit_is_refused_not_waited_for(engine: AsyncEngine) -> None:
    """On SQLite a write through the engine while the same task's unit is writing would wait
    for the unit's own write turn forever: it raises instead."""
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL has no process-wide write turn")
    shop = await build_shop(engine)
    client = await new_client(engine)
    async with UnitOfWork(engine) as uow:
        await hold(engine, shop, client, 10, uow)
        with pytest.raises(RuntimeError, match="pass uow="):
            await set_contact(engine, client_id=client, name="Beside")
    statuses, _ = await counts(engine)
    assert statuses == {BookingStatus.HELD: 1}


async def test_nothing_is_written_after_a_units_last_write(engine: AsyncEngine) -> None:
    """A session saved as the unit's last write (``last=True``) ends its writing: a write
    after it is a programming error, refused before it writes (on PostgreSQL that save ran
    without a transaction to roll back with the rest)."""
    client = await new_client(engine)
    async with UnitOfWork(engine) as uow:
        loaded = await load_session(engine, channel="telegram", conversation_id="u", uow=uow)
        await save_session(engine, loaded, state={"n": 1}, locale="en", now=NOW, uow=uow,
                           last=True)  # fmt: skip
        if not is_sqlite(engine):
            with pytest.raises(RuntimeError, match="last statement"):
                await set_contact(engine, client_id=client, name="After", uow=uow)
    saved = await load_session(engine, channel="telegram", conversation_id="u")
    assert (saved.version, saved.state) == (1, {"n": 1})
    async with session_factory(engine)() as session:
        assert (await session.get(Client, client)).name != "After"  # type: ignore[union-attr]


async def test_a_connection_after_a_unit_without_transaction_rolls_back_again(
    database_url: str,
) -> None:
    """A unit that read and saved without a transaction (PostgreSQL) gives its connection
    back to the pool able to roll back: a transaction on that same connection writes and
    fails, then a unit writes two things and fails, and nothing of them stays."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)  # the same connection
    try:
        client = await new_client(engine)
        async with UnitOfWork(engine) as uow:
            loaded = await load_session(engine, channel="telegram", conversation_id="u", uow=uow)
            await save_session(engine, loaded, state={}, locale="en", now=NOW, uow=uow, last=True)
        with pytest.raises(Boom):  # outside any unit of work
            async with engine.begin() as connection:
                await connection.execute(update(Client).values(name="Outside"))
                raise Boom()
        with pytest.raises(Boom):  # and in a unit of work
            async with UnitOfWork(engine) as uow:
                loaded = await load_session(
                    engine, channel="telegram", conversation_id="u", uow=uow
                )
                await set_contact(engine, client_id=client, name="Inside", uow=uow)
                await save_session(engine, loaded, state={"n": 2}, locale="en", now=NOW, uow=uow)
                raise Boom()
        saved = await load_session(engine, channel="telegram", conversation_id="u")
        assert (saved.version, saved.state) == (1, {})
        async with session_factory(engine)() as session:
            name = (await session.get(Client, client)).name  # type: ignore[union-attr]
        assert name not in ("Inside", "Outside")
    finally:
        await engine.dispose()
