"""The entry point every channel calls: one event in, one :class:`Reply` out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.dialogs.events import Event, Visitor
from slotbot.dialogs.screens import Reply, Screen

__all__ = ["Dialogs"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dialogs:
    """The client conversation over one database.

    Channels call :meth:`respond` for each event; the state lives in ``dialog_sessions``,
    so any process can serve any event. Events of one conversation are handled one at a
    time within a process, and a version check keeps processes from overwriting each other.
    """

    def __init__(
        self, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self.engine = engine
        self.clock = clock

    async def respond(self, visitor: Visitor, event: Event, *, now: datetime | None = None) -> Reply:
        """Handle one event of ``visitor``'s conversation and return what to show."""
        del visitor, event, now
        return Reply([Screen("slotbot")])  # replaced by the real flow in the next commit
