"""What typed messages ask for, over what the conversation has chosen so far: the wish the
dialog follows to the first step that still needs an answer.

Each list holds the candidates of one question; one candidate is the answer, several are a
question to ask with buttons (two specialists called Anna, "12.11" read both ways). A wish
waiting for such an answer is kept in the flow (``Flow.wish``) as plain JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from slotbot.core.availability.directory import Directory
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.windows import asked_window
from slotbot.dialogs.understand import Intent, Reading, TimeWindow

__all__ = ["BOOKING_STEPS", "Wish", "base_wish", "put_question"]

#: The steps of a booking in progress: what they have chosen stands until a message changes it.
BOOKING_STEPS = frozenset(("specialist", "substitutes", "date", "time", "taken", "confirm"))
#: The steps where the flow's day is chosen too.
_DAY_STEPS = frozenset(("time", "taken", "confirm"))


@dataclass(slots=True)
class Wish:
    """A booking, a cancellation or a move asked for in words."""

    intent: str = Intent.BOOK.value  # book, cancel or reschedule
    services: list[int] = field(default_factory=list)
    specialists: list[int] = field(default_factory=list)
    anyone: bool = False
    dates: list[list[str]] = field(default_factory=list)  # [first, last] ISO dates
    start: str = ""  # the time window: "HH:MM" or "" for an open end
    end: str = ""
    timed: bool = False  # a time or window was asked for
    bookings: list[int] = field(default_factory=list)  # which booking to cancel or move
    over: str = ""  # the step the message was typed on (Back from a question returns there)
    asking: str = ""  # the question on screen (``dialogs.typed.ask``)

    @classmethod
    def load(cls, stored: dict[str, Any]) -> Wish:
        """The wish kept in a flow; anything unreadable is no wish."""
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            wish = cls(**{k: v for k, v in stored.items() if k in names})
            wish.ranges()
            wish.window()
        except (TypeError, ValueError, AttributeError):
            return cls()
        ints = all(isinstance(n, int) for n in [*wish.services, *wish.specialists, *wish.bookings])
        return wish if ints else cls()

    def dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def ranges(self) -> list[tuple[date, date]]:
        return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in self.dates]

    def window(self) -> TimeWindow | None:
        """The time or window asked for, if any."""
        if not self.timed:
            return None
        return TimeWindow(
            time.fromisoformat(self.start) if self.start else None,
            time.fromisoformat(self.end) if self.end else None,
        )

    def set_window(self, window: TimeWindow | None) -> None:
        self.timed = window is not None
        self.start = window.start.isoformat("minutes") if window and window.start else ""
        self.end = window.end.isoformat("minutes") if window and window.end else ""

    @property
    def named(self) -> bool:
        """Whether anything of a booking is asked for (a service, who, a day or a time)."""
        return bool(self.services or self.specialists or self.anyone or self.dates or self.timed)

    def merged(self, reading: Reading, directory: Directory) -> Wish:
        """This wish with what ``reading`` says instead: a new service keeps the specialist
        only if they offer it; a new day forgets the times asked for on the old one."""
        wish = dataclasses.replace(self, asking="")
        if reading.intent in (Intent.CANCEL, Intent.RESCHEDULE):
            wish.intent = reading.intent.value
        if reading.services:
            wish.services = [m.id for m in reading.services]
            if len(wish.services) == 1 and wish.services != self.services:
                offer = directory.providers(wish.services[0])
                wish.specialists = [s for s in wish.specialists if s in offer]
        if reading.specialists:
            wish.specialists, wish.anyone = [m.id for m in reading.specialists], False
        elif reading.anyone:
            wish.specialists, wish.anyone = [], True
        if reading.dates:
            wish.dates = [[d.first.isoformat(), d.last.isoformat()] for d in reading.dates]
            wish.set_window(None)
        if reading.times:  # "at 10 or 11": 10:00 first; the nearest times show 11:00 too
            wish.set_window(reading.times[0])
        return wish


def base_wish(flow: Flow) -> Wish:
    """What the conversation has chosen so far, as a wish to change: a question's pending
    wish, or the booking in progress (its service, who, and on the steps after the
    calendar its day and the times asked for)."""
    if flow.step == "ask":
        return Wish.load(flow.wish)
    wish = Wish(over=flow.step)
    if flow.step in BOOKING_STEPS and flow.service is not None:
        wish.services = [flow.service]
        wish.anyone = flow.any_specialist
        wish.specialists = [flow.specialist] if flow.specialist and not flow.any_specialist else []
        if flow.step in _DAY_STEPS and flow.day:
            wish.dates = [[flow.day, flow.day]]
            wish.set_window(asked_window(flow))
    return wish


def put_question(flow: Flow, wish: Wish, asking: str) -> None:
    """Ask about ``wish`` with buttons (:mod:`slotbot.dialogs.typed.ask`); the rest of the
    flow stays as it was, so Back returns to the step the message was typed on."""
    wish.asking = asking
    wish.over = wish.over or flow.step
    flow.wish = wish.dump()
    flow.step = "ask"
