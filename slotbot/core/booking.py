"""The booking lifecycle (DESIGN.md section 4): hold, confirm, cancel, reschedule, release.

``held -> confirmed -> completed | no_show``, with ``cancelled`` (by client, specialist or
staff, with a reason) and ``expired`` (a hold not confirmed in time, or released).

Every rule is checked on the server at hold and at confirm: the start must be a slot the
engine offers for that specialist and service at ``now`` (schedule, overrides, blocks, minimum
notice, horizon); a client holds at most :data:`MAX_LIVE_HOLDS` holds and never two
overlapping appointments.

How "never a double booking" is kept, with little time spent holding the write lock:

1. A read phase (no lock) loads the service, the rules and the specialists' calendars and
   asks the slot engine whether ``start`` is offered, and by whom.
2. A write phase (one short transaction) inserts the hold with a single
   ``INSERT ... SELECT ... WHERE NOT EXISTS (overlapping live booking or block) AND NOT
   EXISTS (client's overlapping booking) AND (client's live holds) < 3``. On SQLite the
   transaction is ``BEGIN IMMEDIATE``, so the check and the insert see the same database; on
   PostgreSQL the statement carries ``ON CONFLICT DO NOTHING`` and the ``btree_gist``
   exclusion constraint (migration 0002) decides races; holds that ran out are flipped to
   ``expired`` first when they are in the way.
3. Confirming is one conditional ``UPDATE`` (still held, not run out, no block, no clashing
   appointment of the client) plus the outbox rows, in one transaction.

The loser of a race gets :class:`BookingRefused` with reason ``slot_taken`` and the next free
slots, never a database error. Each transition writes its outbox rows in its own transaction.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement

from slotbot.core.availability import BusyIndex, Rules, Slot, slots_for_day
from slotbot.core.calendars import (
    RULE_COLUMNS,
    load_calendars,
    providers,
    rules_from,
    upcoming_slots,
)
from slotbot.core.db import is_sqlite, session_factory, writer
from slotbot.core.models import (
    Booking,
    BookingStatus,
    Client,
    Service,
    Specialist,
    SpecialistBlock,
)
from slotbot.core.outbox import (
    plan_cancelled,
    plan_confirmed,
    withdraw_review,
    withdraw_upcoming,
    write,
)

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


def _taken() -> BookingRefused:
    return BookingRefused(Refusal.SLOT_TAKEN, "this time is no longer free")


# --- statements, built once -------------------------------------------------------------------


def _live(now: ColumnElement[Any] | datetime) -> ColumnElement[bool]:
    return or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
    )


_BOOKINGS = cast(Table, Booking.__table__)  # Core statements: no ORM bookkeeping on hot paths

_P = {
    name: bindparam(f"p_{name}", type_=column.type)
    for name, column in (
        ("client_id", Booking.client_id),
        ("specialist_id", Booking.specialist_id),
        ("service_id", Booking.service_id),
        ("starts_at", Booking.starts_at),
        ("ends_at", Booking.ends_at),
        ("hold_expires_at", Booking.hold_expires_at),
        ("channel", Booking.channel),
        ("now", Booking.created_at),
        ("booking_id", Booking.id),
    )
}


def _client_clash(client: Any, start: Any, end: Any, now: Any, booking: Any) -> Any:
    """Another live appointment of the client that overlaps [start, end)."""
    return exists().where(
        Booking.client_id == client,
        Booking.starts_at < end,
        Booking.ends_at > start,
        Booking.id != booking,
        _live(now),
    )


def _blocked(specialist: Any, start: Any, end: Any) -> Any:
    return exists().where(
        SpecialistBlock.specialist_id == specialist,
        SpecialistBlock.starts_at < end,
        SpecialistBlock.ends_at > start,
    )


def _hold_statement(dialect: str) -> Insert:
    p = _P
    taken = exists().where(
        Booking.specialist_id == p["specialist_id"],
        Booking.starts_at < p["ends_at"],
        Booking.ends_at > p["starts_at"],
        _live(p["now"]),
    )
    live_holds = (
        select(func.count())
        .where(
            Booking.client_id == p["client_id"],
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at > p["now"],
        )
        .scalar_subquery()
    )
    values = select(
        p["client_id"], p["specialist_id"], p["service_id"], p["starts_at"], p["ends_at"],
        literal(BookingStatus.HELD.value), p["hold_expires_at"],
        p["channel"], p["now"], p["now"],
    ).where(
        ~taken,
        ~_blocked(p["specialist_id"], p["starts_at"], p["ends_at"]),
        ~_client_clash(p["client_id"], p["starts_at"], p["ends_at"], p["now"], p["booking_id"]),
        live_holds < MAX_LIVE_HOLDS,
    )  # fmt: skip
    columns = ["client_id", "specialist_id", "service_id", "starts_at", "ends_at", "status",
               "hold_expires_at", "channel", "created_at", "updated_at"]  # fmt: skip
    if dialect == "postgresql":
        statement: Insert = (
            pg_insert(_BOOKINGS).from_select(columns, values).on_conflict_do_nothing()
        )
    else:
        statement = insert(_BOOKINGS).from_select(columns, values)
    return statement.returning(_BOOKINGS.c.id)


_HOLD = {name: _hold_statement(name) for name in ("postgresql", "sqlite")}

_CONFIRM = (
    update(_BOOKINGS)
    .where(
        Booking.id == _P["booking_id"],
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at > _P["now"],
        ~_blocked(Booking.specialist_id, Booking.starts_at, Booking.ends_at),
        ~_client_clash(
            Booking.client_id, Booking.starts_at, Booking.ends_at, _P["now"], Booking.id
        ),
    )
    .values(
        status=BookingStatus.CONFIRMED,
        confirmed_at=_P["now"],
        updated_at=_P["now"],
        hold_expires_at=None,
    )
    .returning(_BOOKINGS.c.id)
)

_EXPIRE_IN_THE_WAY = (
    update(_BOOKINGS)
    .where(
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at <= _P["now"],
        Booking.specialist_id == _P["specialist_id"],
        Booking.starts_at < _P["ends_at"],
        Booking.ends_at > _P["starts_at"],
    )
    .values(status=BookingStatus.EXPIRED, updated_at=_P["now"])
)


_SERVICE_AND_RULES = (
    select(Service, Client.id, *RULE_COLUMNS)
    .join(Client, Client.id == bindparam("client_id"))
    .where(Service.id == bindparam("service_id"))
)
_SERVICE_AND_RULES_LOCKING = _SERVICE_AND_RULES.with_for_update(of=Client)

_BOOKING_IN_FULL = (
    select(Booking, Client, Specialist, Service, *RULE_COLUMNS)
    .join(Client, Client.id == Booking.client_id)
    .join(Specialist, Specialist.id == Booking.specialist_id)
    .join(Service, Service.id == Booking.service_id)
    .where(Booking.id == bindparam("booking_id"))
)


# --- the read phase ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HoldPlan:
    service_id: int
    start: datetime
    end: datetime
    hold_until: datetime
    candidates: tuple[int, ...]  # free specialists, in the order to try them


async def _service_and_rules(
    session: AsyncSession, service_id: int, client_id: int
) -> tuple[Service, Rules]:
    """The active service and the shop's rules in one query, checking the client exists.

    On PostgreSQL the client's row is locked for the rest of the transaction, so that one
    client's concurrent requests are checked against each other's outcome.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    row = (
        await session.execute(
            _SERVICE_AND_RULES_LOCKING if postgres else _SERVICE_AND_RULES,
            {"service_id": service_id, "client_id": client_id},
        )
    ).one_or_none()
    if row is None and await session.get(Client, client_id) is None:
        raise BookingRefused(Refusal.NOT_FOUND, "unknown client")
    if row is None or not row[0].is_active:
        raise BookingRefused(Refusal.NOT_OFFERED, "this service is not offered")
    return row[0], rules_from(row[2:])


