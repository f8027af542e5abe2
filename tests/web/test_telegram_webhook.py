"""The Telegram webhook: the real bot behind the app, talking to the loopback Bot API
stand-in; updates posted as Telegram posts them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.bootstrap import create_app
from slotbot.core.settings import Settings
from tests.bot.botapi import TOKEN, BotApi
from tests.dialogs.chat import NOW, load_demo

SECRET = "webhook-secret-0123456789abcdef"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def http(
    engine: AsyncEngine, database_url: str, botapi: BotApi
) -> AsyncIterator[httpx.AsyncClient]:
    await load_demo(engine)
    settings = Settings(
        database_url=database_url, environment="test", telegram_token=TOKEN,
        telegram_api_url=botapi.url, public_url="https://clinic.example",
        webhook_secret=SECRET,
    )  # fmt: skip
    app = create_app(settings, clock=lambda: NOW, jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _start(update_id: int, chat: int = 501) -> dict[str, Any]:
    person = {"id": chat, "is_bot": False, "first_name": "Jane", "language_code": "en"}
    message = {
        "message_id": 1, "date": int(time.time()), "text": "/start", "from": person,
        "chat": {"id": chat, "type": "private", "first_name": "Jane"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }  # fmt: skip
    return {"update_id": update_id, "message": message}


async def _replies(botapi: BotApi, chat: int) -> list[dict[str, Any]]:
    await asyncio.sleep(0.3)  # let the bot's workers finish what they were given
    return [v for m, v in botapi.calls if m == "sendMessage" and str(v.get("chat_id")) == str(chat)]


async def test_serve_registers_the_webhook_with_its_secret(
    http: httpx.AsyncClient, botapi: BotApi
) -> None:
    calls = [v for m, v in botapi.calls if m == "setWebhook"]
    assert len(calls) == 1
    assert calls[0]["url"] == "https://clinic.example/telegram/webhook"
    assert calls[0]["secret_token"] == SECRET


async def test_an_update_reaches_the_dialog_once(http: httpx.AsyncClient, botapi: BotApi) -> None:
    first = await http.post("/telegram/webhook", json=_start(7001), headers={HEADER: SECRET})
    assert first.status_code == 200
    await botapi.until(lambda: bool([m for m, _ in botapi.calls if m == "sendMessage"]))
    again = await http.post("/telegram/webhook", json=_start(7001), headers={HEADER: SECRET})
    assert again.status_code == 200
    replies = await _replies(botapi, 501)
    assert len(replies) == 1 and "What would you like to book?" in replies[0]["text"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_403(
    http: httpx.AsyncClient, botapi: BotApi, secret: str | None
) -> None:
    headers = {HEADER: secret} if secret is not None else {}
    response = await http.post("/telegram/webhook", json=_start(7002, 502), headers=headers)
    assert response.status_code == 403
    assert await _replies(botapi, 502) == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b"{}",
        b'{"update_id": "x"}',
        b'{"update_id": 5, "message": {"chat": 3}}',
        b'{"update_id": 6, "message": {"message_id": "a", "date": null}}',
        '{"update_id": 8, "text": "\u0000"}'.encode(),
    ],
)
async def test_bad_updates_are_logged_and_answered_200(
    http: httpx.AsyncClient, body: bytes
) -> None:
    response = await http.post(
        "/telegram/webhook",
        content=body,
        headers={HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 200


def _broken(update_id: int, chat: int) -> list[dict[str, Any]]:
    """Updates for ``chat`` that lack, or mistype, what the bot uses."""
    start = _start(update_id, chat)
    person, message = start["message"]["from"], start["message"]
    shown = {"message_id": 9, "date": 1, "chat": message["chat"], "text": "Pick"}
    query = {"id": "q", "from": person, "chat_instance": "c", "message": shown, "data": "x"}
    return [
        {**start, "message": {k: v for k, v in message.items() if k != "from"}},
        {**start, "message": {**message, "from": {**person, "id": str(chat)}}},
        {**start, "message": {**message, "from": {"id": chat}}},
        {**start, "message": {**message, "chat": {"id": 2**64, "type": "private"}}},
        {**start, "message": {**message, "chat": {"id": chat, "type": None}}},
        {**start, "message": {**message, "text": 12345}},
        {**start, "message": {**message, "contact": {"first_name": "Jane"}}},
        {**start, "message": {**message, "contact": {"phone_number": 1, "first_name": "J"}}},
        {"update_id": update_id, "callback_query": {**query, "from": None}},
        {"update_id": update_id, "callback_query": {k: v for k, v in query.items() if k != "id"}},
        {"update_id": update_id, "callback_query": {**query, "data": {"x": 1}}},
        {"update_id": update_id, "callback_query": {**query, "message": {**shown, "chat": 5}}},
        {"update_id": update_id, "callback_query": {**query, "message": [shown]}},
        {"update_id": update_id, "callback_query": "press"},
    ]


async def test_an_update_without_what_the_bot_uses_is_ignored_and_loses_nothing(
    http: httpx.AsyncClient, botapi: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Each is logged and answered 200 (never a retry from Telegram, never an apology for
    our own failure) and takes nothing from the chat: its next update is answered."""
    broken = _broken(7100, 503)
    for update in broken:
        response = await http.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
        assert response.status_code == 200 and response.json() == {"ok": True}
    assert caplog.text.count("unreadable Telegram update ignored") == len(broken)
    assert botapi.calls[-1][0] == "setWebhook"  # no call made for any of them
    response = await http.post(
        "/telegram/webhook", json=_start(7100, 503), headers={HEADER: SECRET}
    )
    assert response.status_code == 200
    replies = await _replies(botapi, 503)
    assert len(replies) == 1 and "What would you like to book?" in replies[0]["text"]


