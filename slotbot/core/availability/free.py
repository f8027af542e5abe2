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
across its old time (its other bookings still count).

The answers come from the pure engine over the catalog (:mod:`.catalog`) and busy time
(:mod:`.busy`) and are kept by the process (:mod:`.cache`) for as long as they are exactly
what a fresh computation would give. ``cached=False`` computes afresh: the reference the
cache is tested against (and what ``bench/availability.py`` compares it with).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.busy import (
    Versions,
    busy_stretches,
    catch_up,
    client_stretches,
    covering,
    live_busy,
    live_client_busy,
)
from slotbot.core.availability.cache import (
    FOREVER,
    Cache,
    ClientBusy,
    Entry,
    SpecialistBusy,
    Stamp,
    cache_of,
)
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
    slots_for_day,
    substitutes,
)

__all__ = ["FreeTime", "reach"]

T = TypeVar("T")
_TICK = timedelta(microseconds=1)
#: How far past what is needed busy time is read ahead, so the next days read nothing.
_READ_AHEAD = timedelta(days=7)
#: How far back a client's bookings are read (they only matter once they have not ended).
_CLIENT_BACK = timedelta(days=1)


def reach(now: datetime, rules: Rules) -> tuple[date, date]:
    """The local dates that may hold a bookable slot at ``now`` in any time zone: today
    to the horizon, with a day of slack either side."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=1), today + timedelta(days=rules.horizon_days + 1)


def _window(now: datetime, rules: Rules) -> tuple[datetime, datetime, datetime]:
    """The instants of busy time a question at ``now`` may need, [lo, needed), and how far
    they are read, [lo, hi): a week further, so the next days read nothing."""
    lo, needed = covering(*reach(now, rules))
    return lo, needed, needed + _READ_AHEAD


@dataclass(frozen=True, slots=True)
class _Question:
    catalog: Catalog
    duration: int
    ids: tuple[int, ...]

    @property
    def calendars(self) -> list[SpecialistCalendar]:
        return [self.catalog.calendars[sid] for sid in self.ids]


class _Moment:
    """What the questions of one :class:`FreeTime` (and its :meth:`~FreeTime.ignoring`
    copies) share: the versions they are answered at, the catalog, the client's bookings."""

    __slots__ = ("catalog", "client", "usable", "versions")

    def __init__(self, versions: Versions | None) -> None:
        self.versions = versions
        self.catalog: Catalog | None = None
        self.usable = False  # whether this moment may read and fill the process cache
        self.client: ClientBusy | None = None


