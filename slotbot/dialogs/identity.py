"""Who the client is: found or created from the channel's identity, never from a phone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import clients
from slotbot.core.clients import ClientDetails
from slotbot.core.storage.unit_of_work import UnitOfWork
from slotbot.dialogs.events import Visitor

__all__ = ["client_for", "web_session_key"]


def web_session_key(visitor: Visitor) -> str:
    """The ``clients.web_session_id`` of a non-Telegram visitor (``web:…``, ``terminal:…``)."""
    return f"{visitor.channel}:{visitor.key}"


async def client_for(
    engine: AsyncEngine, visitor: Visitor, locale: str, *, uow: UnitOfWork | None = None
) -> ClientDetails:
    """The client behind a channel identity, created on first contact (in ``uow``)."""
    if visitor.channel == "telegram":
        return await clients.client_for_telegram(
            engine,
            user_id=int(visitor.key),
            chat_id=visitor.chat_id if visitor.chat_id is not None else int(visitor.key),
            name=visitor.name or None,
            locale=locale,
            uow=uow,
        )
    return await clients.client_for_web(
        engine, session_id=web_session_key(visitor), locale=locale, uow=uow
    )
