"""The booking lifecycle (DESIGN.md section 4): hold, confirm, cancel, reschedule, release.

``held -> confirmed -> completed | no_show``, with ``cancelled`` (by client, specialist or
staff, with a reason) and ``expired`` (a hold not confirmed in time, or released).

Every rule is checked on the server: the start must be a slot the engine offers for that
specialist and service at ``now`` (schedule, overrides, blocks, minimum notice and horizon at
hold; all but notice and horizon again at confirm); a client holds at most
:data:`MAX_LIVE_HOLDS` holds and never two overlapping appointments.

How "never a double booking" is kept, in as few round trips as the rules allow:

- The schedule layers and rules come from the in-memory catalog
  (:mod:`slotbot.core.availability.catalog`); the slot engine decides there whether
  ``start`` is offered, and by whom.
- A hold is one guarded ``INSERT ... SELECT ... WHERE`` the catalog version is still the one
  used, no live booking or block of the specialist overlaps, the client has no overlapping
  appointment and fewer than three live holds. On SQLite it runs in a ``BEGIN IMMEDIATE``
  transaction, so check and insert see one database; on PostgreSQL it carries ``ON CONFLICT
  DO NOTHING`` and the ``btree_gist`` exclusion constraint (migration 0002) decides races,
  and the client's row is locked so one client's requests are checked against each other.
  On both, holds that ran out and are in the way are flipped to ``expired`` in the same
  transaction, so a held row always means "live by the clock of whoever placed it".
- A confirm is one guarded ``UPDATE ... RETURNING`` (still held and not run out, catalog
  unchanged, no block, no other held or confirmed booking of the specialist overlapping,
  whatever its expiry, no clashing appointment of the client) plus the outbox rows, in one
  transaction, which also ends the client's waiting-list entries the booking fulfils. So two
  callers with different clocks never both win one slot.
- The minimum notice and the horizon are checked at hold only: a live hold can be
  confirmed until it runs out, unless the schedule, an override, a block or a deactivated
  service or specialist took the time away meanwhile.

When a guarded statement finds nothing, one more query tells why: a stale catalog is reloaded
and the step tried again; anything else becomes a :class:`BookingRefused`, never a database
error. A taken slot comes with the next free slots.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.catalog import VERSION, Catalog
from slotbot.core.availability.engine import Slot
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking import sql as sql
from slotbot.core.booking.sql import MAX_LIVE_HOLDS
from slotbot.core.notify.outbox import (
    plan_cancelled,
    plan_confirmed,
    plan_moved_away,
    withdraw_review,
    withdraw_upcoming,
    write,
)
from slotbot.core.storage.db import session_factory, write_transaction
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    Specialist,
)
from slotbot.core.storage.unit_of_work import UnitOfWork, write_connection, write_session
from slotbot.core.waitlist.ending import end_booked

__all__ = [
    "CANCELLERS",
    "BookingRefused",
    "Refusal",
    "cancel",
    "cancel_in",
    "complete_past",
    "confirm",
    "expire_holds",
    "hold",
    "mark_no_show",
    "release",
    "reschedule",
]

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


def _not_bookable() -> BookingRefused:
    return BookingRefused(Refusal.NOT_BOOKABLE, "this is not a bookable time")


def _clash() -> BookingRefused:
    return BookingRefused(Refusal.CLIENT_OVERLAP, "you already have an appointment then")


def _too_many() -> BookingRefused:
    return BookingRefused(
        Refusal.TOO_MANY_HOLDS,
        f"you already hold {MAX_LIVE_HOLDS} unconfirmed times; confirm or release one",
    )


def _expired() -> BookingRefused:
    return BookingRefused(Refusal.HOLD_EXPIRED, "the hold on this time ran out")


# --- planning a hold: pure, over the catalog ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HoldPlan:
    version: int
    service_id: int
    start: datetime
    end: datetime
    hold_until: datetime
    candidates: tuple[int, ...]  # specialists the schedule offers ``start`` to, to try in order
    day: tuple[datetime, datetime]  # the local day of ``start``, for "least booked that day"


def _plan_hold(
    catalog: Catalog, service_id: int, specialist_id: int | None, start: datetime, now: datetime
) -> _HoldPlan:
    service = catalog.services.get(service_id)
    if service is None or not service.is_active:
        raise BookingRefused(Refusal.NOT_OFFERED, "this service is not offered")
    if specialist_id is None:
        candidates = catalog.providers(service_id)
        if not candidates:
            raise BookingRefused(Refusal.NOT_OFFERED, "nobody offers this service right now")
    elif specialist_id in catalog.providers(service_id):
        candidates = [specialist_id]
    else:
        raise BookingRefused(Refusal.NOT_OFFERED, "this specialist does not offer this service")
    offered = tuple(sid for sid in candidates if catalog.offers(sid, service_id, start, now))
    if not offered:
        raise _not_bookable()
    zone = catalog.calendars[offered[0]].timezone
    midnight = datetime.combine(start.astimezone(zone).date(), time(), zone)
    return _HoldPlan(
        version=catalog.version,
        service_id=service_id,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        hold_until=now + catalog.rules.hold,
        candidates=offered,
        day=(midnight, datetime.combine(midnight.date() + timedelta(days=1), time(), zone)),
    )


async def _fresh_plan(
    engine: AsyncEngine,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    now: datetime,
    uow: UnitOfWork | None,
) -> _HoldPlan:
    """Plan with the cached catalog; a refusal is only trusted from a current catalog."""
    catalog = await catalogs.current(engine)
    try:
        return _plan_hold(catalog, service_id, specialist_id, start, now)
    except BookingRefused:
        async with _reading(engine, uow) as session:
            if await session.scalar(select(VERSION)) == catalog.version:
                raise
            fresh = await catalogs.refresh(engine, session)
        return _plan_hold(fresh, service_id, specialist_id, start, now)


@asynccontextmanager
async def _reading(engine: AsyncEngine, uow: UnitOfWork | None) -> AsyncIterator[AsyncSession]:
    """A session to read in: the unit's (seeing what it wrote) or a short one of its own."""
    if uow is not None:
        yield uow.session
        return
    async with session_factory(engine)() as session:
        yield session


