"""Clients' data through the real bot (issue 14): the number a shared contact carries, and
"Continue in Telegram" links that never open someone else's bookings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.notify import chat_actions
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Client
from slotbot.dialogs.actions import encode
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Visitor
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.dialogs.chat import Chat, plain

#: Tuesday 2026-12-01, 09:00 in Berlin.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def clinic(engine: AsyncEngine) -> AsyncIterator[Dialogs]:
    """The demo clinic's dialog at a fixed time, with the bot's username known."""
    await import_file(engine, DEMO_FILE)
    yield Dialogs(engine, clock=lambda: NOW, telegram_username="slotbot_test_bot")


async def tap(api: BotApi, chat: int, label: str) -> None:
    shown = api.screen(chat)
    await api.press(chat, shown.message_id, shown.data(label))


def says(api: BotApi, chat: int) -> str:
    return " ".join(api.screen(chat).text.split())  # Babel's narrow spaces read as spaces


async def phone_of(engine: AsyncEngine, telegram_user_id: int) -> str | None:
    async with session_factory(engine)() as session:
        return await session.scalar(
            select(Client.phone).where(Client.telegram_user_id == telegram_user_id)
        )


@pytest.mark.parametrize(
    ("shared", "shown", "e164"),
    [("4915123005001", "+49 1512 3005001", "+4915123005001"),
     ("79161234567", "+7 916 123-45-67", "+79161234567")],
)  # fmt: skip
async def test_a_new_user_who_shares_a_contact_finds_their_own_number(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine,
    shared: str, shown: str, e164: str,
) -> None:  # fmt: skip
    """Telegram sends a contact's number without "+"; it was stored as +49 491 5123005001."""
    botapi.person(801, first_name="Lena", language_code="en")
    async with run_bot(clinic):
        await botapi.send_text(801, "/start")
        for label in ("Clinic", "GP consultation", "Dr. Klaus Weber", "2", "9:00 AM"):
            await tap(botapi, 801, label)
        assert botapi.keyboards[801] is not None  # "share my phone" offered
        await botapi.send_contact(801, shared)
        assert says(botapi, 801).startswith("Please check your booking")
        assert f"Phone: {shown}" in says(botapi, 801)
        await tap(botapi, 801, "✅")
        assert says(botapi, 801).startswith("You are booked")
    assert await phone_of(engine, 801) == e164


async def test_a_link_sent_to_a_telegram_user_never_opens_their_bookings_to_the_web(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    """Issue 14.2 end to end: the attacker's widget session makes a link and the victim
    opens it in Telegram and accepts; the web session gets nothing of the victim's."""
    web = Chat(clinic, Visitor("web", "attacker", language="en"), now=NOW)
    await web.start()
    await web.choose_service("Beard trim")
    for label in ("Boris Klein", "3"):
        await web.press(label)
    await web.press(web.labels()[0])
    await web.type("Mallory")
    await web.type("+49 151 22220002")
    await web.press("✅")
    await web.start()
    await web.press("Continue in Telegram")
    token = web.button("Open Telegram").url.split("start=", 1)[1]
    botapi.person(901, first_name="Vera", language_code="en")
    async with run_bot(clinic):
        await botapi.send_text(901, "/start")
        for label in ("Clinic", "GP consultation", "Dr. Klaus Weber", "2", "9:00 AM"):
            await tap(botapi, 901, label)
        await botapi.send_contact(901, "4915199990001")
        await tap(botapi, 901, "✅")
        await botapi.send_text(901, f"/start {token}")
        assert says(botapi, 901).startswith("This link brings 1 booking from the website:")
        assert "Beard trim with Boris Klein on Thursday, December 3, 2026" in says(botapi, 901)
        await tap(botapi, 901, "Take it")
        assert says(botapi, 901).startswith("Done: 1 booking from the website is now here.")
        assert "GP consultation" in says(botapi, 901) + str(botapi.screen(901).buttons())
        await botapi.send_text(901, f"/start {token}")  # a second time: spent
        assert botapi.last(901).text.startswith("This link has expired or was already used.")
    async with session_factory(engine)() as session:
        victim = await session.scalar(select(Client).where(Client.telegram_user_id == 901))
        assert victim is not None and victim.phone == "+4915199990001"
        owned = select(Booking.id).where(Booking.client_id == victim.id)
        theirs = list(await session.scalars(owned))
    assert len(theirs) == 2
    await web.start("my")
    assert web.text.startswith("You have no upcoming bookings.")
    version = int(web.screen.buttons[0][0].action.split(".")[0], 36)  # type: ignore[union-attr]
    for booking_id in theirs:
        for action in (encode(version, "bk", booking_id), chat_actions.cancel(booking_id),
                       chat_actions.reschedule(booking_id)):  # fmt: skip
            await web.press_action(action)
            assert "GP consultation" not in web.text and "Beard trim" not in web.text
    assert all("1519 9990001" not in plain(r.screens[0].text) for r in web.history)
