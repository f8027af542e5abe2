"""What the dialog offers a client: the shop's free time less the client's own time.

Every time the conversation shows (a specialist's next time, "Soonest", "Book again", the
calendar's free days, a day's times, the times offered instead of a taken one) comes from
here, so a time on a button is one the client can take: it overlaps none of their own live
bookings (confirmed, or held and not run out). A reschedule leaves the booking being moved out
of the client's own time, so its neighbours stay on offer.

This is the one place that knows about the client's own time; the shop's free time comes from
``core.availability`` as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from slotbot.core.availability.calendars import substitutes_for, upcoming_slots
from slotbot.core.availability.directory import day_slots, free_days, next_slots
from slotbot.core.availability.engine import Busy, BusyIndex, Slot, Substitute
from slotbot.core.booking.queries import client_busy
from slotbot.core.storage.models import Service
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow

__all__ = [
    "day_times",
    "firsts",
    "month_free_days",
    "own_time",
    "shop_day_times",
    "substitutes",
    "times_after",
]

#: How many free times are read at once while looking past the client's own bookings.
_BATCH = 8


async def own_time(ctx: Context, flow: Flow) -> list[Busy]:
    """The client's own live bookings, less the one being moved."""
    return await client_busy(ctx.session, ctx.client_id, now=ctx.now, leave_out=flow.moving)


def _clear(slots: Sequence[Slot], own: BusyIndex) -> list[Slot]:
    return [s for s in slots if not own.overlaps(s.start, s.end)]


async def _clear_after(
    ctx: Context, ids: Sequence[int], duration: int, after: datetime, own: BusyIndex, limit: int
) -> list[Slot]:
    """The first ``limit`` free slots of ``ids`` from ``after`` that the client can take."""
    found: list[Slot] = []
    while len(found) < limit:
        slots = await upcoming_slots(
            ctx.session, specialist_ids=ids, duration_minutes=duration, after=after,
            now=ctx.now, limit=_BATCH,
        )  # fmt: skip
        found += _clear(slots, own)
        if len(slots) < _BATCH:
            break
        after = slots[-1].start + timedelta(minutes=1)
    return found[:limit]


async def times_after(
    ctx: Context, flow: Flow, ids: Sequence[int], after: datetime, limit: int
) -> list[Slot]:
    """The first ``limit`` times of the flow's service from ``after`` (to offer instead)."""
    if flow.service is None or not ids:
        return []
    duration = ctx.directory.services[flow.service].duration_minutes
    own = BusyIndex(await own_time(ctx, flow))
    return await _clear_after(ctx, ids, duration, after, own, limit)


async def firsts(ctx: Context, flow: Flow, service_id: int) -> dict[int, Slot | None]:
    """Each provider's first time for the service that the client can take."""
    found = await next_slots(ctx.session, ctx.directory, service_id, now=ctx.now)
    own = BusyIndex(await own_time(ctx, flow))
    if not len(own):
        return found
    duration = ctx.directory.services[service_id].duration_minutes
    for sid, slot in found.items():
        if slot is not None and own.overlaps(slot.start, slot.end):
            later = await _clear_after(ctx, [sid], duration, slot.start, own, 1)
            found[sid] = later[0] if later else None
    return found


async def substitutes(
    ctx: Context, flow: Flow, specialist_id: int, service: Service
) -> list[Substitute]:
    """Colleagues offering ``service``, each with the first time the client can take."""
    found = await substitutes_for(ctx.session, specialist_id, service, now=ctx.now)
    own = BusyIndex(await own_time(ctx, flow))
    if not len(own):
        return found
    result = []
    for sub in found:
        first = sub.first_slot
        if first is not None and own.overlaps(first.start, first.end):
            later = await _clear_after(
                ctx, [sub.specialist_id], service.duration_minutes, first.start, own, 1
            )
            first = later[0] if later else None
        result.append(Substitute(sub.specialist_id, first))
    return result


async def shop_day_times(
    ctx: Context, flow: Flow, service_id: int, ids: list[int], day: date
) -> list[Slot]:
    """The shop's free times of a local date, the client's own bookings not left out (to tell
    why a day is grey; never offered as they are)."""
    return await day_slots(
        ctx.session, ctx.directory, service_id, ids, day, now=ctx.now,
        exclude_booking_id=flow.moving,
    )  # fmt: skip


async def day_times(
    ctx: Context, flow: Flow, service_id: int, ids: list[int], day: date
) -> list[Slot]:
    """The times of a local date the client can take."""
    slots = await shop_day_times(ctx, flow, service_id, ids, day)
    return _clear(slots, BusyIndex(await own_time(ctx, flow)))


async def month_free_days(
    ctx: Context, flow: Flow, service_id: int, ids: list[int], first: date, last: date
) -> dict[date, bool]:
    """For each local date of [first, last], whether it has a time the client can take:
    a day whose free times all clash with the client's own bookings is not free."""
    free = await free_days(ctx.session, ctx.directory, service_id, ids, first, last, now=ctx.now)
    own = await own_time(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    touched: set[date] = set()
    for busy in own:  # the days a slot overlapping it could start on
        day = busy.start.astimezone(zone).date() - timedelta(days=1)
        while datetime.combine(day, time(), zone) < busy.end:
            touched.add(day)
            day += timedelta(days=1)
    for day in sorted(touched):
        if free.get(day):
            free[day] = bool(await day_times(ctx, flow, service_id, ids, day))
    return free
