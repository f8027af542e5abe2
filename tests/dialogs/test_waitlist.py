"""The waiting list in the conversation, over the real core and the demo clinic: joining where
nothing suits, changing and leaving an entry, the offer's button and link, and bad input
(a forged or stale button, an expired or forged link, another client's entry)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.actions import to36
from slotbot.core.notify import chat_actions
from slotbot.core.storage.db import create_engine, session_factory, writer
from slotbot.core.storage.models import (
    Booking,
    Client,
    Service,
    Specialist,
    WaitlistEntry,
    WaitlistOffer,
)
from slotbot.core.waitlist import matching
from slotbot.core.waitlist.free import free_slots
from slotbot.core.waitlist.links import SLOT_PREFIX, slot_token
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Start, Visitor
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.chat import NOW, Chat

DAY = date(2026, 12, 2)  # a Wednesday: Anna works 10-14 and 15-19
SECRET = "a-secret-key-of-at-least-thirty-two-characters"


async def ids(engine: AsyncEngine) -> tuple[int, int]:
    """The demo's haircut and Anna Petrova."""
    async with session_factory(engine)() as session:
        haircut = await session.scalar(select(Service.id).where(Service.key == "haircut"))
        anna = await session.scalar(select(Specialist.id).where(Specialist.key == "anna"))
    assert haircut is not None and anna is not None
    return haircut, anna


async def fill(engine: AsyncEngine, day: date = DAY, now: datetime = NOW) -> list[Booking]:
    """Anna booked up on ``day`` by other clients (staff bookings), earliest first."""
    haircut, anna = await ids(engine)
    made: list[Booking] = []
    while True:
        async with session_factory(engine)() as session:
            free = await free_slots(
                session, service_id=haircut, specialist_id=anna, first=day, last=day, now=now
            )
        if not free:
            return made
        async with writer(engine) as session:
            client = Client(name=f"Walk-in {len(made)}", phone=f"+4915100000{len(made):03d}")
            session.add(client)
        held = await bookings.hold(
            engine, service_id=haircut, specialist_id=anna, start=free[0].start,
            client_id=client.id, channel="staff", now=now,
        )  # fmt: skip
        made.append(await bookings.confirm(engine, booking_id=held.id, now=now))


async def offered(engine: AsyncEngine, client_key: str) -> list[int]:
    """The offers made to the Telegram client ``client_key``, by id."""
    async with session_factory(engine)() as session:
        found = await session.scalars(
            select(WaitlistOffer.id)
            .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
            .join(Client, Client.id == WaitlistEntry.client_id)
            .where(Client.telegram_user_id == int(client_key), WaitlistOffer.status == "offered")
            .order_by(WaitlistOffer.id)
        )
        return list(found)


def grey_day(chat: Chat, label: str) -> str:
    """The action of a greyed day on the calendar shown."""
    assert chat.screen is not None
    found = [b for row in chat.screen.buttons for b in row if b.label == label and b.disabled]
    assert found and found[0].action, chat.text
    return found[0].action


async def to_anna_on_the_day(chat: Chat) -> None:
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")


async def test_a_booked_up_day_then_a_cancellation_then_the_offer(demo: AsyncEngine) -> None:
    taken = await fill(demo)
    chat = Chat.new(demo, "9501")
    await to_anna_on_the_day(chat)
    # the grey day says why and offers to wait for it
    await chat.press_action(grey_day(chat, "2"))
    assert chat.reply is not None and chat.reply.notice == "No free time on Wed, Dec 2."
    await chat.press("🔔 Tell me if Wed, Dec 2 frees up")
    assert chat.text.splitlines()[:3] == [
        "You are on the waiting list:",
        "Haircut with Anna Petrova · Wed, Dec 2 · any time",
        "When a time frees up, I will send it here. Whoever takes it first gets it.",
    ]
    assert chat.presses == 5  # category, service, specialist, the grey day, one press to wait
    await chat.press("Afternoon")
    assert "Haircut with Anna Petrova · Wed, Dec 2 · afternoons" in chat.text

    [freed] = [b for b in taken if b.starts_at.hour == 15]  # 16:00 in Berlin: an afternoon
    await bookings.cancel(demo, booking_id=freed.id, by="client", now=NOW)
    await matching.match(demo, now=NOW)
    [offer] = await offered(demo, "9501")
    await chat.start()  # the client is elsewhere; the offer's button still works
    await chat.press_action(chat_actions.waitlist_offer(offer))
    assert chat.text == (
        "Held for you: Haircut with Anna Petrova, Wed, Dec 2, 4:00 PM.\n\n"
        "Thank you, Jane Doe. What phone number can we reach you on?"
    )
    async with session_factory(demo)() as session:
        held = await session.scalar(select(Booking).where(Booking.status == "held"))
    assert held is not None and held.starts_at == freed.starts_at
    await chat.share("+49 151 23456789")
    await chat.press("✅")
    assert chat.text.startswith(
        "You are booked: Haircut with Anna Petrova on Wednesday, December 2"
    )
    await chat.start("my")
    assert "You are on the waiting list for:" not in chat.text  # booked: the wait is over


