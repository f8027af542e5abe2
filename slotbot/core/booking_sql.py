"""The booking service's SQL: guarded statements, built once and bound per call.

Each statement carries its own checks so that the check and the write are one statement:
see :mod:`slotbot.core.booking` for how they are used.
"""

from __future__ import annotations

from datetime import datetime
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
from sqlalchemy.sql import ColumnElement

from slotbot.core.catalog import VERSION
from slotbot.core.models import Booking, BookingStatus, Client, SpecialistBlock

MAX_LIVE_HOLDS = 3


def live(now: ColumnElement[Any] | datetime) -> ColumnElement[bool]:
    return or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
    )


BOOKINGS = cast(Table, Booking.__table__)  # Core statements: no ORM bookkeeping on hot paths

P = {
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
        ("version", Booking.id),
    )
}


def client_clash(client: Any, start: Any, end: Any, now: Any, booking: Any) -> Any:
    """Another live appointment of the client that overlaps [start, end)."""
    return exists().where(
        Booking.client_id == client,
        Booking.starts_at < end,
        Booking.ends_at > start,
        Booking.id != booking,
        live(now),
    )


def live_holds(client: Any, now: Any) -> Any:
    return (
        select(func.count())
        .where(
            Booking.client_id == client,
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at > now,
        )
        .scalar_subquery()
    )


def blocked(specialist: Any, start: Any, end: Any) -> Any:
    return exists().where(
        SpecialistBlock.specialist_id == specialist,
        SpecialistBlock.starts_at < end,
        SpecialistBlock.ends_at > start,
    )


def hold_statement(dialect: str) -> Insert:
    p = P
    taken = exists().where(
        Booking.specialist_id == p["specialist_id"],
        Booking.starts_at < p["ends_at"],
        Booking.ends_at > p["starts_at"],
        live(p["now"]),
    )
    values = select(
        p["client_id"], p["specialist_id"], p["service_id"], p["starts_at"], p["ends_at"],
        literal(BookingStatus.HELD.value), p["hold_expires_at"], p["channel"], p["now"], p["now"],
    ).where(
        p["version"] == VERSION,
        ~taken,
        ~blocked(p["specialist_id"], p["starts_at"], p["ends_at"]),
        ~client_clash(p["client_id"], p["starts_at"], p["ends_at"], p["now"], p["booking_id"]),
        live_holds(p["client_id"], p["now"]) < MAX_LIVE_HOLDS,
    )  # fmt: skip
    columns = ["client_id", "specialist_id", "service_id", "starts_at", "ends_at", "status",
               "hold_expires_at", "channel", "created_at", "updated_at"]  # fmt: skip
    if dialect == "postgresql":
        statement = pg_insert(BOOKINGS).from_select(columns, values).on_conflict_do_nothing()
        return statement.returning(BOOKINGS.c.id)
    # SQLite: the new id is the cursor's lastrowid; no RETURNING saves a fetch
    return insert(BOOKINGS).from_select(columns, values)


HOLD = {name: hold_statement(name) for name in ("postgresql", "sqlite")}

#: Why a guarded hold found nothing to insert.
HOLD_DIAGNOSIS = select(
    VERSION,
    exists().where(Client.id == P["client_id"]),
    client_clash(P["client_id"], P["starts_at"], P["ends_at"], P["now"], P["booking_id"]),
    live_holds(P["client_id"], P["now"]),
)

LOCK_CLIENT = select(Client.id).where(Client.id == P["client_id"]).with_for_update()

CONFIRM = (
    update(BOOKINGS)
    .where(
        Booking.id == P["booking_id"],
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at > P["now"],
        P["version"] == VERSION,
        ~blocked(Booking.specialist_id, Booking.starts_at, Booking.ends_at),
        ~client_clash(Booking.client_id, Booking.starts_at, Booking.ends_at, P["now"], Booking.id),
    )
    .values(
        status=BookingStatus.CONFIRMED,
        confirmed_at=P["now"],
        updated_at=P["now"],
        hold_expires_at=None,
    )
    .returning(
        *BOOKINGS.c,
        *(
            select(column).where(Client.id == Booking.client_id).scalar_subquery().label(name)
            for name, column in (
                ("client_telegram_chat_id", Client.telegram_chat_id),
                ("client_phone", Client.phone),
                ("client_email", Client.email),
            )
        ),
    )
)

LOCKED_BOOKING = select(BOOKINGS).where(Booking.id == P["booking_id"]).with_for_update()

EXPIRE_IN_THE_WAY = (
    update(BOOKINGS)
    .where(
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at <= P["now"],
        Booking.specialist_id == P["specialist_id"],
        Booking.starts_at < P["ends_at"],
        Booking.ends_at > P["starts_at"],
    )
    .values(status=BookingStatus.EXPIRED, updated_at=P["now"])
)

DAY_LOAD = (
    select(Booking.specialist_id, func.count())
    .where(
        Booking.specialist_id.in_(bindparam("ids", expanding=True)),
        Booking.starts_at >= bindparam("lo", type_=Booking.starts_at.type),
        Booking.starts_at < bindparam("hi", type_=Booking.starts_at.type),
        live(bindparam("now", type_=Booking.starts_at.type)),
    )
    .group_by(Booking.specialist_id)
)
