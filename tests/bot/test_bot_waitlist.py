"""The waiting list through Telegram, end to end: the real bot against the Bot API stand-in,
the real dialog and core, the demo clinic. A client joins on a booked-up day, a booking is
cancelled, the matching job and the dispatcher send the freed time to the chat, the client
presses it, shares their phone and confirms; in English and in Russian."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.bot import SendPace, TelegramSender
from slotbot.core import booking as bookings
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Notification
from slotbot.core.waitlist import matching
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.test_waitlist import fill

#: Tuesday 2026-12-01, 09:00 in Berlin.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def clinic(engine: AsyncEngine) -> AsyncIterator[Dialogs]:
    await import_file(engine, DEMO_FILE)
    yield Dialogs(engine, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("language", "service", "join", "joined", "offer", "booked"),
    [
        ("en", ("Hair studio", "Haircut"), "🔔 Tell me if Wed, Dec 2 frees up",
         "You are on the waiting list:\nHaircut with Anna Petrova · Wed, Dec 2 · any time",
         "A time has freed up\nYou are on the waiting list for Haircut.",
         "You are booked: Haircut with Anna Petrova"),
        ("ru", ("Парикмахерская", "Стрижка · 1 ч"),
         "🔔 Сообщить, если на ср, 2 дек. освободится время",
         "Вы в листе ожидания:\nСтрижка, Anna Petrova · Ср, 2 дек. · в любое время",
         "Освободилось время\nВы в листе ожидания: Стрижка.",
         "Вы записаны: Стрижка, Anna Petrova"),
    ],
)  # fmt: skip
async def test_join_a_cancellation_the_offer_the_hold_the_confirm(
    botapi: BotApi, run_bot: Run, clinic: Dialogs, engine: AsyncEngine,
    language: str, service: tuple[str, str], join: str, joined: str, offer: str, booked: str,
) -> None:  # fmt: skip
    chat = 751
    botapi.person(chat, first_name="Ann", language_code=language)
    walk_ins = await fill(engine, now=NOW)
    async with run_bot(clinic) as application:
        await botapi.send_text(chat, "/start")
        for label in (*service, "Anna Petrova"):
            shown = botapi.screen(chat)
            await botapi.press(chat, shown.message_id, shown.data(label))
        shown = botapi.screen(chat)
        await botapi.press(chat, shown.message_id, shown.data("·2·"))  # booked up
        await botapi.press(chat, shown.message_id, botapi.screen(chat).data(join))
        assert botapi.screen(chat).text.startswith(joined)

        freed = walk_ins[2]  # someone cancels
        await bookings.cancel(engine, booking_id=freed.id, by="client", now=NOW)
        assert (await matching.match(engine, now=NOW)).messages == 1
        sender = TelegramSender(application.bot, pace=SendPace(per_chat=0.01))
        await Dispatcher(engine, {"telegram": sender}).drain(now=NOW)  # (e-mails: no sender)
        message = botapi.last(chat)
        assert message.text.startswith(offer)
        [(label, data)] = message.buttons()
        assert data.startswith("0.wo.")

        await botapi.press(chat, message.message_id, data)  # the freed time, held
        await botapi.send_contact(chat, "+49 151 2345 6789")
        await botapi.press(chat, botapi.screen(chat).message_id, botapi.screen(chat).data("✅"))
        assert botapi.screen(chat).text.startswith(booked)
    async with session_factory(engine)() as session:
        mine = await session.scalar(
            select(Booking).where(Booking.status == "confirmed", Booking.channel == "telegram")
        )
        rows = await session.scalars(
            select(Notification.status).where(Notification.kind == "waitlist_offer")
        )
        assert list(rows) == ["sent"]
    assert mine is not None and mine.starts_at == freed.starts_at
    await assert_no_overlapping_live_bookings(engine)