async def test_none_of_these_suit_me_then_change_and_leave(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9502")
    await to_anna_on_the_day(chat)
    await chat.press("2")
    await chat.press("None of these suit me")
    assert "Haircut with Anna Petrova · Wed, Dec 2 · any time" in chat.text
    await chat.press("The week from")
    assert "Wed, Dec 2 to Tue, Dec 8" in chat.text
    await chat.press("Anyone available")
    assert "Haircut with anyone available" in chat.text
    await chat.type("after 16")
    assert "from 4:00 PM" in chat.text
    await chat.type("whenever, really")
    assert chat.text.startswith("I could not read those hours.")
    await chat.press("My bookings")
    assert "You are on the waiting list for:" in chat.text
    await chat.press("✖ Leave")
    assert chat.text.startswith("You left the waiting list for Haircut with anyone available")
    assert "You are on the waiting list for:" not in chat.text


async def test_at_most_three_entries(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9503")
    for day in ("2", "3", "4"):
        await to_anna_on_the_day(chat)
        await chat.press(day)
        await chat.press("None of these suit me")
        assert chat.text.startswith("You are on the waiting list:")
    await to_anna_on_the_day(chat)
    await chat.press("8")
    await chat.press("None of these suit me")
    assert chat.text.startswith(
        "You are already waiting for 3 times, the most we keep for one client. "
        "Leave one under My bookings to wait for another."
    )
    assert "pick a time" in chat.text  # still on the day's times


async def test_a_web_visitor_gives_a_number_to_be_texted(demo: AsyncEngine) -> None:
    web = Chat(Dialogs(demo), Visitor("web", "waiting-web", language="en"))
    await to_anna_on_the_day(web)
    await web.press("2")
    await web.press("None of these suit me")
    assert web.text.startswith(
        "You are on the waiting list. What phone number can we text you on when a time frees up?"
    )
    await web.type("+49 151 23456789")
    assert "I will send it here and by text message." in web.text


async def test_forged_stale_and_foreign_offer_buttons(demo: AsyncEngine) -> None:
    taken = await fill(demo)
    first, second = Chat.new(demo, "9504"), Chat.new(demo, "9505")
    for chat in (first, second):
        await to_anna_on_the_day(chat)
        await chat.press_action(grey_day(chat, "2"))
        await chat.press("🔔 Tell me if")
    await bookings.cancel(demo, booking_id=taken[0].id, by="specialist", now=NOW)
    await matching.match(demo, now=NOW)
    [mine], [theirs] = await offered(demo, "9504"), await offered(demo, "9505")

    await first.start()
    for forged in (chat_actions.waitlist_offer(theirs), chat_actions.waitlist_offer(99999),
                   "0.wo.zzzzzz", "0.wo"):  # fmt: skip
        await first.press_action(forged)
        assert first.reply is not None
        assert first.reply.notice.startswith("That button does not work here.")
    async with session_factory(demo)() as session:
        assert await session.scalar(select(Booking).where(Booking.status == "held")) is None

    async with session_factory(demo)() as session:  # their entry, pressed from my screen
        their_entry = await session.scalar(
            select(WaitlistOffer.entry_id).where(WaitlistOffer.id == theirs)
        )
    await first.start("my")
    for code in ("wx", "wv"):
        assert first.screen is not None
        version = first.screen.actions()[0].split(".")[0]
        await first.press_action(f"{version}.{code}.{to36(their_entry or 0)}")
        assert first.reply is not None
        assert first.reply.notice.startswith("That button does not work here.")
    await second.start("my")
    assert "You are on the waiting list for:" in second.text  # still theirs, untouched

    await second.press_action(chat_actions.waitlist_offer(theirs))  # the second is quicker
    await first.press_action(chat_actions.waitlist_offer(mine))
    assert first.text.startswith(
        "Wed, Dec 2, 10:00 AM has gone: someone else took it first. You stay on the waiting list."
    )
    assert "These times are free:" in first.text or "There is no free time soon." in first.text
    await first.press("‹ Back")
    await first.start("my")
    assert "You are on the waiting list for:" in first.text


async def test_the_link_holds_a_time_for_whoever_opens_it(demo: AsyncEngine) -> None:
    taken = await fill(demo)
    haircut, anna = await ids(demo)
    await bookings.cancel(demo, booking_id=taken[1].id, by="client", now=NOW)
    start = taken[1].starts_at
    token = slot_token(SECRET, specialist_id=anna, service_id=haircut, start=start, now=NOW)
    assert len(SLOT_PREFIX + token) <= 64  # fits Telegram's /start parameter too
    dialogs = Dialogs(demo, link_secret=SECRET)

    stranger = Chat(dialogs, Visitor("web", "a-stranger", language="en"))
    await stranger.send(Start("start", SLOT_PREFIX + token[:-2] + "AA"))
    assert stranger.text.startswith("This link is not valid.")
    await stranger.send(Start("start", SLOT_PREFIX + "not a token"))
    assert stranger.text.startswith("This link is not valid.")
    other_key = slot_token(SECRET + "x", specialist_id=anna, service_id=haircut, start=start,
                           now=NOW)  # fmt: skip
    await stranger.send(Start("start", SLOT_PREFIX + other_key))
    assert stranger.text.startswith("This link is not valid.")
    stranger.later(24 * 60 + 1)
    await stranger.send(Start("start", SLOT_PREFIX + token))
    assert stranger.text.startswith("This link has expired.")
    stranger.now = NOW

    await stranger.send(Start("start", SLOT_PREFIX + token))
    assert "What name should we book under?" in stranger.text  # a hold of the stranger's own
    async with session_factory(demo)() as session:
        held = await session.scalar(select(Booking).where(Booking.status == "held"))
        assert held is not None and held.starts_at == start
        client = await session.get(Client, held.client_id)
    assert client is not None and client.web_session_id == "web:a-stranger" and client.phone is None

    late = Chat(dialogs, Visitor("telegram", "9506", chat_id=9506, name="Late", language="en"))
    await late.send(Start("start", SLOT_PREFIX + token))
    assert late.text.startswith(f"{_when(start)} has gone: someone else took it first.")


def _when(start: datetime) -> str:
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo("Europe/Berlin"))
    return f"Wed, Dec 2, {local:%-I}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


async def test_the_agenda_counts_who_waits(demo: AsyncEngine) -> None:
    for key in ("9507", "9508"):
        chat = Chat.new(demo, key)
        await to_anna_on_the_day(chat)
        await chat.press("2")
        await chat.press("None of these suit me")
    anna = Chat.new(demo, "1004", name="Anna")
    await anna.start("tomorrow")
    assert "⏳ 2 clients are waiting for time to free up this day." in anna.text
    await anna.press("Week")
    assert "Wed, Dec 2 · 0 bookings · 2 waiting" in anna.labels()


async def test_booking_the_service_ends_the_wait(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9509")
    await to_anna_on_the_day(chat)
    await chat.press("2")
    await chat.press("None of these suit me")
    await chat.press("‹ Back")
    await chat.press("10:00 AM")
    if "What phone" in chat.text:
        await chat.share("+49 151 23456700")
    await chat.press("✅")
    await chat.start("my")
    assert "You are on the waiting list for:" not in chat.text
    async with session_factory(chat.dialogs.engine)() as session:
        reason = await session.scalar(select(WaitlistEntry.end_reason))
    assert reason == "booked"


async def test_three_waiting_clients_press_the_same_freed_time_at_once(
    demo: AsyncEngine, database_url: str
) -> None:
    """Each client on a connection pool of their own: exactly one hold, two clear answers."""
    taken = await fill(demo)
    engines = [create_engine(database_url, pool_size=2, max_overflow=0) for _ in range(3)]
    try:
        chats = [
            Chat(Dialogs(e), Visitor("telegram", key, chat_id=int(key), name="W", language="en"))
            for e, key in zip(engines, ("9601", "9602", "9603"), strict=True)
        ]
        for chat in chats:
            await to_anna_on_the_day(chat)
            await chat.press_action(grey_day(chat, "2"))
            await chat.press("🔔 Tell me if")
        await bookings.cancel(demo, booking_id=taken[3].id, by="client", now=NOW)
        assert (await matching.match(demo, now=NOW)).offers == 3
        offers = [(await offered(demo, c.visitor.key))[0] for c in chats]
        await asyncio.gather(
            *(
                c.press_action(chat_actions.waitlist_offer(o))
                for c, o in zip(chats, offers, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))
    answers = sorted(c.text.split("\n")[0] for c in chats)
    gone = f"{_when(taken[3].starts_at)} has gone: someone else took it first."
    assert [a.startswith(gone) for a in answers].count(True) == 2, answers
    async with session_factory(demo)() as session:
        held = list(await session.scalars(select(Booking).where(Booking.status == "held")))
    assert len(held) == 1 and held[0].starts_at == taken[3].starts_at
    await assert_no_overlapping_live_bookings(demo)
