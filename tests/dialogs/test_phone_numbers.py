"""Phone numbers as people and Telegram give them (issue 14.1), in the demo clinic (Berlin:
national numbers are German)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Client
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Visitor
from slotbot.dialogs.screens import Expect
from tests.dialogs.chat import Chat

#: Text and buttons only: SQLite is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def stored_phone(engine: AsyncEngine, chat: Chat) -> str | None:
    async with session_factory(engine)() as session:
        key = chat.visitor.key
        if chat.visitor.channel == "telegram":
            found = Client.telegram_user_id == int(key)
        else:
            found = Client.web_session_id == f"{chat.visitor.channel}:{key}"
        return await session.scalar(select(Client.phone).where(found))


async def to_phone_screen(chat: Chat) -> None:
    russian = chat.visitor.language == "ru"
    await chat.start()
    await chat.choose_service("Стрижка · " if russian else "Haircut")
    await chat.press("Anna Petrova")
    await chat.press("Ближайшее" if russian else "Soonest")
    if chat.visitor.channel == "web":
        await chat.type("Jane Web")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE


@pytest.mark.parametrize(
    ("shared", "e164", "shown"),
    [
        ("4915123005001", "+4915123005001", "+49 1512 3005001"),
        ("+4915123005001", "+4915123005001", "+49 1512 3005001"),
        ("79161234567", "+79161234567", "+7 916 123-45-67"),
        ("+79161234567", "+79161234567", "+7 916 123-45-67"),
        ("12025550123", "+12025550123", "+1 202-555-0123"),
        ("+1 202 555 0123", "+12025550123", "+1 202-555-0123"),
    ],
)
async def test_a_shared_contact_is_international_with_or_without_plus(
    demo: AsyncEngine, shared: str, e164: str, shown: str
) -> None:
    """Telegram sends the number without "+": it was read as a German national number
    (+49 491 5123005001) and every reminder went to a stranger."""
    chat = Chat.new(demo)
    await to_phone_screen(chat)
    await chat.share(shared)
    assert "Please check your booking" in chat.text
    assert f"Phone: {shown}" in chat.text
    assert await stored_phone(demo, chat) == e164


async def test_a_shared_contact_that_is_no_number_is_said_and_asked_again(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo)
    await to_phone_screen(chat)
    await chat.share("0000")
    assert chat.text.startswith("I could not read the number of that contact.")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    assert await stored_phone(demo, chat) is None


@pytest.mark.parametrize(
    ("typed", "choices"),
    [
        (
            "4915123456789",
            [("+49 491 5123456789 (Germany)", "+494915123456789"),
             ("+49 1512 3456789 (Germany)", "+4915123456789")],
        ),
        (
            "8 (999) 123 45 67",
            [("+49 89 991234567 (Germany)", "+4989991234567"),
             ("+7 999 123-45-67 (Russia)", "+79991234567")],
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("pick", [0, 1])
async def test_a_typed_number_with_two_readings_is_asked_not_guessed(
    demo: AsyncEngine, typed: str, choices: list[tuple[str, str]], pick: int
) -> None:
    web = Chat(Dialogs(demo), Visitor("web", f"phones-{pick}-{len(typed)}", language="en"))
    await to_phone_screen(web)
    await web.type(typed)
    assert web.text.startswith("Which number is yours?")
    assert web.labels()[:2] == [label for label, _ in choices]
    assert await stored_phone(demo, web) is None  # nothing guessed meanwhile
    label, e164 = choices[pick]
    await web.press(label)
    assert "Please check your booking" in web.text
    assert f"Phone: {label.split(' (')[0]}" in web.text
    assert await stored_phone(demo, web) == e164


async def test_countries_are_named_in_the_clients_language_and_typing_again_works(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo, "9101", language="ru", name="Иван")
    await to_phone_screen(chat)
    await chat.type("8 (999) 123 45 67")
    assert chat.text.startswith("Какой номер ваш?")
    assert chat.labels()[:2] == ["+49 89 991234567 (Германия)", "+7 999 123-45-67 (Россия)"]
    await chat.type("call me")
    assert chat.text.startswith("Это не похоже на номер телефона.")
    await chat.type("+7 999 123 45 67")
    assert "Проверьте, пожалуйста, запись" in chat.text
    assert await stored_phone(demo, chat) == "+79991234567"


async def test_back_from_the_choice_asks_for_the_number_again(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9102")
    await to_phone_screen(chat)
    await chat.type("79161234567")
    await chat.press("‹ Back")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    assert "What phone number can we reach you on?" in chat.text
    await chat.share("79161234567")
    assert "Phone: +7 916 123-45-67" in chat.text


async def test_change_phone_on_the_summary_asks_too_and_returns_there(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9103")
    await to_phone_screen(chat)
    await chat.share("+49 151 23456789")
    await chat.press("Change phone")
    await chat.type("4915123456789")
    await chat.press("+49 491 5123456789")
    assert "Please check your booking" in chat.text
    assert "Phone: +49 491 5123456789" in chat.text
    assert await stored_phone(demo, chat) == "+494915123456789"


async def test_unambiguous_numbers_are_taken_at_once(demo: AsyncEngine) -> None:
    for key, typed, e164 in (
        ("9104", "0151 2345 6789", "+4915123456789"),
        ("9105", "+7 916 123 45 67", "+79161234567"),
        ("9106", "0049 151 23456789", "+4915123456789"),
    ):
        chat = Chat.new(demo, key)
        await to_phone_screen(chat)
        await chat.type(typed)
        assert "Please check your booking" in chat.text, typed
        assert await stored_phone(demo, chat) == e164
