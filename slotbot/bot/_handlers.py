"""The handlers: each turns one kind of update into a dialog event and shows the reply.

Updates come as our own values (``_incoming``) to :meth:`ChatHandlers.handle`, by webhook
(``_webhook``) or by long polling, where python-telegram-bot's ``Application`` has one
handler that reads its ``Update`` back into such a value: one way through the handlers
whichever way an update came.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from slotbot.bot._calls import answer_in_reply, call, deliver, log
from slotbot.bot._events import contact_event, text_event, visitor
from slotbot.bot._incoming import (
    ButtonPress,
    ChatMessage,
    Ignored,
    Incoming,
    Sender,
    Unreadable,
    read_update,
)
from slotbot.bot._show import Presenter
from slotbot.dialogs.events import Event, Press, Text
from slotbot.dialogs.screens import Conversation, Reply

__all__ = ["AnyApplication", "ChatHandlers", "Conversation"]

#: The Application whatever its context types (ours uses the defaults).
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
#: Said when something failed on our side (the dialog's own texts are not reachable then).
SORRY = {
    "en": "Sorry, something went wrong on our side. Please try again or send /start.",
    "ru": "Извините, у нас что-то пошло не так. Попробуйте ещё раз или отправьте /start.",
}


class ChatHandlers:
    """Clients' private chats with the bot, over one :class:`Conversation`.

    :meth:`handle` takes at most ``dialogs.turns_at_once`` updates at once (a turn holds
    one pooled database connection; the others wait their turn), and one update of a chat
    at a time, so its messages keep their order.
    """

    def __init__(self, dialogs: Conversation, presenter: Presenter) -> None:
        self.dialogs = dialogs
        self.presenter = presenter
        self.turns_at_once = dialogs.turns_at_once
        self._turns = asyncio.Semaphore(self.turns_at_once)
        self._locks: dict[int, asyncio.Lock] = {}

    def install(self, application: AnyApplication) -> None:
        """Take the updates ``application`` gets by long polling."""
        application.add_handler(TypeHandler(Update, self._polled))

    async def _polled(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """An update from long polling, read back from python-telegram-bot's object (as
        JSON: its ``to_dict`` keeps enums, which are no JSON strings)."""
        try:
            incoming = read_update(json.loads(update.to_json()))
        except Unreadable as error:
            log.warning("unreadable Telegram update ignored: %s", error)
            return
        await self.handle(incoming)

    async def handle(self, update: Incoming) -> None:
        """Answer ``update``; a failure is logged and apologised for in the chat, never
        raised."""
        async with self._turns:
            try:
                match update:
                    case ButtonPress():
                        await self.on_press(update)
                    case ChatMessage(contact=contact) if contact is not None:
                        await self.on_contact(update)
                    case ChatMessage(text=text) if text:
                        await self.on_text(update)
                    case ChatMessage():
                        await self.on_other_message(update)
                    case Ignored():
                        self.on_ignored(update)
            except Exception as error:  # whatever failed: logged, apologised for
                await self.on_error(update, error)

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        """One update of a chat at a time, so its messages keep their order."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(chat_id) is lock:
                del self._locks[chat_id]

    async def _respond(self, message: ChatMessage, event: Event) -> None:
        async with self._turn(message.chat_id):
            reply = await self.dialogs.respond(visitor(message.sender, message.chat_id), event)
            await self.presenter.show(message.chat_id, reply)

    async def on_text(self, message: ChatMessage) -> None:
        """Typed text or one of our commands."""
        await self._respond(message, text_event(message.text))

    async def on_contact(self, message: ChatMessage) -> None:
        """A shared contact (the "share my phone" button or any contact card)."""
        assert message.contact is not None
        self.presenter.keyboard_used(message.chat_id)
        await self._respond(message, contact_event(message.contact, message.sender))

    async def on_other_message(self, message: ChatMessage) -> None:
        """A sticker, photo, voice...: answered as empty text (a hint and the screen again)."""
        log.info(
            "chat %s: a message without text or contact, answered as empty text", message.chat_id
        )
        await self._respond(message, Text(""))

    async def on_press(self, press: ButtonPress) -> None:
        """A button press: answer the query at once, then edit the pressed message."""
        if not press.data or press.data == "-":
            await self._answer(press, None)
            return
        async with self._turn(press.chat_id):
            reply: Reply = await self.dialogs.respond(
                visitor(press.sender, press.chat_id), Press(press.data)
            )
            await self._answer(press, reply.notice[:200] or None)
            await self.presenter.show(press.chat_id, reply, press.pressed)

    def on_ignored(self, update: Ignored) -> None:
        """Anything else (edits, group messages, update kinds we do not use): logged only."""
        log.info("update %s ignored: %s", update.update_id, update.what)

    async def on_error(self, update: Incoming, error: Exception) -> None:
        """Log an unexpected failure and apologise in the chat, if there is one."""
        log.error("update %s failed", update.update_id, exc_info=error)
        if isinstance(update, Ignored):
            return
        language = _language(update.sender)
        with contextlib.suppress(Exception):
            if isinstance(update, ButtonPress):
                await self._answer(update, None)
            chat_id = update.chat_id
            await deliver(
                lambda: call(
                    self.presenter.bot, "sendMessage", chat_id=chat_id, text=SORRY[language]
                ),
                what=f"apology to {chat_id}",
            )

    async def _answer(self, press: ButtonPress, notice: str | None) -> None:
        """Answer the press (the button stops spinning; a notice shows as a toast): in the
        webhook's answer when the update came by webhook, else by request."""
        query_id = press.query_id
        parameters = {"callback_query_id": query_id} | ({"text": notice} if notice else {})
        if not answer_in_reply("answerCallbackQuery", **parameters):
            bot = self.presenter.bot
            await deliver(
                lambda: call(bot, "answerCallbackQuery", **parameters), what=f"answer {query_id}"
            )


def _language(sender: Sender) -> str:
    """The apology's language: the sender's, if we have it in that language."""
    language = sender.language_code[:2]
    return language if language in SORRY else "en"
