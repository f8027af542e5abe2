"""The booking lifecycle on SQLite and PostgreSQL: transitions, rules, outbox rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability.directory import load_directory, resolve_offer
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.notify.outbox import plan_confirmed, write
from slotbot.core.storage.db import session_factory, write_transaction, writer
from slotbot.core.storage.models import (
    Booking,
    Client,
    Notification,
    Service,
    Specialist,
    SpecialistBlock,
)
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, later, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def hold(engine: AsyncEngine, shop: Shop, client: int, start, specialist=None, **kw):  # type: ignore[no-untyped-def]
    return await bookings.hold(
        engine, service_id=kw.pop("service", shop.haircut), specialist_id=specialist,
        start=start, client_id=client, channel="telegram", now=kw.pop("now", NOW),
    )  # fmt: skip


async def book(engine: AsyncEngine, shop: Shop, client: int, start, specialist=None):  # type: ignore[no-untyped-def]
    """Hold and confirm, as the client does in the Telegram chat."""
    held = await hold(engine, shop, client, start, specialist)
    return await bookings.confirm(engine, booking_id=held.id, now=NOW)


async def outbox(engine: AsyncEngine, booking_id: int) -> list[tuple[str, str, str, str]]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.booking_id == booking_id)
            .order_by(Notification.id)
        )
        return [(n.kind, n.channel, n.status, n.due_at.isoformat()) for n in rows]


async def status_of(engine: AsyncEngine, booking_id: int) -> str:
    async with session_factory(engine)() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        return booking.status


async def free_starts(engine: AsyncEngine, specialist: str = "any", *, now=NOW) -> list:  # type: ignore[no-untyped-def]
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
        offer = resolve_offer(directory, service_key="haircut", specialist_key=specialist)
        free = FreeTime(session, now=now)
        return [s.start for s in await free.slots(offer.service.id, offer.specialist_ids, TOMORROW)]


# --- hold -----------------------------------------------------------------------------------


async def test_hold_takes_the_slot_until_it_expires(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine)
    held = await hold(engine, shop, client, at(TOMORROW, 10), shop.anna)
    assert held.status == "held"
    assert held.hold_expires_at == NOW + timedelta(minutes=10)
    assert held.ends_at == at(TOMORROW, 11)
    assert at(TOMORROW, 10) not in await free_starts(engine, "anna")
    assert at(TOMORROW, 10) in await free_starts(engine, "anna", now=later(10))


async def test_an_expired_hold_is_flipped_and_the_slot_given_to_another(
    engine: AsyncEngine, shop: Shop
) -> None:
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    stale = await hold(engine, shop, first, at(TOMORROW, 10), shop.anna)
    taken = await hold(engine, shop, second, at(TOMORROW, 10), shop.anna, now=later(11))
    assert taken.client_id == second
    # flipped in the same transaction on both databases: a confirm counts every held row
    assert await status_of(engine, stale.id) == "expired"
    assert await bookings.expire_holds(engine, now=later(11)) == 0


async def test_a_run_out_hold_cannot_be_confirmed_with_an_earlier_clock_once_retaken(
    engine: AsyncEngine, shop: Shop
) -> None:
    """Issue 6.1: A's confirm carries a clock just before its expiry, B held with a later one."""
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    stale = await hold(engine, shop, first, at(TOMORROW, 10), shop.anna)
    expiry = NOW + timedelta(minutes=10)
    taken = await hold(engine, shop, second, at(TOMORROW, 10), shop.anna, now=expiry)
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=stale.id, now=expiry - timedelta(seconds=1))
    assert refused.value.reason == Refusal.HOLD_EXPIRED
    confirmed = await bookings.confirm(engine, booking_id=taken.id, now=expiry)
    assert confirmed.status == "confirmed"
    assert await status_of(engine, stale.id) == "expired"
    await assert_no_overlapping_live_bookings(engine)


async def test_confirm_refuses_while_another_held_row_overlaps(
    engine: AsyncEngine, shop: Shop
) -> None:
    """Even a held row that no hold flipped (older data, another writer) stops a confirm."""
    if engine.dialect.name == "postgresql":
        pytest.skip("the exclusion constraint refuses such a row on PostgreSQL")
    first, second = await new_client(engine, 1), await new_client(engine, 2)
    mine = await hold(engine, shop, first, at(TOMORROW, 10), shop.anna)
    async with writer(engine) as session:  # a row as an older version would have left it
        session.add(
            Booking(client_id=second, specialist_id=shop.anna, service_id=shop.haircut,
                    starts_at=at(TOMORROW, 10, 30), ends_at=at(TOMORROW, 11, 30), status="held",
                    hold_expires_at=later(30), channel="web", created_at=NOW, updated_at=NOW)
        )  # fmt: skip
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=mine.id, now=NOW)
    assert refused.value.reason == Refusal.SLOT_TAKEN


