"""Bookings made beside a chat (by the same client elsewhere, or by others) for offer tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Client, Service, Specialist
from tests.dialogs.chat import Chat


async def client_of(engine: AsyncEngine, chat: Chat) -> int:
    """The client record the chat's visitor talks as (the chat must have started)."""
    async with session_factory(engine)() as session:
        found = await session.scalar(
            select(Client.id).where(Client.telegram_user_id == int(chat.visitor.key))
        )
    assert found is not None
    return found


async def take(
    engine: AsyncEngine,
    client_id: int,
    service: str,
    specialist: str,
    start: datetime,
    now: datetime,
    *,
    confirm: bool = True,
) -> Booking:
    """Hold (and confirm) ``start`` for a client through the booking service, by keys."""
    async with session_factory(engine)() as session:
        service_id = await session.scalar(select(Service.id).where(Service.key == service))
        specialist_id = await session.scalar(
            select(Specialist.id).where(Specialist.key == specialist)
        )
    assert service_id is not None and specialist_id is not None
    held = await booking.hold(
        engine, service_id=service_id, specialist_id=specialist_id, start=start,
        client_id=client_id, channel="terminal", now=now,
    )  # fmt: skip
    if not confirm:
        return held
    return await booking.confirm(engine, booking_id=held.id, now=now, client_id=client_id)
