"""Typed text through Telegram (issue 17): the real bot, the real dialog, the demo clinic and a
barbershop with two Annas. The dialog's reading is written once; here it is seen as Telegram
shows it. SQLite is enough: the database is not what these tests are about."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.dialogs.barbers import load_barbers

#: Tuesday 2026-12-01, 08:00 in Berlin.
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def clinic(engine: AsyncEngine) -> AsyncIterator[Dialogs]:
    await import_file(engine, DEMO_FILE)
    yield Dialogs(engine, clock=lambda: NOW)


def plain(said: str) -> str:
    return said.replace("\u202f", " ").replace("\xa0", " ")


class Person:
    """Someone typing to the bot, now and then pressing a button."""

    def __init__(self, api: BotApi, chat: int, language: str) -> None:
        self.api, self.chat = api, chat
        api.person(chat, first_name="Ann", language_code=language)

    async def type(self, words: str) -> str:
        await self.api.send_text(self.chat, words)
        return self.says

    async def tap(self, label: str) -> str:
        shown = self.api.screen(self.chat)
        await self.api.press(self.chat, shown.message_id, shown.data(label))
        return self.says

    @property
    def says(self) -> str:
        return plain(self.api.last(self.chat).text)

    def labels(self) -> list[str]:
        return [plain(label) for label, _ in self.api.screen(self.chat).buttons()]


async def _statuses(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT status FROM bookings ORDER BY id"))
        return [r[0] for r in rows]


async def test_booking_moving_and_cancelling_in_words(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    ann = Person(botapi, 741, "en")
    async with run_bot(clinic):
        await ann.type("/start")
        said = await ann.type("hello, can you do things?")
        assert said.startswith(
            "Sorry, I did not understand that. Type what you would like, like “GP consultation "
            "tomorrow after 5”, or “my bookings”.\n\nWhat would you like to book?"
        )
        said = await ann.type("haircut with Anna tomorrow after 5")
        assert said.startswith("Haircut with Anna Petrova\nWed, Dec 2, from 5:00 PM: pick a time.")
        assert ann.labels()[:3] == ["5:00 PM", "5:30 PM", "6:00 PM"]
        await ann.tap("5:00 PM")  # one press holds it
        assert await _statuses(engine) == ["held"]
        await botapi.send_contact(741, "+49 151 2345 6789")
        said = await ann.tap("✅ Confirm")
        assert said.startswith("You are booked: Haircut with Anna Petrova on Wednesday")
        said = await ann.type("my bookings")
        assert said.startswith("Your upcoming bookings:")
        said = await ann.type("move it to Friday")
        assert said.startswith("Haircut with Anna Petrova\nFri, Dec 4: pick a time.")
        await ann.tap("10:00 AM")
        said = await ann.tap("✅ Confirm")
        assert said.startswith("Moved to Friday, December 4, 2026 at 10:00 AM")
        said = await ann.type("cancel my booking")
        assert said.startswith("Cancel Haircut with Anna Petrova on Friday, December 4, 2026")
        said = await ann.tap("Yes, cancel it")
        assert said.startswith("Your booking is cancelled")
    assert await _statuses(engine) == ["cancelled", "cancelled"]


async def test_in_russian_an_empty_window_and_an_own_booking(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    vera = Person(botapi, 742, "ru")
    async with run_bot(clinic):
        await vera.type("/start")
        said = await vera.type("ыыы")
        assert said.startswith(
            "Извините, не удалось разобрать сообщение. Напишите, что вам нужно, например "
            "«Консультация терапевта завтра после 5» или «мои записи»."
        )
        said = await vera.type("стрижка к Анне в пятницу")
        assert said.startswith("Стрижка, Anna Petrova\nПт, 4 дек.: выберите время.")
        said = await vera.type("до 9")  # nothing that early: the nearest times around it
        assert said.startswith("Пт, 4 дек. до 09:00 свободного времени нет.\n\nСвободное время:")
        assert vera.labels()[:4] == [
            "Чт, 3 дек., 17:30", "Чт, 3 дек., 18:00", "Пт, 4 дек., 10:00", "Пт, 4 дек., 10:30"
        ]  # fmt: skip
        await vera.tap("Пт, 4 дек., 10:00")
        await botapi.send_contact(742, "+49 151 2345 6789")
        await vera.tap("✅ Подтвердить")
        said = await vera.type("массаж у Макса в пятницу в 10")  # her own haircut is then
        assert said.startswith("Пт, 4 дек., 10:00: в это время у вас уже есть запись.")
        assert "Пт, 4 дек., 10:00" not in vera.labels()
    assert await _statuses(engine) == ["confirmed"]


async def test_two_annas_are_asked_about_with_buttons(
    botapi: BotApi, run_bot: Run, engine: AsyncEngine, tmp_path: Path
) -> None:
    await load_barbers(engine, tmp_path)
    dialogs = Dialogs(engine, clock=lambda: NOW)
    ivan = Person(botapi, 743, "en")
    async with run_bot(dialogs):
        await ivan.type("/start")
        said = await ivan.type("haircut with Anna on Thursday")
        assert said.startswith("Haircut · Thu, Dec 3\nWhich specialist do you mean?")
        assert ivan.labels() == ["Anna Petrova", "Анна Смирнова", "‹ Back"]
        said = await ivan.tap("Анна Смирнова")
        assert said.startswith("Haircut with Анна Смирнова\nThu, Dec 3: pick a time.")
