"""Availability as text for people, in the specialist's time zone."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from slotbot.core.availability.directory import Offer
from slotbot.core.availability.engine import Slot


def _service(offer: Offer) -> str:
    name = offer.service.names
    return f"{name.get('en') or next(iter(name.values()))} ({offer.duration} min)"


def _hhmm(offer: Offer, slot: Slot) -> str:
    start = slot.start.astimezone(offer.timezone)
    end = slot.end.astimezone(offer.timezone)
    return f"{start:%H:%M}-{end:%H:%M}"


def _who(offer: Offer, slot: Slot) -> str:
    return ", ".join(offer.keys[i] for i in slot.specialist_ids)


def slots_table(offer: Offer, day: date, slots: list[Slot]) -> str:
    title = f"{_service(offer)} on {format_date(day, 'EEE yyyy-MM-dd', locale='en')}"
    lines = [f"{title}, times in {offer.timezone.key}"]
    lines += [f"  {_hhmm(offer, s)}  {_who(offer, s)}" for s in slots] or ["  no free slots"]
    return "\n".join(lines)


def days_table(offer: Offer, days: dict[date, bool]) -> str:
    lines = [f"{_service(offer)}: days with free slots ({offer.timezone.key})"]
    for day, free in sorted(days.items()):
        mark = "free" if free else "-"
        lines.append(f"  {format_date(day, 'EEE yyyy-MM-dd', locale='en')}  {mark}")
    return "\n".join(lines)


def next_line(offer: Offer, slot: Slot | None) -> str:
    if slot is None:
        return f"{_service(offer)}: no free slot within the booking horizon"
    day = format_date(slot.start.astimezone(offer.timezone).date(), "EEE yyyy-MM-dd", locale="en")
    return (
        f"{_service(offer)}: next free {day} {_hhmm(offer, slot)} "
        f"({offer.timezone.key}) with {_who(offer, slot)}"
    )
