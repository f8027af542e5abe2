"""Answers from the process cache (:mod:`.cache`): each specialist's answer is computed by
the engine on that specialist's calendar alone and kept with when it holds; a whole answer
puts them together as the engine's functions over several calendars would, and is kept too.

So a repeated question is a lookup, and after a booking only the specialist whose busy
time changed is computed again (their month only on the dates that changed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.busy import busy_stretches, client_stretches
from slotbot.core.availability.cache import (
    FOREVER,
    Cache,
    ClientBusy,
    Entry,
    SpecialistBusy,
    Stamp,
)
from slotbot.core.availability.engine import (
    Slot,
    days_with_slots,
    first_slot,
    has_slot,
    next_available,
    slots_for_day,
)
from slotbot.core.availability.question import (
    Question,
    busy_window,
    union,
    upcoming_days,
    walk,
)

__all__ = ["KeptAnswers"]

T = TypeVar("T")
_TICK = timedelta(microseconds=1)
#: How far back a client's bookings are read (they only matter once they have not ended).
_CLIENT_BACK = timedelta(days=1)
Compute = Callable[[Question, Any], Awaitable[tuple[T, list[Stamp]]]]


class KeptAnswers:
    """The questions of one moment answered from ``cache``: at ``now``, for a client's
    free time or anyone's (see :class:`.free.FreeTime`), the cache being current for
    bookings version ``version`` (which the caller read)."""

    __slots__ = ("_cache", "_client", "_session", "client_id", "ignore_booking", "now", "version")

    def __init__(
        self,
        session: AsyncSession,
        cache: Cache,
        *,
        now: datetime,
        version: int,
        client_id: int | None,
        ignore_booking: int | None,
    ) -> None:
        self._session, self._cache = session, cache
        self.now, self.version = now, version
        self.client_id, self.ignore_booking = client_id, ignore_booking
        self._client: ClientBusy | None = None

    async def days(self, q: Question, first: date, last: date) -> dict[date, bool]:
        return dict(await self._answer("days", q, (first, last), self._days))

    async def slots(self, q: Question, day: date) -> list[Slot]:
        return list(await self._answer("slots", q, day, self._slots))

    async def first_slots(self, q: Question) -> dict[int, Slot | None]:
        return dict(await self._answer("firsts", q, None, self._firsts))

    async def upcoming(self, q: Question, after: datetime, limit: int) -> list[Slot]:
        return list(await self._answer("upcoming", q, (after, limit), self._upcoming))

    # --- whole answers --------------------------------------------------------------------

    async def _answer(self, kind: str, q: Question, args: Hashable, compute: Compute[T]) -> T:
        """A whole answer: kept, or computed from each specialist's part and kept."""
        cache, client = self._cache, await self._client_busy()
        rows = client.stretches if client else None
        key = (kind, q.catalog.version, q.duration, q.ids, args, _whose(self.client_id, client),
               self.ignore_booking)  # fmt: skip
        kept = cache.answers.get(key)
        if kept is not None and kept.stamp.holds(self.now, cache.vector, rows):
            return cast(T, kept.value)
        value, stamps = await compute(q, args)
        cache.answers.put(key, Entry(value, Stamp.joined(stamps, now=self.now, client=rows)))
        return value

    async def _days(
        self, q: Question, args: tuple[date, date]
    ) -> tuple[dict[date, bool], list[Stamp]]:
        parts = await self._parts(q, "days", args)
        first, last = args
        days = {first + timedelta(days=n): False for n in range((last - first).days + 1)}
        for part in parts:
            days.update((day, True) for day, free in part.value.items() if free)
        return days, [p.stamp for p in parts]

    async def _slots(self, q: Question, day: date) -> tuple[tuple[Slot, ...], list[Stamp]]:
        parts = await self._parts(q, "slots", day)
        return tuple(union(p.value for p in parts)), [p.stamp for p in parts]

    async def _firsts(self, q: Question, _: None) -> tuple[dict[int, Slot | None], list[Stamp]]:
        parts = await self._parts(q, "first", None)
        firsts = {sid: p.value for sid, p in zip(q.ids, parts, strict=True)}
        return firsts, [p.stamp for p in parts]

    async def _upcoming(
        self, q: Question, args: tuple[datetime, int]
    ) -> tuple[tuple[Slot, ...], list[Stamp]]:
        after, limit = args
        zone, first, last = upcoming_days(q, self.now, after)
        stamps = [Stamp(self.now, FOREVER, (), ((zone, self.now.astimezone(zone).date()),))]

        async def day_slots(day: date) -> Sequence[Slot]:
            parts = await self._parts(q, "slots", day)
            stamps.extend(p.stamp for p in parts)
            return union(p.value for p in parts)

        return tuple(await walk(day_slots, first, last, after, limit)), stamps

    # --- each specialist's part -----------------------------------------------------------

    async def _parts(self, q: Question, kind: str, args: Hashable) -> list[Entry[Any]]:
        """Each specialist's own answer, kept or computed (one read of busy time for all
        whose busy time is not kept)."""
        cache, client = self._cache, await self._client_busy()
        rows = client.stretches if client else None
        whose = _whose(self.client_id, client)
        keys = [
            (kind, q.catalog.version, sid, q.duration, args, whose, self.ignore_booking)
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

    def _part(
        self,
        q: Question,
        kind: str,
        args: Any,
        sid: int,
        busy: SpecialistBusy,
        client: ClientBusy | None,
        before: Entry[Any] | None,
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
        engine: dict[str, Any] = {"duration_minutes": q.duration, "now": now, "rules": rules}
        shown: Slot | None
        value: object
        if kind == "days":
            first, last = args
            changed = _changed_dates(before, sid, busy, calendar.timezone, now, client)
            if before is None or changed is None:
                value = days_with_slots([calendar], first, last, **engine)
            else:
                value = dict(before.value)
                for day in changed:
                    if first <= day <= last:
                        value[day] = has_slot(calendar, day, **engine)
            opened = next((day for day, free in value.items() if free), None)
            shown = first_slot(calendar, opened, **engine) if opened else None
        elif kind == "slots":
            value = tuple(slots_for_day(calendar, args, **engine))
            shown = value[0] if value else None
        else:
            value = shown = next_available([calendar], **engine)
        until = min(
            busy.next_expiry(now),
            client.next_expiry(now) if client else FOREVER,
            shown.start - rules.min_notice + _TICK if shown else FOREVER,
        )
        today = ((calendar.timezone, calendar.local_today(now)),)
        rows = client.stretches if client else None
        return Entry(value, Stamp(now, until, ((sid, busy.version),), today, rows))

    # --- what the parts are computed from -------------------------------------------------

    async def _busy(self, q: Question, ids: Sequence[int]) -> dict[int, SpecialistBusy]:
        """The busy time of ``ids`` at their current busy versions, covering every date
        that may hold a bookable slot; one statement reads those not kept."""
        cache = self._cache
        lo, needed, hi = busy_window(self.now, q.catalog.rules)
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

    async def _client_busy(self) -> ClientBusy | None:
        """The client's bookings at this moment's bookings version (kept per version)."""
        if self.client_id is None or self._client is not None:
            return self._client
        kept = self._cache.clients.get(self.client_id)
        if kept is None or kept.version != self.version or kept.lo > self.now:
            lo = self.now - _CLIENT_BACK
            rows = await client_stretches(self._session, self.client_id, ending_after=lo)
            kept = ClientBusy(self.version, lo, rows)
            self._cache.clients.put(self.client_id, kept)
        self._client = kept
        return kept


#: Whose answer a key names when the client has no bookings that count (none ending after
#: ``_CLIENT_BACK`` ago): the same as any such client's, so new and idle clients share one.
_NO_BOOKINGS = "no bookings"


def _whose(client_id: int | None, client: ClientBusy | None) -> int | str | None:
    """The client part of a key: an answer for a client is computed from their bookings
    (:meth:`KeptAnswers._part`) and its stamp holds while they stay as read, so clients
    without any have the same answers."""
    if client is not None and not client.stretches:
        return _NO_BOOKINGS
    return client_id


def _changed_dates(
    before: Entry[Any] | None,
    sid: int,
    busy: SpecialistBusy,
    zone: ZoneInfo,
    now: datetime,
    client: ClientBusy | None,
) -> set[date] | None:
    """The dates on which ``before`` (specialist ``sid``'s answer) no longer holds at
    ``now``, when it held but for their busy time read again since; ``None`` when it
    cannot be brought up to date that way."""
    previous = busy.previous
    if before is None or previous is None or before.stamp.busy != ((sid, previous.version),):
        return None
    if not before.stamp.held_before(now, client.stretches if client else None):
        return None
    return busy.changed_dates(zone)
