"""The waiting list in core: joining, what frees up and who is offered it, when entries end."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.booking import timeoff
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import (
    Booking,
    BusinessSetting,
    Notification,
    Service,
    Specialist,
    SpecialistBlock,
    WaitlistEntry,
    WaitlistOffer,
)
from slotbot.core.waitlist import entries, matching
from slotbot.core.waitlist.entries import WaitlistRefused, Why
from tests.core.shop import BERLIN, NOW, TOMORROW, Shop, at, build_shop, later, new_client

HOURS = range(9, 18)  # the barbers' 60-minute slots: 09:00 ... 17:00


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


async def book(
    engine: AsyncEngine, shop: Shop, client: int, hour: int, day: date = TOMORROW
) -> int:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(day, hour),
        client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    return held.id


async def fill_anna(engine: AsyncEngine, shop: Shop, day: date = TOMORROW) -> dict[int, int]:
    """Anna fully booked on ``day``: hour -> booking id."""
    return {h: await book(engine, shop, await new_client(engine, 100 + h), h, day) for h in HOURS}


async def wait(
    engine: AsyncEngine, shop: Shop, client: int, *, specialist: int | None = None,
    window: tuple[time, time] | None = None, last: date = TOMORROW, minutes: int = 0,
) -> entries.Waiting:  # fmt: skip
    return await entries.join(
        engine, client_id=client, service_id=shop.haircut,
        specialist_id=specialist if specialist is not None else shop.anna,
        first_day=TOMORROW, last_day=last, window=window, timezone=BERLIN.key,
        channel="telegram", now=later(minutes),
    )  # fmt: skip


async def offers(engine: AsyncEngine) -> list[tuple[int, int, str]]:
    """(entry, hour, status) of every recorded offer."""
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id))
        return [(o.entry_id, o.starts_at.astimezone(BERLIN).hour, o.status) for o in rows]


async def offer_rows(engine: AsyncEngine) -> list[Notification]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.kind == "waitlist_offer")
            .order_by(Notification.id)
        )
        return list(rows)


async def test_a_cancellation_goes_to_the_first_three_in_the_order_they_joined(
    engine: AsyncEngine, shop: Shop
) -> None:
    booked = await fill_anna(engine, shop)
    waiting = [
        await wait(engine, shop, await new_client(engine, n), minutes=n) for n in range(1, 6)
    ]
    assert await offers(engine) == []  # nothing was free when they joined
    assert (await matching.match(engine, now=later(10))).offers == 0

    await bookings.cancel(engine, booking_id=booked[11], by="client", now=later(10))
    tally = await matching.match(engine, now=later(11))
    assert (tally.offers, tally.messages) == (3, 3)
    assert await offers(engine) == [(w.id, 11, "offered") for w in waiting[:3]]
    rows = await offer_rows(engine)
    assert [r.recipient for r in rows] == ["5001", "5002", "5003"]  # their Telegram chats
    assert {r.channel for r in rows} == {"telegram"}

    # each entry gets each time once; the next batch only after the wait
    assert (await matching.match(engine, now=later(20))).offers == 0
    assert (await matching.match(engine, now=later(11 + 15))).offers == 2
    assert [e for e, _h, s in await offers(engine) if s == "offered"] == [w.id for w in waiting]
    assert (await matching.match(engine, now=later(60))).offers == 0


async def test_what_was_free_on_joining_is_never_sent(engine: AsyncEngine, shop: Shop) -> None:
    booked = await fill_anna(engine, shop)
    await bookings.cancel(engine, booking_id=booked[15], by="client", now=NOW)
    entry = await wait(engine, shop, await new_client(engine, 1))  # 15:00 was on offer
    assert await offers(engine) == [(entry.id, 15, "seen")]
    assert (await matching.match(engine, now=later(5))).offers == 0
    await bookings.cancel(engine, booking_id=booked[9], by="client", now=later(6))
    await matching.match(engine, now=later(7))
    assert await offers(engine) == [(entry.id, 15, "seen"), (entry.id, 9, "offered")]


async def test_a_window_and_the_clients_own_bookings_are_respected(
    engine: AsyncEngine, shop: Shop
) -> None:
    booked = await fill_anna(engine, shop)
    mornings = await wait(engine, shop, await new_client(engine, 1), window=(time(6), time(12)))
    busy = await new_client(engine, 2)
    await wait(engine, shop, busy, specialist=shop.anna)
    # the second client has a haircut with Boris at 16:00 themselves
    held = await bookings.hold(
        engine, service_id=shop.massage, specialist_id=shop.dora, start=at(TOMORROW, 16),
        client_id=busy, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    await bookings.cancel(engine, booking_id=booked[16], by="specialist", now=later(1))
    await matching.match(engine, now=later(2))
    assert await offers(engine) == []  # 16:00 is no morning, and clashes with the massage
    await bookings.cancel(engine, booking_id=booked[10], by="specialist", now=later(3))
    await matching.match(engine, now=later(4))
    assert sorted(await offers(engine)) == sorted(
        [(mornings.id, 10, "offered"), (mornings.id + 1, 10, "offered")]
    )


async def test_time_off_lifted_and_a_hold_run_out_free_time(
    engine: AsyncEngine, shop: Shop
) -> None:
    booked = await fill_anna(engine, shop)
    await bookings.cancel(engine, booking_id=booked[13], by="client", now=NOW)
    off = await timeoff.add_block(
        engine, specialist_id=shop.anna, start=at(TOMORROW, 13), end=at(TOMORROW, 14),
        reason="errand", now=NOW,
    )  # fmt: skip
    await bookings.cancel(engine, booking_id=booked[14], by="client", now=NOW)
    other = await new_client(engine, 50)
    hold = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 14),
        client_id=other, channel="web", now=NOW,
    )  # fmt: skip
    entry = await wait(engine, shop, await new_client(engine, 1), minutes=1)
    assert await offers(engine) == []
    async with writer(engine) as session:  # the errand is called off
        await session.execute(delete(SpecialistBlock).where(SpecialistBlock.id == off.id))
    await matching.match(engine, now=later(2))
    assert await offers(engine) == [(entry.id, 13, "offered")]
    await matching.match(engine, now=later(11))  # the hold on 14:00 ran out
    assert await offers(engine) == [(entry.id, 13, "offered"), (entry.id, 14, "offered")]
    assert hold.hold_expires_at is not None and hold.hold_expires_at <= later(11)


async def test_anyone_waits_for_every_barber(engine: AsyncEngine, shop: Shop) -> None:
    for specialist in (shop.anna, shop.boris, shop.carl):
        for hour in HOURS:
            client = await new_client(engine, specialist * 100 + hour)
            held = await bookings.hold(
                engine, service_id=shop.haircut, specialist_id=specialist,
                start=at(TOMORROW, hour), client_id=client, channel="telegram", now=NOW,
            )  # fmt: skip
            await bookings.confirm(engine, booking_id=held.id, now=NOW)
    entry = await entries.join(
        engine, client_id=await new_client(engine, 1), service_id=shop.haircut,
        specialist_id=None, first_day=TOMORROW, last_day=TOMORROW, window=None,
        timezone=BERLIN.key, channel="telegram", now=NOW,
    )  # fmt: skip
    async with session_factory(engine)() as session:
        carl_12 = await session.scalar(
            select(Booking.id).where(
                Booking.specialist_id == shop.carl, Booking.starts_at == at(TOMORROW, 12)
            )
        )
    assert carl_12 is not None
    await bookings.cancel(engine, booking_id=carl_12, by="client", now=later(1))
    await matching.match(engine, now=later(2))
    assert await offers(engine) == [(entry.id, 12, "offered")]


async def test_booking_the_service_ends_the_entry(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine, 1)
    entry = await wait(engine, shop, client)
    other = await wait(engine, shop, client, last=TOMORROW + timedelta(days=6))
    assert other.id != entry.id
    await book(engine, shop, client, 12, TOMORROW + timedelta(days=3))  # within the week only
    async with session_factory(engine)() as session:
        ended = dict(
            (await session.execute(select(WaitlistEntry.id, WaitlistEntry.end_reason))).all()
        )
    assert ended == {entry.id: None, other.id: "booked"}


async def test_entries_end_when_their_range_has_passed(engine: AsyncEngine, shop: Shop) -> None:
    entry = await wait(engine, shop, await new_client(engine, 1))
    assert (await matching.match(engine, now=at(TOMORROW, 23))).ended == 0
    assert (await matching.match(engine, now=at(TOMORROW + timedelta(days=1), 0, 1))).ended == 1
    async with session_factory(engine)() as session:
        row = await session.get(WaitlistEntry, entry.id)
        assert row is not None and row.end_reason == "passed"


async def test_at_most_max_waiting_per_client(engine: AsyncEngine, shop: Shop) -> None:
    client = await new_client(engine, 1)
    firsts = [await wait(engine, shop, client, window=(time(h), time(h + 1))) for h in (9, 10, 11)]
    again = await wait(engine, shop, client, window=(time(9), time(10)))
    assert again.id == firsts[0].id  # the same wishes: the entry there is
    with pytest.raises(WaitlistRefused) as refused:
        await wait(engine, shop, client, window=(time(12), time(13)))
    assert (refused.value.why, refused.value.limit) == (Why.TOO_MANY, 3)
    assert await entries.leave(engine, entry_id=firsts[1].id, client_id=client, now=NOW)
    await wait(engine, shop, client, window=(time(12), time(13)))
    async with writer(engine) as session:
        session.add(BusinessSetting(key="max_waiting_per_client", value=4))
    await wait(engine, shop, client, window=(time(13), time(14)))


async def test_only_ones_own_entry_can_be_left_or_changed(engine: AsyncEngine, shop: Shop) -> None:
    mine, stranger = await new_client(engine, 1), await new_client(engine, 2)
    entry = await wait(engine, shop, mine)
    assert not await entries.leave(engine, entry_id=entry.id, client_id=stranger, now=NOW)
    with pytest.raises(WaitlistRefused):
        await entries.change(engine, entry_id=entry.id, client_id=stranger, now=NOW, window=None)
    async with session_factory(engine)() as session:
        assert await entries.entry_of(session, entry.id, stranger, NOW) is None
        assert await entries.entry_of(session, entry.id, mine, NOW) == entry


async def test_the_agenda_counts_who_waits_each_day(engine: AsyncEngine, shop: Shop) -> None:
    await wait(engine, shop, await new_client(engine, 1))
    await wait(engine, shop, await new_client(engine, 2), last=TOMORROW + timedelta(days=2))
    await entries.join(
        engine, client_id=await new_client(engine, 3), service_id=shop.haircut,
        specialist_id=None, first_day=TOMORROW, last_day=TOMORROW, window=None,
        timezone=BERLIN.key, channel="web", now=NOW,
    )  # fmt: skip
    await wait(engine, shop, await new_client(engine, 4), specialist=shop.boris)
    gone = await new_client(engine, 5)
    left = await wait(engine, shop, gone)
    await entries.leave(engine, entry_id=left.id, client_id=gone, now=NOW)  # no longer counts
    async with session_factory(engine)() as session:
        counts = await entries.waiting_counts(
            session, specialist_id=shop.anna, service_ids=frozenset({shop.haircut}),
            first=TOMORROW, last=TOMORROW + timedelta(days=3),
        )  # fmt: skip
    day = timedelta(days=1)
    assert counts == {TOMORROW: 3, TOMORROW + day: 1, TOMORROW + 2 * day: 1}


SHOP_FILE = """
timezone: Europe/Berlin
services:
  - {key: cut, name: {en: Cut}, duration: 60}
