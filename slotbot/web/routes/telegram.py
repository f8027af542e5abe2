"""The Telegram webhook: Telegram posts each update here (``setWebhook`` with a secret token).

The secret header is compared in constant time (403 otherwise); the body is capped
(``limits.TELEGRAM_BODY_MAX``, by ``guards.BodyLimit``); a repeated ``update_id`` is ignored,
whichever process got it first (``seen_updates``, shared through the database, the ids
that arrive together recorded together: ``shared.Deliveries``);
and an update we cannot read is logged and answered 200, never 5xx, or Telegram would send
it again and again. The update is handled while Telegram waits (as many at once as the bot
takes, ``turn_capacity``), and the answer may carry one Bot API call for Telegram to make
for us (``bot._webhook``).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class Updates(Protocol):
    """The bot beside the app (``app.state.telegram``, set while a webhook bot runs): it
    reads an update into a value of its own (raising for what it cannot read) and handles
    that value. The app knows neither: the channels never import each other."""

    def read(self, data: Any) -> Any: ...

    async def handle(self, update: Any) -> dict[str, Any]: ...


def _ok() -> JSONResponse:
    return JSONResponse({"ok": True})


async def telegram_webhook(request: Request) -> JSONResponse:
    """One update from Telegram, handled; the answer may carry a call for Telegram to make."""
    telegram: Updates | None = getattr(request.app.state, "telegram", None)
    expected: str = request.app.state.settings.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if telegram is None or not expected:
        raise HTTPException(404, "no Telegram bot is served here")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "wrong or missing secret token")
    try:
        data: Any = json.loads(await request.body())
        update_id = data["update_id"]
        if not isinstance(update_id, int) or not 0 <= update_id < 2**63:
            raise TypeError("update_id is not a number")
        update = telegram.read(data)
    except Exception as error:  # anything unreadable: log it, never make Telegram retry
        log.warning("unreadable Telegram update ignored: %s", type(error).__name__)
        return _ok()
    # Outside the try: with the database away the answer is a 500, and Telegram tries again.
    if not await request.app.state.deliveries.first(update_id, now=datetime.now(UTC)):
        log.info("update %s came again; ignored", update_id)
        return _ok()
    return JSONResponse(await telegram.handle(update) or {"ok": True})


# A plain Starlette route: the webhook takes the Request alone, so FastAPI's endpoint
# machinery (dependencies, validation, response model) has nothing to do here but costs
# ~20 us of CPU per update (60 -> 40 us through the app's ASGI stack, bot and database aside).
router.add_route(PATH, telegram_webhook, methods=["POST"], include_in_schema=False)
