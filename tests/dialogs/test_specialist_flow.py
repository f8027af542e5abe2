"""The specialist's side of the dialog over the real core, on SQLite and PostgreSQL:
linking, agenda with gaps, cancelling with a reason, day off / vacation / block with the
bookings in the way kept or cancelled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.booking import timeoff
from slotbot.core.specialists import issue_specialist_link
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import (
    Booking,
    Notification,
    Source,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
)
from slotbot.dialogs.events import Press, Start
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.chat import NOW, Chat, load_demo

ANNA = "1004"  # Anna Petrova's Telegram user id in the demo file


async def booked_with_anna(demo: AsyncEngine, key: str, day: str, time: str) -> None:
    client = Chat.new(demo, key, name=f"Client {key}")
    await client.start()
    await client.choose_service("Haircut")
    await client.press("Anna Petrova")
    await client.press(day)
    await client.press(time)
    await client.share("+49 151 2345678" + key[-1])
    await client.press("✅")
    assert "You are booked" in client.text


async def test_a_client_is_told_politely_that_commands_are_for_specialists(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo, "9100")
    for command in ("today", "dayoff", "block"):
        await chat.start(command)
        assert chat.text.startswith("These commands are for the shop's specialists.")
        assert "What would you like to book?" in chat.text


async def test_linking_by_deep_link_once(demo: AsyncEngine) -> None:
    payload = await issue_specialist_link(demo, key="lena", now=NOW)
    assert len(payload) <= 64
    lena = Chat.new(demo, "7777", name="Lena")
    await lena.send(Start("start", payload=payload))
    assert lena.text.startswith("Hello, Lena")
    assert "(Europe/Berlin):" in lena.text
    await lena.start("today")
    assert "Not working." not in lena.text or "Tuesday" in lena.text
    other = Chat.new(demo, "7778")
    await other.send(Start("start", payload=payload))
    assert other.text.startswith("This link has expired or was already used.")
    await other.send(Start("start", payload="s-forged"))
    assert other.text.startswith("This link has expired or was already used.")
    await other.start("today")
    assert other.text.startswith("These commands are for the shop's specialists.")


async def test_agenda_shows_bookings_and_free_gaps_and_cancels_with_a_reason(
    demo: AsyncEngine,
) -> None:
    await booked_with_anna(demo, "9101", "3", "10:00")
    anna = Chat.new(demo, ANNA, name="Anna")
    await anna.start("tomorrow")
    await anna.press("Thu, Dec 3 ›")
    assert anna.text.startswith("Thursday, December 3, 2026 (Europe/Berlin):")
    assert "10:00 AM–11:00 AM Haircut, Client 9101" in anna.text
    assert "· free" in anna.text
    await anna.press("10:00 AM · Client 9101")
    assert "Phone: +49 1512 3456781" in anna.text
    await anna.press("Cancel booking")
    await anna.press("Other reason")
    await anna.type("  Power cut in the salon ")
    assert anna.text.startswith("Cancelled. The client is told and offered other times.")
    async with session_factory(demo)() as session:
        [cancelled] = list(await session.scalars(select(Booking)))
        kinds = set(
            await session.scalars(
                select(Notification.kind).where(
                    Notification.booking_id == cancelled.id, Notification.status == "pending"
                )
            )
        )
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "specialist")
    assert cancelled.cancel_reason == "Power cut in the salon"
    assert any("cancel" in kind for kind in kinds)


async def test_day_off_over_two_bookings_keep_one_path_cancel_the_other(
    demo: AsyncEngine,
) -> None:
    await booked_with_anna(demo, "9102", "3", "10:00")
    await booked_with_anna(demo, "9103", "4", "10:00")
    anna = Chat.new(demo, ANNA)
    await anna.send(Start("dayoff", payload="2026-12-03"))
    assert anna.text.startswith("Take Thursday, December 3, 2026 off?")
    assert "These bookings stand in the way:" in anna.text and "Client 9102" in anna.text
    await anna.press("Keep it")
    assert anna.text.startswith("Saved.")
    await anna.start("dayoff")
    await anna.press("4")
    assert "Client 9103" in anna.text
    await anna.press("Cancel it and tell the client")
    assert "1 booking was cancelled; the client is told." in anna.text
    async with session_factory(demo)() as session:
        statuses = list(await session.scalars(select(Booking.status).order_by(Booking.id)))
        sources = set(await session.scalars(select(SpecialistOverride.source).where(
            SpecialistOverride.reason == "Day off")))  # fmt: skip
    assert statuses == ["confirmed", "cancelled"]
    assert sources == {Source.STAFF}
    client = Chat.new(demo, "9104")
    await client.start()
    await client.choose_service("Haircut")
    await client.press("Anna Petrova")
    grey = [b for row in client.screen.buttons for b in row if b.label in ("3", "4")]  # type: ignore[union-attr]
    assert all(b.disabled for b in grey)


async def test_vacation_and_block_picked_from_the_calendar(demo: AsyncEngine) -> None:
    anna = Chat.new(demo, ANNA)
    await anna.start("today")
    await anna.press("Vacation")
    await anna.press("21")
    assert "Your vacation from Mon, Dec 21: the last day?" in anna.text
    await anna.press("23")
    assert anna.text.startswith("Vacation from Mon, Dec 21 to Wed, Dec 23?")
    await anna.press("Yes")
    await anna.press("Block time")
    await anna.press("2")
    await anna.press("1:00")
    await anna.press("1 hr")
    assert anna.text.startswith("Block Wed, Dec 2, 1:00 PM–2:00 PM?")
    await anna.press("Yes")
    async with session_factory(demo)() as session:
        block = await session.scalar(
            select(SpecialistBlock).where(SpecialistBlock.reason == "Time blocked")
        )
    assert block is not None and block.source == Source.STAFF
    assert block.ends_at - block.starts_at == timedelta(hours=1)
    client = Chat.new(demo, "9105")
    await client.start()
    await client.choose_service("Haircut")
    await client.press("Anna Petrova")
    await client.press("2")
    assert "1:00 PM" not in client.labels()


async def test_forged_dates_and_back_on_every_specialist_screen(demo: AsyncEngine) -> None:
    anna = Chat.new(demo, ANNA)
    await anna.send(Start("block", payload="tomorrow at noon"))
    assert anna.text.startswith("I could not read those dates.")
    await anna.press("‹ Back")
    assert "(Europe/Berlin):" in anna.text
    await anna.press("Week")
    assert anna.text.startswith("The week from")
    await anna.press("‹ Back")
    await anna.start("start")
    assert anna.labels()[-4] == "My agenda"


async def test_block_racing_a_clients_hold_exactly_one_wins(database_url: str) -> None:
    """The client's hold and the specialist's block run at once on separate connections:
    the block always stands, and no live booking overlaps it."""
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        await load_demo(engines[0])
        client = Chat.new(engines[0], "9106")
        await client.start()
        await client.choose_service("Haircut")
        await client.press("Anna Petrova")
        await client.press("3")
        action = client.button("10:00").action
        start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        anna_id = await _anna_id(engines[1])
        await asyncio.gather(
            client.send(Press(action)),
            timeoff.add_block(
                engines[1], specialist_id=anna_id, start=start, end=start + timedelta(hours=1),
                reason="Delivery", now=NOW, cancel_conflicts=True, cancel_reason="Delivery",
            ),
        )  # fmt: skip
        async with session_factory(engines[0])() as session:
            live = list(
                await session.scalars(
                    select(Booking).where(Booking.status.in_(("held", "confirmed")))
                )
            )
        assert not [b for b in live if b.starts_at < start + timedelta(hours=1) and
                    b.ends_at > start]  # fmt: skip
        if client.text.startswith("Sorry"):
            assert "These times are free:" in client.text
        await assert_no_overlapping_live_bookings(engines[0])
    finally:
        for engine in engines:
            await engine.dispose()


async def _anna_id(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Specialist.id).where(Specialist.key == "anna"))
    assert found is not None
    return found
