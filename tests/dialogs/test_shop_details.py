"""Where the shop is and what reminders to expect, as a client reads them in the dialog:
Confirm, Done and Help carry the business's address, phone and map link (from the import
file), the calendar file its location, and Done promises exactly the reminders the outbox
will send; in English and Russian. Texts only: SQLite is enough."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.dialogs.screens import Expect
from tests.dialogs.chat import Chat

MAP = "https://www.openstreetmap.org/?mlat=52.5301&mlon=13.3806#map=17/52.5301/13.3806"
SHOP = {
    "en": ("Riverside Clinic", "Address: Flussstraße 1, 10115 Berlin",
           "Our phone: +49 30 1234567", "Map"),
    "ru": ("Клиника «Риверсайд»", "Адрес: Flussstraße 1, 10115 Berlin",
           "Наш телефон: +49 30 1234567", "Карта"),
}  # fmt: skip
WORDS = {
    "en": {"haircut": "Haircut", "confirm": "✅", "help": "Help", "ics": "📅",
           "day_before": "We will remind you the day before. See you then!",
           "two_hours": "We will remind you 2 hours before. See you then!",
           "none": "See you then!"},
    "ru": {"haircut": "Стрижка", "confirm": "✅", "help": "Помощь", "ics": "📅",
           "day_before": "Мы напомним вам накануне. До встречи!",
           "two_hours": "Мы напомним вам за 2 часа. До встречи!", "none": "До встречи!"},
}  # fmt: skip


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these are texts."""
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def assert_shop_shown(chat: Chat, locale: str) -> None:
    name, address, phone, map_label = SHOP[locale]
    assert f"\n\n{name}\n{address}\n{phone}" in chat.text, chat.text
    links = [(b.label, b.url) for row in chat.screen.buttons for b in row if b.url]  # type: ignore[union-attr]
    assert (map_label, MAP) in links


async def book_with_anna(chat: Chat, locale: str, day: str, time: str) -> None:
    words = WORDS[locale]
    await chat.start()
    await chat.choose_service(words["haircut"])
    await chat.press("Anna Petrova")
    await chat.press(day)
    await chat.press(time)
    if chat.screen and chat.screen.expects == Expect.PHONE:
        await chat.share("+49 151 23456789")
    assert_shop_shown(chat, locale)  # the confirm screen
    await chat.press(words["confirm"])


@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize(
    ("day", "time", "promise"),
    [("2", "10:00", "day_before"), ("1", "3:00 PM", "two_hours"), ("1", "10:00", "none")],
    ids=["tomorrow", "later-today", "in-two-hours"],
)
async def test_done_promises_the_reminders_the_outbox_sends_and_says_where(
    demo: AsyncEngine, locale: str, day: str, time: str, promise: str
) -> None:
    chat = Chat.new(demo, language=locale)  # Tuesday 08:00 in Berlin
    await book_with_anna(chat, locale, day, "15:00" if locale == "ru" and "PM" in time else time)
    words = WORDS[locale]
    lines = chat.text.splitlines()
    assert lines[1] == words[promise], chat.text  # right under "You are booked: ..."
    assert_shop_shown(chat, locale)

    await chat.press(words["ics"])
    (calendar,) = [s for s in chat.reply.screens if s.attachments]  # type: ignore[union-attr]
    (event,) = Calendar.from_ical(calendar.attachments[0].data).walk("VEVENT")
    assert str(event["LOCATION"]) == f"{SHOP[locale][0]}, Flussstraße 1, 10115 Berlin"
    assert MAP in str(event["DESCRIPTION"])


@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_help_says_where_the_shop_is(demo: AsyncEngine, locale: str) -> None:
    chat = Chat.new(demo, language=locale)
    await chat.start()
    await chat.press(WORDS[locale]["help"])
    assert_shop_shown(chat, locale)