async def _who_can_take(
    session: AsyncSession,
    specialist_ids: Sequence[int],
    service: Service,
    start: datetime,
    now: datetime,
    rules: Rules,
    *,
    ignore: int | None = None,
    check_busy: bool = True,
) -> list[int]:
    """Who among ``specialist_ids`` the engine offers ``start`` to; refuses when nobody.

    With ``check_busy`` off only the schedule layers and the rules count (the write phase
    checks busy time itself).
    """
    day = start.date()
    calendars = await load_calendars(
        session,
        specialist_ids=specialist_ids,
        first=day - timedelta(days=1),
        last=day + timedelta(days=1),
        now=now,
        exclude_booking_id=ignore,
        with_busy=check_busy,
    )
    calendars = [c for c in calendars if service.id in c.service_ids]
    if not calendars:
        raise BookingRefused(Refusal.NOT_OFFERED, "this specialist does not offer this service")
    free, scheduled = [], False
    for calendar in calendars:
        local_day = start.astimezone(calendar.timezone).date()
        for busy in (calendar.busy, BusyIndex()) if check_busy else (BusyIndex(),):
            offered = slots_for_day(
                replace(calendar, busy=busy),
                local_day,
                duration_minutes=service.duration_minutes,
                now=now,
                rules=rules,
            )
            if any(slot.start == start for slot in offered):
                if busy is calendar.busy or not check_busy:
                    free.append(calendar.specialist_id)
                scheduled = True
                break
    if free:
        return free
    if scheduled:
        raise _taken()
    raise BookingRefused(Refusal.NOT_BOOKABLE, "this is not a bookable time")


