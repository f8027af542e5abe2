"""The booking lifecycle (``service``), its SQL (``sql``), lists of bookings
(``queries``) and specialists' time off (``timeoff``).

The lifecycle's names are re-exported here: ``booking.hold(...)``, ``booking.confirm(...)``."""

from slotbot.core.booking.service import (
    CANCELLERS,
    BookingRefused,
    Refusal,
    cancel,
    cancel_in,
    complete_past,
    confirm,
    expire_holds,
    hold,
    mark_no_show,
    release,
    reschedule,
)

__all__ = [
    "CANCELLERS",
    "BookingRefused",
    "Refusal",
    "cancel",
    "cancel_in",
    "complete_past",
    "confirm",
    "expire_holds",
    "hold",
    "mark_no_show",
    "release",
    "reschedule",
]
