"""Whole bookings through Telegram: the real bot, the real dialog, the demo clinic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.core.overlaps import assert_no_overlapping_live_bookings

#: Tuesday 2026-12-01, 09:00 in Berlin.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def clinic(engine: AsyncEngine) -> AsyncIterator[Dialogs]:
    """The demo clinic's dialog at a fixed time."""
    await import_file(engine, DEMO_FILE)
    yield Dialogs(engine, clock=lambda: NOW)


@dataclass
class Client:
    """A Telegram user tapping through the bot, counting their button presses."""

    api: BotApi
    chat: int
    presses: int = 0

    async def tap(self, label: str, *, wait: bool = True) -> int:
        shown = self.api.screen(self.chat)
        self.presses += 1
        return await self.api.press(self.chat, shown.message_id, shown.data(label), wait=wait)

    @property
    def says(self) -> str:
        return self.api.screen(self.chat).text


async def _book(
    client: Client, category: str, service: str, doctor: str, day: str, time: str
) -> str:
    """Book from /start to confirmed; the menu's first button (out of date by then)."""
    await client.api.send_text(client.chat, "/start")
    menu_button = client.api.screen(client.chat).buttons()[0][1]
    for label in (category, service, doctor, day, time):
        await client.tap(label)
    assert client.api.keyboards[client.chat] is not None  # "share my phone" offered
    await client.api.send_contact(client.chat, "+49 151 2345 6789")
    assert client.api.keyboards[client.chat] is None
    await client.tap("✅")
    return menu_button


async def _live(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(
            "SELECT status, channel FROM bookings WHERE status IN ('held', 'confirmed')"
        ))  # fmt: skip
        return [(r[0], r[1]) for r in rows]


async def test_a_booking_in_english(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    ann = Client(botapi, 701)
    botapi.person(701, first_name="Ann", language_code="en")
    async with run_bot(clinic):
        stale = await _book(ann, "Clinic", "GP consultation", "Dr. Klaus Weber", "2", "9:00 AM")
        assert ann.says.startswith("You are booked")
        await ann.tap("Add to calendar")
        assert botapi.last(701).document.endswith(".ics")
        await botapi.press(701, ann.api.screen(701).message_id, stale)
    assert ann.presses == 7  # category, service, doctor, day, time, confirm + add to calendar
    assert "out of date" in botapi.sent("answerCallbackQuery")[-1]["text"]
    assert await _live(engine) == [("confirmed", "telegram")]


async def test_a_booking_in_russian(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    vera = Client(botapi, 702)
    botapi.person(702, first_name="Вера", language_code="ru")
    async with run_bot(clinic):
        await _book(vera, "Клиника", "Консультация терапевта", "Dr. Maria Sokolova", "2", "14:00")
    assert vera.presses == 6
    assert vera.says.startswith("Вы записаны: Консультация терапевта, Dr. Maria Sokolova")
    assert await _live(engine) == [("confirmed", "telegram")]


async def test_two_clients_racing_for_one_slot(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine
) -> None:
    ann, bob = Client(botapi, 711), Client(botapi, 712)
    async with run_bot(clinic):
        for client in (ann, bob):
            await botapi.send_text(client.chat, "/start")
            for label in ("Clinic", "GP consultation", "Dr. Klaus Weber", "2"):
                await client.tap(label)
        racing = [await c.tap("9:00 AM", wait=False) for c in (ann, bob)]
        await asyncio.gather(*(botapi.handled(u) for u in racing))
        winner, loser = sorted((ann, bob), key=lambda c: "just taken" in c.says)
        assert botapi.keyboards.get(winner.chat) and not botapi.keyboards.get(loser.chat)
        assert loser.says.startswith("Sorry, that time was just taken.")
        await botapi.send_contact(winner.chat, "+49 151 2345 6789")
        await winner.tap("✅")
    assert await _live(engine) == [("confirmed", "telegram")]
    await assert_no_overlapping_live_bookings(engine)


async def test_calendar_headers_are_inert_and_grey_days_say_why(
    botapi: BotApi, run_bot: Run, clinic: Dialogs
) -> None:
    """A weekday header or a blank cell: the query is answered without a word and nothing is
    edited or sent. A grey day: the answer says why, in the client's language, and the
    calendar stays as it is."""
    for chat, language, service, why in (
        (731, "en", ("Hair studio", "Haircut"), "Anna Petrova is not working on Sun, Dec 6."),
        (732, "ru", ("Парикмахерская", "Стрижка · 1 ч"), "Вс, 6 дек.: Anna Petrova не работает."),
    ):
        client = Client(botapi, chat)
        botapi.person(chat, first_name="Ann", language_code=language)
        async with run_bot(clinic):
            await botapi.send_text(chat, "/start")
            for label in (*service, "Anna Petrova"):
                await client.tap(label)
            shown = botapi.screen(chat)
            monday = shown.buttons()[0][0]  # the first weekday header: "·Mo·", "·пн·"
            for pressed, said in ((monday, None), ("· ·", None), ("·6·", why)):
                before = len(botapi.calls)
                await botapi.press(chat, shown.message_id, shown.data(pressed))
                answered = [(m, p) for m, p in botapi.calls[before:] if m != "getUpdates"]
                assert [m for m, _ in answered] == ["answerCallbackQuery"]
                assert answered[0][1].get("text") == said
            assert botapi.screen(chat) == shown


async def test_the_contact_keyboard_goes_whichever_process_showed_it(
    botapi: BotApi, run_bot: Run, clinic: Dialogs
) -> None:
    """The keyboard was put up by one process (or before a restart); the shared contact
    reaches another, which never saw it: that one takes it away all the same."""
    ann = Client(botapi, 721)
    async with run_bot(clinic):
        await botapi.send_text(ann.chat, "/start")
        for label in ("Clinic", "GP consultation", "Dr. Klaus Weber", "2", "9:00 AM"):
            await ann.tap(label)
    assert botapi.keyboards[ann.chat] is not None
    async with run_bot(clinic):  # another process: a bot of its own
        await botapi.send_contact(ann.chat, "+49 151 2345 6789")
        assert botapi.keyboards[ann.chat] is None
        assert ann.says.startswith("Please check your booking")