def _least_booked_first(plan: _HoldPlan, counts: dict[int, int]) -> tuple[int, ...]:
    """The candidates of "any available" by their live bookings that day, then by id."""
    return tuple(sorted(plan.candidates, key=lambda sid: (counts.get(sid, 0), sid)))


async def _lock_parties(
    connection: AsyncConnection, plan: _HoldPlan, client_id: int, now: datetime
) -> tuple[int, ...]:
    """Before a hold's insert: on PostgreSQL, lock the client's row and share the
    candidates' (:data:`sql.LOCK_PARTIES`); the candidates to try, least booked that day
    first (on SQLite, whose ``BEGIN IMMEDIATE`` locks everything already, just counted)."""
    several, counts = len(plan.candidates) > 1, {}
    params = {
        "p_client_id": client_id, "p_specialist_ids": list(plan.candidates),
        "p_day_lo": plan.day[0], "p_day_hi": plan.day[1], "p_now": now,
    }  # fmt: skip
    if connection.dialect.name == "postgresql":
        rows = (await connection.execute(sql.LOCK_PARTIES[several], params)).all()
        if not rows:
            raise BookingRefused(Refusal.NOT_FOUND, "unknown client")
        counts = {row[1]: row[2] for row in rows} if several else {}
    elif several:
        counts = {sid: n for sid, n in await connection.execute(sql.DAY_LOAD, params)}
    return _least_booked_first(plan, counts) if several else plan.candidates


# --- writing a hold ----------------------------------------------------------------------------


class _Stale(Exception):
    """The catalog changed since the plan was made."""


