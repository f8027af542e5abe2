"""Loading the slot engine's inputs from the database, and availability queries over them.

One call of :func:`load_calendars` runs a fixed number of queries (six) for any range of
dates and any number of specialists; the engine then works in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability import (
    Busy,
    BusyIndex,
    DateOverride,
    OverrideKind,
    Rules,
    Slot,
    SpecialistCalendar,
    Substitute,
    WeeklyWindow,
    Window,
    any_available,
    days_with_slots,
    next_available,
    substitutes,
)
from slotbot.core.models import (
    Booking,
    BookingStatus,
    BusinessSetting,
    Service,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
    SpecialistSchedule,
    specialist_services,
)

RULE_KEYS = ("min_notice_minutes", "horizon_days", "hold_minutes")


async def load_rules(session: AsyncSession) -> Rules:
    """The shop's booking rules; defaults where the import file set none."""
    rows = await session.execute(
        select(BusinessSetting.key, BusinessSetting.value).where(BusinessSetting.key.in_(RULE_KEYS))
    )
    return Rules(**{key: int(value) for key, value in rows.all()})


async def load_calendars(
    session: AsyncSession,
    *,
    specialist_ids: Sequence[int],
    first: date,
    last: date,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> list[SpecialistCalendar]:
    """Calendars of the given active specialists over local dates [first, last].

    Busy time is blocks, confirmed bookings and holds not yet expired at ``now``; a booking
    being moved can be left out with ``exclude_booking_id``. Order follows ``specialist_ids``.
    """
    if not specialist_ids:
        return []
    ids = list(dict.fromkeys(specialist_ids))
    # Instants that cover the local dates in every time zone (offsets are within +-14 h).
    lo = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    hi = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)

    specialists = (
        await session.execute(
            select(Specialist.id, Specialist.key, Specialist.timezone).where(
                Specialist.id.in_(ids), Specialist.is_active.is_(True)
            )
        )
    ).all()
    offered: dict[int, set[int]] = defaultdict(set)
    for specialist_id, service_id in await session.execute(
        select(specialist_services.c.specialist_id, specialist_services.c.service_id).where(
            specialist_services.c.specialist_id.in_(ids)
        )
    ):
        offered[specialist_id].add(service_id)

    weekly: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for s in await session.scalars(
        select(SpecialistSchedule).where(
            SpecialistSchedule.specialist_id.in_(ids),
            or_(SpecialistSchedule.valid_from.is_(None), SpecialistSchedule.valid_from <= last),
            or_(SpecialistSchedule.valid_until.is_(None), SpecialistSchedule.valid_until >= first),
        )
    ):
        weekly[s.specialist_id].append(
            WeeklyWindow(
                s.weekday,
                Window(s.start_time, s.end_time, s.slot_duration, s.break_after),
                s.valid_from,
                s.valid_until,
            )
        )

    overrides: dict[int, list[DateOverride]] = defaultdict(list)
    for o in await session.scalars(
        select(SpecialistOverride).where(
            SpecialistOverride.specialist_id.in_(ids),
            SpecialistOverride.starts_on <= last,
            SpecialistOverride.ends_on >= first,
        )
    ):
        window = None
        if o.kind == OverrideKind.CUSTOM_HOURS and o.start_time and o.end_time:
            window = Window(o.start_time, o.end_time, o.slot_duration or 60, o.break_after or 0)
        overrides[o.specialist_id].append(
            DateOverride(o.starts_on, o.ends_on, OverrideKind(o.kind), window, o.substitute_id)
        )

    busy: dict[int, list[Busy]] = defaultdict(list)
    for specialist_id, starts_at, ends_at in await session.execute(
        select(
            SpecialistBlock.specialist_id, SpecialistBlock.starts_at, SpecialistBlock.ends_at
        ).where(
            SpecialistBlock.specialist_id.in_(ids),
            SpecialistBlock.starts_at < hi,
            SpecialistBlock.ends_at > lo,
        )
    ):
        busy[specialist_id].append(Busy(starts_at, ends_at))

    live = or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
    )
    bookings = select(Booking.specialist_id, Booking.starts_at, Booking.ends_at).where(
        Booking.specialist_id.in_(ids), Booking.starts_at < hi, Booking.ends_at > lo, live
    )
    if exclude_booking_id is not None:
        bookings = bookings.where(Booking.id != exclude_booking_id)
    for specialist_id, starts_at, ends_at in await session.execute(bookings):
        busy[specialist_id].append(Busy(starts_at, ends_at))

    by_id = {
        sid: SpecialistCalendar(
            specialist_id=sid,
            key=key,
            timezone=ZoneInfo(tz),
            weekly=tuple(weekly[sid]),
            overrides=tuple(overrides[sid]),
            busy=BusyIndex(busy[sid]),
            service_ids=frozenset(offered[sid]),
        )
        for sid, key, tz in specialists
    }
    return [by_id[sid] for sid in ids if sid in by_id]


async def providers(session: AsyncSession, service_id: int) -> list[int]:
    """Ids of the active specialists who offer a service, by id."""
    rows = await session.execute(
        select(Specialist.id)
        .join(specialist_services, specialist_services.c.specialist_id == Specialist.id)
        .where(specialist_services.c.service_id == service_id, Specialist.is_active.is_(True))
        .order_by(Specialist.id)
    )
    return list(rows.scalars())


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
    rules = await load_rules(session)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=day, last=day, now=now
    )
    return any_available(calendars, day, duration_minutes=offer.duration, now=now, rules=rules)


async def calendar_days(
    session: AsyncSession, offer: Offer, first: date, last: date, *, now: datetime
) -> dict[date, bool]:
    """For each local date of [first, last], whether it has at least one free slot."""
    rules = await load_rules(session)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=first, last=last, now=now
    )
    return days_with_slots(
        calendars, first, last, duration_minutes=offer.duration, now=now, rules=rules
    )


def _horizon(now: datetime, zone: ZoneInfo, rules: Rules) -> tuple[date, date]:
    today = now.astimezone(zone).date()
    # one day of slack either side for specialists in other time zones
    return today - timedelta(days=1), today + timedelta(days=rules.horizon_days + 1)


async def first_slot(session: AsyncSession, offer: Offer, *, now: datetime) -> Slot | None:
    """The earliest free slot within the horizon, or ``None``."""
    rules = await load_rules(session)
    first, last = _horizon(now, offer.timezone, rules)
    calendars = await load_calendars(
        session, specialist_ids=offer.specialist_ids, first=first, last=last, now=now
    )
    return next_available(calendars, duration_minutes=offer.duration, now=now, rules=rules)


async def substitutes_for(
    session: AsyncSession, specialist_id: int, service: Service, *, now: datetime
) -> list[Substitute]:
    """Active specialists offering ``service`` other than ``specialist_id``, soonest first."""
    rules = await load_rules(session)
    ids = await providers(session, service.id)
    zone = await session.scalar(select(Specialist.timezone).where(Specialist.id == specialist_id))
    first, last = _horizon(now, ZoneInfo(zone or "UTC"), rules)
    calendars = await load_calendars(
        session, specialist_ids=[specialist_id, *ids], first=first, last=last, now=now
    )
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
    rules = await load_rules(session)
    zone = ZoneInfo(
        await session.scalar(select(Specialist.timezone).where(Specialist.id.in_(specialist_ids)))
        or "UTC"
    )
    today = now.astimezone(zone).date()
    first = max(after.astimezone(zone).date(), today)
    last = today + timedelta(days=rules.horizon_days)
    calendars = await load_calendars(
        session, specialist_ids=specialist_ids, first=first, last=last, now=now
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
