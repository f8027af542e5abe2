"""Availability: the pure slot engine (``engine``), the catalog kept in memory
(``catalog``), busy time read from the database (``busy``), the one way to ask about free
time (``free``) with the process cache behind it (``cache``), and the names of what the
shop offers (``directory``).

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
    first_slot,
    has_slot,
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
    "first_slot",
    "has_slot",
    "named_substitute",
    "next_available",
    "slots_for_day",
    "substitutes",
    "windows_for_day",
]
