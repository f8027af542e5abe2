"""What a question about free time is about, and the pieces both ways of answering it
(:mod:`.free` afresh, :mod:`.answers` from the process cache) share: which dates and
instants it may look at, walking days for the next free slots, and putting several
specialists' slots together as :mod:`.engine` does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from slotbot.core.availability.busy import covering
from slotbot.core.availability.catalog import Catalog
from slotbot.core.availability.engine import Rules, Slot, SpecialistCalendar

__all__ = ["Question", "busy_window", "earliest", "reach", "union", "upcoming_days", "walk"]

#: How far past what is needed busy time is read ahead, so the next days read nothing.
READ_AHEAD = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Question:
    """A service's appointment length and the specialists asked about (active, offering
    it), at one catalog."""

    catalog: Catalog
    duration: int
    ids: tuple[int, ...]

    @property
    def calendars(self) -> list[SpecialistCalendar]:
        return [self.catalog.calendars[sid] for sid in self.ids]

    def among(self, ids: Iterable[int]) -> Question:
        return Question(self.catalog, self.duration, tuple(ids))


def reach(now: datetime, rules: Rules) -> tuple[date, date]:
    """The local dates that may hold a bookable slot at ``now`` in any time zone: today
    to the horizon, with a day of slack either side."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=1), today + timedelta(days=rules.horizon_days + 1)


def busy_window(now: datetime, rules: Rules) -> tuple[datetime, datetime, datetime]:
    """The instants of busy time a question at ``now`` may need, [lo, needed), and how far
    they are read, [lo, hi): a week further, so the next days read nothing."""
    lo, needed = covering(*reach(now, rules))
    return lo, needed, needed + READ_AHEAD


def upcoming_days(q: Question, now: datetime, after: datetime) -> tuple[ZoneInfo, date, date]:
    """The time zone (the first specialist's) and the local dates the next free slots from
    ``after`` are looked for on: from that date (or today) to the horizon."""
    zone = q.calendars[0].timezone if q.ids else ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    first = max(after.astimezone(zone).date(), today)
    return zone, first, today + timedelta(days=q.catalog.rules.horizon_days)


async def walk(
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


def union(lists: Iterable[Iterable[Slot]]) -> list[Slot]:
    """Several specialists' slots of one day as :func:`.engine.any_available` gives them."""
    by_time: dict[tuple[datetime, datetime], list[int]] = {}
    for slots in lists:
        for slot in slots:
            by_time.setdefault((slot.start, slot.end), []).extend(slot.specialist_ids)
    return [Slot(start, end, tuple(sorted(ids))) for (start, end), ids in sorted(by_time.items())]


def earliest(firsts: Iterable[Slot | None]) -> Slot | None:
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