async def _insert_hold(
    connection: AsyncConnection,
    plan: _HoldPlan,
    *,
    client_id: int,
    channel: str,
    now: datetime,
) -> Booking:
    """Insert the hold for the first candidate still free (the least booked that day first);
    returns the held booking."""
    postgres = connection.dialect.name == "postgresql"
    statement = sql.HOLD["postgresql" if postgres else "sqlite"]
    base = {
        "p_client_id": client_id, "p_service_id": plan.service_id, "p_starts_at": plan.start,
        "p_ends_at": plan.end, "p_hold_expires_at": plan.hold_until, "p_channel": channel,
        "p_now": now, "p_booking_id": 0,  # no booking of the client's own to leave out
        "p_version": plan.version,
    }  # fmt: skip
    candidates = await _lock_parties(connection, plan, client_id, now)
    for specialist_id in candidates:
        params = {**base, "p_specialist_id": specialist_id}
        if postgres:
            booking_id = await connection.scalar(statement, params)
            if booking_id is None:
                # holds that ran out still count for the constraint: retire them, then retry
                flipped = await connection.execute(sql.EXPIRE_IN_THE_WAY, params)
                if flipped.rowcount:
                    booking_id = await connection.scalar(statement, params)
        else:
            # run-out holds in the way are retired first: a confirm counts every held row
            await connection.execute(sql.EXPIRE_IN_THE_WAY, params)
            try:
                inserted = await connection.execute(statement, params)
            except IntegrityError:  # the client's foreign key
                raise BookingRefused(Refusal.NOT_FOUND, "unknown client") from None
            booking_id = inserted.lastrowid if inserted.rowcount else None
        if booking_id is not None:
            return Booking(
                id=booking_id, client_id=client_id, specialist_id=specialist_id,
                service_id=plan.service_id, starts_at=plan.start, ends_at=plan.end,
                status=BookingStatus.HELD, hold_expires_at=plan.hold_until, channel=channel,
                created_at=now, updated_at=now,
            )  # fmt: skip
        version, client, clash, holds = (await connection.execute(sql.HOLD_DIAGNOSIS, params)).one()
        if version != plan.version:
            raise _Stale()
        if not client:
            raise BookingRefused(Refusal.NOT_FOUND, "unknown client")
        if clash:
            raise _clash()
        if holds >= MAX_LIVE_HOLDS:
            raise _too_many()
    raise _taken()


async def _with_alternatives(
    engine: AsyncEngine,
    refusal: BookingRefused,
    service_id: int,
    specialist_id: int | None,
    start: datetime,
    now: datetime,
    *,
    client_id: int | None,
    moving: int | None = None,
    uow: UnitOfWork | None = None,
) -> BookingRefused:
    """A taken slot's refusal with the next free slots from ``start`` that the client can
    take (none overlapping their own bookings but ``moving``, the one being moved)."""
    if refusal.reason != Refusal.SLOT_TAKEN:
        return refusal
    ids = [specialist_id] if specialist_id else None
    async with _reading(engine, uow) as session:
        free = FreeTime(
            session, now=now, client_id=client_id, ignore_booking=moving,
            committed=uow is None or not uow.writing,
        )  # fmt: skip
        alternatives = await free.upcoming(service_id, ids, after=start)
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
    within: Callable[[AsyncConnection, Booking], Awaitable[object]] | None = None,
    uow: UnitOfWork | None = None,
) -> Booking:
    """Hold ``start`` for a client; ``specialist_id`` ``None`` means any available.

    Returns the held booking (expiring after the shop's hold time). Raises
    :class:`BookingRefused`; a taken slot comes with the next free slots.

    ``within`` runs in the hold's own transaction once the hold is placed (for example
    checking a quota that counts it): if it raises, the hold is rolled back with it and the
    exception propagates. With ``uow`` the hold is written in that unit of work and commits
    with it; a refused hold leaves the unit as it was but for run-out holds in the way
    retired (as any later hold or sweep would), so only ``within``, which may refuse a
    placed hold, needs a savepoint.
    """
    try:
        for _ in range(3):
            plan = await _fresh_plan(engine, service_id, specialist_id, start, now, uow)
            try:
                async with write_connection(
                    engine, uow, savepoint=within is not None
                ) as connection:
                    held = await _insert_hold(
                        connection, plan, client_id=client_id, channel=channel, now=now
                    )
                    if within is not None:
                        await within(connection, held)
                    return held
            except _Stale:
                await catalogs.refresh(engine, uow.session if uow else None)
        raise _taken()  # the catalog kept changing under us: let the client try again
    except BookingRefused as refusal:
        raise await _with_alternatives(
            engine, refusal, service_id, specialist_id, start, now, client_id=client_id, uow=uow
        ) from None


