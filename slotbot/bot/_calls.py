"""Bot API calls that survive Telegram's everyday refusals.

Flood control (429) waits ``retry_after`` and tries again; "message is not modified" is
success; a user who blocked the bot (403) is logged and skipped. Anything else propagates.
A call may instead go in the answer to the webhook request being handled
(:func:`answer_in_reply`, see ``_webhook``).

The dialog's own calls go through :func:`call`, which returns the Bot API's JSON result as
it came. python-telegram-bot's methods (``send_message``, ``Message.edit_text``) turn every
result into a ``Message`` with its keyboard as frozen objects, which we never read: that
parsing was the largest single part of a serve process's CPU per update.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

__all__ = ["WEBHOOK_ANSWER", "answer_in_reply", "call", "deliver", "retry_seconds"]

T = TypeVar("T")
log = logging.getLogger("slotbot.bot")
ATTEMPTS = 4
NOT_MODIFIED = "message is not modified"
#: The answer to the webhook request whose update this task handles (None: not a webhook's).
WEBHOOK_ANSWER: ContextVar[dict[str, Any] | None] = ContextVar("webhook_answer", default=None)


def answer_in_reply(method: str, **parameters: Any) -> bool:
    """Put the call into the webhook's answer, if this update came by webhook and the
    answer has no call yet; False when the caller must make the request itself."""
    answer = WEBHOOK_ANSWER.get()
    if answer is None or answer:
        return False
    answer.update(parameters, method=method)
    return True


async def call(bot: Bot, method: str, **parameters: Any) -> Any:
    """Make the Bot API call ``method`` (as the API names it, e.g. ``editMessageText``) and
    return its result unparsed: a dict for a message, True for most else.

    It raises python-telegram-bot's errors (``RetryAfter``, ``BadRequest``...), as the
    library's own methods do; parameters that are None are left out. ``Bot._post`` is the
    library's one way to a Bot API method without parsing its result: its public
    ``do_api_request`` warns on every call for a method the library knows.
    """
    return await bot._post(method, parameters)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)


async def deliver(call: Callable[[], Awaitable[T]], *, what: str) -> T | None:
    """Run ``call`` (a Bot API request), retrying on flood control; None when skipped."""
    for _ in range(ATTEMPTS):
        try:
            return await call()
        except RetryAfter as error:
            log.info("%s: flood control, waiting %.1f s", what, retry_seconds(error))
            await asyncio.sleep(retry_seconds(error))
        except BadRequest as error:
            if NOT_MODIFIED not in error.message.lower():
                raise
            return None
        except Forbidden as error:
            log.info("%s: %s", what, error.message)
            return None
    log.warning("%s: still flood-controlled after %d attempts; dropped", what, ATTEMPTS)
    return None
