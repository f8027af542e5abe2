"""Every time the dialog offers is one the client can take: their own live bookings are left
out of every offer, a time let go is offered again at once, a move onto a clash is refused
before its summary, and a button that named a time that is gone says so in one line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking
from slotbot.dialogs.screens import Button
from tests.core.shop import at, new_client
from tests.dialogs.chat import NOW, Chat
from tests.dialogs.offers import client_of, take

TUE, WED, THU, FRI = (date(2026, 12, d) for d in (1, 2, 3, 4))
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def statuses(engine: AsyncEngine, client_id: int) -> list[str]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Booking.status).where(Booking.client_id == client_id).order_by(Booking.id)
        )
        return list(rows)


async def test_own_live_bookings_are_left_out_of_every_offer(demo: AsyncEngine) -> None:
    """A confirmed booking with Anna on Wednesday makes "Book again" Anna; a hold with Boris
    on Tuesday 10:15-11:15 takes Anna's 10:00, 10:30 and 11:00 out of every offer until the
    hold runs out."""
    chat = Chat.new(demo, "9101")
    await chat.start()
    me = await client_of(demo, chat)
    await take(demo, me, "haircut", "anna", at(WED, 10), NOW)
    await take(demo, me, "haircut", "boris", at(TUE, 10, 15), NOW, confirm=False)
    await chat.start()
    assert chat.labels()[0] == "Book again: Haircut with Anna Petrova, Tue, Dec 1, 11:30 AM"
    await chat.choose_service("Haircut")
    assert "Anna Petrova (Barber) · Tue, Dec 1, 11:30 AM" in chat.labels()
    assert "Any available · Tue, Dec 1, 9:00 AM" in chat.labels()  # Boris before the hold
    await chat.press("Anna Petrova")
    assert "Soonest: Tue, Dec 1, 11:30 AM" in chat.labels()
    await chat.press("1")
    assert chat.labels()[0] == "11:30 AM"
    await chat.press("‹ Back")
    await chat.press("‹ Back")
    await chat.press("Any available")
    await chat.press("1")
    times = chat.labels()
    assert "9:00 AM" in times and not {"10:00 AM", "10:30 AM", "11:00 AM"} & set(times)
    chat.later(11)  # the hold with Boris ran out: Anna's 10:00 is the client's again
    await chat.start()
    assert chat.labels()[0] == "Book again: Haircut with Anna Petrova, Tue, Dec 1, 10:00 AM"


@SQLITE
async def test_a_clash_offers_only_times_the_client_can_take(demo: AsyncEngine) -> None:
    """The client holds 10:15 with Boris in another window while Anna's times are shown:
    10:00 is refused once, and the times offered instead can all be taken (no loop)."""
    chat = Chat.new(demo, "9102")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("1")
    await take(demo, await client_of(demo, chat), "haircut", "boris", at(TUE, 10, 15), NOW)
    await chat.press("10:00 AM")
    assert chat.text.startswith("You already have an appointment at that time.")
    assert "These times are free:" in chat.text
    offered = chat.labels()
    assert offered[0] == "Tue, Dec 1, 11:30 AM", offered
    assert not any(t.endswith(("10:00 AM", "10:30 AM", "11:00 AM")) for t in offered)
    await chat.press("Tue, Dec 1, 11:30 AM")
    assert chat.screen is not None and "phone number" in chat.text


@SQLITE
async def test_a_day_whose_free_times_clash_is_grey_and_says_why(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9103")
    chat.now = datetime(2026, 12, 31, 11, 30, tzinfo=UTC)  # 12:30 in Berlin
    await chat.start()
    # Boris's last time on New Year's Eve is 13:00, and the client has Anna then
    eve = at(date(2026, 12, 31), 13)
    await take(demo, await client_of(demo, chat), "haircut", "anna", eve, chat.now)
    await chat.choose_service("Haircut")
    assert "Boris Klein (Senior barber) · Mon, Jan 4, 9:00 AM" in chat.labels()
    await chat.press("Boris Klein")
    await chat.press("‹ Dec")
    assert _day(chat, "31").disabled
    reply = await chat.press_action(_day(chat, "31").action)
    assert reply.notice == "The free times on Thu, Dec 31 clash with your own appointments."
    await chat.start("language")  # and back to the calendar, in Russian
    await chat.press("Русский")
    reply = await chat.press_action(_day(chat, "31").action)
    assert reply.notice == "Чт, 31 дек.: свободное время пересекается с вашими записями."


def _day(chat: Chat, label: str) -> Button:
    """A day of the calendar on screen, free or grey."""
    assert chat.screen is not None
    [day] = [b for row in chat.screen.buttons for b in row if b.label == label]
    return day


@SQLITE
async def test_a_move_onto_a_clash_is_refused_before_its_summary(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9105")
    await chat.start()
    me = await client_of(demo, chat)
    await take(demo, me, "haircut", "anna", at(THU, 10), NOW)
    await chat.start("my")
    await chat.press("Thu, Dec 3")
    await chat.press("Reschedule")
    await chat.press("3")
    assert "10:30 AM" in chat.labels()  # the booking being moved does not count
    await chat.press("‹ Back")
    await chat.press("4")
    await take(demo, me, "beard_trim", "boris", at(FRI, 15, 15), NOW)  # meanwhile, elsewhere
    await chat.press("3:00 PM")
    assert chat.text.startswith("You already have an appointment at that time.")
    assert "Move your appointment" not in chat.text
    assert not any(t.endswith(("3:00 PM", "3:30 PM")) for t in chat.labels())
    await chat.press("Fri, Dec 4, 4:00 PM")
    assert chat.text.startswith("Move your appointment from Haircut with Anna Petrova")
    await chat.press("✅")
    assert chat.text.startswith("Moved to Friday, December 4, 2026 at 4:00 PM")
    assert await statuses(demo, me) == ["cancelled", "confirmed", "confirmed"]


@SQLITE
async def test_a_time_let_go_is_offered_again_at_once(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9106")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("3")
    await chat.press("10:00 AM")  # held; the phone is asked for
    await chat.press("‹ Back")
    assert "10:00 AM" in chat.labels()
    await chat.press("10:00 AM")
    await chat.share("+49 151 23456789")
    assert "Please check your booking" in chat.text
    await chat.press("‹ Back")
    assert "10:00 AM" in chat.labels()
    await chat.press("‹ Back")
    await chat.press("Soonest: Tue, Dec 1, 10:00 AM")
    await chat.press("✅")
    assert "You are booked" in chat.text


@SQLITE
async def test_a_time_let_go_is_offered_again_while_others_look(demo: AsyncEngine) -> None:
    """Another client looks at the day while the time is held, so the process's answers are
    current for the hold when it is let go: the screen drawn right after the release asks
    afresh and offers the time again (the turn's versions were read before the release)."""
    chat, other = Chat.new(demo, "9109"), Chat.new(demo, "9110")
    for visitor in (chat, other):
        await visitor.start()
        await visitor.choose_service("Haircut")
        await visitor.press("Anna Petrova")
    await chat.press("3")
    await chat.press("10:00 AM")  # held; the phone is asked for
    await other.press("3")
    assert "10:00 AM" not in other.labels()
    await chat.press("‹ Back")
    assert "10:00 AM" in chat.labels()
    await other.press("‹ Back")
    await other.press("3")
    assert "10:00 AM" in other.labels()


@pytest.mark.parametrize(
    ("language", "command", "line", "after"),
    [
        ("en", "my", "Thu, Dec 3, 10:00 AM is no longer held for you.", "You have no upcoming"),
        ("en", "start", "Thu, Dec 3, 10:00 AM is no longer held for you.", "What would you"),
        ("ru", "my", "Время чт, 3 дек., 10:00 больше не закреплено за вами.", "У вас нет"),
    ],
)
async def test_a_command_that_leaves_a_held_time_says_it_is_let_go(
    demo: AsyncEngine, language: str, command: str, line: str, after: str
) -> None:
    """/my or /start typed while a time is held lets the time go (it is offered again) and
    the next screen says so in one line, above what the command shows."""
    chat = Chat.new(demo, "9111", language=language)
    await chat.start()
    await chat.choose_service("Haircut" if language == "en" else "Стрижка")
    await chat.press("Anna Petrova")
    await chat.press("3")
    await chat.press("10:00")  # held; the name is asked for
    me = await client_of(demo, chat)
    assert await statuses(demo, me) == ["held"]
    await chat.start(command)
    assert chat.text.startswith(f"{line}\n\n{after}"), chat.text
    assert await statuses(demo, me) == ["expired"]  # a hold let go
    await chat.start(command)  # nothing held any more: no such line
    assert not chat.text.startswith(line)


@SQLITE
async def test_a_button_whose_time_is_gone_says_so_in_one_line(demo: AsyncEngine) -> None:
    """A specialist's next time, Soonest and Book again each named a time another client took
    meanwhile: one line says so and names the soonest now; nothing is held instead."""
    rival = await new_client(demo, 1)
    chat = Chat.new(demo, "9107")
    await chat.start()
    await chat.choose_service("Haircut")
    assert "Anna Petrova (Barber) · Tue, Dec 1, 10:00 AM" in chat.labels()
    await take(demo, rival, "haircut", "anna", at(TUE, 10), NOW)
    await chat.press("Anna Petrova")
    assert chat.text.startswith(
        "10:00 AM was just taken; the soonest now is Tue, Dec 1, 11:00 AM.\n\nHaircut with Anna"
    )
    await take(demo, rival, "haircut", "anna", at(TUE, 11), NOW)
    await chat.press("Soonest: Tue, Dec 1, 11:00 AM")
    assert chat.text.startswith("11:00 AM was just taken; the soonest now is Tue, Dec 1, 12:00 PM.")
    assert "Soonest: Tue, Dec 1, 12:00 PM" in chat.labels()
    me = await client_of(demo, chat)
    assert await statuses(demo, me) == []
    await take(demo, me, "haircut", "anna", at(WED, 10), NOW)  # now a returning client
    await chat.start()
    await chat.press("Language")
    await chat.press("Русский")
    assert chat.labels()[0] == "Записаться снова: Стрижка, Anna Petrova, вт, 1 дек., 12:00"
    await take(demo, rival, "haircut", "anna", at(TUE, 12), NOW)
    await chat.press("Записаться снова")
    assert chat.text.startswith(
        "Время 12:00 только что заняли; ближайшее свободное время теперь — вт, 1 дек., 15:00."
    )
    assert chat.labels()[0] == "Записаться снова: Стрижка, Anna Petrova, вт, 1 дек., 15:00"
    assert await statuses(demo, me) == ["confirmed"]


@SQLITE
async def test_a_move_offers_its_own_time_everywhere(demo: AsyncEngine) -> None:
    """During a move the booking being moved is not in its own way: Boris's last time on New
    Year's Eve is the client's own, and Soonest, the calendar's day and the day's times all
    offer it (Soonest once named a later time while the day's times listed that one)."""
    chat = Chat.new(demo, "9108")
    chat.now = datetime(2026, 12, 31, 11, 30, tzinfo=UTC)  # 12:30 in Berlin
    await chat.start()
    me = await client_of(demo, chat)
    await take(demo, me, "haircut", "boris", at(date(2026, 12, 31), 13), chat.now)
    await chat.start("my")
    await chat.press("Thu, Dec 31")
    await chat.press("Reschedule")
    assert "Soonest: Thu, Dec 31, 1:00 PM" in chat.labels()
    assert not _day(chat, "31").disabled
    await chat.press("31")
    assert chat.labels()[0] == "1:00 PM"
