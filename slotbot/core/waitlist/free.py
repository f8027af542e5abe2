"""The waiting list's one question about free time: the free times of a service over a range
of local dates, for one specialist or anyone who offers it, asked of the one availability
API (:class:`~slotbot.core.availability.free.FreeTime`, cached per process).

Every waiting-list caller (joining, matching, sending an offer) asks here. The client's own
bookings are left out by the callers (:func:`clear_of`): matching asks once for many
waiting clients, so the shop's free time is asked once and each client's own time applied
after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.busy import live_client_busy
from slotbot.core.availability.engine import BusyIndex, Slot
from slotbot.core.availability.free import FreeTime

__all__ = ["clear_of", "free_slots", "own_time"]


async def free_slots(
    session: AsyncSession,
    *,
    service_id: int,
    specialist_id: int | None,
    first: date,
    last: date,
    now: datetime,
) -> list[Slot]:
    """The shop's free slots of the service on local dates [first, last] (busy time, notice
    and horizon applied), each listing who can take it; ``specialist_id`` None: anyone
    active who offers it."""
    free = FreeTime(session, now=now)
    ids = None if specialist_id is None else [specialist_id]
    found: list[Slot] = []
    day = first
    while day <= last:
        found += await free.slots(service_id, ids, day)
        day += timedelta(days=1)
    return found


async def own_time(session: AsyncSession, client_id: int, now: datetime) -> BusyIndex:
    """The client's own live bookings: a time overlapping one is never offered to them."""
    return BusyIndex(await live_client_busy(session, client_id, now=now))


def clear_of(slots: Iterable[Slot], own: BusyIndex) -> list[Slot]:
    """The slots that overlap none of the client's own bookings."""
    return [s for s in slots if not own.overlaps(s.start, s.end)]
