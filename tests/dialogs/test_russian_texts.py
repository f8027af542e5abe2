"""The Russian a client and a specialist read: "Свободное время:", "Записаться снова",
"Бронь на это время истекла", "Неявка", dates that start a line in upper case, "Неделя с
воскресенья", counts in their plural forms. Texts only: SQLite is enough."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Service, Specialist
from slotbot.dialogs.screens import Expect
from tests.core.shop import at, new_client
from tests.dialogs.chat import NOW, Chat

ANNA = "1004"  # Anna Petrova's Telegram user id in the demo file


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these are texts."""
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def haircut_with_anna(chat: Chat) -> None:
    """Start, the haircut (under its category when Start shows categories), Anna."""
    await chat.start()
    if not any(label.startswith("Стрижка ·") for label in chat.labels()):
        await chat.press("Парикмахерская")
    await chat.choose_service("Стрижка ·")
    await chat.press("Anna Petrova")


async def ids(engine: AsyncEngine) -> tuple[int, int]:
    async with session_factory(engine)() as session:
        anna = await session.scalar(select(Specialist.id).where(Specialist.key == "anna"))
        haircut = await session.scalar(select(Service.id).where(Service.key == "haircut"))
    assert anna is not None and haircut is not None
    return anna, haircut


async def test_a_taken_time_offers_free_times_with_capital_dates(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, language="ru")
    await haircut_with_anna(chat)
    assert chat.text.splitlines()[1].startswith("Декабрь 2026 г.: выберите день.")
    await chat.press("2")
    assert chat.text.splitlines()[1].startswith("Ср, 2 дек.: выберите время.")
    anna, haircut = await ids(demo)
    other = await new_client(demo, 1, contacts=False)
    await bookings.hold(
        demo, service_id=haircut, specialist_id=anna, start=at(date(2026, 12, 2), 10),
        client_id=other, channel="web", now=NOW,
    )  # fmt: skip
    await chat.press("10:00")
    assert "Свободное время:" in chat.text
    assert chat.labels()[0].startswith("Ср, 2 дек., 11:00")


async def test_the_hold_that_ran_out_and_book_again(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, language="ru")
    await haircut_with_anna(chat)
    await chat.press("2")
    await chat.press("10:00")
    if chat.screen and chat.screen.expects == Expect.PHONE:
        await chat.share("+49 151 23456789")
    chat.later(11)
    await chat.press("✅")
    assert chat.text.startswith("Бронь на это время истекла.")
    await chat.press("Ср, 2 дек., 10:00")  # free again: book it
    await chat.press("✅")
    assert chat.text.startswith("Вы записаны")
    assert "Мы держим" not in chat.text
    await chat.start("my")
    assert chat.labels()[0].startswith("Ср, 2 дек., 10:00 · Стрижка")
    await chat.start()
    assert chat.labels()[0].startswith("Записаться снова: Стрижка, Anna Petrova, ")


async def test_the_confirm_screen_counts_the_minutes(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, language="ru")
    await haircut_with_anna(chat)
    await chat.press("2")
    await chat.press("10:00")
    await chat.share("+49 151 23456789")
    assert "Мы держим это время для вас 10 минут." in chat.text


async def test_the_specialists_week_day_and_did_not_come(demo: AsyncEngine) -> None:
    anna_id, haircut = await ids(demo)
    client = await new_client(demo, 1)
    held = await bookings.hold(
        demo, service_id=haircut, specialist_id=anna_id, start=at(date(2026, 12, 1), 11),
        client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(demo, booking_id=held.id, now=NOW)
    anna = Chat.new(demo, ANNA, language="ru")
    anna.now = NOW + timedelta(hours=4)  # Tuesday 12:00: the client was due at 11:00
    await anna.start("today")
    assert anna.text.startswith("Вторник, 1 декабря 2026 г. (Europe/Berlin):")
    assert anna.labels()[1:3] == ["‹ Пн, 30 нояб.", "Ср, 2 дек. ›"]
    await anna.press("11:00 · Client 1")
    assert anna.text.splitlines()[1] == "Вт, 1 дек., 11:00"
    await anna.press("Неявка")
    assert anna.text.startswith("Отмечено: неявка.")
    assert "11:00–12:00 Стрижка, Client 1 (неявка)" in anna.text

    anna.now = NOW + timedelta(days=5)  # Sunday, December 6
    await anna.start("week")
    assert anna.text == "Неделя с воскресенья, 6 декабря 2026 г.:"
    assert "Вт, 8 дек. · 0 записей" in anna.labels()


@pytest.mark.parametrize(
    ("offset", "heading"),
    [(0, "The week from Tuesday, December 1, 2026:"),
     (5, "The week from Sunday, December 6, 2026:")],
)  # fmt: skip
async def test_the_week_heading_in_english(demo: AsyncEngine, offset: int, heading: str) -> None:
    anna = Chat.new(demo, ANNA)
    anna.now = NOW + timedelta(days=offset)
    await anna.start("week")
    assert anna.text == heading
    assert any(label.endswith(" · 0 bookings") for label in anna.labels())
