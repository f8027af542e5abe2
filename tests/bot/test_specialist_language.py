"""Specialists in their own language, through the real bot and the Bot API stand-in: the
language of their Telegram (recorded when they link or write) or the import file's ``locale``
(which wins); their agenda, time-off screens, notices of new, moved and cancelled bookings
and the buttons on them. Notices go out through the real dispatcher and Telegram sender."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from slotbot.bot import SendPace, TelegramSender
from slotbot.core import booking as bookings
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.render import Links
from slotbot.core.specialists import issue_specialist_link
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Specialist
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import TOKEN, BotApi
from tests.bot.conftest import Run
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.wiring import close_dispatchers, make_dispatcher, sms, smtp
from tests.core.shop import at, new_client

__all__ = ["close_dispatchers", "sms", "smtp"]  # fixtures shared with tests/core/notify

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday, 09:00 in Berlin
WEDNESDAY = NOW.date() + timedelta(days=1)
BORIS, SOKOLOVA = 1005, 1002  # Telegram ids in the demo file; Sokolova's locale is ru there

WORDS = {
    "en": {"week": "Week", "day_off": "Day off", "new": "New booking", "open": "Open",
           "cancel": "Cancel booking", "moved": "A booking was moved", "before": "Before:",
           "cancelled": "A client cancelled", "take_off": "Take Thursday, December 3, 2026 off?",
           "yes": "Yes", "free": "free"},
    "ru": {"week": "Неделя", "day_off": "Выходной", "new": "Новая запись", "open": "Открыть",
           "cancel": "Отменить запись", "moved": "Запись перенесена", "before": "Было:",
           "cancelled": "Клиент отменил запись",
           "take_off": "Взять выходной: четверг, 3 декабря 2026 г.?", "yes": "Да",
           "free": "свободно"},
}  # fmt: skip


@pytest.fixture
async def demo(engine: AsyncEngine) -> AsyncEngine:
    await import_file(engine, DEMO_FILE)
    return engine


@pytest.fixture
async def bot(botapi: BotApi) -> AsyncIterator[Bot]:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = Bot(TOKEN, base_url=botapi.url)
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.fixture
def dispatcher(demo: AsyncEngine, smtp: SmtpStandIn, sms: SmsStandIn, bot: Bot) -> Dispatcher:
    sender = TelegramSender(bot, pace=SendPace(per_chat=0.01))
    dispatcher = make_dispatcher(demo, smtp, sms, sender)
    dispatcher.links = Links(chat_buttons=True)  # as `serve` sends them
    return dispatcher


def says(api: BotApi, chat: int) -> str:
    return " ".join(api.screen(chat).text.split())


def labels(api: BotApi, chat: int) -> list[str]:
    return [" ".join(label.split()) for label, _ in api.screen(chat).buttons()]


async def specialist_id(engine: AsyncEngine, key: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Specialist.id).where(Specialist.key == key))
    assert found is not None
    return found


async def book_with(
    engine: AsyncEngine, key: str, hour: int, minute: int = 0, *, client_number: int = 1
) -> tuple[int, int]:
    """A client books in their own chat; returns (booking, client)."""
    client = await new_client(engine, client_number)
    held = await bookings.hold(
        engine, service_id=await service_id(engine, "haircut"),
        specialist_id=await specialist_id(engine, key), start=at(WEDNESDAY, hour, minute),
        client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    return held.id, client


async def service_id(engine: AsyncEngine, key: str) -> int:
    from slotbot.core.storage.models import Service

    async with session_factory(engine)() as session:
        found = await session.scalar(select(Service.id).where(Service.key == key))
    assert found is not None
    return found


def pressed(api: BotApi, chat: int, message_id: int) -> tuple[str, list[str]]:
    """What a pressed message shows now (the bot edits it into the next screen)."""
    (message,) = [m for m in api.chat(chat) if m.message_id == message_id]
    return " ".join(message.text.split()), [" ".join(b.split()) for b, _ in message.buttons()]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_specialist_reads_their_telegram_language(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine, dispatcher: Dispatcher, language: str
) -> None:
    words = WORDS[language]
    botapi.person(BORIS, first_name="Boris", language_code=language)
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(BORIS, "/today")  # Boris writes: his language is recorded
        assert words["free"] in says(botapi, BORIS)
        assert {words["week"], words["day_off"]} <= set(labels(botapi, BORIS))
        await botapi.send_text(BORIS, "/dayoff 2026-12-03")
        assert says(botapi, BORIS).startswith(words["take_off"])
        assert words["yes"] in labels(botapi, BORIS)

        booked, client = await book_with(demo, "boris", 10, 15)
        await dispatcher.drain(now=NOW)
        notice = botapi.last(BORIS)
        assert notice.text.startswith(words["new"])
        assert [label for label, _ in notice.buttons()] == [words["open"], words["cancel"]]

        moved = await bookings.reschedule(
            demo, booking_id=booked, start=at(WEDNESDAY, 11, 30), now=NOW, client_id=client
        )
        await dispatcher.drain(now=NOW)
        notice = botapi.last(BORIS)
        assert notice.text.startswith(words["moved"]) and words["before"] in notice.text

        await bookings.cancel(demo, booking_id=moved.id, by="client", now=NOW, client_id=client)
        await dispatcher.drain(now=NOW)
        assert botapi.last(BORIS).text.startswith(words["cancelled"])


async def test_the_import_files_language_wins(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine, dispatcher: Dispatcher
) -> None:
    """Dr. Sokolova's Telegram is in English, but the shop set her language to Russian."""
    words = WORDS["ru"]
    botapi.person(SOKOLOVA, first_name="Maria", language_code="en")
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(SOKOLOVA, "/today")
        assert {words["week"], words["day_off"]} <= set(labels(botapi, SOKOLOVA))
        await botapi.send_text(SOKOLOVA, "/language")
        shown = botapi.screen(SOKOLOVA)
        await botapi.press(SOKOLOVA, shown.message_id, shown.data("English"))
        assert says(botapi, SOKOLOVA).startswith("Язык для вас выбрал магазин.")
        await botapi.send_text(SOKOLOVA, "/today")
        assert words["week"] in labels(botapi, SOKOLOVA)

        client = await new_client(demo, 1)
        held = await bookings.hold(
            demo, service_id=await service_id(demo, "gp_consultation"),
            specialist_id=await specialist_id(demo, "sokolova"), start=at(WEDNESDAY, 14),
            client_id=client, channel="telegram", now=NOW,
        )  # fmt: skip
        await bookings.confirm(demo, booking_id=held.id, now=NOW)
        await dispatcher.drain(now=NOW)
    notice = botapi.last(SOKOLOVA)
    assert notice.text.startswith("Новая запись\nКонсультация терапевта, Client 1, ср, 2 дек.")
    assert [label for label, _ in notice.buttons()] == [words["open"], words["cancel"]]
    async with session_factory(demo)() as session:
        sokolova = await session.scalar(select(Specialist).where(Specialist.key == "sokolova"))
    assert sokolova is not None and sokolova.chat_locale is None  # nothing to record


