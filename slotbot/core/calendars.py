"""Loading the slot engine's inputs from the database, and availability queries over them.

One call of :func:`load_calendars` runs a fixed number of queries (three) for any range of
dates and any number of specialists; the engine then works in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Date,
    and_,
    bindparam,
    null,
    or_,
    select,
    union_all,
)
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
    UTCDateTime,
    specialist_services,
)

RULE_KEYS = ("min_notice_minutes", "horizon_days", "hold_minutes")


#: The rules as scalar subqueries, to ride along in another query.
RULE_COLUMNS = tuple(
    select(BusinessSetting.value).where(BusinessSetting.key == key).scalar_subquery().label(key)
    for key in RULE_KEYS
)


def rules_from(values: Sequence[Any]) -> Rules:
    """Rules from the values of :data:`RULE_COLUMNS`; defaults where the shop set none."""
    return Rules(**{k: int(v) for k, v in zip(RULE_KEYS, values, strict=True) if v is not None})


async def load_rules(session: AsyncSession) -> Rules:
    """The shop's booking rules; defaults where the import file set none."""
    return rules_from((await session.execute(select(*RULE_COLUMNS))).one())


async def load_calendars(
    session: AsyncSession,
    *,
    specialist_ids: Sequence[int],
    first: date,
    last: date,
    now: datetime,
    exclude_booking_id: int | None = None,
    with_busy: bool = True,
) -> list[SpecialistCalendar]:
    """Calendars of the given active specialists over local dates [first, last].

    Three queries whatever the range: specialists with their services, schedule rows (weekly
    template and overrides together), and busy time (blocks, confirmed bookings and holds not
    yet expired at ``now``). A booking being moved can be left out with
    ``exclude_booking_id``; ``with_busy=False`` skips busy time altogether (schedule layers
    only). Order follows ``specialist_ids``.
    """
    if not specialist_ids:
        return []
    ids = list(dict.fromkeys(specialist_ids))
    # Instants that cover the local dates in every time zone (offsets are within +-14 h).
    lo = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    hi = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)

    people: dict[int, tuple[str, str]] = {}
    offered: dict[int, set[int]] = defaultdict(set)
    for specialist_id, key, tz, service_id in await session.execute(_SPECIALISTS, {"ids": ids}):
        people[specialist_id] = (key, tz)
        if service_id is not None:
            offered[specialist_id].add(service_id)

    weekly: dict[int, list[WeeklyWindow]] = defaultdict(list)
    overrides: dict[int, list[DateOverride]] = defaultdict(list)
    for sid, kind, weekday, start, end, slot, pause, since, until, sub in await session.execute(
        _WINDOWS, {"ids": ids, "first": first, "last": last}
    ):
        if kind is None:
            assert weekday is not None
            window = Window(start, end, slot, pause)
            weekly[sid].append(WeeklyWindow(weekday, window, since, until))
        else:
            custom = None
            if kind == OverrideKind.CUSTOM_HOURS and start and end:
                custom = Window(start, end, slot or 60, pause or 0)
            overrides[sid].append(DateOverride(since, until, OverrideKind(kind), custom, sub))

    busy: dict[int, list[Busy]] = defaultdict(list)
    if with_busy:
        rows = await session.execute(
            _BUSY,
            {"ids": ids, "lo": lo, "hi": hi, "now": now, "exclude": exclude_booking_id or 0},
        )
        for sid, starts_at, ends_at in rows.all():
            busy[sid].append(Busy(_aware(starts_at), _aware(ends_at)))

    return [
        SpecialistCalendar(
            specialist_id=sid,
            key=people[sid][0],
            timezone=ZoneInfo(people[sid][1]),
            weekly=tuple(weekly[sid]),
            overrides=tuple(overrides[sid]),
            busy=BusyIndex(busy[sid]),
            service_ids=frozenset(offered[sid]),
        )
        for sid in ids
        if sid in people
    ]


# The loader's statements, built once; parameters are bound per call.
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_FIRST, _LAST = bindparam("first", type_=Date()), bindparam("last", type_=Date())

_SPECIALISTS = (
    select(Specialist.id, Specialist.key, Specialist.timezone, specialist_services.c.service_id)
    .outerjoin(specialist_services, specialist_services.c.specialist_id == Specialist.id)
    .where(Specialist.id.in_(_IDS), Specialist.is_active.is_(True))
)

#: Weekly rows (kind NULL) and overrides of [first, last], as one result.
_WINDOWS: CompoundSelect[Any] = union_all(
    select(
        SpecialistSchedule.specialist_id,
        null().label("kind"),
        SpecialistSchedule.weekday,
        SpecialistSchedule.start_time,
        SpecialistSchedule.end_time,
        SpecialistSchedule.slot_duration,
        SpecialistSchedule.break_after,
        SpecialistSchedule.valid_from,
        SpecialistSchedule.valid_until,
        null().label("substitute_id"),
    ).where(
        SpecialistSchedule.specialist_id.in_(_IDS),
        or_(SpecialistSchedule.valid_from.is_(None), SpecialistSchedule.valid_from <= _LAST),
        or_(SpecialistSchedule.valid_until.is_(None), SpecialistSchedule.valid_until >= _FIRST),
    ),
    select(
        SpecialistOverride.specialist_id,
        SpecialistOverride.kind,
        null(),
        SpecialistOverride.start_time,
        SpecialistOverride.end_time,
        SpecialistOverride.slot_duration,
        SpecialistOverride.break_after,
        SpecialistOverride.starts_on,
        SpecialistOverride.ends_on,
        SpecialistOverride.substitute_id,
    ).where(
        SpecialistOverride.specialist_id.in_(_IDS),
        SpecialistOverride.starts_on <= _LAST,
        SpecialistOverride.ends_on >= _FIRST,
    ),
)

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
