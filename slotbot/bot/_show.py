"""Putting a dialog reply into a chat: edit the pressed message, send the rest."""

from __future__ import annotations

from typing import Any

from telegram import Bot, InputFile
from telegram.error import BadRequest

from slotbot.bot._calls import call, deliver, log
from slotbot.bot._incoming import Pressed
from slotbot.bot._render import (
    Markup,
    contact_keyboard,
    inline_keyboard,
    message_text,
    offers_contact,
)
from slotbot.dialogs.screens import Attachment, Reply, Screen

__all__ = ["Presenter"]

#: The text of the short-lived message that takes the contact keyboard away.
KEYBOARD_GONE = "✓"


class Presenter:
    """Shows replies in chats; remembers (as a droppable cache) where a contact keyboard is up."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._keyboards: set[int] = set()

    def keyboard_used(self, chat_id: int) -> None:
        """The user sent something with the contact keyboard, so it is up in their chat,
        whichever process put it there: the next reply that does not ask for a phone takes
        it away."""
        self._keyboards.add(chat_id)

    async def show(self, chat_id: int, reply: Reply, pressed: Pressed | None = None) -> None:
        """Edit ``pressed`` with the first screen (if any) and send the others as new messages."""
        if not reply.screens:
            return
        if chat_id in self._keyboards and not any(map(offers_contact, reply.screens)):
            await self._remove_keyboard(chat_id)
        first, *rest = reply.screens
        if pressed is None or not await self._edit(pressed, first):
            await self._send(chat_id, first)
        for screen in rest:
            await self._send(chat_id, screen)

    async def _edit(self, pressed: Pressed, screen: Screen) -> bool:
        """Edit the pressed message in place; False when it cannot be edited."""
        if not pressed.has_text:
            return False
        try:
            await deliver(
                lambda: call(
                    self.bot,
                    "editMessageText",
                    chat_id=pressed.chat_id,
                    message_id=pressed.message_id,
                    text=message_text(screen),
                    reply_markup=inline_keyboard(screen),
                ),
                what=f"edit {pressed.chat_id}/{pressed.message_id}",
            )
        except BadRequest as error:
            log.info(
                "edit %s/%s: %s; sending anew", pressed.chat_id, pressed.message_id, error.message
            )
            return False
        await self._extras(pressed.chat_id, screen)
        return True

    async def _send(self, chat_id: int, screen: Screen) -> None:
        if offers_contact(screen) and not screen.buttons:
            await self._contact_prompt(chat_id, message_text(screen), screen)
        else:
            text, markup = message_text(screen), inline_keyboard(screen)
            await self._message(chat_id, text, markup, what=f"send to {chat_id}")
            if offers_contact(screen):
                await self._contact_prompt(chat_id, screen.share_contact_label, screen)
        await self._attachments(chat_id, screen)

    async def _message(
        self, chat_id: int, text: str, markup: Markup | None, *, what: str
    ) -> dict[str, Any] | None:
        """Send a message (:func:`deliver`'s retries); the sent message, None when skipped."""
        sent: dict[str, Any] | None = await deliver(
            lambda: call(self.bot, "sendMessage", chat_id=chat_id, text=text, reply_markup=markup),
            what=what,
        )
        return sent

    async def _extras(self, chat_id: int, screen: Screen) -> None:
        if offers_contact(screen):
            await self._contact_prompt(chat_id, screen.share_contact_label, screen)
        await self._attachments(chat_id, screen)

    async def _contact_prompt(self, chat_id: int, text: str, screen: Screen) -> None:
        markup = contact_keyboard(screen)
        sent = await self._message(chat_id, text, markup, what=f"contact keyboard to {chat_id}")
        if sent is not None:
            self._keyboards.add(chat_id)

    async def _attachments(self, chat_id: int, screen: Screen) -> None:
        for item in screen.attachments:
            await self._document(chat_id, item)

    async def _document(self, chat_id: int, item: Attachment) -> None:
        document = InputFile(item.data, filename=item.filename)
        await deliver(
            lambda: self.bot.send_document(chat_id, document),
            what=f"document {item.filename} to {chat_id}",
        )

    async def _remove_keyboard(self, chat_id: int) -> None:
        """Take the contact keyboard away (a message that removes it, deleted at once)."""
        self._keyboards.discard(chat_id)
        gone = await self._message(
            chat_id, KEYBOARD_GONE, {"remove_keyboard": True}, what=f"remove keyboard in {chat_id}"
        )
        if gone is not None:
            message_id = gone["message_id"]
            try:
                await deliver(
                    lambda: call(self.bot, "deleteMessage", chat_id=chat_id, message_id=message_id),
                    what=f"delete {chat_id}/{message_id}",
                )
            except BadRequest as error:
                log.info("delete %s/%s: %s", chat_id, message_id, error.message)