class FreeTime:
    """Questions about free time at ``now`` over one session (see the module docstring).

    ``versions`` are the catalog and bookings versions if the caller has just read them
    (the dialog reads them with its session); otherwise the first question reads them, in
    one small statement. A caller that writes busy time through another connection asks
    a new :class:`FreeTime` afterwards.
    """

    __slots__ = ("_moment", "_session", "cached", "client_id", "ignore_booking", "now")

    def __init__(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        client_id: int | None = None,
        ignore_booking: int | None = None,
        versions: Versions | None = None,
        cached: bool = True,
    ) -> None:
        self._session = session
        self.now = now
        self.client_id = client_id
        self.ignore_booking = ignore_booking
        self.cached = cached
        self._moment = _Moment(versions)

    def ignoring(self, booking_id: int | None) -> FreeTime:
        """The same questions with ``booking_id`` left out (a booking being moved)."""
        if booking_id == self.ignore_booking:
            return self
        other = FreeTime(
            self._session, now=self.now, client_id=self.client_id, ignore_booking=booking_id,
            cached=self.cached,
        )  # fmt: skip
        other._moment = self._moment
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
        q = await self._question(service_id, specialist_ids)
        if not self._usable:
            calendars = await self._calendars(q, first, last)
            return days_with_slots(calendars, first, last, **self._rules(q))
        return dict(await self._answer("days", q, (first, last), self._days))

    async def slots(
        self, service_id: int, specialist_ids: Sequence[int] | None, day: date
    ) -> list[Slot]:
        """The free slots of a local date, each listing the specialists who can take it."""
        q = await self._question(service_id, specialist_ids)
        if not self._usable:
            return any_available(await self._calendars(q, day, day), day, **self._rules(q))
        return list(await self._answer("slots", q, day, self._slots))

    async def first_slots(
        self, service_id: int, specialist_ids: Sequence[int] | None = None
    ) -> dict[int, Slot | None]:
        """Each specialist's first free slot within the booking horizon (``None``: fully
        booked), in the order asked."""
        q = await self._question(service_id, specialist_ids)
        if not self._usable:
            calendars = await self._calendars(q, *reach(self.now, q.catalog.rules))
            return {c.specialist_id: next_available([c], **self._rules(q)) for c in calendars}
        return dict(await self._answer("firsts", q, None, self._firsts))

    async def soonest(
        self, service_id: int, specialist_ids: Sequence[int] | None = None
    ) -> Slot | None:
        """The earliest free slot of any of the specialists within the booking horizon."""
        q = await self._question(service_id, specialist_ids)
        if not self._usable:
            calendars = await self._calendars(q, *reach(self.now, q.catalog.rules))
            return next_available(calendars, **self._rules(q))
        return _earliest((await self._answer("firsts", q, None, self._firsts)).values())

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
        q = await self._question(service_id, specialist_ids)
        if not self._usable:
            _zone, first, last = self._upcoming_days(q, after)
            calendars = await self._calendars(q, first, last)

            async def day_slots(day: date) -> Sequence[Slot]:
                return any_available(calendars, day, **self._rules(q))

            return await _walk(day_slots, first, last, after, limit)
        return list(await self._answer("upcoming", q, (after, limit), self._upcoming))

    async def substitutes(self, specialist_id: int, service_id: int) -> list[Substitute]:
        """The other active specialists offering the service with their first free slots:
        the one named on ``specialist_id``'s day off or vacation first, then soonest first."""
        q = await self._question(service_id, None)
        others = _Question(q.catalog, q.duration, tuple(s for s in q.ids if s != specialist_id))
        own = q.catalog.calendars.get(specialist_id)
        if not self._usable:
            calendars = await self._calendars(others, *reach(self.now, q.catalog.rules))
            return substitutes(
                specialist_id, [*([own] if own else []), *calendars], service_id=service_id,
                duration_minutes=q.duration, now=self.now, rules=q.catalog.rules,
            )  # fmt: skip
        firsts = await self._answer("firsts", others, None, self._firsts)
        found = [Substitute(sid, slot) for sid, slot in firsts.items()]
        return rank_substitutes(own, found, now=self.now, rules=q.catalog.rules)

    # --- where the answers come from ------------------------------------------------------

    @property
    def _engine(self) -> AsyncEngine:
        engine = self._session.bind
        assert isinstance(engine, AsyncEngine), "sessions are bound to an engine"
        return engine

    @property
    def _usable(self) -> bool:
        return self.cached and self._moment.usable

    async def _prepare(self) -> _Moment:
        """Read the versions (unless given and current) and take the catalog at them."""
        moment = self._moment
        if moment.catalog is not None:
            return moment
        cache = cache_of(self._engine)
        versions = moment.versions
        if versions is None or versions.bookings != cache.known:
            # One statement: the versions, who changed, and their busy time read again.
            known = catalogs.cached(self._engine)
            lo, _needed, hi = _window(self.now, known.rules if known else Rules())
            up = await catch_up(self._session, since=cache.known, lo=lo, hi=hi)
            cache.advance(up, lo, hi)
            versions = up.versions
        # A moment older than what the cache knows (a snapshot taken before another
        # question read newer versions) computes afresh and keeps nothing.
        moment.usable = versions.bookings == cache.known
        moment.versions = versions
        moment.catalog = await catalogs.at_version(self._session, versions.catalog)
        return moment

    async def _question(self, service_id: int, ids: Sequence[int] | None) -> _Question:
        catalog = (await self._prepare()).catalog
        assert catalog is not None
        service = catalog.services.get(service_id)
        if service is None or not service.is_active:
            return _Question(catalog, 0, ())
        providers = catalog.providers(service_id)
        if ids is not None:
            offering = set(providers)
            providers = [sid for sid in dict.fromkeys(ids) if sid in offering]
        return _Question(catalog, service.duration_minutes, tuple(providers))

    def _rules(self, q: _Question) -> dict[str, Any]:
        return {"duration_minutes": q.duration, "now": self.now, "rules": q.catalog.rules}

    def _upcoming_days(self, q: _Question, after: datetime) -> tuple[ZoneInfo, date, date]:
        zone = q.calendars[0].timezone if q.ids else ZoneInfo("UTC")
        today = self.now.astimezone(zone).date()
        first = max(after.astimezone(zone).date(), today)
        return zone, first, today + timedelta(days=q.catalog.rules.horizon_days)

    async def _calendars(self, q: _Question, first: date, last: date) -> list[SpecialistCalendar]:
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

    # --- the cached way -------------------------------------------------------------------

    @property
    def _cache(self) -> Cache:
        return cache_of(self._engine)

    async def _answer(
        self,
        kind: str,
        q: _Question,
        args: Any,
        compute: Callable[[_Question, Any], Awaitable[tuple[T, list[Stamp]]]],
    ) -> T:
        """A whole answer: kept, or computed from each specialist's part and kept."""
        cache, client = self._cache, await self._client()
        rows = client.stretches if client else None
        key = (kind, q.catalog.version, q.duration, q.ids, args, self.client_id,
               self.ignore_booking)  # fmt: skip
        kept = cache.answers.get(key)
        if kept is not None and kept.stamp.holds(self.now, cache.vector, rows):
            return cast(T, kept.value)
        value, stamps = await compute(q, args)
        cache.answers.put(key, Entry(value, Stamp.joined(stamps, now=self.now, client=rows)))
        return value

    async def _parts(self, q: _Question, kind: str, args: Hashable) -> list[Entry[Any]]:
        """Each specialist's own answer, kept or computed (one read of busy time for all
        whose busy time changed)."""
        cache, client = self._cache, await self._client()
        rows = client.stretches if client else None
        keys = [
            (kind, q.catalog.version, sid, q.duration, args, self.client_id, self.ignore_booking)
            for sid in q.ids
        ]
        entries: list[Entry[Any] | None] = [cache.parts.get(key) for key in keys]
        stale = [
            i for i, entry in enumerate(entries)
            if entry is None or not entry.stamp.holds(self.now, cache.vector, rows)
        ]  # fmt: skip
        if stale:
            busy = await self._busy(q, [q.ids[i] for i in stale])
            for i in stale:
                sid = q.ids[i]
                entries[i] = entry = self._part(q, kind, args, sid, busy[sid], client, entries[i])
                cache.parts.put(keys[i], entry)
        return cast(list[Entry[Any]], entries)

    async def _busy(self, q: _Question, ids: Sequence[int]) -> dict[int, SpecialistBusy]:
        """The busy time of ``ids`` at their current busy versions, covering every date
        that may hold a bookable slot; one statement reads those not kept."""
        cache = self._cache
        lo, needed, hi = _window(self.now, q.catalog.rules)
        found: dict[int, SpecialistBusy] = {}
        for sid in ids:
            kept = cache.busy.get(sid)
            if kept and kept.version == cache.vector.get(sid, 0) and kept.covers(lo, needed):
                found[sid] = kept
        missing = [sid for sid in ids if sid not in found]
        if missing:
            # Labelled with the versions known before the read: what is read is as new or
            # newer (a newer one is read again once its version is known).
            versions = {sid: cache.vector.get(sid, 0) for sid in missing}
            read = await busy_stretches(self._session, missing, lo, hi)
            for sid in missing:
                found[sid] = SpecialistBusy.of(versions[sid], lo, hi, read[sid])
                cache.busy.put(sid, found[sid])
        return found

    async def _client(self) -> ClientBusy | None:
        """The client's bookings at this moment's bookings version (kept per version)."""
        moment = self._moment
        if self.client_id is None or moment.client is not None:
            return moment.client
        assert moment.versions is not None
        cache, version = self._cache, moment.versions.bookings
        kept = cache.clients.get(self.client_id)
        if kept is None or kept.version != version or kept.lo > self.now:
            lo = self.now - _CLIENT_BACK
            rows = await client_stretches(self._session, self.client_id, ending_after=lo)
            kept = ClientBusy(version, lo, rows)
            cache.clients.put(self.client_id, kept)
        moment.client = kept
        return kept

    def _part(
        self,
        q: _Question,
        kind: str,
        args: Any,
        sid: int,
        busy: SpecialistBusy,
        client: ClientBusy | None,
        before: Entry[Any] | None = None,
    ) -> Entry[Any]:
        """One specialist's answer by the engine, and until when it holds: the next hold
        expiry it read, and the first slot it shows less the minimum notice. A month whose
        answer ``before`` was current until this busy time was read again is brought up to
        date on the dates whose busy time changed only."""
        now, rules = self.now, q.catalog.rules
        extra = client.live(now, self.ignore_booking) if client else ()
        calendar = replace(
            q.catalog.calendars[sid], busy=busy.index(now, self.ignore_booking, extra)
        )
        shown: Slot | None
        value: object
        if kind == "days":
            first, last = args
            changed = _changed_dates(before, busy, calendar.timezone, now, client)
            if changed is None:
                value = days_with_slots([calendar], first, last, **self._rules(q))
            else:
                value = dict(before.value) if before else {}
                for day in changed:
                    if first <= day <= last:
                        value[day] = bool(slots_for_day(calendar, day, **self._rules(q)))
            opened = next((day for day, free in value.items() if free), None)
            shown = slots_for_day(calendar, opened, **self._rules(q))[0] if opened else None
        elif kind == "slots":
            value = tuple(slots_for_day(calendar, args, **self._rules(q)))
            shown = value[0] if value else None
        else:
            value = shown = next_available([calendar], **self._rules(q))
        until = min(
            busy.next_expiry(now),
            client.next_expiry(now) if client else FOREVER,
            shown.start - rules.min_notice + _TICK if shown else FOREVER,
        )
        today = ((calendar.timezone, calendar.local_today(now)),)
        stamp = Stamp(
            now, until, ((sid, busy.version),), today, client.stretches if client else None
        )
        return Entry(value, stamp)

    async def _days(
        self, q: _Question, args: tuple[date, date]
    ) -> tuple[dict[date, bool], list[Stamp]]:
        parts = await self._parts(q, "days", args)
        days = dict.fromkeys(days_with_slots([], *args, **self._rules(q)), False)
        for part in parts:
            for day, free in part.value.items():
                days[day] = days[day] or free
        return days, [p.stamp for p in parts]

    async def _slots(self, q: _Question, day: date) -> tuple[tuple[Slot, ...], list[Stamp]]:
        parts = await self._parts(q, "slots", day)
        return tuple(_union(p.value for p in parts)), [p.stamp for p in parts]

    async def _firsts(
        self, q: _Question, _args: None
    ) -> tuple[dict[int, Slot | None], list[Stamp]]:
        parts = await self._parts(q, "first", None)
        firsts = {sid: p.value for sid, p in zip(q.ids, parts, strict=True)}
        return firsts, [p.stamp for p in parts]

    async def _upcoming(
        self, q: _Question, args: tuple[datetime, int]
    ) -> tuple[tuple[Slot, ...], list[Stamp]]:
        after, limit = args
        zone, first, last = self._upcoming_days(q, after)
        stamps = [Stamp(self.now, FOREVER, (), ((zone, self.now.astimezone(zone).date()),))]

        async def day_slots(day: date) -> Sequence[Slot]:
            parts = await self._parts(q, "slots", day)
            stamps.extend(p.stamp for p in parts)
            return _union(p.value for p in parts)

        return tuple(await _walk(day_slots, first, last, after, limit)), stamps


