"""Updates that Telegram posts to our webhook, handled while Telegram waits for the answer.

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

from telegram import Bot, Update

from slotbot.bot._calls import WEBHOOK_ANSWER
from slotbot.bot._handlers import AnyApplication

__all__ = ["WebhookUpdates"]


class WebhookUpdates:
    """What the webhook route needs of the bot: :meth:`read` and :meth:`handle`."""

    def __init__(self, application: AnyApplication) -> None:
        self.application = application
        self.bot: Bot = application.bot

    def read(self, data: dict[str, Any]) -> Update:
        """The update in ``data`` (a webhook's JSON body), the pressed message's keyboard
        left out; python-telegram-bot's errors for what it cannot read."""
        query = data.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("message"), dict):
            query["message"].pop("reply_markup", None)
        return Update.de_json(data, self.bot)

    async def handle(self, update: Update) -> dict[str, Any]:
        """Handle ``update`` (its turn and the Bot API calls it makes); the body of the
        webhook's answer, with the call Telegram is to make for us, if any."""
        answer: dict[str, Any] = {}
        token = WEBHOOK_ANSWER.set(answer)
        try:
            # through the update processor: at most ``concurrent_updates`` turns at once
            await self.application.update_processor.process_update(
                update, self.application.process_update(update)
            )
        finally:
            WEBHOOK_ANSWER.reset(token)
        return answer
