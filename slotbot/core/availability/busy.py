"""Busy time as the database has it: the blocks and live bookings of specialists, a client's
own live bookings, and the versions that say when any of it changed.

Each read is one statement whatever the number of specialists or dates. Two ways to read
busy time: :func:`live_busy` and :func:`live_client_busy` (what is busy at one ``now``:
blocks, confirmed bookings, holds not run out) and :func:`busy_stretches` and
:func:`client_stretches` (the same with every hold and its expiry, so one read serves any
later ``now``: what the process cache keeps). :func:`catch_up` reads the versions and what
changed since a version the caller knows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from typing import cast as typing_cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    DateTime,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.engine import Busy
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    BusyVersion,
    SpecialistBlock,
    UTCDateTime,
)
from slotbot.core.storage.version_reader import BusyRow
from slotbot.core.storage.versions import BOOKINGS_VERSION, CATALOG_VERSION

__all__ = [
    "CatchUp",
    "Stretch",
    "Versions",
    "busy_stretches",
    "catch_up",
    "client_stretches",
    "covering",
    "live_busy",
    "live_client_busy",
]


@dataclass(frozen=True, slots=True)
class Versions:
    """The catalog's and busy time's versions (migrations 0003 and 0011); with ``changed``,
    each specialist whose busy time changed after bookings version ``since`` (with its busy
    version), read in the same statement."""

    catalog: int
    bookings: int
    changed: Mapping[int, int] | None = None
    since: int = -1


class Stretch(NamedTuple):
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


# --- busy time of specialists -------------------------------------------------------------


class _Instant(String):
    """An instant as read here: SQLite's text parsed by ``datetime.fromisoformat`` (the
    dialect's own parser, and a ``replace(tzinfo=...)`` per value, took most of the time of
    reading busy time), PostgreSQL's ``timestamptz`` as asyncpg gives it (aware, UTC).
    Read only: nothing is bound as it."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return _from_sqlite if dialect.name == "sqlite" else None


