"""Loading the slot engine's inputs from the database, and availability queries over them.

One call of :func:`load_calendars` runs two queries for any range of dates and any number of
specialists (the catalog's version, busy time), plus a catalog reload when the catalog
changed; the engine then works in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.engine import (
    Busy,
    BusyIndex,
    Rules,
    Slot,
    SpecialistCalendar,
    Substitute,
    any_available,
    days_with_slots,
    next_available,
    substitutes,
)
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    BusinessSetting,
    Service,
    Specialist,
    SpecialistBlock,
    UTCDateTime,
    specialist_services,
)


async def load_rules(session: AsyncSession) -> Rules:
    """The shop's booking rules; defaults where the import file set none."""
    return (await catalogs.fresh(session)).rules


async def load_calendars(
    session: AsyncSession,
    *,
    specialist_ids: Sequence[int],
    first: date,
    last: date,
    now: datetime,
    exclude_booking_id: int | None = None,
    catalog: catalogs.Catalog | None = None,
) -> list[SpecialistCalendar]:
    """Calendars of the given active specialists, with busy time over local dates
    [first, last].

    The schedule layers come from the catalog (:func:`.catalog.fresh`: one small query
    when nothing changed); busy time (blocks, confirmed bookings and holds not yet
    expired at ``now``) is one query whatever the range. A booking being moved can be left
    out with ``exclude_booking_id``. Order follows ``specialist_ids``. A caller that
    already holds the fresh catalog passes it as ``catalog`` to save the version query.
    """
    catalog = catalog or await catalogs.fresh(session)
    calendars = [
        catalog.calendars[sid] for sid in dict.fromkeys(specialist_ids) if sid in catalog.calendars
    ]
    if not calendars:
        return calendars
    # Instants that cover the local dates in every time zone (offsets are within +-14 h).
    lo = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    hi = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)
    busy: dict[int, list[Busy]] = defaultdict(list)
    rows = await session.execute(
        _BUSY,
        {
            "ids": [c.specialist_id for c in calendars],
            "lo": lo,
            "hi": hi,
            "now": now,
            "exclude": exclude_booking_id or 0,
        },
    )
    for sid, starts_at, ends_at in rows.all():
        busy[sid].append(Busy(_aware(starts_at), _aware(ends_at)))
    return [replace(c, busy=BusyIndex(busy[c.specialist_id])) for c in calendars]


# The busy-time statement, built once; parameters are bound per call.
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_LO, _HI, _NOW = (bindparam(name, type_=UTCDateTime()) for name in ("lo", "hi", "now"))

#: (specialist, start, end) of blocks and live bookings overlapping [lo, hi); a booking
#: being moved (``exclude``; 0 for none) does not count.
_BUSY = union_all(
    select(SpecialistBlock.specialist_id, SpecialistBlock.starts_at, SpecialistBlock.ends_at).where(
        SpecialistBlock.specialist_id.in_(_IDS),
        SpecialistBlock.starts_at < _HI,
        SpecialistBlock.ends_at > _LO,
    ),
    select(Booking.specialist_id, Booking.starts_at, Booking.ends_at).where(
        Booking.specialist_id.in_(_IDS),
        Booking.starts_at < _HI,
        Booking.ends_at > _LO,
        Booking.id != bindparam("exclude"),
        or_(
            Booking.status == BookingStatus.CONFIRMED,
            and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > _NOW),
        ),
    ),
)


def _aware(instant: datetime) -> datetime:
    """Instants from a UNION come back without the column type's processing on SQLite."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


async def shop_timezone(session: AsyncSession) -> ZoneInfo:
    """The shop's time zone: the import file's default, else the first specialist's, else UTC."""
    configured = await session.scalar(
        select(BusinessSetting.value).where(BusinessSetting.key == "timezone")
    )
    if isinstance(configured, str):
        return ZoneInfo(configured)
    first = await session.scalar(select(Specialist.timezone).order_by(Specialist.id).limit(1))
    return ZoneInfo(first or "UTC")


class UnknownKey(LookupError):
    """A service or specialist key that names nothing (or nothing active)."""


@dataclass(frozen=True, slots=True)
class Offer:
    """What an availability question is about: a service and who may perform it."""

    service: Service
    specialist_ids: tuple[int, ...]
    keys: dict[int, str]
    timezone: ZoneInfo

    @property
    def duration(self) -> int:
        return self.service.duration_minutes


