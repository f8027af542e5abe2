"""Benchmark: the CPU a webhook update costs the bot before and around its dialog turn.

Run: .venv/bin/python bench/inbound.py [--rounds 20000]

For a typed /start and a button press under a screen with a keyboard (as Telegram posts
them), in one process, with no network and no database, the CPU time (process_time) per
update of: reading its JSON body -- ``json.loads`` alone, then with python-telegram-bot's
``Update.de_json`` (how the webhook read updates before issue 18; the pressed message's
keyboard left out), then with our ``read_update``; and reading it and handing it to the
handlers through ``WebhookUpdates`` (``read``, ``handle``) over a dialog that answers at
once with nothing to show (the press is answered in the webhook's answer, so no Bot API
request is made): the bot's own share of an update, beside its turn and its requests. For
comparison, python-telegram-bot's dispatch alone (``Application.process_update`` through
its update processor) of the parsed update to the handlers the bot had before, doing nothing.

Measured on a loaded 2-core machine (20000 rounds), text / press, in microseconds:
json.loads 3.9 / 8.2; with Update.de_json 93 / 101; with read_update 6.8 / 11.8; read and
handled through WebhookUpdates 15.5 / 20 (the same through WebhookUpdates at 20b74a6, with
Update.de_json and PTB's dispatch to the handlers: 116 / 121); PTB's dispatch alone to
no-op handlers 7.2 / 4.4.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time as clock
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from slotbot.bot import WebhookUpdates, read_update
from slotbot.dialogs.events import Event, Visitor
from slotbot.dialogs.screens import Reply

PERSON = {"id": 5001, "is_bot": False, "first_name": "Client", "language_code": "en"}
CHAT = {"id": 5001, "type": "private", "first_name": "Client"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Slotbot", "username": "slotbot_test_bot"}
KEYBOARD = {
    "inline_keyboard": [
        [{"text": f"{day} Dec", "callback_data": f"v3:d:2026-12-{day:02d}"} for day in row]
        for row in ((1, 2, 3, 4), (7, 8, 9, 10), (14, 15, 16, 17))
    ]
    + [
        [
            {"text": "« Back", "callback_data": "v3:back"},
            {"text": "Soonest", "callback_data": "v3:s"},
        ]
    ]
}
TEXT = {
    "update_id": 1,
    "message": {
        "message_id": 100, "date": 1_796_000_000, "chat": CHAT, "from": PERSON, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    },
}  # fmt: skip
PRESS = {
    "update_id": 2,
    "callback_query": {
        "id": "q2", "from": PERSON, "chat_instance": "5001", "data": "v3:d:2026-12-08",
        "message": {"message_id": 101, "date": 1_796_000_000, "chat": CHAT, "from": BOT,
                    "text": "Haircut with Anna Petrova\nPick a day:", "reply_markup": KEYBOARD},
    },
}  # fmt: skip


class Silent:
    """A dialog that answers at once with nothing to show."""

    turns_at_once = 8

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply:
        return Reply([])


def per_update(rounds: int, work: Callable[[], object]) -> float:
    """CPU microseconds per call of ``work``."""
    started = clock.process_time()
    for _ in range(rounds):
        work()
    return (clock.process_time() - started) / rounds * 1e6


async def per_update_async(rounds: int, work: Callable[[], Awaitable[object]]) -> float:
    started = clock.process_time()
    for _ in range(rounds):
        await work()
    return (clock.process_time() - started) / rounds * 1e6


def ptb_read(body: bytes, bot: Bot) -> Update:
    """How the webhook read an update before: the pressed message's keyboard left out."""
    data = json.loads(body)
    query = data.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        query["message"].pop("reply_markup", None)
    return Update.de_json(data, bot)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20000)
    rounds = parser.parse_args().rounds
    bot = Bot("123456:TEST-token")
    updates = WebhookUpdates(bot, Silent())
    application: Any = Application.builder().bot(bot).updater(None).concurrent_updates(8).build()

    async def nothing(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handlers(  # the handlers the bot had before issue 18, doing nothing
        [
            CallbackQueryHandler(nothing),
            MessageHandler(private & filters.CONTACT, nothing),
            MessageHandler(private & filters.TEXT, nothing),
            MessageHandler(private, nothing),
            TypeHandler(Update, nothing),
        ]
    )
    application._initialized = True  # its initialize() would ask the Bot API for getMe
    print(f"CPU per update, {rounds} rounds (microseconds):")
    for name, update in (("text /start", TEXT), ("button press", PRESS)):
        body = json.dumps(update).encode()
        loads = per_update(rounds, lambda b=body: json.loads(b))  # type: ignore[misc]
        ptb = per_update(rounds, lambda b=body: ptb_read(b, bot))  # type: ignore[misc]
        ours = per_update(rounds, lambda b=body: read_update(json.loads(b)))  # type: ignore[misc]
        handled = await per_update_async(
            rounds,
            lambda b=body: updates.handle(updates.read(json.loads(b))),  # type: ignore[misc]
        )
        parsed = ptb_read(body, bot)
        dispatched = await per_update_async(
            rounds,
            lambda u=parsed: application.update_processor.process_update(  # type: ignore[misc]
                u, application.process_update(u)
            ),
        )
        print(
            f"  {name}: json.loads {loads:.1f}; with Update.de_json {ptb:.1f}, with read_update "
            f"{ours:.1f}; read and handled through WebhookUpdates {handled:.1f} (PTB's dispatch "
            f"alone, to no-op handlers: {dispatched:.1f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