async def test_a_taken_slot_is_refused_with_the_next_free_slots(
    engine: AsyncEngine, shop: Shop
) -> None:
    await hold(engine, shop, await new_client(engine, 1), at(TOMORROW, 10), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine, 2), at(TOMORROW, 10), shop.anna)
    assert refused.value.reason == Refusal.SLOT_TAKEN
    assert [s.start for s in refused.value.next_slots] == [
        at(TOMORROW, 11),
        at(TOMORROW, 12),
        at(TOMORROW, 13),
    ]


@pytest.mark.parametrize(
    ("start", "now"),
    [
        (at(TOMORROW, 10, 30), NOW),  # between slots
        (at(TOMORROW, 18), NOW),  # after hours
        (at(TOMORROW.replace(day=3), 10), NOW),  # Anna's day off
        (at(TOMORROW.replace(day=6), 10), NOW),  # Sunday
        (at(TOMORROW, 10), at(TOMORROW, 9, 40)),  # inside the 30 minutes' notice
        (at(TOMORROW, 10), at(TOMORROW, 10, 5)),  # in the past
        (at(TOMORROW + timedelta(days=70), 10), NOW),  # past the 60-day horizon
    ],
)
async def test_a_time_the_engine_does_not_offer_is_refused(
    engine: AsyncEngine,
    shop: Shop,
    start,
    now,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine), start, shop.anna, now=now)
    assert refused.value.reason == Refusal.NOT_BOOKABLE
    assert await hold(engine, shop, await new_client(engine, 2), at(TOMORROW, 10), shop.anna)


async def test_a_block_refuses_the_time(engine: AsyncEngine, shop: Shop) -> None:
    async with writer(engine) as session:
        session.add(SpecialistBlock(specialist_id=shop.anna, starts_at=at(TOMORROW, 13),
                                    ends_at=at(TOMORROW, 14), reason="lunch"))  # fmt: skip
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine), at(TOMORROW, 13), shop.anna)
    assert refused.value.reason == Refusal.SLOT_TAKEN
    assert at(TOMORROW, 13) not in [s.start for s in refused.value.next_slots]


async def test_the_specialist_must_offer_the_service(engine: AsyncEngine, shop: Shop) -> None:
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.dora)
    assert refused.value.reason == Refusal.NOT_OFFERED


async def test_a_client_cannot_be_in_two_places(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine)
    await hold(engine, shop, client, at(TOMORROW, 10), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, client, at(TOMORROW, 10), shop.boris)
    assert refused.value.reason == Refusal.CLIENT_OVERLAP


