"""The Bot API transport (aiohttp) keeps python-telegram-bot's contract: its errors, its
timeouts, files as multipart; the stand-in checks every request against the spec."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from slotbot.bot._calls import call
from slotbot.bot._transport import AiohttpRequest
from tests.bot.botapi import TOKEN, BotApi


@pytest.fixture
async def bot(botapi: BotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=botapi.url, request=AiohttpRequest()) as bot:
        yield bot


async def test_a_message_and_a_file_reach_the_bot_api(bot: Bot, botapi: BotApi) -> None:
    await bot.send_message(5, "Hello, «world» & ünïcode")
    await bot.send_document(5, InputFile(b"BEGIN:VCALENDAR", filename="visit.ics"))
    text, document = botapi.chat(5)
    assert text.text == "Hello, «world» & ünïcode"
    assert (document.document, document.upload) == ("visit.ics", b"BEGIN:VCALENDAR")


async def test_a_call_goes_as_one_json_body_and_comes_back_unparsed(
    bot: Bot, botapi: BotApi
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "10:00 «ok»", "callback_data": "v1|t|1"}]]}
    sent = await call(bot, "sendMessage", chat_id=5, text="Pick a time", reply_markup=keyboard)
    assert isinstance(sent, dict) and sent["chat"]["id"] == 5
    # a JSON object as it was sent, not a form field holding JSON text
    assert botapi.sent("sendMessage")[-1]["reply_markup"] == keyboard
    assert botapi.violations == []
    edited = await call(
        bot, "editMessageText", chat_id=5, message_id=sent["message_id"], text="Booked"
    )
    assert edited["text"] == "Booked" and botapi.last(5).text == "Booked"


async def test_telegram_refusals_are_python_telegram_bots_errors(bot: Bot, botapi: BotApi) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=5, message_id=999)


async def test_a_server_that_does_not_answer_is_a_timeout() -> None:
    done = asyncio.Event()
    handled: list[asyncio.Task[None]] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handled.append(asyncio.current_task())  # type: ignore[arg-type]
        await reader.read(1)  # reads the request's start, never answers
        await done.wait()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        request = AiohttpRequest(read=0.2)
        await request.initialize()
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(TimedOut):
            await bot.send_message(5, "anyone there?")
        await request.shutdown()
    finally:
        done.set()
        await asyncio.gather(*handled, return_exceptions=True)
        server.close()
        await server.wait_closed()


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(5, "hello")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/bot/getMe", "POST")
