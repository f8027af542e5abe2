"""Calendar files for bookings (RFC 5545, made with ``icalendar``): one event whose UID is
stable per booking, so a calendar that imported it can update or cancel it later."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

__all__ = ["booking_ics", "booking_uid"]


def booking_uid(booking_id: int, domain: str = "slotbot") -> str:
    """The event UID of a booking: the same for every file about it."""
    return f"booking-{booking_id}@{domain}"


def booking_ics(
    *,
    booking_id: int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str = "",
    location: str = "",
    now: datetime,
    cancelled: bool = False,
    sequence: int = 0,
    method: str | None = None,
    organizer: str | None = None,
    attendee: str | None = None,
) -> bytes:
    """An iCalendar file with the booking as one event (instants in UTC).

    ``method`` is PUBLISH (a file to add), REQUEST (an e-mail invitation) or CANCEL; by
    default PUBLISH, or CANCEL when ``cancelled``. A later file about the same booking (one
    UID) carries a higher ``sequence``, so calendars replace the entry. ``location`` is where
    the appointment takes place (the shop's name and address).
    """
    method = method or ("CANCEL" if cancelled else "PUBLISH")
    cancelled = cancelled or method == "CANCEL"
    calendar = Calendar()
    calendar.add("prodid", "-//slotbot//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking_uid(booking_id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("sequence", sequence)
    if organizer:
        event.add("organizer", f"mailto:{organizer}")
    if attendee:
        event.add("attendee", f"mailto:{attendee}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
