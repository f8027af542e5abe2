"""Limits on anonymous widget clients (the ``web`` channel), where anyone can open a new
session and type any phone number. Business settings (the import file's ``settings:``):

- ``max_upcoming_per_client`` (default 3): live bookings one widget client may have at once
  (held and not run out, or confirmed and not ended; the one being held counts);
- ``max_bookings_per_phone_per_day`` (default 3): bookings made in the widget within 24
  hours by clients with one phone number (held and not run out, confirmed, completed or
  not attended; cancelled and expired ones do not count), however many sessions typed it;
- ``verify_web_phone`` (default off): a typed number must be confirmed with a 6-digit SMS
  code before it is stored (:mod:`slotbot.core.phone_codes`).

Each limit is checked in the transaction that would break it, so concurrent requests cannot
pass it together: :func:`hold_guard` inside the hold's own transaction (the hold is rolled
back when it would be one too many) and :func:`store_web_phone` while storing a number on
a client that already holds a time. A number's bookings are counted under a lock of that
number (an advisory lock on PostgreSQL; SQLite's write transactions are serial).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from slotbot.core.storage.models import Booking, BookingStatus, BusinessSetting, Client
from slotbot.core.storage.unit_of_work import UnitOfWork, write_connection

__all__ = [
    "Limit",
    "QuotaReached",
    "WebLimits",
    "check_phone_day",
    "hold_guard",
    "phone_day_count",
    "store_web_phone",
    "web_limits",
]

DAY = timedelta(hours=24)
WEB = "web"


@dataclass(frozen=True, slots=True)
class WebLimits:
    """The business settings above, with their defaults."""

    max_upcoming_per_client: int = 3
    max_bookings_per_phone_per_day: int = 3
    verify_web_phone: bool = False


class Limit(enum.StrEnum):
    UPCOMING = "upcoming"
    PHONE_DAY = "phone_day"


class QuotaReached(Exception):
    """A widget client reached ``limit`` (``count`` is the limit's value)."""

    def __init__(self, limit: Limit, count: int) -> None:
        super().__init__(f"{limit}: at most {count}")
        self.limit = limit
        self.count = count


async def web_limits(session: AsyncSession) -> WebLimits:
    """The shop's limits for widget clients (defaults for settings it does not set)."""
    rows = await session.execute(
        select(BusinessSetting.key, BusinessSetting.value).where(
            BusinessSetting.key.in_(
                ["max_upcoming_per_client", "max_bookings_per_phone_per_day", "verify_web_phone"]
            )
        )
    )
    values: dict[str, Any] = {key: value for key, value in rows.all()}
    defaults = WebLimits()
    return WebLimits(
        max_upcoming_per_client=int(
            values.get("max_upcoming_per_client", defaults.max_upcoming_per_client)
        ),
        max_bookings_per_phone_per_day=int(
            values.get("max_bookings_per_phone_per_day", defaults.max_bookings_per_phone_per_day)
        ),
        verify_web_phone=bool(values.get("verify_web_phone", defaults.verify_web_phone)),
    )


def _live(now: datetime) -> Any:
    return or_(
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
        and_(Booking.status == BookingStatus.CONFIRMED, Booking.ends_at > now),
    )


def _kept_today(now: datetime) -> Any:
    """A booking made in the last 24 hours that was not cancelled or let run out."""
    return and_(
        Booking.created_at > now - DAY,
        Booking.channel == WEB,
        or_(
            and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
            Booking.status.in_(
                [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
            ),
        ),
    )


async def phone_day_count(
    executor: AsyncConnection | AsyncSession,
    phone: str,
    now: datetime,
    *,
    client_id: int | None = None,
) -> int:
    """Widget bookings of the last 24 hours by clients with this phone number; with
    ``client_id``, as they would be once that client has the number too."""
    whose: Any = Client.phone == phone
    if client_id is not None:
        whose = or_(and_(whose, Client.id != client_id), Client.id == client_id)
    found = await executor.scalar(
        select(func.count())
        .select_from(Booking)
        .join(Client, Client.id == Booking.client_id)
        .where(whose, _kept_today(now))
    )
    return int(found or 0)


async def _lock_phone(connection: AsyncConnection, phone: str) -> None:
    """Serialise the counting of one number's bookings (PostgreSQL; SQLite is serial)."""
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"phone:{phone}".encode()).digest()[:8], "big", signed=True
        )
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def hold_guard(
    limits: WebLimits, *, client_id: int, now: datetime
) -> Callable[[AsyncConnection, Booking], Awaitable[None]]:
    """For ``booking.hold(within=...)``: refuse a widget client's hold that would be one
    live booking too many, or one booking too many for its phone number today."""

    async def check(connection: AsyncConnection, held: Booking) -> None:
        live = await connection.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.client_id == client_id, _live(now))
        )
        if int(live or 0) > limits.max_upcoming_per_client:
            raise QuotaReached(Limit.UPCOMING, limits.max_upcoming_per_client)
        phone = await connection.scalar(select(Client.phone).where(Client.id == client_id))
        if phone:
            await _lock_phone(connection, phone)
            if (
                await phone_day_count(connection, phone, now)
                > limits.max_bookings_per_phone_per_day
            ):
                raise QuotaReached(Limit.PHONE_DAY, limits.max_bookings_per_phone_per_day)

    return check


async def check_phone_day(
    executor: AsyncConnection | AsyncSession,
    limits: WebLimits,
    phone: str,
    now: datetime,
    *,
    client_id: int,
) -> None:
    """Raise :class:`QuotaReached` when giving this client ``phone`` would take the
    number over its day's limit (read only: said before an SMS code is sent to it)."""
    count = await phone_day_count(executor, phone, now, client_id=client_id)
    if count > limits.max_bookings_per_phone_per_day:
        raise QuotaReached(Limit.PHONE_DAY, limits.max_bookings_per_phone_per_day)


async def store_web_phone(
    engine: AsyncEngine,
    *,
    client_id: int,
    phone: str,
    limits: WebLimits,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> None:
    """Store an E.164 number on a widget client, unless the bookings that client already
    holds would take the number over its day's limit (:class:`QuotaReached`: nothing is
    stored)."""
    async with write_connection(engine, uow) as connection:
        await _lock_phone(connection, phone)
        await connection.execute(update(Client).where(Client.id == client_id).values(phone=phone))
        await check_phone_day(connection, limits, phone, now, client_id=client_id)