def _from_sqlite(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def _instant(column: Any) -> ColumnElement[datetime]:
    return typing_cast(ColumnElement[datetime], type_coerce(column, _Instant()))


_IDS: BindParameter[int] = bindparam("ids", expanding=True)
#: A NULL instant (typed, so that PostgreSQL can match it across a UNION).
_NO_INSTANT = _instant(cast(null(), DateTime(timezone=True)))
#: When a booking stops counting: a hold's expiry; never for a confirmed one.
_HOLD_EXPIRY = _instant(case((Booking.status == BookingStatus.HELD, Booking.hold_expires_at)))
_LO, _HI, _NOW = (bindparam(name, type_=UTCDateTime()) for name in ("lo", "hi", "now"))
_EXCLUDE: BindParameter[int] = bindparam("exclude")


def _counting(hold: ColumnElement[bool]) -> ColumnElement[bool]:
    """Confirmed bookings, and holds where ``hold``: one expression, so that SQLite reads
    by specialist and time, the index that narrows most (an ``OR`` of statuses makes it,
    lacking statistics, read every confirmed booking through the status index instead)."""
    confirmed = Booking.status == BookingStatus.CONFIRMED
    held = and_(Booking.status == BookingStatus.HELD, hold)
    return case((confirmed, 1), (held, 1), else_=0) == 1


#: Confirmed bookings, and holds (which all have an expiry).
_KEPT_BOOKINGS = _counting(Booking.hold_expires_at.is_not(None))


def _blocks(specialists: Any) -> Select[int, int, datetime, datetime, datetime]:
    """Blocks of ``specialists`` overlapping [lo, hi), as stretches."""
    return select(
        SpecialistBlock.specialist_id,
        literal(0).label("booking_id"),
        _instant(SpecialistBlock.starts_at).label("starts_at"),
        _instant(SpecialistBlock.ends_at).label("ends_at"),
        _NO_INSTANT.label("expires_at"),
    ).where(specialists, SpecialistBlock.starts_at < _HI, SpecialistBlock.ends_at > _LO)


def _bookings(specialists: Any) -> Select[int, int, datetime, datetime, datetime]:
    """Confirmed bookings and holds of ``specialists`` overlapping [lo, hi), as stretches."""
    return select(
        Booking.specialist_id,
        Booking.id,
        _instant(Booking.starts_at),
        _instant(Booking.ends_at),
        _HOLD_EXPIRY,
    ).where(specialists, Booking.starts_at < _HI, Booking.ends_at > _LO, _KEPT_BOOKINGS)


#: Blocks, confirmed bookings and every hold, with its expiry.
_STRETCHES = union_all(
    _blocks(SpecialistBlock.specialist_id.in_(_IDS)),
    _bookings(Booking.specialist_id.in_(_IDS)),
)

#: Blocks and bookings live at ``now``, but ``exclude`` (0 for none).
_LIVE: CompoundSelect[Any] = union_all(
    _blocks(SpecialistBlock.specialist_id.in_(_IDS)),
    select(
        Booking.specialist_id,
        Booking.id,
        _instant(Booking.starts_at),
        _instant(Booking.ends_at),
        _HOLD_EXPIRY,
    ).where(
        Booking.specialist_id.in_(_IDS),
        Booking.starts_at < _HI,
        Booking.ends_at > _LO,
        Booking.id != _EXCLUDE,
        _counting(Booking.hold_expires_at > _NOW),
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
    _instant(Booking.starts_at),
    _instant(Booking.ends_at),
    _HOLD_EXPIRY,
).where(Booking.client_id == _CLIENT, Booking.ends_at > _LO, _KEPT_BOOKINGS)
_CLIENT_LIVE = select(_instant(Booking.starts_at), _instant(Booking.ends_at)).where(
    Booking.client_id == _CLIENT,
    Booking.ends_at > _NOW,
    Booking.id != _EXCLUDE,
    _counting(Booking.hold_expires_at > _NOW),
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


# --- what changed -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What one statement read: the versions, each specialist whose busy time changed after
    the bookings version asked about (with the version of that change), and, when asked,
    the busy time of those specialists over the instants asked for."""

    versions: Versions
    changed: dict[int, int]
    stretches: dict[int, list[Stretch]]
    #: The changed specialists whose busy time was read (``stretches`` has only those with
    #: any).
    reread: frozenset[int] = frozenset()


_SINCE: BindParameter[int] = bindparam("since")
#: The versions, and each specialist whose busy time changed after ``since`` with its busy
#: version (one row of NULLs when none did): one statement, so the two agree.
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


async def catch_up(
    session: AsyncSession,
    *,
    since: int,
    lo: datetime,
    hi: datetime,
    reread: bool = True,
    seen: tuple[Versions, dict[int, int]] | None = None,
    seen_busy: Sequence[BusyRow] | None = None,
) -> CatchUp:
    """The versions now, the specialists whose busy time changed after bookings version
    ``since`` (-1: every specialist that ever changed), and, with ``reread`` and ``since``
    known, the busy time over [lo, hi) of those specialists, read after the versions (so
    it is as new as they are, or newer). ``seen``: the versions and the changed specialists
    just read by other means (:mod:`slotbot.core.storage.version_reader`), not read again;
    ``seen_busy``: those specialists' busy time over [lo, hi) read with them, after them.

    The busy time is a second statement, only when something changed: joined into the
    first, PostgreSQL's generic plan read every booking of the window each time."""
    if seen is None:
        connection = await session.connection()
        rows = (await connection.execute(_VERSIONS, {"since": since})).all()
        versions = Versions(int(rows[0].catalog or 0), int(rows[0].bookings or 0))
        changed = {r.specialist_id: int(r.version) for r in rows if r.specialist_id is not None}
    else:
        versions, changed = seen
    if not (reread and since >= 0 and changed):
        return CatchUp(versions, changed, {})
    if seen is not None and seen_busy is not None:
        stretches: dict[int, list[Stretch]] = defaultdict(list)
        for sid, booking_id, start, end, expires in seen_busy:
            stretches[sid].append(Stretch(start, end, booking_id, expires))
        return CatchUp(versions, changed, stretches, frozenset(changed))
    stretches = await busy_stretches(session, list(changed), lo, hi)
    return CatchUp(versions, changed, stretches, frozenset(changed))


async def read_versions(session: AsyncSession, *, since: int) -> tuple[Versions, dict[int, int]]:
    """The versions now, and the specialists whose busy time changed after ``since``."""
    up = await catch_up(session, since=since, lo=_NEVER, hi=_NEVER, reread=False)
    return up.versions, up.changed


_NEVER = datetime.min.replace(tzinfo=UTC)
