"""The process's availability cache: answers kept exactly as a fresh computation would give
them at the ``now`` they are asked for.

What can change an answer, and how each is caught:

- the catalog (schedules, overrides, services, rules): its version is in every key;
- a specialist's busy time (a booking or a block written by any process): triggers stamp
  the specialist's ``busy_versions`` row with the new bookings version (migration 0011).
  An entry records the busy version of each specialist it read; the process learns the
  newest versions in the statement that reads the bookings version (the engine's reader,
  :mod:`slotbot.core.storage.version_reader`, or the query the dialog turn makes anyway),
  and only the specialists that changed are computed again;
- a client's own bookings: re-read when the bookings version moved, compared by value;
- time passing with no write at all: a hold runs out, the minimum notice passes the first
  slot an answer shows, the local date changes (today and the booking horizon move). An
  entry holds from the ``now`` it was computed at until the first of these can happen
  (the next hold expiry among what it read, the first slot it showed less the notice),
  and only on the local dates it was computed on.

Everything is bounded (least recently used goes first) and can be dropped at any time
(:func:`forget`): it only ever saves work.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.availability.busy import CatchUp, Stretch
from slotbot.core.availability.engine import Busy, BusyIndex, Interval

__all__ = [
    "FOREVER",
    "LRU",
    "Cache",
    "ClientBusy",
    "Entry",
    "SpecialistBusy",
    "Stamp",
    "cache_of",
    "forget",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

FOREVER = datetime.max.replace(tzinfo=UTC)
_TICK = timedelta(microseconds=1)


class LRU(Generic[K, V]):
    """A mapping of at most ``size`` items; the least recently used goes first."""

    __slots__ = ("_items", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _next_expiry(expiries: Sequence[datetime], now: datetime) -> datetime:
    """The first of the sorted ``expiries`` after ``now`` (a hold still live runs out)."""
    i = bisect_right(expiries, now)
    return expiries[i] if i < len(expiries) else FOREVER


@dataclass(slots=True)
class SpecialistBusy:
    """One specialist's busy time over instants [lo, hi) as read at busy ``version``, holds
    with their expiries; busy indexes per ``now`` are built from it as asked."""

    version: int
    lo: datetime
    hi: datetime
    stretches: tuple[Stretch, ...]
    expiries: tuple[datetime, ...] = ()
    #: What was kept before this was read again (one step back only), to tell which
    #: dates changed.
    previous: SpecialistBusy | None = None
    _indexes: dict[Hashable, BusyIndex] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        version: int,
        lo: datetime,
        hi: datetime,
        stretches: Iterable[Stretch],
        previous: SpecialistBusy | None = None,
    ) -> SpecialistBusy:
        kept = tuple(stretches)
        expiries = sorted(s.expires_at for s in kept if s.expires_at is not None)
        if previous is not None:
            previous = replace(previous, previous=None, _indexes={})
        return cls(version, lo, hi, kept, tuple(expiries), previous)

    def changed_dates(self, zone: ZoneInfo) -> set[date] | None:
        """The local dates whose busy time differs from :attr:`previous`'s (``None``: not
        known, everything may have)."""
        before = self.previous
        if before is None or (before.lo, before.hi) != (self.lo, self.hi):
            return None
        dates: set[date] = set()
        for stretch in _differing(self.stretches, before.stretches):
            day = stretch.start.astimezone(zone).date()
            last = (stretch.end - _TICK).astimezone(zone).date()
            while day <= last:
                dates.add(day)
                day += timedelta(days=1)
        return dates

    def covers(self, lo: datetime, hi: datetime) -> bool:
        return self.lo <= lo and hi <= self.hi

    def next_expiry(self, now: datetime) -> datetime:
        return _next_expiry(self.expiries, now)

    def index(self, now: datetime, ignore: int | None, extra: tuple[Busy, ...]) -> BusyIndex:
        """What is busy at ``now``: blocks, confirmed bookings and holds not run out, but
        booking ``ignore``, plus ``extra`` (a client's own bookings)."""
        key = (bisect_right(self.expiries, now), ignore, extra)
        index = self._indexes.get(key)
        if index is None:
            if len(self._indexes) >= 16:
                self._indexes.clear()
            live: list[Interval] = [
                s
                for s in self.stretches
                if (s.expires_at is None or s.expires_at > now) and s.booking_id != ignore
            ]
            index = self._indexes[key] = BusyIndex([*live, *extra])
        return index


def _differing(stretches: Iterable[Stretch], before: Iterable[Stretch]) -> Iterator[Stretch]:
    """The stretches in one of the two reads but not in the other (as ``set(stretches) ^
    set(before)``, without hashing every instant: bookings are matched by id)."""
    kept = {s.booking_id: s for s in before if s.booking_id}
    blocks = set()
    for stretch in stretches:
        if not stretch.booking_id:
            blocks.add(stretch)
            continue
        old = kept.pop(stretch.booking_id, None)
        if old != stretch:
            yield stretch
            if old is not None:
                yield old
    yield from kept.values()  # gone since
    yield from blocks.symmetric_difference(s for s in before if not s.booking_id)


@dataclass(frozen=True, slots=True)
class ClientBusy:
    """A client's held and confirmed bookings ending after ``lo``, read at bookings
    ``version``."""

    version: int
    lo: datetime
    stretches: tuple[Stretch, ...]

    def live(self, now: datetime, ignore: int | None) -> tuple[Busy, ...]:
        return tuple(s.busy() for s in self.stretches if s.live(now) and s.booking_id != ignore)

    def next_expiry(self, now: datetime) -> datetime:
        return _next_expiry(sorted(s.expires_at for s in self.stretches if s.expires_at), now)


@dataclass(frozen=True, slots=True)
class Stamp:
    """When a kept answer still holds: from ``since`` until before ``until``, while each
    specialist's busy version is as read, the client's bookings are as read (``None``: no
    client), and each time zone's local date is as it was."""

    since: datetime
    until: datetime
    busy: tuple[tuple[int, int], ...]
    todays: tuple[tuple[ZoneInfo, date], ...]
    client: tuple[Stretch, ...] | None = None

    def holds(
        self, now: datetime, versions: Mapping[int, int], client: tuple[Stretch, ...] | None
    ) -> bool:
        for sid, version in self.busy:
            if versions.get(sid, 0) != version:
                return False
        return self.held_before(now, client)

    def held_before(self, now: datetime, client: tuple[Stretch, ...] | None) -> bool:
        """Whether this held at ``now`` but for the busy versions (for an answer to be
        brought up to date date by date)."""
        if not self.since <= now < self.until:
            return False
        if client is not self.client and client != self.client:
            return False
        return all(now.astimezone(zone).date() == today for zone, today in self.todays)

    @staticmethod
    def joined(stamps: Sequence[Stamp], *, now: datetime, client: tuple[Stretch, ...] | None,
               todays: Iterable[tuple[ZoneInfo, date]] = ()) -> Stamp:  # fmt: skip
        """What holds while every one of ``stamps`` holds."""
        zones = dict(todays)
        for stamp in stamps:
            zones.update(stamp.todays)
        return Stamp(
            since=max((s.since for s in stamps), default=now),
            until=min((s.until for s in stamps), default=FOREVER),
            busy=tuple(pair for s in stamps for pair in s.busy),
            todays=tuple(zones.items()),
            client=client,
        )


@dataclass(frozen=True, slots=True)
class Entry(Generic[V]):
    """A kept answer and when it holds."""

    value: V
    stamp: Stamp


class Cache:
    """One database's cache in this process."""

    def __init__(
        self, *, answers: int = 2048, parts: int = 16384, specialists: int = 4096,
        clients: int = 2048,
    ) -> None:  # fmt: skip
        #: The bookings version ``vector`` is current for (-1: none read yet).
        self.known = -1
        #: Each specialist's busy version (0: unchanged since the migration).
        self.vector: dict[int, int] = {}
        self.busy: LRU[int, SpecialistBusy] = LRU(specialists)
        self.clients: LRU[int, ClientBusy] = LRU(clients)
        #: One specialist's answer to one question.
        self.parts: LRU[Hashable, Entry[object]] = LRU(parts)
        #: Whole answers, as the callers asked.
        self.answers: LRU[Hashable, Entry[object]] = LRU(answers)

    def advance(self, up: CatchUp, lo: datetime, hi: datetime) -> None:
        """Take in what one statement read: the versions, the specialists changed since
        :attr:`known` and their busy time read again over [lo, hi) (several questions may
        read at once: versions only move forward)."""
        for sid, version in up.changed.items():
            if version > self.vector.get(sid, 0):
                self.vector[sid] = version
        for sid in up.reread:
            if self.vector[sid] == up.changed[sid]:
                before = self.busy.get(sid)
                again = SpecialistBusy.of(up.changed[sid], lo, hi, up.stretches[sid], before)
                self.busy.put(sid, again)
        self.known = max(self.known, up.versions.bookings)


_caches: weakref.WeakKeyDictionary[object, Cache] = weakref.WeakKeyDictionary()


def cache_of(engine: AsyncEngine) -> Cache:
    """This process's availability cache for ``engine``'s database."""
    pool = engine.sync_engine.pool
    cache = _caches.get(pool)
    if cache is None:
        cache = _caches[pool] = Cache()
    return cache


def forget(engine: AsyncEngine) -> None:
    """Drop the availability cache of ``engine``'s database."""
    _caches.pop(engine.sync_engine.pool, None)
