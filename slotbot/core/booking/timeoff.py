"""Specialist time off entered by staff: a day off, a vacation, a blocked interval.

Each can be previewed first: the ``*_conflicts`` functions list the live bookings (confirmed,
and holds not run out at ``now``) that stand in the way, writing nothing. The ``add_*``
functions write the row with ``source="staff"`` (a re-import keeps it) and either keep those
bookings or, with ``cancel_conflicts``, cancel them by the specialist in the same transaction
(clients hear through the outbox; holds are released); ``cancel_ids`` cancels only those of
them named (the specialist chose one by one; anything else in the way is kept).

A day off or vacation is an override: database triggers move the catalog version, so a
process holding with a cached catalog reloads and is refused. A block is busy time, which
every hold and confirm checks in its guarded statement (it does not move the version).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability.engine import OverrideKind
from slotbot.core.booking.service import cancel_in
from slotbot.core.booking.sql import live
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Source,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
)
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session

__all__ = [
    "TimeOff",
    "add_block",
    "add_day_off",
    "add_vacation",
    "block_conflicts",
    "day_off_conflicts",
    "vacation_conflicts",
]


@dataclass(frozen=True, slots=True)
class TimeOff:
    """What an ``add_*`` call wrote and what stood in its way."""

    id: int  # the new override or block
    conflicts: tuple[Booking, ...]  # live bookings overlapping it when it was written
    cancelled: tuple[int, ...]  # ids of those cancelled or released (none unless asked)


# --- checks and spans ---------------------------------------------------------------------------


def _check_reason(reason: str | None, row: type[SpecialistOverride | SpecialistBlock]) -> None:
    column_type = cast(String, row.__table__.c.reason.type)
    limit = column_type.length
    if reason is not None and limit is not None and len(reason) > limit:
        raise ValueError(f"the reason is longer than {limit} characters")


def _check_dates(first: date, last: date) -> None:
    if last < first:
        raise ValueError("the last day is before the first")


def _check_instants(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("the end is not after the start")


def _days(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """The instants from local midnight of ``first`` to local midnight after ``last``."""
    end = last + timedelta(days=1)
    return datetime.combine(first, time(), zone), datetime.combine(end, time(), zone)


async def _specialist(
    session: AsyncSession, specialist_id: int, *, lock: bool = False
) -> Specialist:
    """The specialist; ``lock`` takes their row exclusively (PostgreSQL), so holds and
    confirms of theirs wait for the time off being written, then see it."""
    specialist = await session.get(Specialist, specialist_id, with_for_update=lock)
    if specialist is None:
        raise LookupError(f"no specialist {specialist_id}")
    return specialist


async def _live_in(
    session: AsyncSession,
    specialist_id: int,
    span: tuple[datetime, datetime],
    now: datetime,
    *,
    lock: bool = False,
) -> list[Booking]:
    """Live bookings of the specialist overlapping ``span`` that have not ended."""
    query = (
        select(Booking)
        .where(
            Booking.specialist_id == specialist_id,
            Booking.starts_at < span[1],
            Booking.ends_at > span[0],
            Booking.ends_at > now,
            live(now),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    if lock:
        query = query.with_for_update()
    return list(await session.scalars(query))


# --- previews -----------------------------------------------------------------------------------


async def _preview(
    engine: AsyncEngine,
    specialist_id: int,
    span: Callable[[Specialist], tuple[datetime, datetime]],
    now: datetime,
    uow: UnitOfWork | None = None,
) -> list[Booking]:
    if uow is not None:  # the unit's session: what it wrote is seen
        specialist = await _specialist(uow.session, specialist_id)
        return await _live_in(uow.session, specialist_id, span(specialist), now)
    async with session_factory(engine)() as session:
        specialist = await _specialist(session, specialist_id)
        return await _live_in(session, specialist_id, span(specialist), now)


async def day_off_conflicts(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    day: date,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> list[Booking]:
    """Live bookings on the specialist's local ``day``, by start; nothing is written."""
    return await vacation_conflicts(
        engine, specialist_id=specialist_id, first=day, last=day, now=now, uow=uow
    )