@dataclass(frozen=True, slots=True)
class _Contacts:
    telegram_chat_id: int | None
    phone: str | None
    email: str | None


async def _confirm_in(
    connection: AsyncConnection,
    catalog: Catalog,
    booking_id: int,
    now: datetime,
    *,
    client_id: int | None = None,
    rescheduled_from: Booking | None = None,
) -> Booking:
    """Confirm a held booking inside the caller's transaction and write its outbox rows
    (``rescheduled_from``: the booking it replaces, whose time the messages mention).

    Returns the confirmed booking (also when it was confirmed before: idempotent). Raises
    :class:`_Stale` when the catalog moved, and :class:`BookingRefused` otherwise; a hold
    that can no longer be confirmed is expired first, in the caller's transaction.
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(sql.SHARE_BOOKING_SPECIALIST, {"p_booking_id": booking_id})
    params = {"p_booking_id": booking_id, "p_now": now, "p_version": catalog.version}
    if client_id is None:
        row = (await connection.execute(sql.CONFIRM, params)).one_or_none()
    else:  # someone else's booking is not confirmed: found below, and not found
        params["p_client_id"] = client_id
        row = (await connection.execute(sql.CONFIRM_OWN, params)).one_or_none()
    if row is not None:
        booking = Booking(**{c.key: getattr(row, c.key) for c in sql.BOOKINGS.c})
        specialist = catalog.specialists.get(booking.specialist_id)
        if specialist is not None and catalog.offers(
            booking.specialist_id, booking.service_id, booking.starts_at, now,
            notice_and_horizon=False,
        ):  # fmt: skip
            contacts = _Contacts(row.client_telegram_chat_id, row.client_phone, row.client_email)
            rows = plan_confirmed(
                booking, contacts, specialist, now=now,
                rescheduled_from=rescheduled_from.id if rescheduled_from else None,
                previous_start=rescheduled_from.starts_at if rescheduled_from else None,
            )  # fmt: skip
            await write(connection, rows)
            if row.client_waiting:  # their waiting for this service on the booked day is over
                await end_booked(
                    connection, client_id=booking.client_id, service_id=booking.service_id,
                    starts_at=booking.starts_at, now=now,
                )  # fmt: skip
            return booking
        await _expire(connection, booking_id, now)
        raise _not_bookable()
    found_row = (await connection.execute(sql.LOCKED_BOOKING, {"p_booking_id": booking_id})).first()
    found = Booking(**found_row._asdict()) if found_row else None
    if found is None or (client_id is not None and found.client_id != client_id):
        raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
    if found.status == BookingStatus.CONFIRMED:
        return found
    if found.status == BookingStatus.EXPIRED:
        raise _expired()
    if found.status != BookingStatus.HELD:
        raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {found.status}")
    if await connection.scalar(select(VERSION)) != catalog.version:
        raise _Stale()
    run_out = found.hold_expires_at is None or found.hold_expires_at <= now
    clash = await connection.scalar(
        select(sql.client_clash(found.client_id, found.starts_at, found.ends_at, now, found.id))
    )
    await _expire(connection, booking_id, now)
    raise _expired() if run_out else _clash() if clash else _taken()


async def _expire(connection: AsyncConnection, booking_id: int, now: datetime) -> None:
    """Retire a hold that cannot be confirmed (the guarded update may have just confirmed
    it within this transaction, hence both statuses)."""
    live = Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED])
    await connection.execute(
        update(sql.BOOKINGS)
        .where(Booking.id == booking_id, live)
        .values(status=BookingStatus.EXPIRED, updated_at=now, confirmed_at=None)
    )


async def confirm(
    engine: AsyncEngine,
    *,
    booking_id: int,
    now: datetime,
    client_id: int | None = None,
    uow: UnitOfWork | None = None,
) -> Booking:
    """Confirm a hold. Idempotent: confirming a confirmed booking returns it unchanged.

    A hold that ran out, or whose time can no longer be booked, is expired and refused.
    With ``uow`` the confirmation and its outbox rows are written in that unit of work (no
    savepoint: a refusal has written nothing, or the expiry, which is to be kept).
    """
    catalog = await catalogs.current(engine)
    for _ in range(3):
        refusal: BookingRefused | None = None
        try:
            async with write_connection(engine, uow, savepoint=False) as connection:
                try:
                    return await _confirm_in(
                        connection, catalog, booking_id, now, client_id=client_id
                    )
                except BookingRefused as error:
                    if error.reason == Refusal.NOT_FOUND:
                        raise
                    refusal = error  # keep the expiry: leave the block normally to commit
        except _Stale:
            catalog = await catalogs.refresh(engine, uow.session if uow else None)
            continue
        raise refusal
    raise _taken()  # the catalog kept changing under us: let the client try again


async def _locked_booking(
    session: AsyncSession,
    booking_id: int,
    client_id: int | None = None,
    specialist_id: int | None = None,
) -> Booking:
    """The booking, locked; someone else's (when a client or specialist is named) is not
    found."""
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id).with_for_update()
    )
    if (
        booking is None
        or (client_id is not None and booking.client_id != client_id)
        or (specialist_id is not None and booking.specialist_id != specialist_id)
    ):
        raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
    return booking


async def _parties(session: AsyncSession, booking: Booking) -> tuple[Client, Specialist]:
    client = await session.get(Client, booking.client_id)
    specialist = await session.get(Specialist, booking.specialist_id)
    assert client is not None and specialist is not None  # foreign keys guarantee both
    return client, specialist


async def release(
    engine: AsyncEngine,
    *,
    booking_id: int,
    now: datetime,
    client_id: int | None = None,
    uow: UnitOfWork | None = None,
) -> Booking:
    """Let a hold go (the client went back). Releasing a released hold is a no-op.

    One guarded ``UPDATE``; only when it finds no hold does a second statement tell why.
    With ``uow``, no savepoint: a refusal has written nothing."""
    params = {"p_booking_id": booking_id, "p_now": now, "p_client_id": client_id}
    statement = sql.RELEASE if client_id is None else sql.RELEASE_OWN
    async with write_connection(engine, uow, savepoint=False) as connection:
        row = (await connection.execute(statement, params)).first()
        if row is None:
            row = (await connection.execute(sql.LOCKED_BOOKING, params)).first()
            if row is None or (client_id is not None and row.client_id != client_id):
                raise BookingRefused(Refusal.NOT_FOUND, "no such booking")
            if row.status != BookingStatus.EXPIRED:
                raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {row.status}")
        return Booking(**row._asdict())


def _cancel_fields(booking: Booking, by: str, reason: str | None, now: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_by = by
    booking.cancel_reason = reason
    booking.cancelled_at = now
    booking.updated_at = now


async def cancel_in(
    session: AsyncSession, booking: Booking, *, by: str, reason: str | None, now: datetime
) -> Booking:
    """Cancel a locked booking inside the caller's transaction and tell the other side.

    Cancelling a cancelled booking returns it unchanged; a hold is simply released.
    """
    if by not in CANCELLERS:
        raise ValueError(f"by must be one of {CANCELLERS}")
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


async def cancel(
    engine: AsyncEngine,
    *,
    booking_id: int,
    by: str,
    reason: str | None = None,
    now: datetime,
    client_id: int | None = None,
    specialist_id: int | None = None,
    uow: UnitOfWork | None = None,
) -> Booking:
    """Cancel a confirmed booking that has not started; tells the other side.

    Cancelling a cancelled booking returns it unchanged; a hold is simply released. With
    ``client_id`` or ``specialist_id`` only that client's or specialist's booking is found.
    """
    if by not in CANCELLERS:
        raise ValueError(f"by must be one of {CANCELLERS}")
    # no savepoint: every refusal comes before anything is changed
    async with write_session(engine, uow, savepoint=False) as session:
        booking = await _locked_booking(session, booking_id, client_id, specialist_id)
        return await cancel_in(session, booking, by=by, reason=reason, now=now)


async def reschedule(
    engine: AsyncEngine,
    *,
    booking_id: int,
    start: datetime,
    now: datetime,
    specialist_id: int | None = None,
    any_specialist: bool = False,
    client_id: int | None = None,
    by: str = "client",
    uow: UnitOfWork | None = None,
) -> Booking:
    """Move a confirmed booking: the new time is held and confirmed and the old booking
    cancelled (pointing to the new one, ``rescheduled_to``) in one transaction, or nothing
    changes.

    The new booking keeps the specialist unless ``specialist_id`` names another or
    ``any_specialist`` lets anyone free take it. The old booking records ``by`` (client,
    specialist or staff) as who moved it. Returns the new, confirmed booking.
    """
    if by not in CANCELLERS:
        raise ValueError(f"by must be one of {CANCELLERS}")
    moving: tuple[int, int | None] | None = None  # (service, specialist) to offer instead
    owner: int | None = None
    try:
        async with write_session(engine, uow) as session:
            old = await _locked_booking(session, booking_id, client_id)
            if old.status != BookingStatus.CONFIRMED:
                raise BookingRefused(Refusal.WRONG_STATE, f"this booking is {old.status}")
            if old.starts_at <= now:
                raise BookingRefused(Refusal.WRONG_STATE, "this appointment has already started")
            target = None if any_specialist else specialist_id or old.specialist_id
            moving, owner = (old.service_id, target), old.client_id
            _cancel_fields(old, by, "rescheduled", now)
            await withdraw_upcoming(session, old.id)
            await session.flush()
            catalog = await catalogs.current(engine)
            if await session.scalar(select(VERSION)) != catalog.version:
                catalog = await catalogs.refresh(engine, session)
            plan = _plan_hold(catalog, old.service_id, target, start, now)
            connection = await session.connection()
            try:
                new = await _insert_hold(
                    connection, plan, client_id=old.client_id, channel=old.channel, now=now
                )
                confirmed = await _confirm_in(
                    connection, catalog, new.id, now, rescheduled_from=old
                )
            except _Stale:
                raise _taken() from None  # changed within this very transaction: rare; retry
            old.rescheduled_to = confirmed.id
            if confirmed.specialist_id != old.specialist_id:
                _, specialist = await _parties(session, old)
                await write(session, plan_moved_away(old, specialist, by=by, now=now))
            return confirmed
    except BookingRefused as refusal:
        if moving is None:
            raise
        raise await _with_alternatives(
            engine, refusal, *moving, start, now, client_id=owner, moving=booking_id, uow=uow
        ) from None


async def _sweep(
    engine: AsyncEngine, condition: ColumnElement[bool], to: str, now: datetime
) -> int:
    async with write_transaction(engine) as connection:
        result = await connection.execute(
            update(sql.BOOKINGS).where(condition).values(status=to, updated_at=now)
        )
        return result.rowcount


async def complete_past(engine: AsyncEngine, *, now: datetime) -> int:
    """Mark confirmed bookings that have ended as completed; returns how many."""
    ended = and_(Booking.status == BookingStatus.CONFIRMED, Booking.ends_at <= now)
    return await _sweep(engine, ended, BookingStatus.COMPLETED, now)


async def expire_holds(engine: AsyncEngine, *, now: datetime) -> int:
    """Flip every hold that ran out to ``expired``; returns how many."""
    run_out = and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
    return await _sweep(engine, run_out, BookingStatus.EXPIRED, now)


async def mark_no_show(
    engine: AsyncEngine,
    *,
    booking_id: int,
    now: datetime,
    specialist_id: int | None = None,
    uow: UnitOfWork | None = None,
) -> Booking:
    """The specialist reports that the client did not come; no review is asked for."""
    # no savepoint: every refusal comes before anything is changed
    async with write_session(engine, uow, savepoint=False) as session:
        booking = await _locked_booking(session, booking_id, specialist_id=specialist_id)
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
