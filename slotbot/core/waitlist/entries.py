"""A client's waiting-list entries: join, change, leave, list; the shop's settings.

An entry waits for a service with one specialist or anyone, over local dates
[first_day, last_day] (one day or a week) and optionally a local time window, all in the
entry's time zone (the specialists'). A client has at most ``max_waiting_per_client`` live
entries (business setting, default 3); joining again with the same wishes returns the entry
there is. An entry ends when its last day is over (:mod:`.matching` sweeps), when the client
books the service within it (:mod:`.ending`), or when the client leaves it.

On joining (and on widening an entry) the times already free in its range are recorded as
``seen``: the client had them on offer and chose to wait, so only time that frees up later
is sent (:mod:`.matching`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.actions import NUMBER_MAX
from slotbot.core.availability import catalog as catalogs
from slotbot.core.storage.models import (
    BusinessSetting,
    Client,
    WaitlistEnd,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session
from slotbot.core.waitlist.free import free_slots

__all__ = [
    "MAX_DAYS",
    "WINDOWS",
    "OfferedTime",
    "Waiting",
    "WaitlistRefused",
    "WaitlistSettings",
    "Why",
    "change",
    "entry_of",
    "join",
    "leave",
    "offered_time",
    "record_seen",
    "waiting_counts",
    "waiting_for",
    "waitlist_settings",
]

W = WaitlistEntry
#: The largest id a row can have (a 32-bit integer column): a button's larger number is no id.
ID_MAX = NUMBER_MAX
#: The longest range an entry may cover (a week).
MAX_DAYS = 7
#: The named parts of the day a client can wait for: local start times [from, to).
WINDOWS: dict[str, tuple[time, time]] = {
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(23, 59)),
}


@dataclass(frozen=True, slots=True)
class WaitlistSettings:
    """The business settings of the waiting list (the import file's ``settings:``)."""

    max_waiting_per_client: int = 3
    #: how many waiting clients a freed time is offered to at once, in the order they joined
    offer_batch: int = 3
    #: how long a freed time stays with one batch before the next batch is offered it
    next_batch_after: timedelta = timedelta(minutes=15)


_KEYS = ("max_waiting_per_client", "waitlist_offer_batch", "waitlist_next_batch_minutes")


async def waitlist_settings(session: AsyncSession) -> WaitlistSettings:
    """The shop's waiting-list settings (defaults for those it does not set)."""
    rows = await session.execute(
        select(BusinessSetting.key, BusinessSetting.value).where(BusinessSetting.key.in_(_KEYS))
    )
    values: dict[str, Any] = dict(rows.all())
    defaults = WaitlistSettings()
    minutes = values.get("waitlist_next_batch_minutes")
    return WaitlistSettings(
        max_waiting_per_client=int(
            values.get("max_waiting_per_client", defaults.max_waiting_per_client)
        ),
        offer_batch=int(values.get("waitlist_offer_batch", defaults.offer_batch)),
        next_batch_after=(
            timedelta(minutes=int(minutes)) if minutes is not None else defaults.next_batch_after
        ),
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    """One live entry, as the dialog and the jobs see it."""

    id: int
    client_id: int
    service_id: int
    specialist_id: int | None  # None: anyone who offers the service
    first_day: date
    last_day: date
    window: tuple[time, time] | None  # local start times [from, to)
    timezone: str
    channel: str
    created_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def wants(self, start: datetime) -> bool:
        """Whether a time starting at ``start`` is one this entry waits for."""
        local = start.astimezone(self.zone)
        if not self.first_day <= local.date() <= self.last_day:
            return False
        return self.window is None or self.window[0] <= local.time() < self.window[1]

    def passed(self, now: datetime) -> bool:
        """Whether the entry's last day is over in its zone."""
        return self.last_day < now.astimezone(self.zone).date()


def waiting(row: WaitlistEntry) -> Waiting:
    window = (
        (row.window_start, row.window_end)
        if row.window_start is not None and row.window_end is not None
        else None
    )
    return Waiting(
        row.id, row.client_id, row.service_id, row.specialist_id, row.first_day, row.last_day,
        window, row.timezone, row.channel, row.created_at,
    )  # fmt: skip


class Why(enum.StrEnum):
    """Why joining or changing an entry was refused; each is said to the client plainly."""

    TOO_MANY = "too_many"
    NOT_OFFERED = "not_offered"
    PASSED = "passed"
    NOT_FOUND = "not_found"


class WaitlistRefused(Exception):
    def __init__(self, why: Why, limit: int = 0) -> None:
        super().__init__(why.value)
        self.why = why
        self.limit = limit


def _check(first: date, last: date, window: tuple[time, time] | None) -> None:
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"an entry covers 1 to {MAX_DAYS} days")
    if window is not None and not window[0] < window[1]:
        raise ValueError("the window ends before it starts")


def _live(client_id: int) -> Any:
    return (W.client_id == client_id) & W.ended_at.is_(None)


async def _live_entries(session: AsyncSession, client_id: int, now: datetime) -> list[Waiting]:
    rows = await session.scalars(select(W).where(_live(client_id)).order_by(W.created_at, W.id))
    return [e for e in map(waiting, rows) if not e.passed(now)]


async def record_seen(session: AsyncSession, entry: Waiting, now: datetime) -> None:
    """Record the times free in the entry's range now as ``seen`` (never to be sent), in the
    caller's transaction (those recorded before stay as they are)."""
    slots = await free_slots(
        session, service_id=entry.service_id, specialist_id=entry.specialist_id,
        first=entry.first_day, last=entry.last_day, now=now,
    )  # fmt: skip
    rows = [
        {"entry_id": entry.id, "specialist_id": slot.specialist_ids[0], "starts_at": slot.start,
         "status": WaitlistOfferStatus.SEEN, "created_at": now}
        for slot in slots
        if entry.wants(slot.start)
    ]  # fmt: skip
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(WaitlistOffer).on_conflict_do_nothing(
        index_elements=["entry_id", "starts_at"]
    )
    await session.execute(statement, rows)


async def _offered(session: AsyncSession, service_id: int, specialist_id: int | None) -> None:
    catalog = await catalogs.fresh(session)
    providers = catalog.providers(service_id)
    if not providers or (specialist_id is not None and specialist_id not in providers):
        raise WaitlistRefused(Why.NOT_OFFERED)


async def join(
    engine: AsyncEngine,
    *,
    client_id: int,
    service_id: int,
    specialist_id: int | None,
    first_day: date,
    last_day: date,
    window: tuple[time, time] | None,
    timezone: str,
    channel: str,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> Waiting:
    """Put the client on the waiting list (or return their live entry with the same wishes).

    Raises :class:`WaitlistRefused` (too many entries, a service or specialist not offered,
    a range already over) and ``ValueError`` for a malformed range or window.
    """
    _check(first_day, last_day, window)
    # no savepoint: every refusal comes before anything is written
    async with write_session(engine, uow, savepoint=False) as session:
        # one client's joins take turns (PostgreSQL; SQLite's write transactions are serial)
        if await session.get(Client, client_id, with_for_update=True) is None:
            raise WaitlistRefused(Why.NOT_FOUND)
        if last_day < now.astimezone(ZoneInfo(timezone)).date():
            raise WaitlistRefused(Why.PASSED)
        await _offered(session, service_id, specialist_id)
        live = await _live_entries(session, client_id, now)
        for entry in live:
            same = (entry.service_id, entry.specialist_id, entry.first_day, entry.last_day)
            if same == (service_id, specialist_id, first_day, last_day) and entry.window == window:
                return entry
        limit = (await waitlist_settings(session)).max_waiting_per_client
        if len(live) >= limit:
            raise WaitlistRefused(Why.TOO_MANY, limit)
        row = W(
            client_id=client_id, service_id=service_id, specialist_id=specialist_id,
            first_day=first_day, last_day=last_day,
            window_start=window[0] if window else None, window_end=window[1] if window else None,
            timezone=timezone, channel=channel, created_at=now,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        entry = waiting(row)
        await record_seen(session, entry, now)
        return entry


_KEEP: Any = object()


async def change(
    engine: AsyncEngine,
    *,
    entry_id: int,
    client_id: int,
    now: datetime,
    first_day: date | None = None,
    last_day: date | None = None,
    window: tuple[time, time] | Any | None = _KEEP,
    specialist_id: int | Any | None = _KEEP,
    uow: UnitOfWork | None = None,
) -> Waiting:
    """Change the client's own live entry (its range, window or specialist); the times free
    in the new range now are recorded as seen. Raises :class:`WaitlistRefused` (NOT_FOUND for
    an entry that is not theirs or has ended)."""
    # no savepoint: every refusal comes before anything is changed
    async with write_session(engine, uow, savepoint=False) as session:
        row = await session.get(W, entry_id, with_for_update=True)
        if row is None or row.client_id != client_id or row.ended_at is not None:
            raise WaitlistRefused(Why.NOT_FOUND)
        first = first_day or row.first_day
        last = last_day or row.last_day
        wanted = waiting(row).window if window is _KEEP else window
        _check(first, last, wanted)
        who = row.specialist_id if specialist_id is _KEEP else specialist_id
        await _offered(session, row.service_id, who)
        row.first_day, row.last_day, row.specialist_id = first, last, who
        row.window_start, row.window_end = wanted if wanted else (None, None)
        await session.flush()
        entry = waiting(row)
        await record_seen(session, entry, now)
        return entry


async def leave(
    engine: AsyncEngine,
    *,
    entry_id: int,
    client_id: int,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> bool:
    """End the client's own entry; False when it is not theirs or had ended already."""
    async with write_session(engine, uow, savepoint=False) as session:  # one statement
        result = await session.execute(
            update(W)
            .where(W.id == entry_id, _live(client_id))
            .values(ended_at=now, end_reason=WaitlistEnd.LEFT)
        )
        return bool(cast(CursorResult[Any], result).rowcount)


async def waiting_for(session: AsyncSession, client_id: int, now: datetime) -> list[Waiting]:
    """The client's live entries whose range is not over, oldest first."""
    return await _live_entries(session, client_id, now)


async def entry_of(
    session: AsyncSession, entry_id: int, client_id: int, now: datetime
) -> Waiting | None:
    """The client's own live entry ``entry_id``; None for anyone else's or an ended one."""
    if not 0 < entry_id <= ID_MAX:
        return None
    row = await session.get(W, entry_id, populate_existing=True)
    if row is None or row.client_id != client_id or row.ended_at is not None:
        return None
    entry = waiting(row)
    return None if entry.passed(now) else entry


@dataclass(frozen=True, slots=True)
class OfferedTime:
    """A freed time offered to a client: what its button holds."""

    entry: Waiting
    specialist_id: int
    start: datetime


async def offered_time(session: AsyncSession, offer_id: int, client_id: int) -> OfferedTime | None:
    """The time offer ``offer_id`` made to this client; None for an offer made to anyone
    else, or a free time that was only seen (never sent)."""
    if not 0 < offer_id <= ID_MAX:
        return None
    found = (
        await session.execute(
            select(WaitlistOffer, W)
            .join(W, W.id == WaitlistOffer.entry_id)
            .where(
                WaitlistOffer.id == offer_id,
                WaitlistOffer.status == WaitlistOfferStatus.OFFERED,
                W.client_id == client_id,
            )
        )
    ).first()
    if found is None:
        return None
    offer, row = found
    return OfferedTime(waiting(row), offer.specialist_id, offer.starts_at)


async def waiting_counts(
    session: AsyncSession,
    *,
    specialist_id: int,
    service_ids: frozenset[int],
    first: date,
    last: date,
) -> dict[date, int]:
    """How many live entries wait for each of the local dates [first, last] with this
    specialist: for them by name, or for anyone offering a service of theirs."""
    if not service_ids:
        return {}
    rows = await session.execute(
        select(W.first_day, W.last_day, func.count())
        .where(
            W.ended_at.is_(None),
            W.service_id.in_(service_ids),
            (W.specialist_id == specialist_id) | W.specialist_id.is_(None),
            W.first_day <= last,
            W.last_day >= first,
        )
        .group_by(W.first_day, W.last_day)
    )
    counts: dict[date, int] = {}
    for lo, hi, count in rows.all():
        day = max(lo, first)
        while day <= min(hi, last):
            counts[day] = counts.get(day, 0) + count
            day += timedelta(days=1)
    return counts
