"""The booking service's SQL: guarded statements, built once and bound per call.

Each statement carries its own checks so that the check and the write are one statement:
see :mod:`slotbot.core.booking.service` for how they are used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    case,
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
    WaitlistEntry,
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

#: The local day of a hold, for "least booked that day" (:data:`LOCK_PARTIES`, :data:`DAY_LOAD`).
_DAY_LO = bindparam("p_day_lo", type_=Booking.starts_at.type)
_DAY_HI = bindparam("p_day_hi", type_=Booking.starts_at.type)


def _day_load(specialist: Any) -> Any:
    """How many live bookings ``specialist`` has on the hold's local day."""
    return (
        select(func.count())
        .where(
            Booking.specialist_id == specialist,
            Booking.starts_at >= _DAY_LO,
            Booking.starts_at < _DAY_HI,
            live(P["now"]),
        )
        .scalar_subquery()
    )


def _lock_parties(counting: bool) -> Select[Any]:
    columns: list[Any] = [Client.id, Specialist.id]
    if counting:
        columns.append(_day_load(Specialist.id))
    return (
        select(*columns)
        .join_from(
            Client, Specialist, Specialist.id.in_(bindparam("p_specialist_ids", expanding=True))
        )
        .where(Client.id == P["client_id"])
        .suffix_with("FOR UPDATE OF clients FOR SHARE OF specialists")
    )


#: PostgreSQL, before a hold's insert, in one statement: the client's row locked (so one
#: client's holds are checked against each other, one at a time) and the candidate
#: specialists' rows taken in share mode (time off takes them in exclusive mode,
#: ``timeoff``: under READ COMMITTED a hold could otherwise miss a block committed while it
#: ran, and the block's own check miss the hold, and both would stand; holds and confirms
#: still run side by side). A row per candidate, none when there is no such client
#: (specialists are never deleted). ``True``: with each candidate's live bookings on the
#: hold's local day, for "any available". A statement of its own before the insert, which
#: then sees whatever committed while this one waited for the locks.
LOCK_PARTIES = {counting: _lock_parties(counting) for counting in (False, True)}

#: PostgreSQL: a confirm takes its specialist's row in share mode, as a hold does
#: (:data:`LOCK_PARTIES`).
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
        # whether the client waits for this service (the confirm then ends what it fulfils)
        exists()
        .where(
            WaitlistEntry.client_id == Booking.client_id,
            WaitlistEntry.service_id == Booking.service_id,
            WaitlistEntry.ended_at.is_(None),
        )
        .label("client_waiting"),
    )
)

#: :data:`CONFIRM` of the client's own booking only.
CONFIRM_OWN = CONFIRM.where(Booking.client_id == P["client_id"])

LOCKED_BOOKING = select(BOOKINGS).where(Booking.id == P["booking_id"]).with_for_update()

#: A hold let go: expired at once, its expiry moved up to ``now`` (a confirm that won the
#: row first leaves it confirmed, and this finds nothing).
RELEASE = (
    update(BOOKINGS)
    .where(Booking.id == P["booking_id"], Booking.status == BookingStatus.HELD)
    .values(
        status=BookingStatus.EXPIRED,
        hold_expires_at=case(
            (Booking.hold_expires_at < P["now"], Booking.hold_expires_at), else_=P["now"]
        ),
        updated_at=P["now"],
    )
    .returning(*BOOKINGS.c)
)
#: :data:`RELEASE` of the client's own hold only.
RELEASE_OWN = RELEASE.where(Booking.client_id == P["client_id"])

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

#: SQLite: each candidate's live bookings on the hold's local day (PostgreSQL counts them in
#: :data:`LOCK_PARTIES`).
DAY_LOAD = (
    select(Booking.specialist_id, func.count())
    .where(
        Booking.specialist_id.in_(bindparam("p_specialist_ids", expanding=True)),
        Booking.starts_at >= _DAY_LO,
        Booking.starts_at < _DAY_HI,
        live(P["now"]),
    )
    .group_by(Booking.specialist_id)
)
