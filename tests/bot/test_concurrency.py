"""The bot takes as many updates at once as the database pool has connections for turns."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from slotbot.bot import WebhookUpdates, build_application
from slotbot.core.settings import Settings
from slotbot.core.storage.db import POOL_HEADROOM, create_engine, turn_capacity
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Start, Visitor
from tests.dialogs.chat import NOW, load_demo


@pytest.mark.parametrize("pool_size", [4, 9, 20])
async def test_the_bots_concurrent_updates_follow_the_pool(
    database_url: str, bot_settings: Settings, pool_size: int
) -> None:
    engine = create_engine(database_url, pool_size=pool_size)
    try:
        dialogs = Dialogs(engine)
        polling = build_application(bot_settings, dialogs)
        assert polling.update_processor.max_concurrent_updates == pool_size - POOL_HEADROOM
        webhook = WebhookUpdates(
            build_application(bot_settings, dialogs, polling=False).bot, dialogs
        )
        assert webhook.handlers.turns_at_once == pool_size - POOL_HEADROOM
    finally:
        await engine.dispose()


async def test_a_tiny_pool_still_takes_one_update_at_a_time(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        assert turn_capacity(engine) == 1
    finally:
        await engine.dispose()


async def test_that_many_turns_at_once_fit_in_the_pool_beside_the_headroom(
    database_url: str,
) -> None:
    """As many booking turns as the bot runs at once, on a pool with no overflow whose
    headroom is taken by others (the dispatcher, a job): every turn gets its connection,
    none waits for a second one."""
    engine = create_engine(database_url, pool_size=6, max_overflow=0, pool_timeout=20)
    try:
        await load_demo(engine)
        dialogs = Dialogs(engine)
        assert dialogs.turns_at_once == 6 - POOL_HEADROOM
        async with engine.connect() as one, engine.connect() as two:  # the headroom, in use
            await one.execute(text("SELECT 1"))
            await two.execute(text("SELECT 1"))
            visitors = [Visitor("telegram", str(7000 + n), chat_id=7000 + n, name="Ann")
                        for n in range(dialogs.turns_at_once)]  # fmt: skip
            for _ in range(3):  # first contact (a client is written), then a turn on a session
                replies = await asyncio.gather(
                    *(dialogs.respond(v, Start("start"), now=NOW) for v in visitors)
                )
                assert all(reply.screens for reply in replies)
    finally:
        await engine.dispose()
