"""The shop's catalog in memory: services, specialists, schedule layers and rules.

They change rarely (an import, a specialist's day off) and are read on every booking. Each
process keeps the last catalog it loaded and the ``catalog_state.version`` it was loaded at;
database triggers move that version on every change (migration 0003). A writer that relied on
a cached catalog puts ``version = :cached`` into its guarded statement, so a stale catalog can
never let a booking through: the statement finds nothing, the caller reloads and tries again.
The cache can be dropped at any time (:func:`forget`).

Busy time (bookings, blocks) is never cached for writing: it is what the guarded statements
check. Availability answers keep it per bookings version (:mod:`.cache`).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability.engine import (
    DateOverride,
    OverrideKind,
    Rules,
    SpecialistCalendar,
    WeeklyWindow,
    Window,
    slots_for_day,
)
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import (
    BusinessSetting,
    Service,
    Specialist,
    SpecialistOverride,
    SpecialistSchedule,
    specialist_services,
)
from slotbot.core.storage.versions import CATALOG_VERSION

RULE_KEYS = ("min_notice_minutes", "horizon_days", "hold_minutes", "substitute_after_days")

#: Rules that keep only "not in the past": no minimum notice, a horizon of a century.
_SCHEDULE_ONLY = Rules(min_notice_minutes=0, horizon_days=36_500)

#: The version as a scalar subquery, for guarded statements (a missing row reads as 0).
VERSION = CATALOG_VERSION


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    id: int
    key: str
    duration_minutes: int
    is_active: bool


@dataclass(frozen=True, slots=True)
class SpecialistInfo:
    """What a booking needs to know about a specialist, contacts included."""

    id: int
    key: str
    timezone: str
    is_active: bool
    telegram_user_id: int | None
    email: str | None


@dataclass(frozen=True, slots=True)
class Catalog:
    version: int
    rules: Rules
    services: Mapping[int, ServiceInfo]
    specialists: Mapping[int, SpecialistInfo]
    calendars: Mapping[int, SpecialistCalendar] = field(default_factory=dict)  # no busy time
    #: :meth:`providers` by service, as asked (every question asks; the catalog never changes).
    _providers: dict[int, tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def providers(self, service_id: int) -> list[int]:
        """Active specialists offering an active service, by id."""
        found = self._providers.get(service_id)
        if found is None:
            found = self._providers[service_id] = self._offering(service_id)
        return list(found)

    def _offering(self, service_id: int) -> tuple[int, ...]:
        service = self.services.get(service_id)
        if service is None or not service.is_active:
            return ()
        return tuple(
            sorted(
                sid
                for sid, calendar in self.calendars.items()
                if service_id in calendar.service_ids and self.specialists[sid].is_active
            )
        )

    def offers(
        self,
        specialist_id: int,
        service_id: int,
        start: datetime,
        now: datetime,
        *,
        notice_and_horizon: bool = True,
    ) -> bool:
        """Whether an active service, an active specialist's schedule layers and the rules
        offer ``start`` (busy time aside).

        ``notice_and_horizon=False`` leaves out the minimum notice and the horizon (a start
        already past ``now`` is still refused): a hold checked them when it was placed.
        """
        calendar = self.calendars.get(specialist_id)
        service = self.services.get(service_id)
        if calendar is None or service is None or service_id not in calendar.service_ids:
            return False
        if not service.is_active:
            return False
        rules = self.rules if notice_and_horizon else _SCHEDULE_ONLY
        day = start.astimezone(calendar.timezone).date()
        offered = slots_for_day(
            calendar, day, duration_minutes=service.duration_minutes, now=now, rules=rules
        )
        return any(slot.start == start for slot in offered)


async def load_catalog(session: AsyncSession) -> Catalog:
    """Read the whole catalog (the version first, so a change in between reads as stale)."""
    version = await session.scalar(select(VERSION))
    settings = await session.execute(
        select(BusinessSetting.key, BusinessSetting.value).where(BusinessSetting.key.in_(RULE_KEYS))
    )
    rules = Rules(**{key: int(value) for key, value in settings.all()})
    services = {
        s.id: ServiceInfo(s.id, s.key, s.duration_minutes, s.is_active)
        for s in await session.scalars(select(Service))
    }
    specialists = {
        s.id: SpecialistInfo(s.id, s.key, s.timezone, s.is_active, s.telegram_user_id, s.email)
        for s in await session.scalars(select(Specialist).where(Specialist.is_active.is_(True)))
    }
    offered: dict[int, set[int]] = defaultdict(set)
    for sid, service_id in await session.execute(select(specialist_services)):
        offered[sid].add(service_id)
    weekly: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for row in await session.scalars(select(SpecialistSchedule)):
        window = Window(row.start_time, row.end_time, row.slot_duration, row.break_after)
        weekly[row.specialist_id].append(
            WeeklyWindow(row.weekday, window, row.valid_from, row.valid_until)
        )
    overrides: dict[int, list[DateOverride]] = defaultdict(list)
    for o in await session.scalars(select(SpecialistOverride)):
        custom = None
        if o.kind == OverrideKind.CUSTOM_HOURS and o.start_time and o.end_time:
            custom = Window(o.start_time, o.end_time, o.slot_duration or 60, o.break_after or 0)
        overrides[o.specialist_id].append(
            DateOverride(o.starts_on, o.ends_on, OverrideKind(o.kind), custom, o.substitute_id)
        )
    calendars = {
        sid: SpecialistCalendar(
            specialist_id=sid,
            key=info.key,
            timezone=ZoneInfo(info.timezone),
            weekly=tuple(weekly[sid]),
            overrides=tuple(overrides[sid]),
            service_ids=frozenset(offered[sid]),
        )
        for sid, info in specialists.items()
    }
    return Catalog(int(version or 0), rules, services, specialists, calendars)


_cache: weakref.WeakKeyDictionary[object, Catalog] = weakref.WeakKeyDictionary()


def cached(engine: AsyncEngine) -> Catalog | None:
    """The catalog this process last loaded for ``engine``'s database, if any."""
    return _cache.get(engine.sync_engine.pool)


