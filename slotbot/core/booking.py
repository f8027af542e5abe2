"""The booking lifecycle (DESIGN.md section 4): hold, confirm, cancel, reschedule, release.

``held -> confirmed -> completed | no_show``, with ``cancelled`` (by client, specialist or
staff, with a reason) and ``expired`` (a hold not confirmed in time, or released).

Each operation is one unit of work: one write transaction that commits the transition and the
outbox rows it plans together, or nothing. Two live bookings (held and unexpired, or
confirmed) of one specialist never overlap: on PostgreSQL an exclusion constraint enforces it
(migration 0002) and a lost race surfaces as a constraint violation; on SQLite the check and
the insert run in one ``BEGIN IMMEDIATE`` transaction. Either way the loser gets a
:class:`BookingRefused` with reason ``slot_taken`` and the next free slots, never a database
error.

Every rule is checked again here, at hold and at confirm: the start must be a slot the engine
offers for that specialist and service at ``now``; a client holds at most
:data:`MAX_LIVE_HOLDS` holds and never two overlapping appointments.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement

from slotbot.core.availability import BusyIndex, Rules, Slot, slots_for_day
from slotbot.core.calendars import load_calendars, load_rules, providers, upcoming_slots
from slotbot.core.db import session_factory, writer
from slotbot.core.models import (
    Booking,
    BookingStatus,
    Client,
    Service,
    Specialist,
    specialist_services,
)
from slotbot.core.outbox import plan_cancelled, plan_confirmed, withdraw_review, withdraw_upcoming

MAX_LIVE_HOLDS = 3
CANCELLERS = ("client", "specialist", "staff")


class Refusal(enum.StrEnum):
    """Why a booking operation was refused; each is a user-facing outcome, not a bug."""

    SLOT_TAKEN = "slot_taken"
    NOT_BOOKABLE = "not_bookable"
    NOT_OFFERED = "not_offered"
    CLIENT_OVERLAP = "client_overlap"
    TOO_MANY_HOLDS = "too_many_holds"
    HOLD_EXPIRED = "hold_expired"
    NOT_FOUND = "not_found"
    WRONG_STATE = "wrong_state"


class BookingRefused(Exception):
    """A booking operation that cannot be done, with the reason and, for a taken slot,
    the next free slots to offer instead."""

    def __init__(self, reason: Refusal, message: str, next_slots: Sequence[Slot] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        self.next_slots = tuple(next_slots)


def _live(now: datetime) -> ColumnElement[bool]:
    return or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
    )


def _is_exclusion_violation(error: IntegrityError) -> bool:
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == "23P01" or "ex_bookings_no_overlap" in str(orig)


async def _service(session: AsyncSession, service_id: int) -> Service:
    service = await session.get(Service, service_id)
    if service is None or not service.is_active:
        raise BookingRefused(Refusal.NOT_OFFERED, "this service is not offered")
    return service


async def _candidates(
    session: AsyncSession, service: Service, specialist_id: int | None
) -> list[int]:
    if specialist_id is None:
        ids = await providers(session, service.id)
        if not ids:
            raise BookingRefused(Refusal.NOT_OFFERED, "nobody offers this service right now")
        return ids
    offers = await session.scalar(
        select(func.count())
        .select_from(specialist_services)
        .join(Specialist, Specialist.id == specialist_services.c.specialist_id)
        .where(
            specialist_services.c.specialist_id == specialist_id,
            specialist_services.c.service_id == service.id,
            Specialist.is_active.is_(True),
        )
    )
    if not offers:
        raise BookingRefused(Refusal.NOT_OFFERED, "this specialist does not offer this service")
    return [specialist_id]


async def _expire_stale_holds(
    session: AsyncSession, specialist_ids: Sequence[int], start: datetime, end: datetime,
    now: datetime,
) -> None:  # fmt: skip
    """Flip holds that ran out to ``expired`` before they can block a new hold."""
    await session.execute(
        update(Booking)
        .where(
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at <= now,
            Booking.specialist_id.in_(specialist_ids),
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .values(status=BookingStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )


async def _check_client(
    session: AsyncSession,
    client_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: Sequence[int] = (),
    new_hold: bool,
) -> None:
    others = Booking.id.not_in(ignore) if ignore else true()
    if new_hold:
        holds = await session.scalar(
            select(func.count()).where(
                Booking.client_id == client_id,
                Booking.status == BookingStatus.HELD,
                Booking.hold_expires_at > now,
                others,
            )
        )
        if (holds or 0) >= MAX_LIVE_HOLDS:
            raise BookingRefused(
                Refusal.TOO_MANY_HOLDS,
                f"you already hold {MAX_LIVE_HOLDS} unconfirmed times; confirm or release one",
            )
    clash = await session.scalar(
        select(Booking.id)
        .where(
            Booking.client_id == client_id,
            Booking.starts_at < end,
            Booking.ends_at > start,
            _live(now),
            others,
        )
        .limit(1)
    )
    if clash is not None:
        raise BookingRefused(Refusal.CLIENT_OVERLAP, "you already have an appointment then")


async def _free_specialists(
    session: AsyncSession,
    specialist_ids: Sequence[int],
    service: Service,
    start: datetime,
    now: datetime,
    rules: Rules,
    *,
    ignore: int | None = None,
) -> list[int]:
    """Who among ``specialist_ids`` can take ``start``; refuses when nobody can."""
    day = start.date()
    calendars = await load_calendars(
        session,
        specialist_ids=specialist_ids,
        first=day - timedelta(days=1),
        last=day + timedelta(days=1),
        now=now,
        exclude_booking_id=ignore,
    )
    free, scheduled = [], False
    for calendar in calendars:
        local_day = start.astimezone(calendar.timezone).date()
        for busy in (calendar.busy, BusyIndex()):
            offered = slots_for_day(
                replace(calendar, busy=busy),
                local_day,
                duration_minutes=service.duration_minutes,
                now=now,
                rules=rules,
            )
            if any(slot.start == start for slot in offered):
                if busy is calendar.busy:
                    free.append(calendar.specialist_id)
                scheduled = True
                break
    if free:
        return free
    if scheduled:
        raise BookingRefused(Refusal.SLOT_TAKEN, "this time has just been taken")
    raise BookingRefused(Refusal.NOT_BOOKABLE, "this is not a bookable time")


async def _least_booked_first(
    session: AsyncSession, specialist_ids: list[int], start: datetime, now: datetime
) -> list[int]:
    """Order ``specialist_ids`` by their live bookings on the day of ``start``, then by id."""
    if len(specialist_ids) < 2:
        return specialist_ids
    day_start = start - timedelta(hours=12)
    day_end = start + timedelta(hours=12)
    counts = dict(
        (
            await session.execute(
                select(Booking.specialist_id, func.count())
                .where(
                    Booking.specialist_id.in_(specialist_ids),
                    Booking.starts_at >= day_start,
                    Booking.starts_at < day_end,
                    _live(now),
                )
                .group_by(Booking.specialist_id)
            )
        ).all()
    )
    return sorted(specialist_ids, key=lambda sid: (counts.get(sid, 0), sid))


async def _hold_in(
    session: AsyncSession,
    *,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    client_id: int,
    channel: str,
    now: datetime,
    replacing: int | None = None,
) -> Booking:
    service = await _service(session, service_id)
    client = await session.scalar(select(Client).where(Client.id == client_id).with_for_update())
    if client is None:
        raise BookingRefused(Refusal.NOT_FOUND, "unknown client")
    rules = await load_rules(session)
    candidates = await _candidates(session, service, specialist_id)
    end = start + timedelta(minutes=service.duration_minutes)
    await _expire_stale_holds(session, candidates, start, end, now)
    ignore = [replacing] if replacing else []
    await _check_client(session, client_id, start, end, now, ignore=ignore, new_hold=True)
    free = await _free_specialists(session, candidates, service, start, now, rules)
    for chosen in await _least_booked_first(session, free, start, now):
        booking = Booking(
            client_id=client_id,
            specialist_id=chosen,
            service_id=service.id,
            starts_at=start,
            ends_at=end,
            status=BookingStatus.HELD,
            hold_expires_at=now + rules.hold,
            channel=channel,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(booking)
        except IntegrityError as error:
            if not _is_exclusion_violation(error):
                raise
            continue  # taken by a concurrent transaction: try the next free specialist
        return booking
    raise BookingRefused(Refusal.SLOT_TAKEN, "this time has just been taken")


async def _next_slots(
    engine: AsyncEngine, service_id: int, specialist_id: int | None, after: datetime, now: datetime
) -> list[Slot]:
    async with session_factory(engine)() as session:
        service = await session.get(Service, service_id)
        if service is None:
            return []
        ids = [specialist_id] if specialist_id else await providers(session, service_id)
        return await upcoming_slots(
            session, specialist_ids=ids, duration_minutes=service.duration_minutes,
            after=after, now=now,
        )  # fmt: skip


async def hold(
    engine: AsyncEngine,
    *,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    client_id: int,
    channel: str,
    now: datetime,
) -> Booking:
    """Hold ``start`` for a client; ``specialist_id`` ``None`` means any available.

    Returns the held booking (expiring after the shop's hold time). Raises
    :class:`BookingRefused`; a taken slot comes with the next free slots.
    """
    try:
        async with writer(engine) as session:
            return await _hold_in(
                session, service_id=service_id, specialist_id=specialist_id, start=start,
                client_id=client_id, channel=channel, now=now,
            )  # fmt: skip
    except BookingRefused as refusal:
        if refusal.reason != Refusal.SLOT_TAKEN:
            raise
        alternatives = await _next_slots(engine, service_id, specialist_id, start, now)
        raise BookingRefused(refusal.reason, str(refusal), alternatives) from None


async def _locked_booking(
    session: AsyncSession, booking_id: int, client_id: int | None = None
) -> Booking:
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id).with_for_update()
    )
    if booking is None or (client_id is not None and booking.client_id != client_id):
        raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
    return booking


async def _parties(session: AsyncSession, booking: Booking) -> tuple[Client, Specialist]:
    client = await session.get(Client, booking.client_id)
    specialist = await session.get(Specialist, booking.specialist_id)
    assert client is not None and specialist is not None  # foreign keys guarantee both
    return client, specialist


async def _confirm_in(
    session: AsyncSession, booking: Booking, now: datetime, *, rescheduled_from: int | None = None
) -> None:
    service = await _service(session, booking.service_id)
    rules = await load_rules(session)
    await _check_client(
        session, booking.client_id, booking.starts_at, booking.ends_at, now,
        ignore=[booking.id], new_hold=False,
    )  # fmt: skip
    await _free_specialists(
        session, [booking.specialist_id], service, booking.starts_at, now, rules, ignore=booking.id
    )
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = now
    booking.updated_at = now
    client, specialist = await _parties(session, booking)
    session.add_all(
        plan_confirmed(booking, client, specialist, now=now, rescheduled_from=rescheduled_from)
    )


async def confirm(
    engine: AsyncEngine, *, booking_id: int, now: datetime, client_id: int | None = None
) -> Booking:
    """Confirm a hold. Idempotent: confirming a confirmed booking returns it unchanged.

    A hold that ran out, or whose time can no longer be booked, is expired and refused.
    """
    refusal: BookingRefused | None = None
    async with writer(engine) as session:
        booking = await _locked_booking(session, booking_id, client_id)
        if booking.status == BookingStatus.CONFIRMED:
            return booking
        if booking.status != BookingStatus.HELD:
            raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
        if booking.hold_expires_at is None or booking.hold_expires_at <= now:
            refusal = BookingRefused(Refusal.HOLD_EXPIRED, "the hold on this time ran out")
        else:
            try:
                async with session.begin_nested():
                    await _confirm_in(session, booking, now)
            except BookingRefused as error:
                refusal = error
        if refusal is not None:
            booking.status = BookingStatus.EXPIRED
            booking.updated_at = now
    if refusal is not None:
        raise refusal
    return booking


async def release(
    engine: AsyncEngine, *, booking_id: int, now: datetime, client_id: int | None = None
) -> Booking:
    """Let a hold go (the client went back). Releasing a released hold is a no-op."""
    async with writer(engine) as session:
        booking = await _locked_booking(session, booking_id, client_id)
        if booking.status == BookingStatus.HELD:
            booking.status = BookingStatus.EXPIRED
            booking.hold_expires_at = min(booking.hold_expires_at or now, now)
            booking.updated_at = now
        elif booking.status != BookingStatus.EXPIRED:
            raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
        return booking


def _cancel_fields(booking: Booking, by: str, reason: str | None, now: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_by = by
    booking.cancel_reason = reason
    booking.cancelled_at = now
    booking.updated_at = now


async def cancel(
    engine: AsyncEngine,
    *,
    booking_id: int,
    by: str,
    reason: str | None = None,
    now: datetime,
    client_id: int | None = None,
) -> Booking:
    """Cancel a confirmed booking that has not started; tells the other side.

    Cancelling a cancelled booking returns it unchanged; a hold is simply released.
    """
    if by not in CANCELLERS:
        raise ValueError(f"by must be one of {CANCELLERS}")
    async with writer(engine) as session:
        booking = await _locked_booking(session, booking_id, client_id)
        if booking.status == BookingStatus.CANCELLED:
            return booking
        if booking.status == BookingStatus.HELD:
            booking.status = BookingStatus.EXPIRED
            booking.updated_at = now
            return booking
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
        if booking.starts_at <= now:
            raise BookingRefused(Refusal.WRONG_STATE, "this appointment has already started")
        _cancel_fields(booking, by, reason, now)
        await withdraw_upcoming(session, booking.id)
        client, specialist = await _parties(session, booking)
        session.add_all(plan_cancelled(booking, client, specialist, by=by, now=now))
        return booking


async def reschedule(
    engine: AsyncEngine,
    *,
    booking_id: int,
    start: datetime,
    now: datetime,
    specialist_id: int | None = None,
    any_specialist: bool = False,
    client_id: int | None = None,
) -> Booking:
    """Move a confirmed booking: the new time is held and confirmed and the old booking
    cancelled in one transaction, or nothing changes.

    The new booking keeps the specialist unless ``specialist_id`` names another or
    ``any_specialist`` lets anyone free take it. Returns the new, confirmed booking.
    """
    moving: tuple[int, int | None] | None = None  # (service, specialist) to offer instead
    try:
        async with writer(engine) as session:
            old = await _locked_booking(session, booking_id, client_id)
            if old.status != BookingStatus.CONFIRMED:
                raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {old.status}")
            if old.starts_at <= now:
                raise BookingRefused(Refusal.WRONG_STATE, "this appointment has already started")
            target = None if any_specialist else specialist_id or old.specialist_id
            moving = (old.service_id, target)
            _cancel_fields(old, "client", "rescheduled", now)
            await withdraw_upcoming(session, old.id)
            await session.flush()
            new = await _hold_in(
                session,
                service_id=old.service_id,
                specialist_id=target,
                start=start,
                client_id=old.client_id,
                channel=old.channel,
                now=now,
                replacing=old.id,
            )
            await session.flush()
            await _confirm_in(session, new, now, rescheduled_from=old.id)
            if new.specialist_id != old.specialist_id:
                client, specialist = await _parties(session, old)
                session.add_all(plan_cancelled(old, client, specialist, by="client", now=now))
            return new
    except BookingRefused as refusal:
        if refusal.reason != Refusal.SLOT_TAKEN or moving is None:
            raise
        alternatives = await _next_slots(engine, *moving, start, now)
        raise BookingRefused(refusal.reason, str(refusal), alternatives) from None


async def complete_past(engine: AsyncEngine, *, now: datetime) -> int:
    """Mark confirmed bookings that have ended as completed; returns how many."""
    async with writer(engine) as session:
        result = await session.execute(
            update(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED, Booking.ends_at <= now)
            .values(status=BookingStatus.COMPLETED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def expire_holds(engine: AsyncEngine, *, now: datetime) -> int:
    """Flip every hold that ran out to ``expired``; returns how many."""
    async with writer(engine) as session:
        result = await session.execute(
            update(Booking)
            .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
            .values(status=BookingStatus.EXPIRED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def mark_no_show(
    engine: AsyncEngine, *, booking_id: int, now: datetime, specialist_id: int | None = None
) -> Booking:
    """The specialist reports that the client did not come; no review is asked for."""
    async with writer(engine) as session:
        booking = await _locked_booking(session, booking_id)
        if specialist_id is not None and booking.specialist_id != specialist_id:
            raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
        if booking.status == BookingStatus.NO_SHOW:
            return booking
        if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
        if booking.starts_at > now:
            raise BookingRefused(Refusal.WRONG_STATE, "this appointment has not started yet")
        booking.status = BookingStatus.NO_SHOW
        booking.updated_at = now
        await withdraw_review(session, booking.id)
        return booking
