"""What a typed message says, as a small typed value (the reader's result)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, time

__all__ = ["DateRange", "Intent", "Match", "Reading", "TimeWindow"]


class Intent(enum.StrEnum):
    """What the person wants done."""

    BOOK = "book"
    MY_BOOKINGS = "my_bookings"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    HELP = "help"
    LANGUAGE = "language"


@dataclass(frozen=True, slots=True)
class Match:
    """A service or specialist the text names, by id; ``sureness`` is 1.0 for the name or a
    synonym as written (in any grammatical case), less for a typo, a part of a longer name
    or a short form of a first name ("Аня" for Anna)."""

    id: int
    sureness: float


@dataclass(frozen=True, slots=True)
class DateRange:
    """A local date (``first == last``) or the dates from ``first`` to ``last`` inclusive
    ("next week", "on the weekend")."""

    first: date
    last: date

    @property
    def single(self) -> bool:
        return self.first == self.last


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A local time of day or a window: "at 10" is 10:00..10:00 (``exact``), "after 5pm"
    17:00..None, "before noon" None..12:00, "morning" None..12:00, "from 10 to 12"
    10:00..12:00. ``end`` is exclusive: a start before it is in the window."""

    start: time | None
    end: time | None

    @property
    def exact(self) -> bool:
        return self.start is not None and self.start == self.end

    def holds(self, moment: time) -> bool:
        """Whether a start at ``moment`` (local) is what the person asked for."""
        if self.exact:
            return moment == self.start
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """What was understood of one message; an empty reading understood nothing.

    Every tuple holds the candidates of one question, best first. One is the answer; more
    than one means two readings are as good (two specialists named Anna, "12.11" where the
    shop's date order is unknown, "anna or boris"): ask with buttons, never guess. The
    ``intent`` is ``BOOK`` when a service, specialist, date or time is named and no other
    intent is. ``cut`` says the text was over :data:`~slotbot.core.limits.READ_MAX` and
    only its beginning was read.
    """

    intent: Intent | None = None
    services: tuple[Match, ...] = ()
    specialists: tuple[Match, ...] = ()
    anyone: bool = False
    dates: tuple[DateRange, ...] = ()
    times: tuple[TimeWindow, ...] = ()
    language: str | None = None
    cut: bool = False

    @property
    def empty(self) -> bool:
        return self == Reading(cut=self.cut)

    @property
    def service_id(self) -> int | None:
        """The one service named, if exactly one."""
        return self.services[0].id if len(self.services) == 1 else None

    @property
    def specialist_id(self) -> int | None:
        """The one specialist named, if exactly one."""
        return self.specialists[0].id if len(self.specialists) == 1 else None

    @property
    def date(self) -> DateRange | None:
        """The one date or range named, if exactly one."""
        return self.dates[0] if len(self.dates) == 1 else None

    @property
    def time(self) -> TimeWindow | None:
        """The one time or window named, if exactly one."""
        return self.times[0] if len(self.times) == 1 else None
