"""An entry ends when its client books its service within its range: in the transaction
that confirms the booking (``core.booking.service``), so a client who booked is never offered
that service's freed time again, whichever way they booked (chat, widget, staff, a move)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from slotbot.core.storage.models import WaitlistEnd, WaitlistEntry

__all__ = ["end_booked"]

W = WaitlistEntry
#: The client's live entries for a service (built once: every confirmation reads it).
_LIVE = select(W.id, W.first_day, W.last_day, W.timezone).where(
    W.client_id == bindparam("client_id"),
    W.service_id == bindparam("service_id"),
    W.ended_at.is_(None),
)


async def end_booked(
    connection: AsyncConnection,
    *,
    client_id: int,
    service_id: int,
    starts_at: datetime,
    now: datetime,
) -> int:
    """End the client's live entries for the service whose local dates hold ``starts_at``;
    returns how many."""
    rows = await connection.execute(_LIVE, {"client_id": client_id, "service_id": service_id})
    ended = [
        entry_id
        for entry_id, first, last, zone in rows.all()
        if first <= starts_at.astimezone(ZoneInfo(zone)).date() <= last
    ]
    if ended:
        await connection.execute(
            update(W)
            .where(W.id.in_(ended), W.ended_at.is_(None))
            .values(ended_at=now, end_reason=WaitlistEnd.BOOKED)
        )
    return len(ended)
