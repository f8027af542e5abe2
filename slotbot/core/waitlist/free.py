"""The waiting list's one question to the slot engine: the free times of a service over a
range of local dates, for one specialist or anyone who offers it.

Every waiting-list caller (joining, matching, sending an offer) asks here, so this module is
the one to point at another availability API. The client's own bookings are left out by the
callers (:func:`clear_of`), as the dialog does in ``dialogs/steps/offers.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.calendars import load_calendars
from slotbot.core.availability.engine import BusyIndex, Slot, any_available
from slotbot.core.booking.queries import client_busy

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
    active who offers it. One load of busy time for the whole range."""
    catalog = await catalogs.fresh(session)
    service = catalog.services.get(service_id)
    providers = catalog.providers(service_id)
    ids = providers if specialist_id is None else [s for s in providers if s == specialist_id]
    if service is None or not ids or last < first:
        return []
    calendars = await load_calendars(
        session, specialist_ids=ids, first=first, last=last, now=now, catalog=catalog
    )
    found: list[Slot] = []
    day = first
    while day <= last:
        found += any_available(
            calendars, day, duration_minutes=service.duration_minutes, now=now,
            rules=catalog.rules,
        )  # fmt: skip
        day += timedelta(days=1)
    return found


async def own_time(session: AsyncSession, client_id: int, now: datetime) -> BusyIndex:
    """The client's own live bookings: a time overlapping one is never offered to them."""
    return BusyIndex(await client_busy(session, client_id, now=now))


def clear_of(slots: Iterable[Slot], own: BusyIndex) -> list[Slot]:
    """The slots that overlap none of the client's own bookings."""
    return [s for s in slots if not own.overlaps(s.start, s.end)]