async def _least_booked_first(
    session: AsyncSession, specialist_ids: list[int], start: datetime, now: datetime
) -> tuple[int, ...]:
    """Order ``specialist_ids`` by their live bookings around ``start``'s day, then by id."""
    if len(specialist_ids) < 2:
        return tuple(specialist_ids)
    counts = dict(
        (
            await session.execute(
                select(Booking.specialist_id, func.count())
                .where(
                    Booking.specialist_id.in_(specialist_ids),
                    Booking.starts_at >= start - timedelta(hours=12),
                    Booking.starts_at < start + timedelta(hours=12),
                    _live(now),
                )
                .group_by(Booking.specialist_id)
            )
        ).all()
    )
    return tuple(sorted(specialist_ids, key=lambda sid: (counts.get(sid, 0), sid)))


async def _plan_hold(
    session: AsyncSession,
    *,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    client_id: int,
    now: datetime,
    ignore: int | None = None,
) -> _HoldPlan:
    service, rules = await _service_and_rules(session, service_id, client_id)
    if specialist_id is None:
        ids = await providers(session, service.id)
        if not ids:
            raise BookingRefused(Refusal.NOT_OFFERED, "nobody offers this service right now")
    else:
        ids = [specialist_id]
    # For one specialist the insert itself checks busy time; "any" needs it to choose.
    free = await _who_can_take(
        session, ids, service, start, now, rules, ignore=ignore, check_busy=len(ids) > 1
    )
    return _HoldPlan(
        service_id=service.id,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        hold_until=now + rules.hold,
        candidates=await _least_booked_first(session, free, start, now),
    )


# --- the write phase --------------------------------------------------------------------------


async def _why_client_refused(
    session: AsyncSession, client_id: int, plan: _HoldPlan, now: datetime, ignore: int
) -> BookingRefused | None:
    clash, holds = (
        await session.execute(
            select(
                _client_clash(client_id, plan.start, plan.end, now, ignore),
                select(func.count())
                .where(
                    Booking.client_id == client_id,
                    Booking.status == BookingStatus.HELD,
                    Booking.hold_expires_at > now,
                )
                .scalar_subquery(),
            )
        )
    ).one()
    if clash:
        return BookingRefused(Refusal.CLIENT_OVERLAP, "you already have an appointment then")
    if holds >= MAX_LIVE_HOLDS:
        return BookingRefused(
            Refusal.TOO_MANY_HOLDS,
            f"you already hold {MAX_LIVE_HOLDS} unconfirmed times; confirm or release one",
        )
    return None