async def test_a_client_holds_at_most_three(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine)
    for hour in (10, 11, 12):
        await hold(engine, shop, client, at(TOMORROW, hour), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await hold(engine, shop, client, at(TOMORROW, 13), shop.anna)
    assert refused.value.reason == Refusal.TOO_MANY_HOLDS
    # holds that ran out no longer count
    await hold(engine, shop, client, at(TOMORROW, 13), shop.anna, now=later(11))


async def test_any_goes_to_the_least_booked_then_the_first(engine: AsyncEngine, shop: Shop) -> None:
    await book(engine, shop, await new_client(engine, 1), at(TOMORROW, 9), shop.anna)
    first = await hold(engine, shop, await new_client(engine, 2), at(TOMORROW, 15))
    assert first.specialist_id == shop.boris  # Anna has a booking that day, Boris and Carl none
    second = await hold(engine, shop, await new_client(engine, 3), at(TOMORROW, 16))
    assert second.specialist_id == shop.carl
    third = await hold(engine, shop, await new_client(engine, 4), at(TOMORROW, 17))
    assert third.specialist_id == shop.anna  # all have one now: the first by id


# --- confirm --------------------------------------------------------------------------------


async def test_confirm_plans_every_notification(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine)
    booking = await book(engine, shop, client, at(TOMORROW, 10), shop.anna)
    assert booking.status == "confirmed" and booking.confirmed_at == NOW
    start, end = at(TOMORROW, 10), at(TOMORROW, 11)
    rows = await outbox(engine, booking.id)
    due = {(kind, channel): due for kind, channel, _, due in rows}
    assert sorted(due) == sorted([  # the chat's done screen confirmed it: no chat confirmation
        ("confirmation", "email"),
        ("new_booking", "telegram"), ("new_booking", "email"),
        ("reminder_24h", "telegram"), ("reminder_24h", "sms"), ("reminder_24h", "email"),
        ("reminder_2h", "telegram"), ("reminder_2h", "sms"),
        ("review_request", "telegram"), ("review_request", "email"),
    ])  # fmt: skip
    assert due["confirmation", "email"] == NOW.isoformat()
    assert due["reminder_24h", "sms"] == (start - timedelta(hours=24)).isoformat()
    assert due["reminder_2h", "sms"] == (start - timedelta(hours=2)).isoformat()
    assert due["review_request", "email"] == (end + timedelta(hours=24)).isoformat()
    assert {status for _, _, status, _ in rows} == {"pending"}
    async with session_factory(engine)() as session:
        email = await session.scalar(
            select(Notification).where(Notification.kind == "confirmation",
                                       Notification.channel == "email")
        )  # fmt: skip
        assert email is not None and email.payload["ics"] is True
        assert email.recipient == "client1@mail.test"


async def test_reminders_already_due_are_skipped(engine: AsyncEngine, shop: Shop) -> None:
    booking = await book(engine, shop, await new_client(engine), at(NOW.date(), 11), shop.anna)
    kinds = {kind for kind, *_ in await outbox(engine, booking.id)}
    assert "reminder_24h" not in kinds  # would have been due yesterday
    assert "reminder_2h" in kinds  # 09:00 local is still ahead


async def test_a_client_without_contacts_gets_no_rows(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine, contacts=False)
    booking = await book(engine, shop, client, at(TOMORROW, 10), shop.anna)
    assert {kind for kind, *_ in await outbox(engine, booking.id)} == {"new_booking"}


async def test_confirm_twice_is_one_booking(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    first = await bookings.confirm(engine, booking_id=held.id, now=NOW)
    again = await bookings.confirm(engine, booking_id=held.id, now=later(1))
    assert (again.id, again.confirmed_at) == (first.id, NOW)
    assert len(await outbox(engine, held.id)) == 10


async def test_confirm_after_the_hold_ran_out(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=later(10))
    assert refused.value.reason == Refusal.HOLD_EXPIRED
    assert await status_of(engine, held.id) == "expired"
    assert await outbox(engine, held.id) == []


async def test_confirm_rechecks_the_rules(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    async with writer(engine) as session:  # a block added while the client was typing
        session.add(SpecialistBlock(specialist_id=shop.anna, starts_at=at(TOMORROW, 10),
                                    ends_at=at(TOMORROW, 12), reason="meeting"))  # fmt: skip
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=later(2))
    assert refused.value.reason == Refusal.SLOT_TAKEN
    assert await status_of(engine, held.id) == "expired"
    assert await outbox(engine, held.id) == []


async def test_a_live_hold_is_confirmable_inside_the_notice(
    engine: AsyncEngine, shop: Shop
) -> None:
    """Issue 6.2: notice and horizon are checked at hold; the hold is good until it runs out."""
    now = at(TOMORROW, 9, 30)  # 10:00 is exactly the 30 minutes' notice away
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna, now=now)
    one_minute_later = now + timedelta(minutes=1)
    confirmed = await bookings.confirm(engine, booking_id=held.id, now=one_minute_later)
    assert confirmed.status == "confirmed"


async def test_a_deactivated_service_is_not_confirmed(engine: AsyncEngine, shop: Shop) -> None:
    """Issue 6.10."""
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    async with writer(engine) as session:
        await session.execute(
            update(Service).where(Service.id == shop.haircut).values(is_active=False)
        )
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=later(1))
    assert refused.value.reason == Refusal.NOT_BOOKABLE
    assert await status_of(engine, held.id) == "expired"


async def test_a_deactivated_specialist_is_not_confirmed(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    async with writer(engine) as session:
        await session.execute(
            update(Specialist).where(Specialist.id == shop.anna).values(is_active=False)
        )
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=later(1))
    assert refused.value.reason == Refusal.NOT_BOOKABLE


