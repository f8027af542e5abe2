"""The conversation's state as stored in ``dialog_sessions.state`` (plain JSON values)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["SIDE_TRIPS", "Flow"]

#: Steps that are side trips: they come back to where the client was.
SIDE_TRIPS = frozenset(("help", "language"))


@dataclass(slots=True)
class Flow:
    """Where a client is in the conversation and what they picked so far."""

    step: str = "menu"
    page: int = 0
    category: int | None = None  # the category of services Start shows (None: the top)
    service: int | None = None
    specialist: int | None = None  # None with ``any_specialist`` set: any available
    any_specialist: bool = False
    month: str = ""  # "2026-12": the calendar's month
    day: str = ""  # "2026-12-03": the picked day
    start: str = ""  # ISO instant of the picked time
    hold: int | None = None  # the booking id held for the picked time
    held_by: int | None = None  # the specialist of ``hold``, set with it
    booking: int | None = None  # the booking the done / detail / cancel screens show
    moving: int | None = None  # the booking being rescheduled
    moved_from: int | None = None  # the booking a move replaced (the done screen names it)
    return_to: str = ""  # where a side step (change name) goes back to
    paused: str = ""  # the step Help or Language was opened over, to come back to
    stand_in: int | None = None  # a colleague offered for a grey day (named on a vacation)
    wait_day: str = ""  # a booked-up day picked on the calendar: "tell me if it frees up"
    waiting: int | None = None  # the waiting-list entry the "waiting" screen shows
    # the specialist's side: what time off is being entered
    span_kind: str = ""  # "day_off" | "vacation" | "block"
    span_first: str = ""  # ISO date (or instant for a block) where the span starts
    span_last: str = ""  # ISO date (or instant for a block) where it ends
    span_cancel: list[int] = field(default_factory=list)  # bookings in its way to cancel
    stars: int = 0  # a rating from a review request's buttons, waiting for its comment
    link: str = ""  # a one-time "Continue in Telegram" deep link being shown
    handover: str = ""  # the hash of a "Continue in Telegram" link opened here, to answer
    handover_bookings: list[int] = field(default_factory=list)  # what that link offered
    alternatives: list[str] = field(default_factory=list)  # ISO instants offered instead
    phones: list[str] = field(default_factory=list)  # E.164 readings of a typed number
    #: The times a typed message asked for on ``day``: {"day", "start", "end"} ("HH:MM" or
    #: "" for an open end); the time step shows only those, with the rest one press away.
    window: dict[str, str] = field(default_factory=dict)
    #: What a typed message asked for that a question with buttons must settle first
    #: (``dialogs.typed.wish``), kept until it is answered.
    wish: dict[str, Any] = field(default_factory=dict)
    code_phone: str = ""  # the number an SMS code was sent to, awaiting it (never the code)
    note: str = ""  # one line shown above the next screen
    offered: list[str] = field(default_factory=list)  # the actions the last screen offered

    @classmethod
    def load(cls, stored: dict[str, Any]) -> Flow:
        """The flow in a stored state; anything unreadable starts over at the menu."""
        try:
            flow = cls(**{k: v for k, v in stored.items() if k in _NAMES})
            flow.validate()
        except (TypeError, ValueError):
            return cls()
        return flow

    def validate(self) -> None:
        numbers = (
            "category", "service", "specialist", "hold", "held_by", "booking", "moving",
            "moved_from", "stand_in", "waiting",
        )  # fmt: skip
        for name in numbers:
            value = getattr(self, name)
            if value is not None and not isinstance(value, int):
                raise ValueError(name)
        if not all(isinstance(a, str) for a in [*self.offered, *self.alternatives, *self.phones]):
            raise ValueError("lists")
        if not all(isinstance(b, int) for b in self.handover_bookings):
            raise ValueError("lists")
        if not all(isinstance(n, int) for n in self.span_cancel):
            raise ValueError("span_cancel")
        if not isinstance(self.wish, dict) or not isinstance(self.window, dict):
            raise ValueError("wish")
        if not all(isinstance(v, str) for v in self.window.values()):
            raise ValueError("window")
        self.picked_day()
        self.picked_start()

    def dump(self) -> dict[str, Any]:
        """The state to store: every field, lists and dicts copied (as ``asdict`` would,
        without its generic walk, which cost more than the rest of saving)."""
        return {name: _copied(getattr(self, name)) for name in _FIELDS}

    def picked_day(self) -> date | None:
        return date.fromisoformat(self.day) if self.day else None

    def picked_start(self) -> datetime | None:
        return datetime.fromisoformat(self.start).astimezone(UTC) if self.start else None

    def specialist_choice(self) -> int | None:
        """The specialist to hold with: ``None`` for any available."""
        return None if self.any_specialist else self.specialist

    def side_trip(self, step: str) -> None:
        """Open Help or Language over the current step, keeping the booking in progress."""
        if self.step not in SIDE_TRIPS:
            self.paused = self.step
        self.step = step

    def come_back(self) -> None:
        """Leave Help or Language for the step it was opened over (the menu if none)."""
        self.step, self.paused = self.paused or "menu", ""

    def start_over(self, step: str = "menu") -> None:
        """Forget the booking being made (a held time is released by the engine)."""
        keep_page = self.page
        fresh = Flow(step=step, page=keep_page)
        for name in _FIELDS:
            setattr(self, name, getattr(fresh, name))


_FIELDS = tuple(f.name for f in dataclasses.fields(Flow))
_NAMES = frozenset(_FIELDS)


def _copied(value: Any) -> Any:
    """A copy of a stored JSON value (lists and dicts, nested)."""
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value