async def _insert_hold(
    session: AsyncSession,
    plan: _HoldPlan,
    *,
    client_id: int,
    channel: str,
    now: datetime,
    ignore: int = 0,
) -> Booking:
    """Insert the hold for the first candidate still free; returns the held booking."""
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = _HOLD["postgresql" if postgres else "sqlite"]
    for specialist_id in plan.candidates:
        params = {
            "p_client_id": client_id, "p_specialist_id": specialist_id,
            "p_service_id": plan.service_id, "p_starts_at": plan.start, "p_ends_at": plan.end,
            "p_hold_expires_at": plan.hold_until, "p_channel": channel, "p_now": now,
            "p_booking_id": ignore,
        }  # fmt: skip
        booking_id = await session.scalar(statement, params)
        if booking_id is None and postgres:
            # holds that ran out still count for the constraint: retire them, then retry
            flipped = await session.execute(_EXPIRE_IN_THE_WAY, params)
            if getattr(flipped, "rowcount", 0):
                booking_id = await session.scalar(statement, params)
        if booking_id is not None:
            return Booking(
                id=booking_id, client_id=client_id, specialist_id=specialist_id,
                service_id=plan.service_id, starts_at=plan.start, ends_at=plan.end,
                status=BookingStatus.HELD, hold_expires_at=plan.hold_until, channel=channel,
                created_at=now, updated_at=now,
            )  # fmt: skip
        refusal = await _why_client_refused(session, client_id, plan, now, ignore)
        if refusal is not None:
            raise refusal
    raise _taken()


@asynccontextmanager
async def _read_then_write(
    engine: AsyncEngine,
) -> AsyncIterator[tuple[AsyncSession, Callable[[], AbstractAsyncContextManager[AsyncSession]]]]:
    """A session for the read phase, and how to open the write phase after it.

    On SQLite the read phase runs outside the write lock, in its own transaction, and the
    write phase is a short ``BEGIN IMMEDIATE`` transaction of its own. On PostgreSQL both
    phases share one transaction (each statement sees the latest commits there), which saves
    a round trip; the constraint and row locks keep it safe.
    """
    async with session_factory(engine)() as session:

        @asynccontextmanager
        async def same_transaction() -> AsyncIterator[AsyncSession]:
            yield session
            await session.commit()

        yield session, (partial(writer, engine) if is_sqlite(engine) else same_transaction)


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


async def _with_alternatives(
    engine: AsyncEngine,
    refusal: BookingRefused,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    now: datetime,
) -> BookingRefused:
    if refusal.reason != Refusal.SLOT_TAKEN:
        return refusal
    alternatives = await _next_slots(engine, service_id, specialist_id, start, now)
    return BookingRefused(refusal.reason, str(refusal), alternatives)


# --- the operations ---------------------------------------------------------------------------


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
        async with _read_then_write(engine) as (session, write_phase):
            plan = await _plan_hold(
                session, service_id=service_id, specialist_id=specialist_id, start=start,
                client_id=client_id, now=now,
            )  # fmt: skip
            if is_sqlite(engine):
                await session.close()  # end the read transaction before queueing to write
            async with write_phase() as writing:
                return await _insert_hold(
                    writing, plan, client_id=client_id, channel=channel, now=now
                )
    except BookingRefused as refusal:
        raise await _with_alternatives(
            engine, refusal, service_id, specialist_id, start, now
        ) from None


async def _confirm_in(
    session: AsyncSession,
    booking: Booking,
    client: Client,
    specialist: Specialist,
    now: datetime,
    *,
    rescheduled_from: int | None = None,
) -> bool:
    """Confirm a live hold inside the caller's transaction and write its outbox rows.

    False when the conditional update found nothing to confirm (confirmed already, run out,
    blocked meanwhile, or clashing with another appointment of the client).
    """
    confirmed = await session.scalar(_CONFIRM, {"p_booking_id": booking.id, "p_now": now})
    if confirmed is None:
        return False
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = booking.updated_at = now
    booking.hold_expires_at = None
    rows = plan_confirmed(booking, client, specialist, now=now, rescheduled_from=rescheduled_from)
    await write(session, rows)
    return True