async def refresh(engine: AsyncEngine, session: AsyncSession | None = None) -> Catalog:
    """Load the catalog afresh (in ``session`` if given) and keep it for ``engine``."""
    if session is None:
        async with session_factory(engine)() as own:
            catalog = await load_catalog(own)
    else:
        catalog = await load_catalog(session)
    _cache[engine.sync_engine.pool] = catalog
    return catalog


async def fresh(session: AsyncSession) -> Catalog:
    """The catalog as the database has it now: the cached one if its version is current,
    else reloaded (in ``session``) and cached. One small query when nothing changed."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to an engine"
    version = await session.scalar(select(VERSION))
    catalog = cached(engine)
    if catalog is not None and catalog.version == version:
        return catalog
    return await refresh(engine, session)


async def at_version(session: AsyncSession, version: int) -> Catalog:
    """The catalog at ``version`` (read by the caller moments ago): the cached one when it
    matches, else reloaded in ``session``. No query when nothing changed."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to an engine"
    catalog = cached(engine)
    if catalog is not None and catalog.version == version:
        return catalog
    return await refresh(engine, session)


async def current(engine: AsyncEngine) -> Catalog:
    """The cached catalog, loading it the first time (it may be stale: see the module doc)."""
    return cached(engine) or await refresh(engine)


def forget(engine: AsyncEngine) -> None:
    """Drop the cached catalog of ``engine``."""
    _cache.pop(engine.sync_engine.pool, None)


__all__ = [
    "VERSION",
    "Catalog",
    "ServiceInfo",
    "SpecialistInfo",
    "at_version",
    "cached",
    "current",
    "forget",
    "fresh",
    "load_catalog",
    "refresh",
]
