"""Staff booking for a client by phone (``slotbot book``): hold and confirm at once, for the
one client each phone number has among staff bookings, leaving nothing behind when refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.booking.service import BookingRefused, Refusal, confirm, hold, release
from slotbot.core.clients import client_for_staff, discard_unused_staff_client, set_contact
from slotbot.core.storage.models import Booking, Channel

__all__ = ["ATTEMPTS", "book_by_phone"]

#: How often a hold is tried when the client made for it vanished meanwhile.
ATTEMPTS = 3


async def book_by_phone(
    engine: AsyncEngine,
    *,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    name: str,
    phone: str,
    email: str | None = None,
    now: datetime,
) -> Booking:
    """Hold and confirm ``start`` for the staff client of ``phone`` (found or made, see
    :func:`~slotbot.core.clients.client_for_staff`); ``specialist_id`` None is anyone who
    offers the service. The name and e-mail given are stored once the booking stands.

    Raises :class:`BookingRefused`. A refused hold leaves no trace, not even the client made
    for it; a refused confirm leaves the hold released. A client that another refused
    booking of the same number removed between making it and holding is made again."""
    for attempt in range(ATTEMPTS):
        client = await client_for_staff(engine, name=name, phone=phone, email=email)
        try:
            held = await hold(
                engine, service_id=service_id, specialist_id=specialist_id, start=start,
                client_id=client.id, channel=Channel.STAFF, now=now,
            )  # fmt: skip
        except BookingRefused as refusal:
            await discard_unused_staff_client(engine, client.id)
            if refusal.reason == Refusal.NOT_FOUND and attempt < ATTEMPTS - 1:
                continue
            raise
        break
    try:
        booked = await confirm(engine, booking_id=held.id, now=now)
    except BookingRefused:
        await release(engine, booking_id=held.id, now=now)
        raise
    await set_contact(engine, client_id=client.id, name=name, email=email)
    return booked
