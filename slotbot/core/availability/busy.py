"""Busy time as the database has it: the blocks and live bookings of specialists, a client's
own live bookings, and the versions that say when any of it changed.

Each read is one statement whatever the number of specialists or dates. Two ways to read
busy time: :func:`live_busy` (what is busy at one ``now``: blocks, confirmed bookings,
holds not run out) and :func:`busy_stretches` (the same with every hold and its expiry, so
one read serves any later ``now``: what the process cache keeps).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    and_,
    bindparam,
    case,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.engine import Busy
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    BusyVersion,
    SpecialistBlock,
    UTCDateTime,
)
from slotbot.core.storage.versions import BOOKINGS_VERSION, CATALOG_VERSION

__all__ = [
    "Stretch",
    "Versions",
    "busy_stretches",
    "client_stretches",
    "covering",
    "live_busy",
    "live_client_busy",
    "read_versions",
]


@dataclass(frozen=True, slots=True)
class Versions:
    """The catalog's and busy time's versions (migrations 0003 and 0011)."""

    catalog: int
    bookings: int


@dataclass(frozen=True, slots=True)
class Stretch:
    """A busy stretch [start, end): a block (``booking_id`` 0), a confirmed booking, or a
    hold, which stops counting at ``expires_at``."""

    start: datetime
    end: datetime
    booking_id: int = 0
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def busy(self) -> Busy:
        return Busy(self.start, self.end)


def covering(first: date, last: date) -> tuple[datetime, datetime]:
    """Instants [lo, hi) that cover the local dates [first, last] in every time zone
    (offsets are within -12 h and +14 h)."""
    lo = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    hi = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)
    return lo, hi


# --- versions -----------------------------------------------------------------------------

_SINCE: BindParameter[int] = bindparam("since")
#: Both versions, and the specialists whose busy time changed after ``since`` (one row of
#: NULLs when none did), in one statement, so the two agree.
_VERSIONS = (
    select(
        CATALOG_VERSION.label("catalog"),
        BOOKINGS_VERSION.label("bookings"),
        BusyVersion.specialist_id,
        BusyVersion.version,
    )
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(BusyVersion, BusyVersion.version > _SINCE)
)


async def read_versions(session: AsyncSession, *, since: int) -> tuple[Versions, dict[int, int]]:
    """The versions now, and each specialist whose busy time changed after bookings version
    ``since`` with the version of that change (``since`` -1: every specialist's)."""
    connection = await session.connection()
    rows = (await connection.execute(_VERSIONS, {"since": since})).all()
    versions = Versions(int(rows[0].catalog or 0), int(rows[0].bookings or 0))
    return versions, {r.specialist_id: int(r.version) for r in rows if r.specialist_id is not None}


# --- busy time of specialists -------------------------------------------------------------

_IDS: BindParameter[int] = bindparam("ids", expanding=True)
#: When a booking stops counting: a hold's expiry; never for a confirmed one.
_HOLD_EXPIRY = type_coerce(
    case((Booking.status == BookingStatus.HELD, Booking.hold_expires_at)), UTCDateTime()
)
_LO, _HI, _NOW = (bindparam(name, type_=UTCDateTime()) for name in ("lo", "hi", "now"))
_EXCLUDE: BindParameter[int] = bindparam("exclude")


def _blocks() -> Select[int, int, datetime, datetime, datetime]:
    return select(
        SpecialistBlock.specialist_id,
        literal(0).label("booking_id"),
        SpecialistBlock.starts_at,
        SpecialistBlock.ends_at,
        type_coerce(null(), UTCDateTime()).label("expires_at"),
    ).where(
        SpecialistBlock.specialist_id.in_(_IDS),
        SpecialistBlock.starts_at < _HI,
        SpecialistBlock.ends_at > _LO,
    )


#: Blocks, confirmed bookings and every hold that has an expiry, with that expiry.
_STRETCHES = union_all(
    _blocks(),
    select(
        Booking.specialist_id,
        Booking.id,
        Booking.starts_at,
        Booking.ends_at,
        _HOLD_EXPIRY,
    ).where(
        Booking.specialist_id.in_(_IDS),
        Booking.starts_at < _HI,
        Booking.ends_at > _LO,
        or_(
            Booking.status == BookingStatus.CONFIRMED,
            and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at.is_not(None)),
        ),
    ),
)

