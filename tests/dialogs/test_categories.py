"""Start groups the services by their category when there are more than six (the demo
clinic has seven): one more press, Back from a category's services returns to the
categories, and a typed service name works from either screen. SQLite is enough."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.dialogs.barbers import load_barbers
from tests.dialogs.chat import Chat, load_demo


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: screens and their buttons."""
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def test_more_than_six_services_show_their_categories_first(engine: AsyncEngine) -> None:
    await load_demo(engine)
    chat = Chat.new(engine)
    await chat.start()
    assert chat.labels() == [
        "Clinic", "Dentistry", "Hair studio", "Gym", "My bookings", "Language", "Help"
    ]  # fmt: skip
    await chat.press("Gym")
    assert chat.text == "Gym: what would you like to book?"
    assert chat.labels() == [
        "Personal training · 1 hr · €50.00", "Sports massage · 1 hr · €65.00", "‹ Back",
        "My bookings", "Language", "Help",
    ]  # fmt: skip
    await chat.press("‹ Back")
    assert chat.text == "What would you like to book?" and chat.labels()[0] == "Clinic"
    await chat.press("Gym")
    await chat.press("Sports massage")
    assert "Who would you like to see?" in chat.text
    await chat.press("‹ Back")  # back to the category it came from
    assert chat.text == "Gym: what would you like to book?"
    await chat.type("haircut")  # a service typed on a category's screen
    assert chat.text.startswith("Haircut · 1 hr · €35.00\nWho would you like to see?")
    await chat.press("‹ Back")  # the haircut's own category
    assert chat.text == "Hair studio: what would you like to book?"
    await chat.press("‹ Back")
    assert chat.labels()[0] == "Clinic"
    await chat.type("flu jab")  # and on the categories' screen
    assert chat.text.startswith("Flu vaccination · 15 min · €25.00\nWho would you like to see?")


async def test_categories_in_russian(engine: AsyncEngine) -> None:
    await load_demo(engine)
    chat = Chat.new(engine, language="ru")
    await chat.start()
    assert chat.labels()[:4] == ["Клиника", "Стоматология", "Парикмахерская", "Спортзал"]
    await chat.press("Стоматология")
    assert chat.text == "Стоматология: на что вы хотите записаться?"
    assert chat.labels()[0] == "Осмотр у стоматолога · 45 мин · 80,00 €"


async def test_six_services_or_fewer_are_shown_at_once(engine: AsyncEngine, tmp_path: Path) -> None:
    await load_barbers(engine, tmp_path)
    chat = Chat.new(engine)
    await chat.start()
    assert chat.labels()[:2] == ["Haircut · 1 hr · €30.00", "Beard trim · 30 min"]