async def test_a_group_message_is_not_answered(
    http: httpx.AsyncClient, botapi: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="slotbot.bot")
    group = _start(7200, 504)
    group["message"]["chat"] = {"id": -100504, "type": "group", "title": "Friends"}
    response = await http.post("/telegram/webhook", json=group, headers={HEADER: SECRET})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert "update 7200 ignored: message" in caplog.text
    assert await _replies(botapi, -100504) == [] and await _replies(botapi, 504) == []


async def test_an_oversized_update_is_413(http: httpx.AsyncClient) -> None:
    update = _start(7003)
    update["message"]["text"] = "x" * (1024 * 1024 + 1)
    response = await http.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
    assert response.status_code == 413


async def test_without_a_bot_the_webhook_is_404(engine: AsyncEngine, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, environment="test"), jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/telegram/webhook", json=_start(1), headers={HEADER: ""})
    assert response.status_code == 404


async def test_a_press_is_answered_in_the_webhooks_answer(
    http: httpx.AsyncClient, botapi: BotApi
) -> None:
    """The answer to a press rides on the webhook's answer (one request fewer); a message is
    never answered that way (it would reach the chat after the turn's other messages)."""
    botapi.person(601, first_name="Jane")
    started = await http.post(
        "/telegram/webhook", json=botapi.text_update(601, "/start"), headers={HEADER: SECRET}
    )
    assert started.json() == {"ok": True}
    menu = botapi.screen(601)  # handled before the answer came
    press = botapi.press_update(601, menu.message_id, menu.buttons()[0][1])
    answer = (await http.post("/telegram/webhook", json=press, headers={HEADER: SECRET})).json()
    query = press["callback_query"]["id"]
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": query}
    assert botapi.sent("answerCallbackQuery") == []
    assert [m for m, _ in botapi.calls[-1:]] == ["editMessageText"]
    await botapi.webhook_answer(answer)  # as Telegram does; the stand-in checks it
    assert botapi.sent("answerCallbackQuery") == [{"callback_query_id": query}]

    forged = botapi.press_update(601, menu.message_id, "forged!")
    answer = (await http.post("/telegram/webhook", json=forged, headers={HEADER: SECRET})).json()
    assert answer["method"] == "answerCallbackQuery" and answer["text"]  # says why, in a toast
    await botapi.webhook_answer(answer)
