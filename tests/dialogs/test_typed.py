"""Typed text at every step (issue 17): what a message says is applied and the dialog goes to
the first step that still needs an answer; two readings are asked about with buttons; what
is not understood gets the screen again with one line of what can be typed there. The flow
and its texts: SQLite is enough (the moves and cancellations in words run on both databases
in test_typed_bookings.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Client, Service, Specialist
from slotbot.dialogs.screens import Expect
from tests.dialogs.barbers import load_barbers
from tests.dialogs.chat import Chat

HINT_EN = "Sorry, I did not understand that. "
HINT_RU = "Извините, не удалось разобрать сообщение. "


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the dialog's flow and texts."""
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def barbers(engine: AsyncEngine, tmp_path: Path) -> AsyncEngine:
    await load_barbers(engine, tmp_path)
    return engine


async def live(engine: AsyncEngine) -> list[tuple[str, str, str, datetime]]:
    """(status, service key, specialist key, start) of every booking."""
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(Booking.status, Service.key, Specialist.key, Booking.starts_at)
            .join(Service, Service.id == Booking.service_id)
            .join(Specialist, Specialist.id == Booking.specialist_id)
            .order_by(Booking.id)
        )
        return [(r[0], r[1], r[2], r[3].astimezone(UTC)) for r in rows]


def times(chat: Chat) -> list[str]:
    return [label for label in chat.labels() if label[:1].isdigit()]


async def test_the_combined_message_shows_annas_times_from_5_and_one_press_holds(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo)
    await chat.start()
    await chat.type("haircut with Anna tomorrow after 5")
    assert chat.text.startswith(
        "Haircut with Anna Petrova\nWed, Dec 2, from 5:00 PM: pick a time.\nTime zone: Central"
    )
    assert times(chat) == ["5:00 PM", "5:30 PM", "6:00 PM"]
    assert "All times on Wed, Dec 2" in chat.labels()
    await chat.press("5:30 PM")
    assert chat.presses == 1
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    assert await live(demo) == [
        ("held", "haircut", "anna", datetime(2026, 12, 2, 16, 30, tzinfo=UTC))
    ]


