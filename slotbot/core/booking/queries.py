"""Reading bookings for people and scripts: lists by date, specialist and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.directory import UnknownKey
from slotbot.core.storage.models import Booking, BookingStatus, Client, Service, Specialist


@dataclass(frozen=True, slots=True)
class BookingLine:
    """One booking with the names around it."""

    booking: Booking
    service: Service
    specialist: Specialist
    client: Client

    @property
    def status(self) -> str:
        """The status as it stands at read time: a hold that ran out reads ``expired``."""
        return self.booking.status


async def list_bookings(
    session: AsyncSession,
    *,
    first: date,
    last: date,
    zone: ZoneInfo,
    now: datetime,
    specialist_key: str | None = None,
    statuses: tuple[str, ...] = (),
) -> list[BookingLine]:
    """Bookings starting on local dates [first, last] of ``zone``, by start time.

    Holds that ran out are shown as ``expired`` even before the sweep flips them. Raises
    :class:`~slotbot.core.availability.directory.UnknownKey` for a specialist key that
    names nobody (rather than answering "no bookings").
    """
    if (
        specialist_key
        and (await session.scalar(select(Specialist.id).where(Specialist.key == specialist_key)))
        is None
    ):
        raise UnknownKey(f"unknown specialist {specialist_key!r}")
    lo = datetime.combine(first, time(), zone)
    hi = datetime.combine(last + timedelta(days=1), time(), zone)
    query = (
        select(Booking, Service, Specialist, Client)
        .join(Service, Service.id == Booking.service_id)
        .join(Specialist, Specialist.id == Booking.specialist_id)
        .join(Client, Client.id == Booking.client_id)
        .where(Booking.starts_at >= lo, Booking.starts_at < hi)
        .order_by(Booking.starts_at, Booking.id)
    )
    if specialist_key:
        query = query.where(Specialist.key == specialist_key)
    lines = []
    for booking, service, specialist, client in (await session.execute(query)).all():
        stale = (
            booking.status == BookingStatus.HELD
            and booking.hold_expires_at is not None
            and booking.hold_expires_at <= now
        )
        if stale:
            session.expunge(booking)
            booking.status = BookingStatus.EXPIRED
        if statuses and booking.status not in statuses:
            continue
        lines.append(BookingLine(booking, service, specialist, client))
    return lines
