"""Availability: the pure slot engine (``engine``), the catalog kept in memory
(``catalog``), calendars loaded from the database and the queries over them
(``calendars``), and what the conversation reads about the shop (``directory``).

The engine's names are re-exported here."""

from slotbot.core.availability.engine import (
    Busy,
    BusyIndex,
    DateOverride,
    OverrideKind,
    Rules,
    Slot,
    SpecialistCalendar,
    Substitute,
    WeeklyWindow,
    Window,
    any_available,
    candidate_starts,
    days_with_slots,
    named_substitute,
    next_available,
    slots_for_day,
    substitutes,
    windows_for_day,
)

__all__ = [
    "Busy",
    "BusyIndex",
    "DateOverride",
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
    "named_substitute",
    "next_available",
    "slots_for_day",
    "substitutes",
    "windows_for_day",
]