#: Blocks and bookings live at ``now``, but ``exclude`` (0 for none).
_LIVE: CompoundSelect[int, int, datetime, datetime, datetime] = union_all(
    _blocks(),
    select(
        Booking.specialist_id,
        Booking.id,
        Booking.starts_at,
        Booking.ends_at,
        _HOLD_EXPIRY,
    ).where(
        Booking.specialist_id.in_(_IDS),
        Booking.starts_at < _HI,
        Booking.ends_at > _LO,
        Booking.id != _EXCLUDE,
        or_(
            Booking.status == BookingStatus.CONFIRMED,
            and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > _NOW),
        ),
    ),
)


async def busy_stretches(
    session: AsyncSession, specialist_ids: Sequence[int], lo: datetime, hi: datetime
) -> dict[int, list[Stretch]]:
    """Each specialist's blocks, confirmed bookings and holds (whatever their expiry)
    overlapping [lo, hi)."""
    found: dict[int, list[Stretch]] = defaultdict(list)
    if not specialist_ids:
        return found
    connection = await session.connection()
    rows = await connection.execute(_STRETCHES, {"ids": list(specialist_ids), "lo": lo, "hi": hi})
    for sid, booking_id, start, end, expires in rows.all():
        found[sid].append(Stretch(start, end, booking_id, expires))
    return found


async def live_busy(
    session: AsyncSession,
    specialist_ids: Sequence[int],
    lo: datetime,
    hi: datetime,
    *,
    now: datetime,
    exclude_booking: int | None = None,
) -> dict[int, list[Busy]]:
    """Each specialist's busy time at ``now`` overlapping [lo, hi): blocks, confirmed
    bookings and holds not run out, but the booking ``exclude_booking``."""
    found: dict[int, list[Busy]] = defaultdict(list)
    if not specialist_ids:
        return found
    connection = await session.connection()
    rows = await connection.execute(
        _LIVE,
        {"ids": list(specialist_ids), "lo": lo, "hi": hi, "now": now,
         "exclude": exclude_booking or 0},
    )  # fmt: skip
    for sid, _booking, start, end, _expires in rows.all():
        found[sid].append(Busy(start, end))
    return found


# --- a client's own bookings --------------------------------------------------------------

_CLIENT: BindParameter[int] = bindparam("client")
_CLIENT_STRETCHES = select(
    Booking.id,
    Booking.starts_at,
    Booking.ends_at,
    _HOLD_EXPIRY,
).where(
    Booking.client_id == _CLIENT,
    Booking.ends_at > _LO,
    or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at.is_not(None)),
    ),
)
_CLIENT_LIVE = select(Booking.starts_at, Booking.ends_at).where(
    Booking.client_id == _CLIENT,
    Booking.ends_at > _NOW,
    Booking.id != _EXCLUDE,
    or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > _NOW),
    ),
)


async def client_stretches(
    session: AsyncSession, client_id: int, *, ending_after: datetime
) -> tuple[Stretch, ...]:
    """The client's confirmed bookings and holds (whatever their expiry) ending after
    ``ending_after``, by start."""
    connection = await session.connection()
    rows = await connection.execute(_CLIENT_STRETCHES, {"client": client_id, "lo": ending_after})
    return tuple(sorted((Stretch(s, e, i, x) for i, s, e, x in rows.all()), key=_by_start))


async def live_client_busy(
    session: AsyncSession, client_id: int, *, now: datetime, exclude_booking: int | None = None
) -> list[Busy]:
    """The client's live bookings at ``now`` that have not ended, but ``exclude_booking``."""
    connection = await session.connection()
    rows = await connection.execute(
        _CLIENT_LIVE, {"client": client_id, "now": now, "exclude": exclude_booking or 0}
    )
    return [Busy(start, end) for start, end in rows.all()]


def _by_start(stretch: Stretch) -> tuple[datetime, int]:
    return stretch.start, stretch.booking_id