async def test_outbox_write_skips_a_row_planned_twice(engine: AsyncEngine, shop: Shop) -> None:
    """Issue 6.9: the dedupe key skips duplicates instead of raising IntegrityError."""
    booking = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    async with writer(engine) as session:
        row = await session.scalar(
            select(Notification).where(Notification.booking_id == booking.id)
        )
        assert row is not None
        client = await session.get(Client, booking.client_id)
        specialist = await session.get(Specialist, booking.specialist_id)
        assert client is not None and specialist is not None
        again = plan_confirmed(booking, client, specialist, now=NOW)
    async with writer(engine) as session:
        await write(session, again)
    async with write_transaction(engine) as connection:
        await write(connection, again)
    assert len(await outbox(engine, booking.id)) == 10


async def test_a_hold_for_an_unknown_client_is_not_found(engine: AsyncEngine, shop: Shop) -> None:
    """Refused, not an error, on both databases: for one specialist and for any of three."""
    for specialist in (shop.anna, None):
        with pytest.raises(BookingRefused) as refused:
            await hold(engine, shop, 999_999, at(TOMORROW, 10), specialist)
        assert refused.value.reason == Refusal.NOT_FOUND
    await assert_no_overlapping_live_bookings(engine)


async def test_confirm_of_someone_elses_hold_is_not_found(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine, 1), at(TOMORROW, 10), shop.anna)
    other = await new_client(engine, 2)
    with pytest.raises(BookingRefused) as refused:
        await bookings.confirm(engine, booking_id=held.id, now=NOW, client_id=other)
    assert refused.value.reason == Refusal.NOT_FOUND
    with pytest.raises(BookingRefused):
        await bookings.confirm(engine, booking_id=999_999, now=NOW)


# --- release, cancel, reschedule, completion --------------------------------------------------


async def test_release_frees_the_slot(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    released = await bookings.release(engine, booking_id=held.id, now=later(1))
    assert released.status == "expired"
    assert at(TOMORROW, 10) in await free_starts(engine, "anna", now=later(1))
    await bookings.release(engine, booking_id=held.id, now=later(2))  # a second tap: no-op


async def test_client_cancels(engine: AsyncEngine, shop: Shop) -> None:
    booking = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    cancelled = await bookings.cancel(
        engine, booking_id=booking.id, by="client", reason="ill", now=later(5)
    )
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        "cancelled",
        "client",
        "ill",
    )
    rows = await outbox(engine, booking.id)
    assert {(k, c) for k, c, s, _ in rows if s == "pending"} == {
        ("cancelled_by_client", "telegram"),
        ("cancelled_by_client", "email"),
    }
    assert {k for k, _, s, _ in rows if s == "cancelled"} == {
        "confirmation",
        "new_booking",
        "reminder_24h",
        "reminder_2h",
        "review_request",
    }
    assert at(TOMORROW, 10) in await free_starts(engine, "anna", now=later(5))
    again = await bookings.cancel(engine, booking_id=booking.id, by="client", now=later(6))
    assert again.cancelled_at == later(5)


async def test_specialist_cancels_and_the_client_hears_everywhere(
    engine: AsyncEngine, shop: Shop
) -> None:
    booking = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    await bookings.cancel(engine, booking_id=booking.id, by="specialist", reason="ill", now=NOW)
    async with session_factory(engine)() as session:
        notices = (
            await session.scalars(
                select(Notification).where(Notification.kind == "cancelled_by_specialist")
            )
        ).all()
    assert sorted(n.channel for n in notices) == ["email", "sms", "telegram"]
    assert all(n.payload["offer_alternatives"] for n in notices)


async def test_a_specialist_cancels_only_their_own(engine: AsyncEngine, shop: Shop) -> None:
    """Issue 6.7: cancel is scoped like mark_no_show."""
    booking = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await bookings.cancel(
            engine, booking_id=booking.id, by="specialist", now=NOW, specialist_id=shop.boris
        )
    assert refused.value.reason == Refusal.NOT_FOUND
    assert await status_of(engine, booking.id) == "confirmed"
    mine = await bookings.cancel(
        engine, booking_id=booking.id, by="specialist", now=NOW, specialist_id=shop.anna
    )
    assert (mine.status, mine.cancelled_by) == ("cancelled", "specialist")


async def test_a_started_appointment_cannot_be_cancelled(engine: AsyncEngine, shop: Shop) -> None:
    booking = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    with pytest.raises(BookingRefused) as refused:
        await bookings.cancel(engine, booking_id=booking.id, by="client", now=at(TOMORROW, 10))
    assert refused.value.reason == Refusal.WRONG_STATE


