"""Telegram as a notification channel: the outbox's messages sent by the same bot as the
dialog, within Telegram's limits (about 30 messages a second overall, one a second per chat).

Flood control (429) becomes a retry after ``retry_after``; a chat that blocked the bot (403)
is :class:`Unreachable`, so the dispatcher marks it and sends by SMS or e-mail instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from slotbot.bot._calls import call, retry_seconds
from slotbot.bot._render import MAX_TEXT, Markup, inline_rows
from slotbot.core.notify.message import Delivery, Message, SendFailed, Unreachable
from slotbot.core.storage.models import NotificationChannel
from slotbot.dialogs.screens import Button

__all__ = ["SendPace", "TelegramSender"]

#: Just below Telegram's ~30 messages a second overall.
MESSAGES_PER_SECOND = 28.0
PER_CHAT_SECONDS = 1.0


class SendPace:
    """Spaces sends out: at most ``per_second`` overall and one per ``per_chat`` seconds
    to any chat. Each send books the earliest moment both allow, then waits for it."""

    def __init__(
        self,
        *,
        per_second: float = MESSAGES_PER_SECOND,
        per_chat: float = PER_CHAT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gap = 1 / per_second
        self.per_chat = per_chat
        self.clock = clock
        self._next = 0.0
        self._next_in_chat: dict[str, float] = {}

    def book(self, chat: str) -> float:
        """The moment (on ``clock``) this chat's next send may go; booked at once."""
        now = self.clock()
        at = max(now, self._next, self._next_in_chat.get(chat, 0.0))
        self._next = at + self.gap
        self._next_in_chat[chat] = at + self.per_chat
        if len(self._next_in_chat) > 10_000:  # forget chats whose turn has long passed
            self._next_in_chat = {c: t for c, t in self._next_in_chat.items() if t > now}
        return at

    async def wait(self, chat: str) -> None:
        delay = self.book(chat) - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)


def _keyboard(message: Message) -> Markup | None:
    rows = (
        tuple(
            Button(b.label, action=b.action or "", url=b.url or "")
            for b in row
            if b.url or b.action
        )
        for row in message.buttons
    )
    return inline_rows(rows, what=f"message {message.id}")


class TelegramSender:
    """Sends outbox messages to Telegram chats with ``bot``."""

    channel = NotificationChannel.TELEGRAM

    def __init__(self, bot: Bot, *, pace: SendPace | None = None) -> None:
        self.bot = bot
        self.pace = pace or SendPace()

    async def send(self, message: Message) -> Delivery:
        try:
            chat_id = int(message.recipient)
        except ValueError:
            raise SendFailed(
                f"not a Telegram chat: {message.recipient!r}", permanent=True
            ) from None
        text = message.text if len(message.text) <= MAX_TEXT else message.text[: MAX_TEXT - 1]
        await self.pace.wait(message.recipient)
        try:
            sent = await call(
                self.bot,
                "sendMessage",
                chat_id=chat_id,
                text=text or "…",
                reply_markup=_keyboard(message),
            )
        except RetryAfter as error:
            wait = retry_seconds(error)
            reason = f"Telegram flood control: retry after {wait:g} s"
            raise SendFailed(reason, retry_after=wait) from None
        except Forbidden as error:
            raise Unreachable(f"Telegram 403: {error.message}") from None
        except BadRequest as error:
            raise SendFailed(f"Telegram 400: {error.message}", permanent=True) from None
        except (TimedOut, NetworkError) as error:
            raise SendFailed(f"Telegram unreachable: {error}") from None
        return Delivery(provider_id=str(sent["message_id"]))
