"""A Bot API stand-in for tests: real HTTP on loopback, every request checked against the spec.

Tests push updates (:meth:`BotApi.send_text`, :meth:`BotApi.press`, ...) into the queue
that ``getUpdates`` long-polls; the stand-in keeps each chat's messages and edits, checks
every call with :mod:`tests.bot.botapi_schema` (violations are recorded and answered with a
400, as Telegram would) and can be told to fail the next call of a method.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.bot.botapi_chat import BOT, Person, Sent
from tests.bot.botapi_http import HttpFront
from tests.bot.botapi_schema import UPLOADED, check_call

TOKEN = "123456:TEST-token"
FAILURES = {
    "retry_after": (429, "Too Many Requests: retry after 1", {"retry_after": 1}),
    "not_modified": (400, "Bad Request: message is not modified: specified new message "
                     "content and reply markup are exactly the same", None),
    "blocked": (403, "Forbidden: bot was blocked by the user", None),
}  # fmt: skip
_SCREEN_CALLS = {"sendMessage", "editMessageText", "sendDocument", "answerCallbackQuery"}


@dataclass
class BotApi:
    """The stand-in's state; ``await start()`` serves it, ``url`` is PTB's base_url."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    messages: dict[int, list[Sent]] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    keyboards: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._front = HttpFront(self._dispatch)
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._pending: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._failures: dict[str, list[str]] = {}
        self._handled: dict[int, asyncio.Future[None]] = {}
        self._waiting: dict[int, float] = {}  # chat -> when its update was queued
        self._queries: dict[str, int] = {}  # callback_query_id -> chat
        self._change = asyncio.Condition()
        self._chat_changes: dict[int, asyncio.Condition] = {}

    url = property(lambda self: self._front.url)

    async def start(self) -> None:
        await self._front.start()

    async def stop(self) -> None:
        await self._front.stop()

    # --- what tests do -------------------------------------------------------------------

    def person(self, chat: int, **details: Any) -> Person:
        """The user behind a private chat (created on first use)."""
        found = self.people.setdefault(chat, Person(chat))
        for key, value in details.items():
            setattr(found, key, value)
        return found

    def push(self, update: dict[str, Any], *, chat: int | None = None) -> int:
        """Queue an update for getUpdates (numbered here unless it has its ``update_id``);
        returns its update_id."""
        if "update_id" not in update:
            update = {"update_id": next(self._ids), **update}
        update_id = int(update["update_id"])
        self._pending.append(update)
        self._handled[update_id] = asyncio.get_running_loop().create_future()
        if chat is not None:
            self.expect_reply(chat)
        self._arrived.set()
        return update_id

    def expect_reply(self, chat: int) -> None:
        """An update of ``chat`` goes to the bot now: the latency runs until its reply."""
        self._waiting[chat] = time.perf_counter()

    def mark_handled(self, update_id: int) -> None:
        """Called by the test's tracking handler when the bot finished an update."""
        future = self._handled.get(update_id)
        if future is not None and not future.done():
            future.set_result(None)

    async def handled(self, update_id: int) -> None:
        """Wait until the bot has finished ``update_id`` (at most 15 s)."""
        async with asyncio.timeout(15):
            await asyncio.shield(self._handled[update_id])

    def _message(self, chat: int, **body: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": self.person(chat).first_name},
                "from": self.person(chat).as_json(), **body}  # fmt: skip

    def text_update(self, chat: int, text: str) -> dict[str, Any]:
        """An update in which the user types ``text`` (commands with their entity)."""
        body: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._update({"message": self._message(chat, **body)})

    def contact_update(self, chat: int, phone: str, *, own: bool = True) -> dict[str, Any]:
        """An update in which the user shares a contact (their own, or someone else's)."""
        contact = {"phone_number": phone, "first_name": self.person(chat).first_name}
        if own:
            contact["user_id"] = chat
        return self._update({"message": self._message(chat, contact=contact)})

    def press_update(self, chat: int, message_id: int, data: str) -> dict[str, Any]:
        """An update in which the user presses a button with ``data`` under ``message_id``."""
        shown = next(m for m in self.messages.get(chat, []) if m.message_id == message_id)
        query_id = f"q{next(self._ids)}"
        self._queries[query_id] = chat
        query = {"id": query_id, "from": self.person(chat).as_json(), "chat_instance": str(chat),
                 "message": shown.as_json(), "data": data}  # fmt: skip
        return self._update({"callback_query": query})

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._ids), **body}

    async def send_text(self, chat: int, text: str, *, wait: bool = True) -> int:
        """The user types ``text`` (commands included, with their entity)."""
        return await self._deliver(chat, self.text_update(chat, text), wait)

    async def send_contact(
        self, chat: int, phone: str, *, own: bool = True, wait: bool = True
    ) -> int:
        """The user shares a contact (their own, or someone else's)."""
        return await self._deliver(chat, self.contact_update(chat, phone, own=own), wait)

    async def press(self, chat: int, message_id: int, data: str, *, wait: bool = True) -> int:
        """The user presses an inline button with ``data`` under message ``message_id``."""
        return await self._deliver(chat, self.press_update(chat, message_id, data), wait)

    async def _deliver(self, chat: int, update: dict[str, Any], wait: bool) -> int:
        update_id = self.push(update, chat=chat)
        if wait:
            await self.handled(update_id)
        return update_id

    async def webhook_answer(self, body: dict[str, Any]) -> None:
        """What Telegram does with the answer to a webhook request: makes the Bot API call
        it carries, if any (checked against the spec like any other)."""
        if "method" in body:
            parameters = {k: v for k, v in body.items() if k != "method"}
            await self._dispatch(body["method"], TOKEN, parameters, False)

    async def until(self, check: Callable[[], bool], *, chat: int | None = None) -> None:
        """Wait (at most 15 s) until ``check()`` holds; checked after every call the bot
        makes, or with ``chat`` after every call about that chat (where many chats wait at
        once, as in a benchmark, each call then wakes one of them, not all)."""
        change = self._change
        if chat is not None:
            change = self._chat_changes.setdefault(chat, asyncio.Condition())
        async with asyncio.timeout(15), change:
            await change.wait_for(check)

    def fail_next(self, method: str, failure: str) -> None:
        """Answer the next call of ``method`` with one of FAILURES."""
        self._failures.setdefault(method, []).append(failure)

    def chat(self, chat: int) -> list[Sent]:
        """The messages the chat shows now (deleted ones left out)."""
        return [m for m in self.messages.get(chat, []) if not m.deleted]

    def last(self, chat: int) -> Sent:
        return self.chat(chat)[-1]

    def screen(self, chat: int) -> Sent:
        """The newest message of the chat that has buttons."""
        return [m for m in self.chat(chat) if m.buttons()][-1]

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # --- what the bot calls ---------------------------------------------------------------

    async def _dispatch(
        self, method: str, token: str, params: dict[str, Any], form: bool
    ) -> tuple[int, dict[str, Any]]:
        files = params.pop("__files__", {})
        self.calls.append((method, params))
        if token != TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        problems = check_call(method, params, form=form)
        if problems:
            self.violations += problems
            return _error(400, "Bad Request: " + "; ".join(problems))
        values = {k: _decode(v) if form else v for k, v in params.items()}
        self._note_reply(method, values)
        if self._failures.get(method):
            status, description, extra = FAILURES[self._failures[method].pop(0)]
            return _error(status, description, extra)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _ok(True)
        values["__files__"] = files
        result = await handler(values)
        async with self._change:
            self._change.notify_all()
        chat = self._chat_of(values)
        change = self._chat_changes.get(chat) if chat is not None else None
        if change is not None:
            async with change:
                change.notify_all()
        return result if isinstance(result, tuple) else _ok(result)

    def _chat_of(self, values: dict[str, Any]) -> int | None:
        """The chat a call is about (its ``chat_id``, or the chat of the query it answers)."""
        chat = values.get("chat_id", self._queries.get(str(values.get("callback_query_id"))))
        try:
            return int(chat) if chat is not None else None
        except (TypeError, ValueError):
            return None

    def _note_reply(self, method: str, values: dict[str, Any]) -> None:
        if method not in _SCREEN_CALLS:
            return
        chat = self._chat_of(values)
        started = self._waiting.pop(chat, None) if chat is not None else None
        if started is not None:
            self.latencies.append(time.perf_counter() - started)

    async def _api_getMe(self, _: dict[str, Any]) -> Any:
        return BOT

    async def _api_setMyCommands(self, values: dict[str, Any]) -> Any:
        self.commands[values.get("language_code", "")] = values["commands"]
        return True

    async def _api_getUpdates(self, values: dict[str, Any]) -> Any:
        offset = int(values.get("offset") or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and int(values.get("timeout") or 0) > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), int(values["timeout"]))
        return self._pending[: int(values.get("limit") or 100)]

    async def _api_sendMessage(self, values: dict[str, Any]) -> Any:
        chat = int(values["chat_id"])
        markup = values.get("reply_markup")
        if markup and ("keyboard" in markup or "remove_keyboard" in markup):
            self.keyboards[chat] = markup if "keyboard" in markup else None
        sent = Sent(chat, next(self._message_ids), values["text"], markup)
        self.messages.setdefault(chat, []).append(sent)
        return sent.as_json()

    async def _api_sendDocument(self, values: dict[str, Any]) -> Any:
        chat = int(values["chat_id"])
        upload = values["__files__"]["document"]
        sent = Sent(chat, next(self._message_ids), values.get("caption", ""),
                    document=upload.filename, upload=upload.data)  # fmt: skip
        self.messages.setdefault(chat, []).append(sent)
        return sent.as_json()

    def _find(self, values: dict[str, Any]) -> Sent | None:
        chat, message_id = int(values["chat_id"]), int(values["message_id"])
        found = [m for m in self.messages.get(chat, []) if m.message_id == message_id]
        return found[0] if found and not found[0].deleted else None

    async def _api_editMessageText(self, values: dict[str, Any]) -> Any:
        return self._edit(values, values["text"])

    async def _api_editMessageReplyMarkup(self, values: dict[str, Any]) -> Any:
        return self._edit(values, None)

    def _edit(self, values: dict[str, Any], text: str | None) -> Any:
        shown = self._find(values)
        if shown is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = values.get("reply_markup")
        if (text is None or text == shown.text) and markup == shown.reply_markup:
            return _error(400, FAILURES["not_modified"][1])
        shown.text = shown.text if text is None else text
        shown.reply_markup, shown.edits = markup, shown.edits + 1
        return shown.as_json()

    async def _api_deleteMessage(self, values: dict[str, Any]) -> Any:
        shown = self._find(values)
        if shown is None:
            return _error(400, "Bad Request: message to delete not found")
        shown.deleted = True
        return True


def _decode(value: Any) -> Any:
    if value is UPLOADED or not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list) else value


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _error(
    status: int, description: str, parameters: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body
