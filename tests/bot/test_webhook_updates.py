"""Updates handled as the webhook hands them over (``WebhookUpdates``), with no
python-telegram-bot ``Update`` or ``Application`` dispatch: the same handlers as long
polling, the same limits, the press answered in the webhook's answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from slotbot.bot import WebhookUpdates, build_application, running
from slotbot.core.settings import Settings
from slotbot.dialogs.events import Event, Press, Start, Text, Visitor
from slotbot.dialogs.screens import Button, Reply, Screen
from tests.bot.botapi import BotApi
from tests.bot.scripted import Scripted

CHAT = 701


@contextlib.asynccontextmanager
async def webhook(settings: Settings, dialogs: Any) -> AsyncIterator[WebhookUpdates]:
    """The bot as ``slotbot serve`` runs it with a webhook, over ``dialogs``."""
    application = build_application(settings, dialogs, polling=False)
    async with running(application, announce=False):
        yield WebhookUpdates(application.bot, dialogs)


async def _post(updates: WebhookUpdates, update: dict[str, Any]) -> dict[str, Any]:
    """What the route does with a readable update."""
    return await updates.handle(updates.read(update))


@dataclass
class Gate:
    """A dialog whose turns wait until the test opens the gate; it counts turns at once."""

    turns_at_once: int = 2
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    running: int = 0
    most: int = 0
    heard: list[tuple[int | None, Event]] = field(default_factory=list)

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.opened.wait()
            await asyncio.sleep(0.01)
            self.heard.append((visitor.chat_id, event))
        finally:
            self.running -= 1
        return Reply([Screen("Hello")])


async def test_a_message_and_a_press_go_through_the_handlers(
    botapi: BotApi, bot_settings: Settings
) -> None:
    dialog = Scripted([Reply([Screen("Pick", ((Button("A", "a"),),))]), Reply([Screen("B")])])
    botapi.person(CHAT, first_name="Jane", last_name="Doe", language_code="ru")
    async with webhook(bot_settings, dialog) as updates:
        assert await _post(updates, botapi.text_update(CHAT, "/start")) == {}
        shown = botapi.last(CHAT)
        press = botapi.press_update(CHAT, shown.message_id, "a")
        answer = await _post(updates, press)
    query = press["callback_query"]["id"]
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": query}
    assert [m.text for m in botapi.chat(CHAT)] == ["B"]  # edited in place
    assert dialog.heard == [
        (Visitor("telegram", str(CHAT), chat_id=CHAT, name="Jane Doe", language="ru"), Start()),
        (Visitor("telegram", str(CHAT), chat_id=CHAT, name="Jane Doe", language="ru"), Press("a")),
    ]


async def test_a_failing_turn_is_apologised_for_and_its_press_answered(
    botapi: BotApi, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dialog = Scripted(failing=True)
    botapi.person(CHAT, language_code="ru")
    async with webhook(bot_settings, dialog) as updates:
        assert await _post(updates, botapi.text_update(CHAT, "/start")) == {}
        press = botapi.press_update(CHAT, botapi.last(CHAT).message_id, "a")
        answer = await _post(updates, press)
    query = press["callback_query"]["id"]
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": query}
    assert [m.text[:9] for m in botapi.chat(CHAT)] == ["Извините,", "Извините,"]
    failures = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage().endswith(" failed") for r in failures] == [True, True]
    assert all("the dialog broke" in str(r.exc_info[1]) for r in failures if r.exc_info)


async def test_a_press_without_a_message_is_answered_in_the_senders_chat(
    botapi: BotApi, bot_settings: Settings
) -> None:
    dialog = Scripted()
    async with webhook(bot_settings, dialog) as updates:
        press = {"update_id": 1, "callback_query": {
            "id": "q1", "from": botapi.person(CHAT).as_json(), "chat_instance": "c",
            "inline_message_id": "im1", "data": "a"}}  # fmt: skip
        answer = await _post(updates, press)
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": "q1"}
    assert [m.text for m in botapi.chat(CHAT)] == ["Hello"]
    assert dialog.events == [Press("a")]


@pytest.mark.parametrize("data", [None, "", "-"])
async def test_a_press_without_data_is_only_answered(
    botapi: BotApi, bot_settings: Settings, data: str | None
) -> None:
    dialog = Scripted()
    async with webhook(bot_settings, dialog) as updates:
        await _post(updates, botapi.text_update(CHAT, "/start"))
        press = botapi.press_update(CHAT, botapi.last(CHAT).message_id, "x")
        press["callback_query"]["data"] = data
        answer = await _post(updates, press)
    assert answer["method"] == "answerCallbackQuery" and "text" not in answer
    assert dialog.events == [Start()]


async def test_group_messages_and_other_kinds_are_not_answered(
    botapi: BotApi, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dialog = Scripted()
    caplog.set_level("INFO", logger="slotbot.bot")
    group = botapi.text_update(CHAT, "/start")
    group["message"]["chat"] = {"id": -1005, "type": "supergroup", "title": "Friends"}
    edited = botapi.text_update(CHAT, "/start")
    edited["edited_message"] = edited.pop("message")
    async with webhook(bot_settings, dialog) as updates:
        for update in (group, edited, {"update_id": 99, "poll": {"id": "p"}}):
            assert await _post(updates, update) == {}
    assert dialog.events == []
    assert botapi.calls == [("getMe", {})]
    assert caplog.text.count("ignored") == 3


async def test_other_messages_are_answered_as_empty_text(
    botapi: BotApi, bot_settings: Settings
) -> None:
    dialog = Scripted()
    sticker = botapi.text_update(CHAT, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "s", "file_unique_id": "u"}
    async with webhook(bot_settings, dialog) as updates:
        await _post(updates, sticker)
        await _post(updates, botapi.contact_update(CHAT, "4915123005001"))
    assert [type(e).__name__ for e in dialog.events] == ["Text", "Contact"]
    assert dialog.events[0] == Text("")


async def test_no_more_turns_at_once_than_the_dialog_takes_and_one_per_chat(
    botapi: BotApi, bot_settings: Settings
) -> None:
    dialog = Gate(turns_at_once=2)
    async with webhook(bot_settings, dialog) as updates:
        chats = [CHAT, CHAT, CHAT + 1, CHAT + 2, CHAT + 3, CHAT + 4]
        posts = [
            asyncio.create_task(_post(updates, botapi.text_update(chat, f"t{n}")))
            for n, chat in enumerate(chats)
        ]
        await asyncio.sleep(0.2)
        waiting = dialog.running
        dialog.opened.set()
        await asyncio.gather(*posts)
    assert waiting == 1  # the first two posts are one chat's: its second waits its turn
    assert dialog.most == 2
    assert [e for c, e in dialog.heard if c == CHAT] == [Text("t0"), Text("t1")]
    assert len(dialog.heard) == len(chats)