async def test_the_language_is_recorded_when_a_specialist_links(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine, dispatcher: Dispatcher
) -> None:
    payload = await issue_specialist_link(demo, key="lena", now=NOW)
    botapi.person(801, first_name="Lena", language_code="ru")
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(801, f"/start {payload}")
    async with session_factory(demo)() as session:
        lena = await session.scalar(select(Specialist).where(Specialist.key == "lena"))
    assert lena is not None and (lena.telegram_user_id, lena.chat_locale) == (801, "ru")
    client = await new_client(demo, 1)
    held = await bookings.hold(
        demo, service_id=await service_id(demo, "massage"), specialist_id=lena.id,
        start=at(WEDNESDAY, 11), client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(demo, booking_id=held.id, now=NOW)
    await dispatcher.drain(now=NOW)
    assert botapi.last(801).text.startswith("Новая запись\nСпортивный массаж")


@pytest.mark.parametrize(
    ("language", "moved", "cancelled", "elsewhere"),
    [
        ("en", "This booking was moved to Wed, Dec 2, 11:30 AM.",
         "The client cancelled this booking.", "This booking was moved to another specialist."),
        ("ru", "Эта запись перенесена на ср, 2 дек., 11:30.", "Клиент отменил эту запись.",
         "Эта запись перенесена к другому специалисту."),
    ],
)  # fmt: skip
async def test_open_on_a_notice_of_a_moved_or_cancelled_booking_says_so(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine, dispatcher: Dispatcher, language: str,
    moved: str, cancelled: str, elsewhere: str,
) -> None:  # fmt: skip
    words = WORDS[language]
    botapi.person(BORIS, first_name="Boris", language_code=language)
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(BORIS, "/today")
        booked, client = await book_with(demo, "boris", 10, 15)
        await dispatcher.drain(now=NOW)
        first = botapi.last(BORIS)
        new = await bookings.reschedule(
            demo, booking_id=booked, start=at(WEDNESDAY, 11, 30), now=NOW, client_id=client
        )
        await dispatcher.drain(now=NOW)
        second = botapi.last(BORIS)

        await botapi.press(BORIS, first.message_id, first.data(words["open"]))
        text, buttons = pressed(botapi, BORIS, first.message_id)
        assert text.startswith(moved), text  # one line, then the booking as it is now
        assert "11:30" in text.removeprefix(moved) and "10:15" not in text
        assert words["cancel"] in buttons

        await bookings.cancel(demo, booking_id=new.id, by="client", now=NOW, client_id=client)
        await botapi.press(BORIS, second.message_id, second.data(words["cancel"]))
        text, buttons = pressed(botapi, BORIS, second.message_id)
        assert text.startswith(cancelled), text  # not the reason picker
        assert words["cancel"] not in buttons

        other, client = await book_with(demo, "boris", 14, client_number=2)
        await dispatcher.drain(now=NOW)
        third = botapi.last(BORIS)
        await bookings.reschedule(
            demo, booking_id=other, start=at(WEDNESDAY, 15), now=NOW, client_id=client,
            specialist_id=await specialist_id(demo, "anna"),
        )  # fmt: skip
        await botapi.press(BORIS, third.message_id, third.data(words["open"]))
        text, buttons = pressed(botapi, BORIS, third.message_id)
        assert text.startswith(elsewhere), text
        assert words["cancel"] not in buttons
