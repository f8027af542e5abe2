"""Updates that Telegram posts to our webhook, handled while Telegram waits for the answer.

An update is read into our own values (``_incoming``) and goes straight to the handlers
(``_handlers.ChatHandlers.handle``): no python-telegram-bot ``Update`` and no dispatch
through its ``Application``, which took ~0.1 ms of CPU per update, five times what reading
and handing over take now (``bench/inbound.py``). python-telegram-bot still makes the Bot
API calls (its ``Bot`` and our request layer) and runs long polling (``slotbot bot``).

Telegram lets the answer to a webhook request carry one Bot API call of its own, which it
then makes for us: one request fewer, for the process and for the network. We put the
answer to a button press (``answerCallbackQuery``) there, and only that: its result is
never needed, and when it comes after the edit the chat looks the same (the button stops
spinning). A message is never answered this way, since it would reach the chat after any
message sent by request in the same turn. An update that is not handled in a webhook
request (long polling, the notification sender) answers by request as before.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot

from slotbot.bot._calls import WEBHOOK_ANSWER
from slotbot.bot._handlers import ChatHandlers, Conversation
from slotbot.bot._incoming import Incoming, read_update
from slotbot.bot._show import Presenter

__all__ = ["WebhookUpdates"]


class WebhookUpdates:
    """What the webhook route needs of the bot: :meth:`read` and :meth:`handle`."""

    def __init__(self, bot: Bot, dialogs: Conversation) -> None:
        self.bot = bot
        self.handlers = ChatHandlers(dialogs, Presenter(bot))

    def read(self, data: Any) -> Incoming:
        """The update in ``data`` (a webhook's JSON body, parsed); ``Unreadable`` (a
        ValueError) for one the handlers cannot take."""
        return read_update(data)

    async def handle(self, update: Incoming) -> dict[str, Any]:
        """Handle ``update`` (its turn and the Bot API calls it makes; as many at once as
        the dialog takes); the body of the webhook's answer, with the call Telegram is to
        make for us, if any."""
        answer: dict[str, Any] = {}
        token = WEBHOOK_ANSWER.set(answer)
        try:
            await self.handlers.handle(update)
        finally:
            WEBHOOK_ANSWER.reset(token)
        return answer
