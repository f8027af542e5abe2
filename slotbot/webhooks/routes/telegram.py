"""The Telegram webhook: Telegram posts each update here (``setWebhook`` with a secret token).

The secret header is compared in constant time (403 otherwise); the body is capped
(``limits.TELEGRAM_BODY_MAX``, by ``guards.BodyLimit``); a repeated ``update_id`` is ignored;
and an update we cannot read is logged and answered 200, never 5xx, or Telegram would send
it again and again. The answer comes at once: the update is queued for the bot's own workers.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from telegram import Update

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class RecentUpdates:
    """The update ids seen lately in this process (Telegram retries within minutes)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def _ok() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.post(PATH)
async def telegram_webhook(request: Request) -> JSONResponse:
    """One update from Telegram, queued for the bot."""
    application = getattr(request.app.state, "telegram", None)
    expected: str = request.app.state.settings.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if application is None or not expected:
        raise HTTPException(404, "no Telegram bot is served here")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "wrong or missing secret token")
    try:
        data: Any = json.loads(await request.body())
        update_id = data["update_id"]
        if not isinstance(update_id, int):
            raise TypeError("update_id is not a number")
        if not request.app.state.telegram_updates.first_time(update_id):
            log.info("update %s came again; ignored", update_id)
            return _ok()
        update = Update.de_json(data, application.bot)
    except Exception as error:  # anything unreadable: log it, never make Telegram retry
        log.warning("unreadable Telegram update ignored: %s", type(error).__name__)
        return _ok()
    await application.update_queue.put(update)
    return _ok()
