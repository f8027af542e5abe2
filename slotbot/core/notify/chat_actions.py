"""The callback data of buttons in notifications sent to a Telegram chat.

These buttons arrive out of band: the dialog did not show them on its last screen, so it
must accept them by their meaning (the client's own booking, still confirmed), not by the
screen. Version ``0`` (:data:`~slotbot.core.actions.OUT_OF_BAND`) marks them; the codes are
those of "My bookings" where one exists. They are made by the one button format,
:mod:`slotbot.core.actions`, which the dialog reads them with.
"""

from __future__ import annotations

from datetime import datetime

from slotbot.core.actions import OUT_OF_BAND, encode

__all__ = [
    "book_slot", "cancel", "come", "rate", "reschedule", "specialist_booking",
    "specialist_cancel", "waitlist_offer",
]  # fmt: skip


def come(booking_id: int) -> str:
    """ "I'll come": the client confirms they will be there."""
    return encode(OUT_OF_BAND, "ok", booking_id)


def reschedule(booking_id: int) -> str:
    """Reschedule this booking (as "My bookings" → Reschedule)."""
    return encode(OUT_OF_BAND, "rs", booking_id)


def cancel(booking_id: int) -> str:
    """Cancel this booking (asks first, as "My bookings" → Cancel)."""
    return encode(OUT_OF_BAND, "cx", booking_id)


def rate(booking_id: int, stars: int) -> str:
    """A review of 1-5 stars for a past booking; the dialog then asks for a comment."""
    return encode(OUT_OF_BAND, "rv", booking_id, stars)


def book_slot(specialist_id: int, service_id: int, start: datetime) -> str:
    """Hold this slot (offered after a specialist cancelled); the dialog goes on to confirm."""
    minute = int(start.timestamp()) // 60
    return encode(OUT_OF_BAND, "os", specialist_id, service_id, minute)


def specialist_booking(booking_id: int) -> str:
    """The specialist opens the booking they were told of (client, phone, cancel)."""
    return encode(OUT_OF_BAND, "sb", booking_id)


def specialist_cancel(booking_id: int) -> str:
    """The specialist cancels the booking they were told of (asks for a reason first)."""
    return encode(OUT_OF_BAND, "sc", booking_id)


def waitlist_offer(offer_id: int) -> str:
    """Hold a freed time offered to a waiting client (``core.waitlist``): the dialog accepts
    it only from the client whose entry it was offered to, and holds it if still free."""
    return encode(OUT_OF_BAND, "wo", offer_id)
