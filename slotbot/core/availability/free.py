"""One way to ask about free time (DESIGN.md section 3), for the dialog, the web API, the
command line and notifications alike.

A :class:`FreeTime` answers, at one ``now``: which days of a range have a free slot
(:meth:`~FreeTime.days`), the slots of one day (:meth:`~FreeTime.slots`), each specialist's
first free slot (:meth:`~FreeTime.first_slots`), the soonest over several
(:meth:`~FreeTime.soonest`), the next free slots from a time (:meth:`~FreeTime.upcoming`)
and the colleagues free sooner (:meth:`~FreeTime.substitutes`). Several specialists mean
"any of them": a slot lists who can take it. ``specialist_ids=None`` means every active
specialist offering the service.

Whose free time: given ``client_id``, every answer leaves out times that overlap the
client's own live bookings (held and not run out, or confirmed), so a client is never
offered a time they cannot take; ``ignore_booking`` is the booking being moved: it counts
neither as the specialist's busy time nor as the client's, so a reschedule can land on or
across its old time (its other bookings still count). :meth:`~FreeTime.whose` and
:meth:`~FreeTime.ignoring` ask the same moment about someone else's free time.

The answers come from the pure engine over the catalog (:mod:`.catalog`) and busy time
(:mod:`.busy`), and are kept by the process (:mod:`.answers`, :mod:`.cache`) for as long as
they are exactly what a fresh computation would give. ``cached=False`` computes afresh,
here: the reference the cache is tested against (and what ``bench/availability.py``
compares it with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.answers import KeptAnswers
from slotbot.core.availability.busy import (
    Versions,
    catch_up,
    covering,
    live_busy,
    live_client_busy,
)
from slotbot.core.availability.cache import cache_of
from slotbot.core.availability.catalog import Catalog
from slotbot.core.availability.engine import (
    BusyIndex,
    Rules,
    Slot,
    SpecialistCalendar,
    Substitute,
    any_available,
    days_with_slots,
    next_available,
    rank_substitutes,
    substitutes,
)
from slotbot.core.availability.question import (
    Question,
    busy_window,
    earliest,
    reach,
    upcoming_days,
    walk,
)
from slotbot.core.storage.version_reader import committed_versions
from slotbot.core.storage.versions import BOOKINGS_VERSION, CATALOG_VERSION

__all__ = ["FreeTime"]

#: Both versions as the session sees them (built once: building costs more than running).
_VERSIONS_NOW = select(CATALOG_VERSION, BOOKINGS_VERSION)


class _Moment:
    """What the questions of one :class:`FreeTime` (and its :meth:`~FreeTime.ignoring`
    copies) share: the versions they are answered at and the catalog."""

    __slots__ = ("catalog", "usable", "versions", "views")

    def __init__(self, versions: Versions | None) -> None:
        self.versions = versions
        self.catalog: Catalog | None = None
        self.usable = False  # whether this moment may read and fill the process cache
        #: The questions asked at this moment, by whose free time and the booking left out.
        self.views: dict[tuple[int | None, int | None], FreeTime] = {}


class FreeTime:
    """Questions about free time at ``now`` over one session (see the module docstring).

    ``versions`` are the catalog and bookings versions if the caller has just read them
    (the dialog reads them with its session); otherwise the first question reads them:
    through the engine's reader (:mod:`slotbot.core.storage.version_reader`, no statement
    through the pool) when the session has not begun a transaction and the reader can,
    else in one small statement in the session. A caller that writes busy time through
    another connection asks a new :class:`FreeTime` afterwards.

    ``committed=False`` says the session holds writes not committed yet (a unit of work
    that wrote): its answers are computed afresh and nothing it reads reaches the process
    cache, which must hold committed states only (a version read inside a transaction that
    rolls back is taken again by the next writer, with other bookings behind it).
    """

    __slots__ = (
        "_kept", "_moment", "_session", "cached", "client_id", "committed", "ignore_booking", "now"
    )  # fmt: skip

    def __init__(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        client_id: int | None = None,
        ignore_booking: int | None = None,
        versions: Versions | None = None,
        cached: bool = True,
        committed: bool = True,
    ) -> None:
        self._session = session
        self.now = now
        self.client_id = client_id
        self.ignore_booking = ignore_booking
        self.cached = cached
        self.committed = committed
        self._moment = _Moment(versions)
        self._moment.views[client_id, ignore_booking] = self
        self._kept: KeptAnswers | None = None

    def ignoring(self, booking_id: int | None) -> FreeTime:
        """The same questions with ``booking_id`` left out (a booking being moved)."""
        return self.whose(self.client_id, ignore_booking=booking_id)

    def whose(self, client_id: int | None, *, ignore_booking: int | None = None) -> FreeTime:
        """The same questions at the same moment about ``client_id``'s free time (``None``:
        anyone's), with ``ignore_booking`` left out."""
        moment = self._moment
        other = moment.views.get((client_id, ignore_booking))
        if other is None:
            other = FreeTime(
                self._session, now=self.now, client_id=client_id, ignore_booking=ignore_booking,
                cached=self.cached, committed=self.committed,
            )  # fmt: skip
            other._moment = moment
            moment.views[client_id, ignore_booking] = other
        return other

    async def catalog(self) -> Catalog:
        """The catalog the answers are computed over."""
        moment = await self._prepare()
        assert moment.catalog is not None
        return moment.catalog

    # --- the questions --------------------------------------------------------------------

    async def days(
        self, service_id: int, specialist_ids: Sequence[int] | None, first: date, last: date
    ) -> dict[date, bool]:
        """For each local date of [first, last], whether any of the specialists has a free
        slot (each specialist's dates in their own time zone)."""
        q, kept = await self._question(service_id, specialist_ids)
        if kept:
            return await kept.days(q, first, last)
        calendars = await self._calendars(q, first, last)
        return days_with_slots(calendars, first, last, **self._engine_args(q))

    async def slots(
        self, service_id: int, specialist_ids: Sequence[int] | None, day: date
    ) -> list[Slot]:
        """The free slots of a local date, each listing the specialists who can take it."""
        q, kept = await self._question(service_id, specialist_ids)
        if kept:
            return await kept.slots(q, day)
        return any_available(await self._calendars(q, day, day), day, **self._engine_args(q))

    async def first_slots(
        self, service_id: int, specialist_ids: Sequence[int] | None = None
    ) -> dict[int, Slot | None]:
        """Each specialist's first free slot within the booking horizon (``None``: fully
        booked), in the order asked."""
        q, kept = await self._question(service_id, specialist_ids)
        if kept:
            return await kept.first_slots(q)
        calendars = await self._calendars(q, *reach(self.now, q.catalog.rules))
        return {c.specialist_id: next_available([c], **self._engine_args(q)) for c in calendars}

    async def soonest(
        self, service_id: int, specialist_ids: Sequence[int] | None = None
    ) -> Slot | None:
        """The earliest free slot of any of the specialists within the booking horizon."""
        q, kept = await self._question(service_id, specialist_ids)
        if kept:
            return earliest((await kept.first_slots(q)).values())
        calendars = await self._calendars(q, *reach(self.now, q.catalog.rules))
        return next_available(calendars, **self._engine_args(q))

    async def upcoming(
        self,
        service_id: int,
        specialist_ids: Sequence[int] | None,
        *,
        after: datetime,
        limit: int = 3,
    ) -> list[Slot]:
        """The first ``limit`` free slots starting at or after ``after`` (to offer instead of
        a time that was taken), day by day in the first specialist's time zone."""
        q, kept = await self._question(service_id, specialist_ids)
        if kept:
            return await kept.upcoming(q, after, limit)
        _zone, first, last = upcoming_days(q, self.now, after)
        calendars = await self._calendars(q, first, last)

        async def day_slots(day: date) -> Sequence[Slot]:
            return any_available(calendars, day, **self._engine_args(q))

        return await walk(day_slots, first, last, after, limit)

    async def substitutes(self, specialist_id: int, service_id: int) -> list[Substitute]:
        """The other active specialists offering the service with their first free slots:
        the one named on ``specialist_id``'s day off or vacation first, then soonest first."""
        q, kept = await self._question(service_id, None)
        others = q.among(sid for sid in q.ids if sid != specialist_id)
        own = q.catalog.calendars.get(specialist_id)
        rules = q.catalog.rules
        if kept:
            firsts = await kept.first_slots(others)
            found = [Substitute(sid, slot) for sid, slot in firsts.items()]
            return rank_substitutes(own, found, now=self.now, rules=rules)
        calendars = await self._calendars(others, *reach(self.now, rules))
        return substitutes(
            specialist_id, [*([own] if own else []), *calendars], service_id=service_id,
            duration_minutes=q.duration, now=self.now, rules=rules,
        )  # fmt: skip

    # --- the moment and the question ------------------------------------------------------

    @property
    def _engine(self) -> AsyncEngine:
        engine = self._session.bind
        assert isinstance(engine, AsyncEngine), "sessions are bound to an engine"
        return engine

    async def _prepare(self) -> _Moment:
        """Read the versions (unless given and current) and take the catalog at them."""
        moment = self._moment
        if moment.catalog is not None:
            return moment
        cache = cache_of(self._engine)
        versions = moment.versions
        if not self.committed:  # the versions as this transaction sees them; nothing kept
            row = (await self._session.execute(_VERSIONS_NOW)).one()
            versions = Versions(int(row[0] or 0), int(row[1] or 0))
            moment.usable, moment.versions = False, versions
            catalog = catalogs.cached(self._engine)
            if catalog is None or catalog.version != versions.catalog:
                catalog = await catalogs.load_catalog(self._session)  # not kept either
            moment.catalog = catalog
            return moment
        since, seen, seen_busy = cache.known, None, None
        known = catalogs.cached(self._engine)
        lo, _needed, hi = busy_window(self.now, known.rules if known else Rules())
        if versions is not None and versions.changed is not None and versions.since >= 0:
            # who changed was read with the versions: only their busy time is read again
            since, seen = versions.since, (versions, dict(versions.changed))
        if versions is None and not self._session.in_transaction():
            # Read outside the session, cheaply, when the reader can (with the busy time of
            # the few specialists that changed). Not in a transaction begun already: SQLite
            # would read busy time at that transaction's snapshot, older than the versions
            # (a session that begins now reads as new or newer).
            committed = await committed_versions(self._engine, since=since, busy_over=(lo, hi))
            if committed is not None:
                versions = Versions(committed.catalog, committed.bookings)
                seen, seen_busy = (versions, committed.changed), committed.busy
        if versions is None or versions.bookings != cache.known:
            # the versions, who changed since, and their busy time read again
            if seen is None:
                since = cache.known
            up = await catch_up(
                self._session, since=since, lo=lo, hi=hi, seen=seen, seen_busy=seen_busy
            )
            cache.advance(up, lo, hi)
            versions = up.versions
        # A moment older than what the cache knows (a snapshot taken before another
        # question read newer versions) computes afresh and keeps nothing.
        moment.usable = versions.bookings == cache.known
        moment.versions = versions
        moment.catalog = await catalogs.at_version(self._session, versions.catalog)
        return moment

    async def _question(
        self, service_id: int, ids: Sequence[int] | None
    ) -> tuple[Question, KeptAnswers | None]:
        """What is asked about, and the cache to answer it from (``None``: afresh)."""
        moment = await self._prepare()
        catalog = moment.catalog
        assert catalog is not None and moment.versions is not None
        if self.cached and moment.usable and self._kept is None:
            self._kept = KeptAnswers(
                self._session, cache_of(self._engine), now=self.now,
                version=moment.versions.bookings, client_id=self.client_id,
                ignore_booking=self.ignore_booking,
            )  # fmt: skip
        service = catalog.services.get(service_id)
        if service is None or not service.is_active:
            return Question(catalog, 0, ()), self._kept
        providers = catalog.providers(service_id)
        if ids is not None:
            offering = set(providers)
            providers = [sid for sid in dict.fromkeys(ids) if sid in offering]
        return Question(catalog, service.duration_minutes, tuple(providers)), self._kept

    # --- afresh ---------------------------------------------------------------------------

    def _engine_args(self, q: Question) -> dict[str, Any]:
        return {"duration_minutes": q.duration, "now": self.now, "rules": q.catalog.rules}

    async def _calendars(self, q: Question, first: date, last: date) -> list[SpecialistCalendar]:
        """Calendars with busy time at ``now``, read afresh for [first, last]."""
        if not q.ids:
            return []
        lo, hi = covering(first, last)
        busy = await live_busy(
            self._session, q.ids, lo, hi, now=self.now, exclude_booking=self.ignore_booking
        )
        own = []
        if self.client_id is not None:
            own = await live_client_busy(
                self._session, self.client_id, now=self.now, exclude_booking=self.ignore_booking
            )
        return [replace(c, busy=BusyIndex([*busy[c.specialist_id], *own])) for c in q.calendars]