async def _why_not_confirmed(session: AsyncSession, booking_id: int, now: datetime) -> Booking:
    """After a confirm found nothing to do: the booking if it is confirmed, else the refusal.

    A hold that can no longer be confirmed is expired, in the caller's transaction.
    """
    booking = await session.get(Booking, booking_id, populate_existing=True, with_for_update=True)
    assert booking is not None
    if booking.status == BookingStatus.CONFIRMED:
        return booking  # a concurrent tap got there first
    if booking.status != BookingStatus.HELD:
        raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
    booking.status = BookingStatus.EXPIRED
    booking.updated_at = now
    return booking


async def _check_confirmable(
    session: AsyncSession, booking: Booking, service: Service, rules: Rules, now: datetime
) -> None:
    """The schedule layers and rules still offer the held time (busy time is the write
    phase's to check)."""
    if not service.is_active:
        raise BookingRefused(Refusal.NOT_OFFERED, "this service is not offered")
    await _who_can_take(
        session, [booking.specialist_id], service, booking.starts_at, now, rules,
        ignore=booking.id, check_busy=False,
    )  # fmt: skip


async def confirm(
    engine: AsyncEngine, *, booking_id: int, now: datetime, client_id: int | None = None
) -> Booking:
    """Confirm a hold. Idempotent: confirming a confirmed booking returns it unchanged.

    A hold that ran out, or whose time can no longer be booked, is expired and refused.
    """
    refusal: BookingRefused | None = None
    async with _read_then_write(engine) as (session, write_phase):
        row = (await session.execute(_BOOKING_IN_FULL, {"booking_id": booking_id})).one_or_none()
        if row is None or (client_id is not None and row[0].client_id != client_id):
            raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
        booking: Booking = row[0]
        client: Client = row[1]
        specialist: Specialist = row[2]
        service: Service = row[3]
        if booking.status == BookingStatus.CONFIRMED:
            return booking
        if booking.status != BookingStatus.HELD:
            raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {booking.status}")
        if booking.hold_expires_at is None or booking.hold_expires_at <= now:
            refusal = BookingRefused(Refusal.HOLD_EXPIRED, "the hold on this time ran out")
        else:
            try:
                await _check_confirmable(session, booking, service, rules_from(row[4:]), now)
            except BookingRefused as error:
                refusal = error
        if is_sqlite(engine):
            await session.close()  # end the read transaction (objects stay loaded)
        async with write_phase() as writing:
            if refusal is None and await _confirm_in(writing, booking, client, specialist, now):
                return booking
            current = await _why_not_confirmed(writing, booking_id, now)
            if current.status == BookingStatus.CONFIRMED:
                return current
            if refusal is None:
                expired = current.hold_expires_at is None or current.hold_expires_at <= now
                refusal = (
                    BookingRefused(Refusal.HOLD_EXPIRED, "the hold on this time ran out")
                    if expired
                    else _taken()
                )
    raise refusal


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
        await write(session, plan_cancelled(booking, client, specialist, by=by, now=now))
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
            plan = await _plan_hold(
                session, service_id=old.service_id, specialist_id=target, start=start,
                client_id=old.client_id, now=now,
            )  # fmt: skip
            new = await _insert_hold(
                session, plan, client_id=old.client_id, channel=old.channel, now=now
            )
            client, specialist = await _parties(session, new)
            if not await _confirm_in(
                session, new, client, specialist, now, rescheduled_from=old.id
            ):
                raise _taken()
            if new.specialist_id != old.specialist_id:
                client, specialist = await _parties(session, old)
                await write(session, plan_cancelled(old, client, specialist, by="client", now=now))
            return new
    except BookingRefused as refusal:
        if moving is None:
            raise
        raise await _with_alternatives(engine, refusal, *moving, start, now) from None


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
