"""Waiting on an event with a time limit: the periodic jobs' renewal loop and the widget's
stream both wake when something happened or when it is time to look anyway."""

from __future__ import annotations

import asyncio

__all__ = ["woken"]


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``: whether it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
