"""Telegram as a notification channel: the real python-telegram-bot ``Bot`` against the
loopback Bot API stand-in (every request checked against the spec), with the SMS and SMTP
stand-ins beside it for the fallbacks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from slotbot.bot import SendPace, TelegramSender
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Client, Notification, Specialist
from tests.bot.botapi import TOKEN, BotApi
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.test_dispatch import CHAT, PHONE, book
from tests.core.notify.wiring import close_dispatchers, make_dispatcher, sms, smtp
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client

__all__ = ["close_dispatchers", "sms", "smtp"]  # fixtures shared with tests/core/notify


@pytest.fixture
async def bot(botapi: BotApi) -> AsyncIterator[Bot]:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = Bot(TOKEN, base_url=botapi.url)
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    shop = await build_shop(engine)
    async with writer(engine) as session:  # Anna hears by e-mail only: one chat per test
        await session.execute(
            update(Specialist).where(Specialist.id == shop.anna).values(telegram_user_id=None)
        )
    return shop


@pytest.fixture
def dispatcher(engine: AsyncEngine, smtp: SmtpStandIn, sms: SmsStandIn, bot: Bot) -> Dispatcher:
    sender = TelegramSender(bot, pace=SendPace(per_chat=0.01))
    return make_dispatcher(engine, smtp, sms, sender)


async def chat_rows(engine: AsyncEngine, kind: str | None = None) -> list[Notification]:
    async with session_factory(engine)() as session:
        query = select(Notification).where(Notification.channel == "telegram")
        if kind:
            query = query.where(Notification.kind == kind)
        found = await session.scalars(query.order_by(Notification.id))
        return list(found)


async def test_reminders_and_review_reach_the_chat(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, botapi: BotApi
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    start = at(TOMORROW, 10)
    for moment in (NOW, start - timedelta(hours=24), start - timedelta(hours=2)):
        await dispatcher.drain(now=moment)
    texts = [m.text for m in botapi.chat(CHAT)]
    assert texts[0].startswith("Your booking is confirmed\nHaircut with Anna, Wed, Dec 2, 10:00")
    assert texts[1].startswith("Reminder: tomorrow") and texts[2].startswith("Reminder: in 2")
    after = start + timedelta(hours=25)
    from slotbot.core.jobs import housekeeping

    await housekeeping(engine, now=after)
    await dispatcher.drain(now=after)
    review = botapi.last(CHAT)
    assert review.text.startswith("How was your visit?")
    assert [label for label, _ in review.buttons()] == ["★" * n for n in range(1, 6)]
    assert all(url.startswith("https://shop.test/review?token=") for _, url in review.buttons())
    assert {r.status for r in await chat_rows(engine)} == {"sent"}  # (the 2 h one too)


async def test_flood_control_waits_retry_after(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, botapi: BotApi
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    botapi.fail_next("sendMessage", "retry_after")
    tally = await dispatcher.drain(now=NOW)
    assert tally.retried == 1
    (row,) = await chat_rows(engine, "confirmation")
    assert row.status == "pending"
    assert row.next_attempt_at == NOW + timedelta(seconds=1)  # Telegram's retry_after
    assert "flood control" in (row.last_error or "")
    assert botapi.chat(CHAT) == []
    assert (await dispatcher.drain(now=NOW + timedelta(milliseconds=999))).claimed == 0
    assert (await dispatcher.drain(now=NOW + timedelta(seconds=1))).sent == 1
    assert botapi.last(CHAT).text.startswith("Your booking is confirmed")


async def test_blocked_bot_falls_back_to_sms(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, botapi: BotApi, sms: SmsStandIn
) -> None:
    client = await new_client(engine, 1)
    await book(engine, shop, client)
    botapi.fail_next("sendMessage", "blocked")
    await dispatcher.drain(now=NOW)
    (row,) = await chat_rows(engine, "confirmation")
    assert row.status == "failed"
    assert (
        row.last_error
        == "Telegram 403: Forbidden: bot was blocked by the user; sent by sms instead"
    )
    (text,) = sms.to(PHONE)
    assert text["Body"].startswith("Your booking is confirmed")
    async with session_factory(engine)() as session:
        found = await session.get(Client, client)
        assert found is not None and found.telegram_unreachable_at == NOW
    # later chat messages go by SMS without asking Telegram again (the reminder has its own)
    calls = len(botapi.sent("sendMessage"))
    await dispatcher.drain(now=at(TOMORROW, 10) - timedelta(hours=24))
    assert len(botapi.sent("sendMessage")) == calls
    assert [m["Body"].split(" ")[0] for m in sms.to(PHONE)] == ["Your", "Reminder:"]


def test_pace_spaces_sends_overall_and_per_chat() -> None:
    clock = [0.0]
    pace = SendPace(per_second=30, per_chat=1.0, clock=lambda: clock[0])
    overall = [pace.book(str(chat)) for chat in range(60)]
    assert overall[-1] == pytest.approx(59 / 30)  # 60 chats: two seconds at 30 a second
    assert [pace.book("7"), pace.book("7")] == [pytest.approx(2.0), pytest.approx(3.0)]
