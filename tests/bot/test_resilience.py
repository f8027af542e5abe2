"""Garbage updates, a failing dialog and Bot API refusals never crash the bot."""

from __future__ import annotations

import logging
import time

import pytest

from slotbot.dialogs.events import Start, Text
from slotbot.dialogs.screens import Button, Reply, Screen
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.bot.scripted import Scripted

CHAT = 601
STICKER = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
           "height": 512, "is_animated": False, "is_video": False}  # fmt: skip


def _message(api: BotApi, **body: object) -> dict[str, object]:
    return {"message_id": 1, "date": int(time.time()), "from": api.person(CHAT).as_json(),
            "chat": {"id": CHAT, "type": "private"}, **body}  # fmt: skip


async def test_garbage_is_answered_or_ignored_and_logged(
    botapi: BotApi, run_bot: Run, caplog: pytest.LogCaptureFixture
) -> None:
    dialog = Scripted()
    caplog.set_level(logging.INFO, logger="slotbot.bot")
    async with run_bot(dialog):
        for update in (
            {"future_update_kind": {"what": "ever"}},
            {"message": _message(botapi, sticker=STICKER)},
            {"edited_message": _message(botapi, text="edited", edit_date=int(time.time()))},
            {"message": {**_message(botapi, text="hi"), "chat": {"id": -5, "type": "group"}}},
        ):
            await botapi.handled(botapi.push(update))
        await botapi.send_text(CHAT, "x" * 10_000)
        await botapi.send_text(CHAT, "/start")
    assert dialog.events == [Text(""), Text("x" * 10_000), Start()]
    assert [m.text for m in botapi.chat(CHAT)] == ["Hello"] * 3
    logged = caplog.text
    assert "without text or contact" in logged
    assert logged.count("ignored") == 3


async def test_a_failing_dialog_gets_a_polite_apology(
    botapi: BotApi, run_bot: Run, caplog: pytest.LogCaptureFixture
) -> None:
    dialog = Scripted(failing=True)
    botapi.person(CHAT, language_code="ru")
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
        dialog.failing = False
        await botapi.send_text(CHAT, "/start")
    assert botapi.chat(CHAT)[0].text.startswith("Извините")
    assert botapi.last(CHAT).text == "Hello"
    assert "the dialog broke" in caplog.text


async def test_flood_control_waits_and_retries(botapi: BotApi, run_bot: Run) -> None:
    async with run_bot(Scripted()):
        botapi.fail_next("sendMessage", "retry_after")
        started = time.monotonic()
        await botapi.send_text(CHAT, "/start")
    assert time.monotonic() - started >= 1
    assert [m.text for m in botapi.chat(CHAT)] == ["Hello"]
    assert len(botapi.sent("sendMessage")) == 2


async def test_not_modified_is_ignored(botapi: BotApi, run_bot: Run) -> None:
    same = Screen("Pick", ((Button("A", "a"),),))
    dialog = Scripted([Reply([same]), Reply([same]), Reply([Screen("Next")])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
        shown = botapi.last(CHAT)
        await botapi.press(CHAT, shown.message_id, "a")  # the same screen: not modified
        botapi.fail_next("editMessageText", "not_modified")
        await botapi.press(CHAT, shown.message_id, "a")
    assert len(botapi.sent("answerCallbackQuery")) == 2
    assert [m.text for m in botapi.chat(CHAT)] == ["Pick"]
    assert botapi.violations == []


async def test_blocked_user_is_logged_and_skipped(
    botapi: BotApi, run_bot: Run, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="slotbot.bot")
    async with run_bot(Scripted()):
        botapi.fail_next("sendMessage", "blocked")
        await botapi.send_text(CHAT, "/start")
        await botapi.send_text(CHAT, "/start")
    assert "bot was blocked by the user" in caplog.text
    assert [m.text for m in botapi.chat(CHAT)] == ["Hello"]


async def test_a_press_on_a_deleted_message_sends_anew(botapi: BotApi, run_bot: Run) -> None:
    dialog = Scripted([Reply([Screen("Pick", ((Button("A", "a"),),))]), Reply([Screen("B")])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
        shown = botapi.last(CHAT)
        pressed = shown.message_id
        shown.deleted = True  # the user deleted it; the press still arrives
        await botapi.press(CHAT, pressed, "a")
    assert [m.text for m in botapi.chat(CHAT)] == ["B"]
