"""The callback data of buttons in notifications sent to a Telegram chat.

These buttons arrive out of band: the dialog did not show them on its last screen, so it
must accept them by their meaning (the client's own booking, still confirmed), not by the
screen. Version ``0`` marks them; the codes are those of "My bookings" where one exists.
All fit the dialog's action codec (``VERSION.CODE[.ARG...]``, base-36 numbers, 64 bytes).
"""

from __future__ import annotations

from datetime import datetime

from slotbot.core.base36 import to36

__all__ = [
    "book_slot", "cancel", "come", "rate", "reschedule", "specialist_booking",
    "specialist_cancel", "waitlist_offer",
]  # fmt: skip

OUT_OF_BAND = "0"


def come(booking_id: int) -> str:
    """ "I'll come": the client confirms they will be there."""
    return f"{OUT_OF_BAND}.ok.{to36(booking_id)}"


def reschedule(booking_id: int) -> str:
    """Reschedule this booking (as "My bookings" → Reschedule)."""
    return f"{OUT_OF_BAND}.rs.{to36(booking_id)}"


def cancel(booking_id: int) -> str:
    """Cancel this booking (asks first, as "My bookings" → Cancel)."""
    return f"{OUT_OF_BAND}.cx.{to36(booking_id)}"


def rate(booking_id: int, stars: int) -> str:
    """A review of 1-5 stars for a past booking; the dialog then asks for a comment."""
    return f"{OUT_OF_BAND}.rv.{to36(booking_id)}.{stars}"


def book_slot(specialist_id: int, service_id: int, start: datetime) -> str:
    """Hold this slot (offered after a specialist cancelled); the dialog goes on to confirm."""
    minute = int(start.timestamp()) // 60
    return f"{OUT_OF_BAND}.os.{to36(specialist_id)}.{to36(service_id)}.{to36(minute)}"


def specialist_booking(booking_id: int) -> str:
    """The specialist opens the booking they were told of (client, phone, cancel)."""
    return f"{OUT_OF_BAND}.sb.{to36(booking_id)}"


def specialist_cancel(booking_id: int) -> str:
    """The specialist cancels the booking they were told of (asks for a reason first)."""
    return f"{OUT_OF_BAND}.sc.{to36(booking_id)}"


def waitlist_offer(offer_id: int) -> str:
    """Hold a freed time offered to a waiting client (``core.waitlist``): the dialog accepts
    it only from the client whose entry it was offered to, and holds it if still free."""
    return f"{OUT_OF_BAND}.wo.{to36(offer_id)}"
