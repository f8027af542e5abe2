"""The booking service's SQL: guarded statements, built once and bound per call.

Each statement carries its own checks so that the check and the write are one statement:
see :mod:`slotbot.core.booking.service` for how they are used.
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
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from slotbot.core.availability.catalog import VERSION
from slotbot.core.storage.models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    Client,
    Specialist,
    SpecialistBlock,
)

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

#: PostgreSQL: holds and confirms take the specialist's row in share mode, time off
#: (a block, a day off, a vacation) in exclusive mode (``timeoff``). Under READ COMMITTED a
#: hold could otherwise miss a block committed while it ran, and the block's own check miss
#: the hold: both would stand. Holds and confirms still run side by side.
SHARE_SPECIALISTS = (
    select(Specialist.id)
    .where(Specialist.id.in_(bindparam("p_specialist_ids", expanding=True)))
    .with_for_update(read=True)
)
SHARE_BOOKING_SPECIALIST = (
    select(Specialist.id)
    .where(
        Specialist.id
        == select(Booking.specialist_id).where(Booking.id == P["booking_id"]).scalar_subquery()
    )
    .with_for_update(read=True)
)

_OTHER = aliased(Booking, name="other")


def _overlapping_other() -> ColumnElement[bool]:
    """Another booking overlapping the one being updated (the UPDATE's own row)."""
    return and_(
        _OTHER.id != Booking.id,
        _OTHER.starts_at < Booking.ends_at,
        _OTHER.ends_at > Booking.starts_at,
    )


#: Another held or confirmed booking of the same specialist overlapping this one. A hold
#: counts whatever its expiry: the clock of whoever placed it may be ahead of the confirmer's,
#: and a hold that ran out by the holder's clock is flipped to ``expired`` by the next hold.
SPECIALIST_TAKEN = exists().where(
    _OTHER.specialist_id == Booking.specialist_id,
    _OTHER.status.in_(LIVE_STATUSES),
    _overlapping_other(),
)

#: Another live appointment of the same client overlapping this one.
CLIENT_TAKEN = exists().where(
    _OTHER.client_id == Booking.client_id,
    or_(
        _OTHER.status == BookingStatus.CONFIRMED,
        and_(_OTHER.status == BookingStatus.HELD, _OTHER.hold_expires_at > P["now"]),
    ),
    _overlapping_other(),
)

CONFIRM = (
    update(BOOKINGS)
    .where(
        Booking.id == P["booking_id"],
        Booking.status == BookingStatus.HELD,
        Booking.hold_expires_at > P["now"],
        P["version"] == VERSION,
        ~blocked(Booking.specialist_id, Booking.starts_at, Booking.ends_at),
        ~SPECIALIST_TAKEN,
        ~CLIENT_TAKEN,
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

#: :data:`CONFIRM` of the client's own booking only.
CONFIRM_OWN = CONFIRM.where(Booking.client_id == P["client_id"])

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
