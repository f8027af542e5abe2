"""Bookings in words (issue 17): "my bookings", "cancel my booking", "move it to Friday" and
their Russian forms open what their buttons open, for the client's only upcoming booking or
after asking which; the cancellation is asked first and the move is checked before its
summary, as for a press. On SQLite and PostgreSQL (they write)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, BookingStatus
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.chat import Chat


async def statuses(engine: AsyncEngine) -> list[str]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Booking.status).order_by(Booking.id)))


async def book(chat: Chat, text: str, time: str) -> None:
    """Book in words and one press for the time (contact shared the first time)."""
    await chat.type(text)
    await chat.press(time)
    if "phone number" in chat.text or "телефон" in chat.text:
        await chat.share("+49 151 23456789")
    await chat.press("✅")
    assert chat.text.startswith(("You are booked", "Вы записаны"))


async def test_my_bookings_move_and_cancel_in_words(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9301")
    await chat.start()
    await chat.type("cancel my booking")  # none yet
    assert chat.text.startswith("You have no upcoming bookings.")
    await book(chat, "haircut with Anna on Wednesday after 5", "5:00 PM")
    await chat.type("when is my appointment?")
    assert chat.text.startswith("Your upcoming bookings:")
    assert chat.labels()[0] == "Wed, Dec 2, 5:00 PM · Haircut · Anna Petrova"
    await chat.type("move it to Friday")
    assert chat.text.startswith("Haircut with Anna Petrova\nFri, Dec 4: pick a time.")
    await chat.type("at 10")  # the time button of that screen
    assert chat.text.startswith(
        "Move your appointment from Haircut with Anna Petrova on Wednesday, December 2, 2026 "
        "at 5:00 PM to:"
    )
    await chat.press("✅")
    assert chat.text.startswith("Moved to Friday, December 4, 2026 at 10:00 AM")
    await chat.type("cancel it")  # on Done: the booking just made
    assert chat.text.startswith(
        "Cancel Haircut with Anna Petrova on Friday, December 4, 2026 at 10:00 AM?"
    )
    assert await statuses(demo) == ["cancelled", "confirmed"]  # asked, not yet done
    await chat.press("Yes, cancel it")
    assert chat.text.startswith("Your booking is cancelled")
    assert await statuses(demo) == ["cancelled", "cancelled"]


async def test_with_two_bookings_the_words_ask_which(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9302", language="ru", name="Вера")
    await chat.start()
    await book(chat, "стрижка к Анне в среду в 17", "17:00")
    await book(chat, "массаж у Лены в четверг после 15", "15:30")
    await chat.start()
    await chat.type("перенести на пятницу")
    assert chat.text.startswith("Какую запись перенести?")
    assert chat.labels() == [
        "Ср, 2 дек., 17:00 · Стрижка · Anna Petrova",
        "Чт, 3 дек., 15:30 · Спортивный массаж · Lena Schulz",
        "‹ Назад",
    ]
    await chat.press("Чт, 3 дек., 15:30")
    assert chat.text.startswith("Спортивный массаж, Lena Schulz\nПт, 4 дек.: выберите время.")
    await chat.press("‹ Назад")  # the move's calendar
    await chat.type("отменить запись на стрижку")  # the message says which
    assert chat.text.startswith("Отменить запись: Стрижка, Anna Petrova, среда, 2 декабря")
    await chat.press("Да, отменить")
    assert await statuses(demo) == ["cancelled", "confirmed"]
    await chat.type("отмени массаж в четверг")
    await chat.press("Да, отменить")
    assert await statuses(demo) == ["cancelled", "cancelled"]
    await assert_no_overlapping_live_bookings(demo)


async def test_a_move_in_words_never_offers_the_clients_own_time(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9303")
    await chat.start()
    await book(chat, "haircut with Anna on Thursday at 5pm", "5:00 PM")
    await book(chat, "GP consultation with Dr Weber on Friday at 11", "11:00 AM")
    await chat.start("my")
    await chat.press("Thu, Dec 3, 5:00 PM")
    await chat.type("move to Friday between 10 and 12")  # 11:00 there is the GP's
    assert "Fri, Dec 4, from 10:00 AM to 12:00 PM: pick a time." in chat.text
    assert [t for t in chat.labels() if t[:1].isdigit()] == ["10:00 AM", "11:30 AM"]
    await chat.type("at 11")  # not on screen: the GP's time, said in one line
    assert chat.text.startswith("11:00 AM on Fri, Dec 4 clashes with your own appointment.")
    assert "Fri, Dec 4, 11:00 AM" not in chat.labels()
    assert await statuses(demo) == [BookingStatus.CONFIRMED, BookingStatus.CONFIRMED]


async def test_words_never_reach_another_clients_booking(demo: AsyncEngine) -> None:
    owner, other = Chat.new(demo, "9304"), Chat.new(demo, "9305", name="Mallory")
    await owner.start()
    await book(owner, "haircut with Anna on Thursday at 5pm", "5:00 PM")
    await other.start()
    for words in ("cancel my booking", "move it to Friday", "отменить запись на стрижку"):
        await other.type(words)
        assert other.text.startswith(("You have no upcoming bookings.", "У вас нет")), words
    await other.type("cancel the haircut with Anna on Thursday")
    assert other.text.startswith("You have no upcoming bookings.")
    assert await statuses(demo) == [BookingStatus.CONFIRMED]
