"""The command line's tables for people: availability, bookings, refusals and ratings, times
in the specialist's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

from slotbot.core.availability.directory import Offer
from slotbot.core.availability.engine import Slot
from slotbot.core.booking.queries import BookingLine
from slotbot.core.booking.service import BookingRefused

if TYPE_CHECKING:
    from slotbot.core.notify.reviews import SpecialistRatings


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


def booking_line(line: BookingLine) -> str:
    zone = ZoneInfo(line.specialist.timezone)
    start = line.booking.starts_at.astimezone(zone)
    end = line.booking.ends_at.astimezone(zone)
    day = format_date(start.date(), "EEE yyyy-MM-dd", locale="en")
    service = line.service.name.get("en") or next(iter(line.service.name.values()))
    client = " ".join(filter(None, [line.client.name, line.client.phone])) or f"#{line.client.id}"
    return (
        f"#{line.booking.id:<5} {line.status:<9} {day} {start:%H:%M}-{end:%H:%M}  "
        f"{service} with {line.specialist.key}  {client}"
    )


def bookings_table(lines: list[BookingLine]) -> str:
    if not lines:
        return "no bookings"
    return "\n".join(booking_line(line) for line in lines)


def refusal_text(refusal: BookingRefused, zone: ZoneInfo) -> str:
    """The refusal's reason, with the next free times when the slot was taken."""
    text = str(refusal)
    if refusal.next_slots:
        times = ", ".join(
            f"{slot.start.astimezone(zone):%Y-%m-%d %H:%M}" for slot in refusal.next_slots
        )
        text += f"; next free: {times}"
    return text


def ratings_table(found: Sequence[SpecialistRatings]) -> str:
    lines = [f"{'specialist':<24} {'reviews':>7} {'average':>7}  1* 2* 3* 4* 5*"]
    for r in found:
        average = f"{r.average:.2f}" if r.average is not None else "-"
        stars = " ".join(f"{n:>2}" for n in r.stars)
        lines.append(f"{r.name[:24]:<24} {r.count:>7} {average:>7}  {stars}")
    return "\n".join(lines)