async def resolve_offer(
    session: AsyncSession, *, service_key: str, specialist_key: str | None
) -> Offer:
    """The service and its specialists; ``specialist_key`` ``None`` or ``"any"`` means all.

    Raises :class:`UnknownKey` for an unknown or inactive service or specialist, or one who
    does not offer the service.
    """
    service = await session.scalar(
        select(Service).where(Service.key == service_key, Service.is_active.is_(True))
    )
    if service is None:
        raise UnknownKey(f"unknown service {service_key!r}")
    query = (
        select(Specialist.id, Specialist.key, Specialist.timezone)
        .join(specialist_services, specialist_services.c.specialist_id == Specialist.id)
        .where(specialist_services.c.service_id == service.id, Specialist.is_active.is_(True))
        .order_by(Specialist.id)
    )
    if specialist_key not in (None, "any"):
        query = query.where(Specialist.key == specialist_key)
    rows = (await session.execute(query)).all()
    if not rows:
        if specialist_key in (None, "any"):
            raise UnknownKey(f"no active specialist offers {service_key!r}")
        exists = await session.scalar(select(Specialist.id).where(Specialist.key == specialist_key))
        if exists is None:
            raise UnknownKey(f"unknown specialist {specialist_key!r}")
        raise UnknownKey(f"specialist {specialist_key!r} does not offer {service_key!r}")
    return Offer(
        service=service,
        specialist_ids=tuple(r.id for r in rows),
        keys={r.id: r.key for r in rows},
        timezone=ZoneInfo(rows[0].timezone),
    )


async def day_slots(session: AsyncSession, offer: Offer, day: date, *, now: datetime) -> list[Slot]:
    """Free slots on a local date, each listing the specialists who can take it."""
    catalog = await catalogs.fresh(session)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=day, last=day, now=now, catalog=catalog
    )
    rules = catalog.rules
    return any_available(calendars, day, duration_minutes=offer.duration, now=now, rules=rules)


async def calendar_days(
    session: AsyncSession, offer: Offer, first: date, last: date, *, now: datetime
) -> dict[date, bool]:
    """For each local date of [first, last], whether it has at least one free slot."""
    catalog = await catalogs.fresh(session)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=first, last=last, now=now,
        catalog=catalog,
    )  # fmt: skip
    rules = catalog.rules
    return days_with_slots(
        calendars, first, last, duration_minutes=offer.duration, now=now, rules=rules
    )


def _horizon(now: datetime, zone: ZoneInfo, rules: Rules) -> tuple[date, date]:
    today = now.astimezone(zone).date()
    # one day of slack either side for specialists in other time zones
    return today - timedelta(days=1), today + timedelta(days=rules.horizon_days + 1)


async def first_slot(session: AsyncSession, offer: Offer, *, now: datetime) -> Slot | None:
    """The earliest free slot within the horizon, or ``None``."""
    catalog = await catalogs.fresh(session)
    rules = catalog.rules
    first, last = _horizon(now, offer.timezone, rules)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=first, last=last, now=now,
        catalog=catalog,
    )  # fmt: skip
    return next_available(calendars, duration_minutes=offer.duration, now=now, rules=rules)


async def substitutes_for(
    session: AsyncSession, specialist_id: int, service: Service, *, now: datetime
) -> list[Substitute]:
    """Active specialists offering ``service`` other than ``specialist_id``, soonest first."""
    catalog = await catalogs.fresh(session)
    rules = catalog.rules
    ids = catalog.providers(service.id)
    own = catalog.calendars.get(specialist_id)
    first, last = _horizon(now, own.timezone if own else ZoneInfo("UTC"), rules)
    calendars = await load_calendars(
        session, specialist_ids=[specialist_id, *ids], first=first, last=last, now=now,
        catalog=catalog,
    )  # fmt: skip
    return substitutes(
        specialist_id,
        calendars,
        service_id=service.id,
        duration_minutes=service.duration_minutes,
        now=now,
        rules=rules,
    )


async def upcoming_slots(
    session: AsyncSession,
    *,
    specialist_ids: Sequence[int],
    duration_minutes: int,
    after: datetime,
    now: datetime,
    limit: int = 3,
) -> list[Slot]:
    """The first ``limit`` free slots starting at or after ``after`` (to offer instead)."""
    catalog = await catalogs.fresh(session)
    rules = catalog.rules
    known = [catalog.calendars[sid] for sid in specialist_ids if sid in catalog.calendars]
    zone = known[0].timezone if known else ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    first = max(after.astimezone(zone).date(), today)
    last = today + timedelta(days=rules.horizon_days)
    calendars = await load_calendars(
        session, specialist_ids=specialist_ids, first=first, last=last, now=now, catalog=catalog
    )
    found: list[Slot] = []
    day = first
    while day <= last and len(found) < limit:
        slots = any_available(
            calendars, day, duration_minutes=duration_minutes, now=now, rules=rules
        )
        found += [s for s in slots if s.start >= after][: limit - len(found)]
        day += timedelta(days=1)
    return found
