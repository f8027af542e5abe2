"""Specialists through Telegram: the real bot, the real dialog, the demo clinic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.specialists import issue_specialist_link
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Notification
from slotbot.dialogs.engine import Dialogs
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday, 09:00 in Berlin
BEFORE_DST = datetime(2027, 3, 26, 11, 0, tzinfo=UTC)  # Friday; clocks go forward on Sunday
BORIS = 1005  # Boris Klein's Telegram user id in the demo file


@pytest.fixture
async def demo(engine: AsyncEngine) -> AsyncEngine:
    await import_file(engine, DEMO_FILE)
    return engine


async def tap(api: BotApi, chat: int, label: str) -> None:
    shown = api.screen(chat)
    await api.press(chat, shown.message_id, shown.data(label))


def says(api: BotApi, chat: int) -> str:
    return " ".join(api.screen(chat).text.split())


async def test_linking_by_deep_link_and_a_reused_or_forged_link_refused(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine
) -> None:
    payload = await issue_specialist_link(demo, key="lena", now=NOW)
    botapi.person(801, first_name="Lena")
    botapi.person(802, first_name="Mallory")
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(801, f"/start {payload}")
        assert says(botapi, 801).startswith("Hello, Lena")
        await botapi.send_text(802, f"/start {payload}")
        assert says(botapi, 802).startswith("This link has expired or was already used.")
        await botapi.send_text(802, "/start s-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        assert says(botapi, 802).startswith("This link has expired or was already used.")
        await botapi.send_text(802, "/today")
        assert says(botapi, 802).startswith("These commands are for the shop's specialists.")
        await botapi.send_text(801, "/today")
        assert "(Europe/Berlin):" in says(botapi, 801)


async def test_agenda_across_the_change_to_summer_time(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine
) -> None:
    botapi.person(BORIS, first_name="Boris")
    async with run_bot(Dialogs(demo, clock=lambda: BEFORE_DST)):
        await botapi.send_text(BORIS, "/today")
        assert "9:00 AM–1:00 PM · free" in says(botapi, BORIS)  # winter time, 08:00 UTC
        await botapi.send_text(BORIS, "/week")
        assert "Sun, Mar 28 · not working" in [" ".join(b.split()) for b, _ in
                                                botapi.screen(BORIS).buttons()]  # fmt: skip
        await tap(botapi, BORIS, "Mon, Mar 29")
        assert says(botapi, BORIS).startswith("Monday, March 29, 2027 (Europe/Berlin):")
        assert "9:00 AM–1:00 PM · free" in says(botapi, BORIS)  # summer time, 07:00 UTC


async def test_a_specialist_cancels_and_the_client_is_told(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine
) -> None:
    botapi.person(901, first_name="Ann")
    botapi.person(BORIS, first_name="Boris")
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        await botapi.send_text(901, "/start")
        for label in ("Hair studio", "Haircut", "Boris Klein", "2", "10:15 AM"):
            await tap(botapi, 901, label)
        await botapi.send_contact(901, "+49 151 2345 6789")
        await tap(botapi, 901, "✅ Confirm")
        await botapi.send_text(BORIS, "/tomorrow")
        await tap(botapi, BORIS, "10:15 AM · Ann")
        await tap(botapi, BORIS, "Cancel booking")
        await tap(botapi, BORIS, "Illness")
        assert says(botapi, BORIS).startswith("Cancelled. The client is told")
    async with session_factory(demo)() as session:
        booked = await session.scalar(select(Booking))
        told = list(
            await session.scalars(
                select(Notification.channel).where(
                    Notification.booking_id == booked.id,  # type: ignore[union-attr]
                    Notification.kind.like("%cancel%"),
                    Notification.status == "pending",
                )
            )
        )
    assert booked is not None and booked.cancelled_by == "specialist"
    assert "telegram" in told


async def test_a_day_off_over_two_bookings_through_telegram(
    botapi: BotApi, run_bot: Run, demo: AsyncEngine
) -> None:
    botapi.person(BORIS, first_name="Boris")
    for chat in (911, 912):
        botapi.person(chat, first_name=f"Client{chat}")
    async with run_bot(Dialogs(demo, clock=lambda: NOW)):
        for chat, day in ((911, "3"), (912, "4")):
            await botapi.send_text(chat, "/start")
            for label in ("Hair studio", "Haircut", "Boris Klein", day, "9:00 AM"):
                await tap(botapi, chat, label)
            await botapi.send_contact(chat, f"+49 151 2345 6{chat % 1000:03d}")
            await tap(botapi, chat, "✅ Confirm")
        await botapi.send_text(BORIS, "/dayoff 2026-12-03")
        assert "Client911" in says(botapi, BORIS)
        await tap(botapi, BORIS, "Keep it")
        await botapi.send_text(BORIS, "/dayoff 2026-12-04")
        await tap(botapi, BORIS, "Cancel it and tell the client")
        assert "1 booking was cancelled; the client is told." in says(botapi, BORIS)
    async with demo.connect() as connection:
        statuses = [r[0] for r in await connection.execute(
            text("SELECT status FROM bookings ORDER BY id"))]  # fmt: skip
    assert statuses == ["confirmed", "cancelled"]
