"""Bot API calls that survive Telegram's everyday refusals.

Flood control (429) waits ``retry_after`` and tries again; "message is not modified" is
success; a user who blocked the bot (403) is logged and skipped. Anything else propagates.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

__all__ = ["deliver", "retry_seconds"]

T = TypeVar("T")
log = logging.getLogger("slotbot.bot")
ATTEMPTS = 4
NOT_MODIFIED = "message is not modified"


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
