"""What the dialog offers a client: the free time they can take.

Every time the conversation shows (a specialist's next time, "Soonest", "Book again", the
calendar's free days, a day's times, the times offered instead of a taken one, colleagues
free sooner) comes from here, so a time on a button is one the client can take: it overlaps
none of their own live bookings (confirmed, or held and not run out). During a reschedule the
booking being moved counts neither as the specialist's busy time nor as the client's, so its
own time and its neighbours stay on offer everywhere, the soonest included.

Core answers all of it (:class:`~slotbot.core.availability.free.FreeTime` with ``client_id``
and ``ignore_booking``, cached per process); this module only says whose free time the
dialog asks about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from slotbot.core.availability.busy import live_client_busy
from slotbot.core.availability.engine import BusyIndex, Slot, Substitute
from slotbot.core.availability.free import FreeTime
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow

__all__ = [
    "clashes_with_own",
    "client_free",
    "day_times",
    "firsts",
    "month_free_days",
    "shop_day_times",
    "substitutes",
    "times_after",
]


def client_free(ctx: Context, flow: Flow) -> FreeTime:
    """The client's free time: the shop's less their own live bookings, the booking being
    moved (if any) left out of both."""
    return ctx.free.whose(ctx.client_id, ignore_booking=flow.moving)


async def times_after(
    ctx: Context, flow: Flow, ids: Sequence[int], after: datetime, limit: int
) -> list[Slot]:
    """The first ``limit`` times of the flow's service from ``after`` (to offer instead)."""
    if flow.service is None or not ids:
        return []
    return await client_free(ctx, flow).upcoming(flow.service, ids, after=after, limit=limit)


async def firsts(
    ctx: Context, flow: Flow, service_id: int, ids: Sequence[int] | None = None
) -> dict[int, Slot | None]:
    """Each provider's (or each of ``ids``') first time for the service that the client can
    take (``None``: none within the booking horizon)."""
    return await client_free(ctx, flow).first_slots(service_id, ids)


async def substitutes(
    ctx: Context, flow: Flow, specialist_id: int, service_id: int
) -> list[Substitute]:
    """Colleagues offering the service, each with the first time the client can take."""
    return await client_free(ctx, flow).substitutes(specialist_id, service_id)


async def shop_day_times(
    ctx: Context, flow: Flow, service_id: int, ids: Sequence[int], day: date
) -> list[Slot]:
    """The shop's free times of a local date, the client's own bookings not left out (to tell
    why a day is grey; never offered as they are)."""
    return await ctx.free.ignoring(flow.moving).slots(service_id, ids, day)


async def day_times(
    ctx: Context, flow: Flow, service_id: int, ids: Sequence[int], day: date
) -> list[Slot]:
    """The times of a local date the client can take."""
    return await client_free(ctx, flow).slots(service_id, ids, day)


async def month_free_days(
    ctx: Context, flow: Flow, service_id: int, ids: Sequence[int], first: date, last: date
) -> dict[date, bool]:
    """For each local date of [first, last], whether it has a time the client can take:
    a day whose free times all clash with the client's own bookings is not free."""
    return await client_free(ctx, flow).days(service_id, ids, first, last)


async def clashes_with_own(ctx: Context, flow: Flow, start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps one of the client's own live bookings (but the one
    being moved): why a time the client cannot take is not theirs to take."""
    own = await live_client_busy(
        ctx.session, ctx.client_id, now=ctx.now, exclude_booking=flow.moving
    )
    return BusyIndex(own).overlaps(start, end)
