"""The stand-in itself: it refuses what Telegram refuses, the way Telegram does."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.bot.botapi import TOKEN, BotApi
from tests.bot.botapi_schema import check_call

BUTTON = {"text": "A", "callback_data": "a"}


@pytest.mark.parametrize(
    ("method", "params", "problem"),
    [
        ("sendMesage", {}, "unknown method"),
        ("sendMessage", {"chat_id": 1}, "'text' missing"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "colour": "red"}, "unknown parameter"),
        ("sendMessage", {"chat_id": 1.5, "text": "hi"}, "expected"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "1-4096"),
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "1-4096"),
        ("sendMessage", {"chat_id": 1, "text": "<b></b>", "parse_mode": "HTML"}, "1-4096"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [[
            {"text": "A", "callback_data": "x" * 65}]]}}, "1-64 allowed"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [[
            {"text": "A"}]]}}, "exactly one action field"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [
            [BUTTON] * 101]}}, "at most 100"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": {"keyboard": [[
            {"text": "Phone", "request_contact": "yes"}]]}}, "request_contact"),
        ("setMyCommands", {"commands": [{"command": "Start", "description": "x"}]}, "command"),
        ("sendDocument", {"chat_id": 1, "document": {"file": 1}}, "document"),
    ],
)  # fmt: skip
def test_invalid_calls_are_named(method: str, params: dict[str, object], problem: str) -> None:
    problems = check_call(method, params, form=False)
    assert problems and problem in "; ".join(problems), problems


def test_valid_calls_pass_as_json_and_as_forms() -> None:
    markup = {"inline_keyboard": [[BUTTON, {"text": "Map", "url": "https://example.org"}]]}
    assert check_call("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup},
                      form=False) == []  # fmt: skip
    form = {"chat_id": "1", "text": "42", "reply_markup": json.dumps(markup)}
    assert check_call("sendMessage", form, form=True) == []
    assert check_call("sendMessage", {"chat_id": "@channel", "text": "hi"}, form=False) == []


async def test_a_violation_is_recorded_and_answered_with_400(botapi: BotApi) -> None:
    async with httpx.AsyncClient(base_url=f"{botapi.url}{TOKEN}/") as client:
        bad = await client.post("sendMessage", data={"chat_id": "1"})
        good = await client.post("sendMessage", json={"chat_id": 7, "text": "hi"})
        fetched = await client.post("getUpdates", data={"timeout": "0"})
    assert bad.status_code == 400 and bad.json()["description"].startswith("Bad Request:")
    assert good.json()["result"]["text"] == "hi" and fetched.json() == {"ok": True, "result": []}
    assert len(botapi.violations) == 1
    botapi.violations.clear()