async def vacation_conflicts(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    first: date,
    last: date,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> list[Booking]:
    """Live bookings on the specialist's local dates [first, last], by start."""
    _check_dates(first, last)
    return await _preview(
        engine, specialist_id, lambda s: _days(ZoneInfo(s.timezone), first, last), now, uow
    )


async def block_conflicts(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> list[Booking]:
    """Live bookings of the specialist overlapping [start, end), by start."""
    _check_instants(start, end)
    return await _preview(engine, specialist_id, lambda _: (start, end), now, uow)


# --- writing ------------------------------------------------------------------------------------


async def _add(
    engine: AsyncEngine,
    specialist_id: int,
    span: Callable[[Specialist], tuple[datetime, datetime]],
    row: SpecialistOverride | SpecialistBlock,
    *,
    now: datetime,
    cancel_conflicts: bool,
    cancel_ids: Collection[int],
    cancel_reason: str | None,
    uow: UnitOfWork | None = None,
) -> TimeOff:
    """Write the row and deal with the bookings in its way, in one transaction."""
    async with write_session(engine, uow) as session:
        specialist = await _specialist(session, specialist_id, lock=True)
        session.add(row)
        await session.flush()
        conflicts = await _live_in(session, specialist_id, span(specialist), now, lock=True)
        cancelled: list[int] = []
        for booking in conflicts:
            if not (cancel_conflicts or booking.id in cancel_ids):
                continue
            if booking.status == BookingStatus.CONFIRMED and booking.starts_at <= now:
                continue  # under way: the specialist settles it in person
            await cancel_in(session, booking, by="specialist", reason=cancel_reason, now=now)
            cancelled.append(booking.id)
        return TimeOff(row.id, tuple(conflicts), tuple(cancelled))


async def add_day_off(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    day: date,
    reason: str | None,
    now: datetime,
    cancel_conflicts: bool = False,
    cancel_ids: Collection[int] = (),
    cancel_reason: str | None = None,
    uow: UnitOfWork | None = None,
) -> TimeOff:
    """Give the specialist the local ``day`` off; see the module doc for the bookings."""
    return await _add_override(
        engine, specialist_id, day, day, OverrideKind.DAY_OFF, reason, None, now=now,
        cancel_conflicts=cancel_conflicts, cancel_ids=cancel_ids, cancel_reason=cancel_reason,
        uow=uow,
    )  # fmt: skip


async def add_vacation(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    first: date,
    last: date,
    reason: str | None,
    substitute_id: int | None = None,
    now: datetime,
    cancel_conflicts: bool = False,
    cancel_ids: Collection[int] = (),
    cancel_reason: str | None = None,
    uow: UnitOfWork | None = None,
) -> TimeOff:
    """A vacation over the local dates [first, last], optionally naming a substitute (who
    is then offered first to the specialist's clients while free)."""
    if substitute_id is not None and substitute_id == specialist_id:
        raise ValueError("a specialist cannot substitute for themselves")
    return await _add_override(
        engine, specialist_id, first, last, OverrideKind.VACATION, reason, substitute_id,
        now=now, cancel_conflicts=cancel_conflicts, cancel_ids=cancel_ids,
        cancel_reason=cancel_reason, uow=uow,
    )  # fmt: skip


async def _add_override(
    engine: AsyncEngine,
    specialist_id: int,
    first: date,
    last: date,
    kind: OverrideKind,
    reason: str | None,
    substitute_id: int | None,
    *,
    now: datetime,
    cancel_conflicts: bool,
    cancel_ids: Collection[int],
    cancel_reason: str | None,
    uow: UnitOfWork | None = None,
) -> TimeOff:
    _check_dates(first, last)
    _check_reason(reason, SpecialistOverride)

    row = SpecialistOverride(
        specialist_id=specialist_id, starts_on=first, ends_on=last, kind=kind.value,
        reason=reason, substitute_id=substitute_id, source=Source.STAFF.value,
    )  # fmt: skip
    if substitute_id is not None and uow is not None:
        await _specialist(uow.session, substitute_id)
    elif substitute_id is not None:
        async with session_factory(engine)() as session:
            await _specialist(session, substitute_id)
    return await _add(
        engine, specialist_id, lambda s: _days(ZoneInfo(s.timezone), first, last), row,
        now=now, cancel_conflicts=cancel_conflicts, cancel_ids=cancel_ids,
        cancel_reason=cancel_reason or reason, uow=uow,
    )  # fmt: skip


async def add_block(
    engine: AsyncEngine,
    *,
    specialist_id: int,
    start: datetime,
    end: datetime,
    reason: str | None,
    now: datetime,
    cancel_conflicts: bool = False,
    cancel_ids: Collection[int] = (),
    cancel_reason: str | None = None,
    uow: UnitOfWork | None = None,
) -> TimeOff:
    """Block [start, end) of the specialist's time (a meeting, an errand)."""
    _check_instants(start, end)
    _check_reason(reason, SpecialistBlock)

    row = SpecialistBlock(
        specialist_id=specialist_id, starts_at=start, ends_at=end, reason=reason,
        source=Source.STAFF.value,
    )  # fmt: skip
    return await _add(
        engine, specialist_id, lambda _: (start, end), row, now=now,
        cancel_conflicts=cancel_conflicts, cancel_ids=cancel_ids,
        cancel_reason=cancel_reason or reason, uow=uow,
    )  # fmt: skip
