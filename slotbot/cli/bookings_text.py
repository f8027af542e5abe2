"""Bookings and refusals as text for people, in the specialist's time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date

from slotbot.core.booking.queries import BookingLine
from slotbot.core.booking.service import BookingRefused


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