async def test_reschedule_moves_in_one_step(engine: AsyncEngine, shop: Shop) -> None:
    old = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    new = await bookings.reschedule(engine, booking_id=old.id, start=at(TOMORROW, 14), now=later(5))
    assert (new.status, new.specialist_id, new.starts_at) == (
        "confirmed",
        shop.anna,
        at(TOMORROW, 14),
    )
    assert await status_of(engine, old.id) == "cancelled"
    assert {s for _, _, s, _ in await outbox(engine, old.id)} == {"cancelled"}
    new_rows = await outbox(engine, new.id)
    assert len(new_rows) == 10 and {s for _, _, s, _ in new_rows} == {"pending"}
    starts = await free_starts(engine, "anna", now=later(5))
    assert at(TOMORROW, 10) in starts and at(TOMORROW, 14) not in starts


async def test_reschedule_to_a_taken_time_changes_nothing(engine: AsyncEngine, shop: Shop) -> None:
    old = await book(engine, shop, await new_client(engine, 1), at(TOMORROW, 10), shop.anna)
    await book(engine, shop, await new_client(engine, 2), at(TOMORROW, 14), shop.anna)
    before = await outbox(engine, old.id)
    with pytest.raises(BookingRefused) as refused:
        await bookings.reschedule(engine, booking_id=old.id, start=at(TOMORROW, 14), now=NOW)
    assert refused.value.reason == Refusal.SLOT_TAKEN
    assert refused.value.next_slots
    assert await status_of(engine, old.id) == "confirmed"
    assert await outbox(engine, old.id) == before


async def test_reschedule_to_another_specialist_tells_the_old_one(
    engine: AsyncEngine, shop: Shop
) -> None:
    old = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    new = await bookings.reschedule(
        engine, booking_id=old.id, start=at(TOMORROW, 10), specialist_id=shop.boris, now=NOW
    )
    assert new.specialist_id == shop.boris
    pending = {(k, c) for k, c, s, _ in await outbox(engine, old.id) if s == "pending"}
    assert pending == {("cancelled_by_client", "telegram"), ("cancelled_by_client", "email")}


@pytest.mark.parametrize("by", ["specialist", "staff"])
async def test_reschedule_records_who_moved_it(engine: AsyncEngine, shop: Shop, by: str) -> None:
    """Issue 6.7: the old booking says who moved it, not always "client"."""
    old = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    new = await bookings.reschedule(
        engine, booking_id=old.id, start=at(TOMORROW, 14), now=NOW, by=by
    )
    async with session_factory(engine)() as session:
        moved = await session.get(Booking, old.id)
        assert moved is not None
        assert (moved.status, moved.cancelled_by, moved.cancel_reason) == (
            "cancelled", by, "rescheduled"
        )  # fmt: skip
    assert new.status == "confirmed"


async def test_staff_moving_to_another_specialist_tells_the_old_one(
    engine: AsyncEngine, shop: Shop
) -> None:
    old = await book(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    await bookings.reschedule(
        engine, booking_id=old.id, start=at(TOMORROW, 10), specialist_id=shop.boris, now=NOW,
        by="staff",
    )  # fmt: skip
    pending = {(k, c) for k, c, s, _ in await outbox(engine, old.id) if s == "pending"}
    assert pending == {("cancelled_by_staff", "telegram"), ("cancelled_by_staff", "email")}


async def test_completed_and_no_show(engine: AsyncEngine, shop: Shop) -> None:
    came = await book(engine, shop, await new_client(engine, 1), at(TOMORROW, 10), shop.anna)
    absent = await book(engine, shop, await new_client(engine, 2), at(TOMORROW, 11), shop.anna)
    with pytest.raises(BookingRefused):
        await bookings.mark_no_show(engine, booking_id=absent.id, now=NOW)  # not started yet
    assert await bookings.complete_past(engine, now=at(TOMORROW, 12)) == 2
    assert await status_of(engine, came.id) == "completed"
    await bookings.mark_no_show(engine, booking_id=absent.id, now=at(TOMORROW, 12))
    assert await status_of(engine, absent.id) == "no_show"
    review = [s for k, _, s, _ in await outbox(engine, absent.id) if k == "review_request"]
    assert set(review) == {"cancelled"}


async def test_expire_holds(engine: AsyncEngine, shop: Shop) -> None:
    held = await hold(engine, shop, await new_client(engine), at(TOMORROW, 10), shop.anna)
    assert await bookings.expire_holds(engine, now=later(9)) == 0
    assert await bookings.expire_holds(engine, now=later(10)) == 1
    assert await status_of(engine, held.id) == "expired"
