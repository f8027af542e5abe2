"""A specialist's agenda: their bookings day by day in their time zone, with the free gaps
of their working hours between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.engine import local_instant, windows_for_day
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    Service,
    SpecialistBlock,
)

__all__ = ["AgendaDay", "AgendaItem", "Gap", "agenda"]


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """A confirmed (or kept) booking as the specialist sees it."""

    booking_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    service_names: Mapping[str, str]
    client_name: str
    client_phone: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Free working time between appointments and blocks."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class AgendaDay:
    day: date
    items: tuple[AgendaItem, ...]
    gaps: tuple[Gap, ...]
    working: bool  # whether the schedule has working hours that day


def _free(
    windows: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> list[Gap]:
    gaps = []
    for start, end in windows:
        cursor = start
        for b_start, b_end in sorted(busy):
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                gaps.append(Gap(cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            gaps.append(Gap(cursor, end))
    return gaps


async def agenda(
    session: AsyncSession, specialist_id: int, first: date, last: date, *, zone: ZoneInfo
) -> list[AgendaDay]:
    """Each local date of [first, last]: the bookings (confirmed, completed, no-show) and the
    free gaps of the working hours (blocks and bookings taken out)."""
    catalog = await catalogs.fresh(session)
    calendar = catalog.calendars.get(specialist_id)
    lo = datetime.combine(first, time.min, zone)
    hi = datetime.combine(last + timedelta(days=1), time.min, zone)
    kept = [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
    rows = await session.execute(
        select(Booking, Service.name, Client.name, Client.phone)
        .join(Service, Service.id == Booking.service_id)
        .join(Client, Client.id == Booking.client_id)
        .where(
            Booking.specialist_id == specialist_id,
            Booking.status.in_(kept),
            Booking.starts_at < hi,
            Booking.ends_at > lo,
        )
        .order_by(Booking.starts_at)
    )
    items = [
        AgendaItem(b.id, b.starts_at, b.ends_at, b.status, dict(names), name or "", phone or "")
        for b, names, name, phone in rows
    ]
    blocks = [
        (s, e)
        for s, e in await session.execute(
            select(SpecialistBlock.starts_at, SpecialistBlock.ends_at).where(
                SpecialistBlock.specialist_id == specialist_id,
                SpecialistBlock.starts_at < hi,
                SpecialistBlock.ends_at > lo,
            )
        )
    ]
    days = []
    day = first
    while day <= last:
        today = [i for i in items if i.starts_at.astimezone(zone).date() == day]
        windows = []
        for window in windows_for_day(calendar, day) if calendar else []:
            start = local_instant(datetime.combine(day, window.start), zone)
            end = local_instant(datetime.combine(day, window.end), zone)
            if start is not None and end is not None and start < end:
                windows.append((start, end))
        busy = [(i.starts_at, i.ends_at) for i in today if i.status == BookingStatus.CONFIRMED]
        gaps = _free(windows, busy + blocks)
        days.append(AgendaDay(day, tuple(today), tuple(gaps), bool(windows)))
        day += timedelta(days=1)
    return days
