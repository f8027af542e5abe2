"""The handlers: each turns one kind of update into a dialog event and shows the reply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from slotbot.bot._calls import answer_in_reply, deliver, log
from slotbot.bot._events import contact_event, text_event, visitor
from slotbot.bot._show import Presenter
from slotbot.dialogs.events import Event, Press, Text
from slotbot.dialogs.screens import Conversation, Reply

__all__ = ["AnyApplication", "ChatHandlers", "Conversation"]

Context = ContextTypes.DEFAULT_TYPE
#: The Application whatever its context types (ours uses the defaults).
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
#: Said when something failed on our side (the dialog's own texts are not reachable then).
SORRY = {
    "en": "Sorry, something went wrong on our side. Please try again or send /start.",
    "ru": "Извините, у нас что-то пошло не так. Попробуйте ещё раз или отправьте /start.",
}
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


class ChatHandlers:
    """Clients' private chats with the bot, over one :class:`Dialogs`."""

    def __init__(self, dialogs: Conversation, presenter: Presenter) -> None:
        self.dialogs = dialogs
        self.presenter = presenter
        self._locks: dict[int, asyncio.Lock] = {}

    def install(self, application: AnyApplication) -> None:
        """Register the handlers and the error handler."""
        application.add_handlers(
            [
                CallbackQueryHandler(self.on_press),
                MessageHandler(PRIVATE & filters.CONTACT, self.on_contact),
                MessageHandler(PRIVATE & filters.TEXT, self.on_text),
                MessageHandler(PRIVATE, self.on_other_message),
                TypeHandler(Update, self.on_ignored),
            ]
        )
        application.add_error_handler(self.on_error)

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

    async def _respond(self, message: Message, event: Event) -> None:
        assert message.from_user is not None
        async with self._turn(message.chat_id):
            reply = await self.dialogs.respond(visitor(message.from_user, message.chat_id), event)
            await self.presenter.show(message.chat_id, reply)

    async def on_text(self, update: Update, _: Context) -> None:
        """Typed text or one of our commands."""
        message = update.effective_message
        assert message is not None and message.text is not None
        await self._respond(message, text_event(message.text))

    async def on_contact(self, update: Update, _: Context) -> None:
        """A shared contact (the "share my phone" button or any contact card)."""
        message = update.effective_message
        assert message is not None and message.contact is not None
        self.presenter.keyboard_used(message.chat_id)
        await self._respond(message, contact_event(message.contact, message.from_user))

    async def on_other_message(self, update: Update, _: Context) -> None:
        """A sticker, photo, voice...: answered as empty text (a hint and the screen again)."""
        message = update.effective_message
        assert message is not None
        log.info(
            "chat %s: a message without text or contact, answered as empty text", message.chat_id
        )
        await self._respond(message, Text(""))

    async def on_press(self, update: Update, _: Context) -> None:
        """A button press: answer the query at once, then edit the pressed message."""
        query = update.callback_query
        assert query is not None
        pressed = query.message if isinstance(query.message, Message) else None
        chat_id = pressed.chat_id if pressed is not None else query.from_user.id
        if not query.data or query.data == "-":
            await _answer(query, None)
            return
        async with self._turn(chat_id):
            reply: Reply = await self.dialogs.respond(
                visitor(query.from_user, chat_id), Press(query.data)
            )
            await _answer(query, reply.notice[:200] or None)
            await self.presenter.show(chat_id, reply, pressed)

    async def on_ignored(self, update: Update, _: Context) -> None:
        """Anything else (edits, group messages, update kinds we do not use): logged only."""
        log.info("update %s ignored: %s", update.update_id, _kind(update))

    async def on_error(self, update: object, context: Context) -> None:
        """Log an unexpected failure and apologise in the chat, if there is one."""
        log.error("update %s failed", getattr(update, "update_id", update), exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        user = update.effective_user
        language = (user.language_code or "en")[:2] if user is not None else "en"
        with contextlib.suppress(Exception):
            if update.callback_query is not None:
                await deliver(update.callback_query.answer, what="answer after error")
            chat_id = update.effective_chat.id
            await deliver(
                lambda: context.bot.send_message(chat_id, SORRY.get(language, SORRY["en"])),
                what=f"apology to {chat_id}",
            )


async def _answer(query: CallbackQuery, notice: str | None) -> None:
    """Answer the press (the button stops spinning; a notice shows as a toast): in the
    webhook's answer when the update came by webhook, else by request."""
    parameters = {"text": notice} if notice else {}
    if not answer_in_reply("answerCallbackQuery", callback_query_id=query.id, **parameters):
        await deliver(lambda: query.answer(notice), what=f"answer {query.id}")


def _kind(update: Update) -> str:
    known = [k for k, v in update.to_dict().items() if k != "update_id" and v]
    return ", ".join(known) or "no known content"