async def test_the_combined_message_in_russian(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9101", language="ru", name="Иван")
    await chat.start()
    await chat.type("стрижка к Анне в пятницу")
    assert chat.text.startswith("Стрижка, Anna Petrova\nПт, 4 дек.: выберите время.")
    assert times(chat)[:3] == ["10:00", "10:30", "11:00"]
    await chat.type("после 17")  # the day stays, the times narrow
    assert chat.text.startswith("Стрижка, Anna Petrova\nПт, 4 дек., с 17:00: выберите время.")
    assert times(chat) == ["17:00", "17:30", "18:00"]
    await chat.press("Всё время на пт, 4 дек.")
    assert times(chat)[0] == "10:00"


async def test_a_time_naming_a_shown_button_is_its_press(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9102")
    await chat.start()
    await chat.type("haircut with Anna on Thursday")
    assert "Thu, Dec 3: pick a time." in chat.text
    await chat.type("11:30")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    assert await live(demo) == [
        ("held", "haircut", "anna", datetime(2026, 12, 3, 10, 30, tzinfo=UTC))
    ]


async def test_a_service_alone_goes_to_the_specialist_step(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9103")
    await chat.start()
    await chat.type("beard trim please")
    assert chat.text.startswith("Beard trim · 30 min · €20.00\nWho would you like to see?")
    await chat.press("‹ Back")  # the services of its category
    assert chat.text.startswith("Hair studio: what would you like to book?")


async def test_a_service_anyone_and_a_day_show_that_days_times(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9104")
    await chat.start()
    await chat.type("haircut, anyone, on Thursday")
    assert chat.text.startswith("Haircut with anyone available\nThu, Dec 3: pick a time.")
    assert times(chat)[0] == "9:00 AM"  # Boris's first, then Anna's too
    assert "10:00 AM" in times(chat)


async def test_a_day_without_who_is_asked_with_buttons(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9105")
    await chat.start()
    await chat.type("haircut tomorrow morning")
    assert chat.text.startswith("Haircut · Wed, Dec 2 · before 12:00 PM\nWho would you like")
    assert chat.labels() == [
        "Any available", "Anna Petrova, Barber", "Boris Klein, Senior barber", "‹ Back"
    ]  # fmt: skip
    await chat.press("Boris Klein")
    assert chat.text.startswith("Haircut with Boris Klein\nWed, Dec 2, before 12:00 PM: pick")
    assert times(chat) == ["9:00 AM", "10:15 AM", "11:30 AM"]


async def test_a_day_without_the_service_asks_what(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9106")
    await chat.start()
    await chat.type("Anna on Friday")
    assert chat.text.startswith("Anna Petrova · Fri, Dec 4\nWhat would you like to book?")
    assert chat.labels() == ["Haircut · 1 hr · €35.00", "Beard trim · 30 min · €20.00", "‹ Back"]
    await chat.press("Beard trim")
    assert chat.text.startswith("Beard trim with Anna Petrova\nFri, Dec 4: pick a time.")


async def test_an_empty_window_says_so_and_offers_the_nearest_times(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9107")
    await chat.start()
    await chat.type("haircut with Anna tomorrow before 9")
    assert chat.text.startswith(
        "Nothing is free on Wed, Dec 2 before 9:00 AM.\n\nThese times are free:"
    )
    assert chat.labels()[:4] == [
        "Tue, Dec 1, 5:30 PM", "Tue, Dec 1, 6:00 PM", "Wed, Dec 2, 10:00 AM",
        "Wed, Dec 2, 10:30 AM",
    ]  # fmt: skip
    await chat.press("Wed, Dec 2, 10:00 AM")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    await chat.press("‹ Back")
    await chat.type("on Sunday")  # Anna does not work on Sundays: the nearest around it
    assert chat.text.startswith("Anna Petrova is not working on Sun, Dec 6.\n\nThese times")
    assert chat.labels()[:4] == [
        "Sat, Dec 5, 1:30 PM", "Sat, Dec 5, 2:00 PM", "Tue, Dec 8, 10:00 AM",
        "Tue, Dec 8, 10:30 AM",
    ]  # fmt: skip


async def test_an_empty_window_in_russian(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9108", language="ru")
    await chat.start()
    await chat.type("стрижка у Бориса завтра после 18")
    assert chat.text.startswith("Ср, 2 дек. с 18:00 свободного времени нет.\n\nСвободное время:")
    assert chat.labels()[:2] == ["Ср, 2 дек., 15:15", "Ср, 2 дек., 16:30"]


async def test_a_typed_time_clashing_with_an_own_booking_is_not_offered(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9109")
    await chat.start()
    await chat.type("GP consultation with Dr Weber on Thursday at 5pm")
    assert "Thu, Dec 3: 5:00 PM is free." in chat.text and times(chat) == ["5:00 PM"]
    await chat.press("5:00 PM")
    await chat.share("+49 151 23456789")
    await chat.press("✅")
    assert chat.text.startswith("You are booked: GP consultation with Dr. Klaus Weber")
    await chat.type("haircut with Anna on Thursday at 5")
    assert chat.text.startswith(
        "5:00 PM on Thu, Dec 3 clashes with your own appointment.\n\nThese times are free:"
    )
    offered = chat.labels()
    assert not {"Thu, Dec 3, 4:30 PM", "Thu, Dec 3, 5:00 PM"} & set(offered)  # 17:00-17:30 own
    assert "Thu, Dec 3, 5:30 PM" in offered and "Thu, Dec 3, 4:00 PM" in offered
    await chat.type("after 4pm")  # on the times offered instead: the day stays
    assert times(chat) == ["4:00 PM", "5:30 PM", "6:00 PM"]


async def test_two_annas_are_asked_about_with_buttons(barbers: AsyncEngine) -> None:
    chat = Chat.new(barbers, "9110", language="ru")
    await chat.start()
    await chat.type("стрижку к Анне завтра")
    assert chat.text.startswith("Стрижка · ср, 2 дек.\nКакого специалиста вы имеете в виду?")
    assert chat.labels() == ["Anna Petrova", "Анна Смирнова", "‹ Назад"]
    await chat.press("‹ Назад")
    assert chat.text.startswith("На что вы хотите записаться?")
    await chat.type("стрижку к Анне завтра")
    await chat.type("Смирнова")  # typing more answers too
    assert chat.text.startswith("Стрижка, Анна Смирнова\nСр, 2 дек.: выберите время.")
    assert times(chat)[0] == "09:00"
    await chat.start()
    await chat.type("beard trim with anna")  # only one Anna offers it: no question
    assert chat.text.startswith("Стрижка бороды, Anna Petrova\nДекабрь 2026 г.: выберите день.")


async def test_a_date_read_two_ways_is_asked_about(barbers: AsyncEngine) -> None:
    chat = Chat.new(barbers, "9111")
    await chat.start()
    await chat.type("haircut with Boris on 4.12")
    assert chat.text.startswith("Haircut · Boris Klein\nWhich day do you mean?")
    assert chat.labels() == ["Friday, December 4, 2026", "Monday, April 12, 2027", "‹ Back"]
    await chat.press("Friday, December 4, 2026")
    assert chat.text.startswith("Haircut with Boris Klein\nFri, Dec 4: pick a time.")


async def test_not_understood_gets_one_line_of_what_can_be_typed(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9112")
    await chat.start()
    await chat.type("qwerty uiop")
    assert chat.text.startswith(
        HINT_EN + "Type what you would like, like “GP consultation tomorrow after 5”, or “my "
        "bookings”.\n\nWhat would you like to book?"
    )
    await chat.choose_service("Haircut")
    await chat.type("zzz")
    assert chat.text.startswith(
        HINT_EN + "Type a name, like “Anna Petrova”, or “anyone”.\n\nHaircut · 1 hr"
    )
    await chat.press("Anna Petrova")
    calendar = chat.labels()
    await chat.type("hmm")
    assert chat.text.startswith(
        HINT_EN + "Type a day, like “tomorrow”, “Friday” or “12.12”.\n\nHaircut with Anna"
    )
    assert chat.labels() == calendar
    await chat.press("3")
    await chat.type("whatever")
    assert chat.text.startswith(HINT_EN + "Type a time, like “10:30” or “after 5pm”")


async def test_not_understood_in_russian(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9113", language="ru")
    await chat.start()
    await chat.type("абырвалг")
    assert chat.text.startswith(
        HINT_RU + "Напишите, что вам нужно, например «Консультация терапевта завтра после 5» "
        "или «мои записи».\n\nНа что вы хотите записаться?"
    )
    await chat.type("стрижка у Анны")
    await chat.type("ну такое")
    assert chat.text.startswith(
        HINT_RU + "Напишите день, например «завтра», «пятница» или «12.12».\n\nСтрижка, Anna"
    )


async def test_a_name_like_friday_stays_a_name(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9114", name="")
    await chat.start()
    await chat.type("beard trim with Boris tomorrow at 9")
    await chat.press("9:00 AM")
    assert chat.text.startswith("What name should we book under?")
    await chat.type("Friday")
    assert chat.text.startswith("Thank you, Friday.")
    async with session_factory(demo)() as session:
        name = await session.scalar(select(Client.name).where(Client.telegram_user_id == 9114))
    assert name == "Friday"


async def test_help_language_and_my_bookings_in_words(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9115")
    await chat.start()
    await chat.type("haircut with Anna tomorrow")
    screen = chat.text
    await chat.type("what can you do?")
    assert chat.text.startswith("I book appointments for you.")
    await chat.press("‹ Back")
    assert chat.text == screen
    await chat.type("по-русски")
    assert chat.text.startswith("Язык изменён на русский.\n\nСтрижка, Anna Petrova\nСр, 2 дек.")
    await chat.type("in English")
    assert chat.text.startswith("Language changed to English.\n\nHaircut with Anna Petrova")
    await chat.type("when is my appointment?")
    assert chat.text.startswith("You have no upcoming bookings.")


async def test_a_long_message_is_cut_before_it_is_read(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9116")
    await chat.start()
    await chat.type("haircut with Anna tomorrow " + "and so on " * 400)
    assert chat.text.startswith(
        "Your message was long: I read only its beginning.\n\nHaircut with Anna Petrova\n"
        "Wed, Dec 2: pick a time."
    )


async def test_typing_on_the_summary_lets_the_held_time_go(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9117")
    await chat.start()
    await chat.type("haircut with Anna tomorrow at 10")
    await chat.press("10:00 AM")
    await chat.share("+49 151 23456789")
    assert "Please check your booking" in chat.text
    await chat.type("no, the day after at 11")
    assert chat.text.startswith("Haircut with Anna Petrova\nThu, Dec 3: 11:00 AM is free.")
    assert [b[0] for b in await live(demo)] == ["expired"]  # offered again at once
    await chat.press("11:00 AM")
    await chat.type("cancel")  # the summary's own ✖ Cancel
    assert chat.text.startswith("Nothing was booked.")
    assert [b[0] for b in await live(demo)] == ["expired", "expired"]


async def test_a_reading_never_bypasses_the_notice(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9118")
    chat.now = datetime(2026, 12, 2, 15, 45, tzinfo=UTC)  # 16:45 in Berlin
    await chat.start()
    await chat.type("haircut with Anna today at 5")  # 17:00 is within the 30 minutes' notice
    assert chat.text.startswith("Nothing is free on Wed, Dec 2 at 5:00 PM.")
    assert "Wed, Dec 2, 5:00 PM" not in chat.labels()
    assert chat.now + timedelta(minutes=30) <= datetime(2026, 12, 2, 16, 30, tzinfo=UTC)


async def test_a_bare_number_is_a_day_of_the_calendar_or_an_hour(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9119")
    await chat.start()
    await chat.type("haircut with Boris")
    await chat.press("Jan ›")
    await chat.type("5")  # the 5th of the month on screen
    assert chat.text.startswith("Haircut with Boris Klein\nTue, Jan 5: pick a time.")
    await chat.type("10")  # 10:15 is there, 10:00 is not
    assert chat.text.startswith("Nothing is free on Tue, Jan 5 at 10:00 AM.")
    await chat.type("9")  # 9:00 is one of the times offered instead: its press
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE


async def test_two_services_are_asked_about_with_buttons(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9120")
    await chat.start()
    await chat.type("haircut or beard with Boris tomorrow")
    assert chat.text.startswith("Boris Klein · Wed, Dec 2\nWhich service do you mean?")
    assert chat.labels() == ["Haircut · 1 hr · €35.00", "Beard trim · 30 min · €20.00", "‹ Back"]
    await chat.press("Beard trim")
    assert chat.text.startswith("Beard trim with Boris Klein\nWed, Dec 2: pick a time.")