specialists:
  - key: eve
    name: Eve
    services: [cut]
    schedule:
      - {days: [wed], start: "09:00", end: "%s", slot: 60}
"""


async def test_a_reimport_that_opens_hours(engine: AsyncEngine, tmp_path: Path) -> None:
    from slotbot.core.importing.importer import import_file

    shop_file = tmp_path / "shop.yaml"
    shop_file.write_text(SHOP_FILE % "12:00")
    await import_file(engine, shop_file)
    async with session_factory(engine)() as session:
        cut = await session.scalar(select(Service.id))
        eve = await session.scalar(select(Specialist.id))
    assert cut is not None and eve is not None
    for hour in (9, 10, 11):
        held = await bookings.hold(
            engine, service_id=cut, specialist_id=eve, start=at(TOMORROW, hour),
            client_id=await new_client(engine, hour), channel="staff", now=NOW,
        )  # fmt: skip
        await bookings.confirm(engine, booking_id=held.id, now=NOW)
    entry = await entries.join(
        engine, client_id=await new_client(engine, 1), service_id=cut, specialist_id=eve,
        first_day=TOMORROW, last_day=TOMORROW, window=None, timezone=BERLIN.key,
        channel="telegram", now=NOW,
    )  # fmt: skip
    assert (await matching.match(engine, now=later(1))).offers == 0
    shop_file.write_text(SHOP_FILE % "14:00")  # Eve stays two hours longer
    await import_file(engine, shop_file)
    await matching.match(engine, now=later(2))
    assert await offers(engine) == [(entry.id, 12, "offered"), (entry.id, 13, "offered")]
