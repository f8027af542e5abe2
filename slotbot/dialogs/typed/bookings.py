"""Cancelling and moving in words: "cancel my booking", "move it to Friday", "отменить
запись", "перенести на пятницу".

The booking meant is the one the message describes (its service, specialist, or for a
cancellation its day), else the one on screen (a move in progress, Done, a booking's own
screen, its cancel question), else the client's only upcoming booking; otherwise the dialog
asks which, with buttons. Then the booking's own buttons' handler does the rest
(``open_booking``): a cancellation is asked first, as its button asks; a move opens at the
day named, with that day's times.
"""

from __future__ import annotations

from slotbot.core.availability.directory import ClientBooking, client_bookings
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.my_bookings import open_booking
from slotbot.dialogs.typed.follow import to_day
from slotbot.dialogs.typed.wish import Wish, put_question
from slotbot.dialogs.understand import Intent

__all__ = ["follow_booking_intent"]

#: The steps that show one booking: "cancel" or "move" there means that booking.
_ON_SCREEN = frozenset(("done", "booking", "cancel"))


def _describes(wish: Wish, cancelling: bool) -> bool:
    """Whether the message says which booking: its service, specialist or (to cancel) day."""
    return bool(wish.services or wish.specialists or (cancelling and wish.dates))


def _described(entry: ClientBooking, wish: Wish, cancelling: bool) -> bool:
    """Whether the booking is one the message describes (for a move, its days are where
    the booking goes, not which booking it is)."""
    if wish.services and entry.service_id not in wish.services:
        return False
    if wish.specialists and entry.specialist_id not in wish.specialists:
        return False
    if cancelling and wish.dates:
        day = entry.local_start().date()
        return any(first <= day <= last for first, last in wish.ranges())
    return True


async def follow_booking_intent(ctx: Context, flow: Flow, wish: Wish) -> None:
    """Open the cancel question or the move of the booking meant, or ask which."""
    cancelling = wish.intent == Intent.CANCEL
    upcoming, _ = await client_bookings(ctx.session, ctx.client_id, now=ctx.now)
    ids = [entry.id for entry in upcoming]
    described = [e.id for e in upcoming if _describes(wish, cancelling) and _described(
        e, wish, cancelling
    )]  # fmt: skip
    if len(wish.bookings) == 1 and wish.bookings[0] in ids:
        target = wish.bookings[0]
    elif len(described) == 1:
        target = described[0]
    elif not described and flow.moving in ids:
        target = flow.moving
    elif not described and wish.over in _ON_SCREEN and flow.booking in ids:
        target = flow.booking
    elif not upcoming:
        flow.start_over("my")  # "You have no upcoming bookings."
        return
    elif len(upcoming) == 1:
        target = upcoming[0].id
    else:
        wish.bookings = described or ids
        put_question(flow, wish, "booking")
        return
    if cancelling:
        await open_booking(ctx, flow, "cx", target)
        return
    if flow.moving != target:
        await open_booking(ctx, flow, "rs", target)
    if flow.moving == target and (wish.dates or wish.timed):
        await to_day(ctx, flow, wish)
