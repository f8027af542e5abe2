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
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Client
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run

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
        for label in ("GP consultation", "Dr. Klaus Weber", "2", "9:00 AM"):
            await tap(botapi, 801, label)
        assert botapi.keyboards[801] is not None  # "share my phone" offered
        await botapi.send_contact(801, shared)
        assert says(botapi, 801).startswith("Please check your booking")
        assert f"Phone: {shown}" in says(botapi, 801)
        await tap(botapi, 801, "✅")
        assert says(botapi, 801).startswith("You are booked")
    assert await phone_of(engine, 801) == e164