def _changed_dates(
    before: Entry[Any] | None,
    busy: SpecialistBusy,
    zone: ZoneInfo,
    now: datetime,
    client: ClientBusy | None,
) -> set[date] | None:
    """The dates on which ``before`` (one specialist's answer) no longer holds at ``now``,
    when it held but for this specialist's busy time read again; ``None`` when it cannot
    be brought up to date that way."""
    previous = busy.previous
    if before is None or previous is None:
        return None
    if before.stamp.busy != ((before.stamp.busy[0][0], previous.version),):
        return None
    if not before.stamp.held_before(now, client.stretches if client else None):
        return None
    return busy.changed_dates(zone)


def _union(lists: Iterable[Iterable[Slot]]) -> list[Slot]:
    """Several specialists' slots of one day as :func:`.engine.any_available` gives them."""
    by_time: dict[tuple[datetime, datetime], list[int]] = {}
    for slots in lists:
        for slot in slots:
            by_time.setdefault((slot.start, slot.end), []).extend(slot.specialist_ids)
    return [Slot(start, end, tuple(sorted(ids))) for (start, end), ids in sorted(by_time.items())]


def _earliest(firsts: Iterable[Slot | None]) -> Slot | None:
    """The earliest of each specialist's first slot, as :func:`.engine.next_available` picks
    it over them all (specialists free at the same time share it)."""
    best: Slot | None = None
    for slot in firsts:
        if slot is None:
            continue
        if best is None or slot.start < best.start:
            best = slot
        elif slot.start == best.start:
            ids = tuple(sorted({*best.specialist_ids, *slot.specialist_ids}))
            best = Slot(best.start, best.end, ids)
    return best


async def _walk(
    day_slots: Callable[[date], Awaitable[Sequence[Slot]]],
    first: date,
    last: date,
    after: datetime,
    limit: int,
) -> list[Slot]:
    """The first ``limit`` of each day's slots from ``first`` to ``last`` that start at or
    after ``after``."""
    found: list[Slot] = []
    day = first
    while day <= last and len(found) < limit:
        found += [s for s in await day_slots(day) if s.start >= after][: limit - len(found)]
        day += timedelta(days=1)
    return found
