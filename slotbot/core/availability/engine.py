"""The slot engine (DESIGN.md section 3): pure functions over plain values.

Nothing here touches a database or the clock: callers load a :class:`SpecialistCalendar` per
specialist (see :mod:`slotbot.core.availability.free`) and pass ``now`` in.

Schedule layers, highest priority first, for one local date of one specialist:

1. an override covering the date: ``day_off`` / ``vacation`` give no windows, ``custom_hours``
   replace the day's windows (several custom-hours overrides on one date make a split day);
2. otherwise the weekly template rows for that weekday whose validity covers the date.

Each window yields candidate starts ``start, start + (slot + break_after), ...`` while
``candidate + duration <= window end`` (wall clock); the duration is the service's, or the
window's slot length when no service duration is given. A candidate is dropped when it
overlaps anything busy (blocks, confirmed bookings, unexpired holds), starts before
``now + min_notice``, or falls on a date past the booking horizon.

Wall-clock times become instants with zoneinfo: a local time inside a spring-forward gap gives
no slot; an ambiguous local time (fall-back) takes its first occurrence. Each wall-clock time
of a zone is converted once per process (a bounded memo: the same shifts recur every week and
for every question), and a day's candidates are only turned into :class:`Slot` objects when
the slots themselves are asked for: whether a day has one stops at the first free candidate.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from operator import attrgetter
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "Busy",
    "BusyIndex",
    "DateOverride",
    "Interval",
    "OverrideKind",
    "Rules",
    "Slot",
    "SpecialistCalendar",
    "Substitute",
    "WeeklyWindow",
    "Window",
    "any_available",
    "candidate_starts",
    "days_with_slots",
    "first_slot",
    "has_slot",
    "local_instant",
    "named_substitute",
    "next_available",
    "rank_substitutes",
    "slots_for_day",
    "substitutes",
    "windows_for_day",
]


class OverrideKind(enum.StrEnum):
    DAY_OFF = "day_off"
    VACATION = "vacation"
    CUSTOM_HOURS = "custom_hours"


@dataclass(frozen=True, slots=True)
class Rules:
    """Shop-wide booking rules (the import file's ``settings``)."""

    min_notice_minutes: int = 30
    horizon_days: int = 60
    hold_minutes: int = 10
    #: Offer substitutes when the specialist's first free slot is more than this many days away.
    substitute_after_days: int = 7

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def hold(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    @property
    def substitute_after(self) -> timedelta:
        return timedelta(days=self.substitute_after_days)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of working wall-clock time on one date, cut into slots."""

    start: time
    end: time
    slot_minutes: int = 60
    break_minutes: int = 0


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """One row of the weekly template (weekday 0=Mon..6=Sun), valid over an optional range."""

    weekday: int
    window: Window
    valid_from: date | None = None
    valid_until: date | None = None

    def covers(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, slots=True)
class DateOverride:
    """A date range (inclusive) that replaces the weekly template."""

    starts_on: date
    ends_on: date
    kind: OverrideKind
    window: Window | None = None
    substitute_id: int | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Interval(Protocol):
    """Anything with a ``start`` and an ``end`` instant: a :class:`Busy`, or a stretch of
    busy time as read (:class:`slotbot.core.availability.busy.Stretch`)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Busy:
    """A half-open busy interval [start, end) of instants."""

    start: datetime
    end: datetime


_by_start = attrgetter("start")


class BusyIndex:
    """Busy intervals merged into disjoint sorted runs for O(log n) overlap checks."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        starts: list[datetime] = []
        ends: list[datetime] = []
        for interval in sorted(intervals, key=_by_start):
            if interval.end <= interval.start:
                continue
            if ends and interval.start <= ends[-1]:
                if interval.end > ends[-1]:
                    ends[-1] = interval.end
            else:
                starts.append(interval.start)
                ends.append(interval.end)
        self._starts = starts
        self._ends = ends

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares any instant with a busy run."""
        i = bisect_right(self._ends, start)  # first run ending after ``start``
        return i < len(self._starts) and self._starts[i] < end

    def __len__(self) -> int:
        return len(self._starts)


@dataclass(frozen=True, slots=True)
class SpecialistCalendar:
    """Everything the engine needs to know about one specialist over a range of dates."""

    specialist_id: int
    key: str
    timezone: ZoneInfo
    weekly: tuple[WeeklyWindow, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    busy: BusyIndex = field(default_factory=BusyIndex)
    service_ids: frozenset[int] = frozenset()

    def local_today(self, now: datetime) -> date:
        return now.astimezone(self.timezone).date()


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start, with the specialists (ids) who can take it."""

    start: datetime
    end: datetime
    specialist_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Substitute:
    """A specialist who offers the same service, with their first free slot."""

    specialist_id: int
    first_slot: Slot | None


def windows_for_day(calendar: SpecialistCalendar, day: date) -> list[Window]:
    """The working windows of ``day`` after applying overrides to the weekly template."""
    covering = [o for o in calendar.overrides if o.covers(day)]
    if any(o.kind in (OverrideKind.DAY_OFF, OverrideKind.VACATION) for o in covering):
        return []
    custom = [o.window for o in covering if o.kind == OverrideKind.CUSTOM_HOURS and o.window]
    if custom:
        return sorted(custom, key=lambda w: w.start)
    return sorted((w.window for w in calendar.weekly if w.covers(day)), key=lambda w: w.start)


def local_instant(local: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive wall-clock time in ``zone``; ``None`` inside a DST gap
    (the clocks skip it). An ambiguous time (clocks going back) takes its first occurrence.

    The one place where wall-clock times become instants: the engine, the import and the
    command line all use it.
    """
    return _local_instant(local.replace(tzinfo=None, fold=0), zone)


@lru_cache(maxsize=16384)
def _local_instant(local: datetime, zone: ZoneInfo) -> datetime | None:
    """:func:`local_instant` of a naive wall-clock time, remembered: two conversions each
    time otherwise, for the same few times of every working day."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return instant


def candidate_starts(
    window: Window, day: date, duration_minutes: int | None
) -> Iterator[tuple[datetime, timedelta]]:
    """Naive local starts of ``window`` on ``day`` with the appointment length."""
    length = timedelta(minutes=duration_minutes or window.slot_minutes)
    step = timedelta(minutes=window.slot_minutes + window.break_minutes)
    current = datetime.combine(day, window.start)
    end = datetime.combine(day, window.end)
    while current + length <= end:
        yield current, length
        current += step


def _free_starts(
    calendar: SpecialistCalendar,
    day: date,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules,
) -> Iterator[tuple[datetime, datetime]]:
    """Free (start, end) instants of one specialist on one local date, windows in start
    order.

    Windows that overlap (two rows covering the same hours) give each start once. (Within
    one window the starts are distinct wall-clock times, so distinct instants: a wall-clock
    time has one instant or none.)
    """
    if day > calendar.local_today(now) + timedelta(days=rules.horizon_days):
        return
    earliest = now + rules.min_notice
    zone = calendar.timezone
    busy = calendar.busy
    windows = windows_for_day(calendar, day)
    seen: set[datetime] | None = None
    if any(a.end > b.start for a, b in pairwise(windows)):
        seen = set()
    for window in windows:
        for local_start, length in candidate_starts(window, day, duration_minutes):
            start = _local_instant(local_start, zone)
            if start is None or start < earliest:
                continue
            if seen is not None:
                if start in seen:
                    continue
                seen.add(start)
            end = start + length
            if busy.overlaps(start, end):
                continue
            yield start, end


def _day_slots(
    calendar: SpecialistCalendar,
    day: date,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules,
) -> Iterator[Slot]:
    """Free slots of one specialist on one local date, windows in start order."""
    ids = (calendar.specialist_id,)
    for start, end in _free_starts(calendar, day, duration_minutes, now, rules):
        yield Slot(start, end, ids)


def slots_for_day(
    calendar: SpecialistCalendar,
    day: date,
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> list[Slot]:
    """Free slots of one specialist on one of their local dates, sorted by start."""
    return sorted(_day_slots(calendar, day, duration_minutes, now, rules), key=lambda s: s.start)


def has_slot(
    calendar: SpecialistCalendar,
    day: date,
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> bool:
    """Whether the specialist has a free slot on one of their local dates (``bool`` of
    :func:`slots_for_day`, stopping at the first)."""
    return next(_free_starts(calendar, day, duration_minutes, now, rules), None) is not None


def first_slot(
    calendar: SpecialistCalendar,
    day: date,
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> Slot | None:
    """The specialist's first free slot on one of their local dates (the first of
    :func:`slots_for_day`), or ``None``."""
    found = min(_free_starts(calendar, day, duration_minutes, now, rules), default=None)
    return None if found is None else Slot(found[0], found[1], (calendar.specialist_id,))


def any_available(
    calendars: Sequence[SpecialistCalendar],
    day: date,
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> list[Slot]:
    """The union of several specialists' slots on ``day``; each slot lists who can take it."""
    by_time: dict[tuple[datetime, datetime], list[int]] = {}
    for calendar in calendars:
        for slot in _day_slots(calendar, day, duration_minutes, now, rules):
            by_time.setdefault((slot.start, slot.end), []).append(calendar.specialist_id)
    return [Slot(start, end, tuple(sorted(ids))) for (start, end), ids in sorted(by_time.items())]


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def days_with_slots(
    calendars: Sequence[SpecialistCalendar],
    first: date,
    last: date,
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> dict[date, bool]:
    """For each date of [first, last]: whether any of the specialists has a free slot."""
    result: dict[date, bool] = {}
    for day in _dates(first, last):
        result[day] = any(
            next(_free_starts(c, day, duration_minutes, now, rules), None) is not None
            for c in calendars
        )
    return result


def next_available(
    calendars: Sequence[SpecialistCalendar],
    *,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
    first: date | None = None,
) -> Slot | None:
    """The earliest free slot of any of the specialists, searching up to the horizon."""
    best: Slot | None = None
    for calendar in calendars:
        today = calendar.local_today(now)
        start_day = max(first or today, today)
        last = today + timedelta(days=rules.horizon_days)
        for day in _dates(start_day, last):
            if best is not None and datetime.combine(day, time(), calendar.timezone) > best.start:
                break
            slots = slots_for_day(
                calendar, day, duration_minutes=duration_minutes, now=now, rules=rules
            )
            if slots:
                if best is None or slots[0].start < best.start:
                    best = slots[0]
                elif slots[0].start == best.start:
                    ids = tuple(sorted({*best.specialist_ids, *slots[0].specialist_ids}))
                    best = Slot(best.start, best.end, ids)
                break
    return best


def substitutes(
    specialist_id: int,
    calendars: Sequence[SpecialistCalendar],
    *,
    service_id: int | None,
    duration_minutes: int | None,
    now: datetime,
    rules: Rules = Rules(),
) -> list[Substitute]:
    """Other specialists sharing a service with ``specialist_id``, earliest free first.

    With ``service_id`` only those offering that service count. Callers pass active
    specialists only. Those with no free slot before the horizon come last, by id. The
    substitute named on the specialist's current or next day off or vacation comes first
    when they have a free slot.
    """
    own = next((c for c in calendars if c.specialist_id == specialist_id), None)
    shared = frozenset({service_id}) if service_id is not None else own.service_ids if own else None
    result = []
    for calendar in calendars:
        if calendar.specialist_id == specialist_id:
            continue
        if shared is not None and not (calendar.service_ids & shared):
            continue
        first_slot = next_available(
            [calendar], duration_minutes=duration_minutes, now=now, rules=rules
        )
        result.append(Substitute(calendar.specialist_id, first_slot))
    return rank_substitutes(own, result, now=now, rules=rules)


def rank_substitutes(
    own: SpecialistCalendar | None,
    found: Iterable[Substitute],
    *,
    now: datetime,
    rules: Rules = Rules(),
) -> list[Substitute]:
    """Substitutes in the order to offer them: the one named on ``own``'s current or next
    day off or vacation first (when free at all), then by first free slot, then by id."""
    far = datetime.max.replace(tzinfo=UTC)
    named = named_substitute(own, now, rules) if own else None
    return sorted(
        found,
        key=lambda s: (
            not (s.specialist_id == named and s.first_slot is not None),
            s.first_slot.start if s.first_slot else far,
            s.specialist_id,
        ),
    )


def named_substitute(calendar: SpecialistCalendar, now: datetime, rules: Rules) -> int | None:
    """The substitute named on the specialist's earliest day off or vacation that has not
    ended and starts within the horizon, if any."""
    today = calendar.local_today(now)
    last = today + timedelta(days=rules.horizon_days)
    away = [
        o
        for o in calendar.overrides
        if o.kind in (OverrideKind.DAY_OFF, OverrideKind.VACATION)
        and o.substitute_id is not None
        and o.ends_on >= today
        and o.starts_on <= last
    ]
    return min(away, key=lambda o: o.starts_on).substitute_id if away else None
