"""Following a booking wish to the first step that still needs an answer.

The service comes first, then who, then the day and the times: each is taken from the wish,
else from the booking in progress, else asked for (with buttons where the wish named several,
at the step that asks for it where it named none). Choosing goes through the steps' own
handlers (``choose_service``, ``choose_specialist``), and every time shown comes from
``steps.offers``, so a typed message is held to the rules a press is: nothing is held here
(a time is held by the press that picks it, or by a typed time that names one button of the
screen, exactly as its press would), and no time overlapping the client's own bookings is
offered.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.common import chosen_ids
from slotbot.dialogs.steps.grey_days import why_grey
from slotbot.dialogs.steps.menu import choose_service
from slotbot.dialogs.steps.offers import day_times, month_free_days, shop_day_times, times_after
from slotbot.dialogs.steps.picking import offer_instead
from slotbot.dialogs.steps.specialist import choose_specialist
from slotbot.dialogs.steps.windows import describe_window, keep_window, within
from slotbot.dialogs.typed.wish import BOOKING_STEPS, Wish, put_question
from slotbot.dialogs.understand import TimeWindow
from slotbot.dialogs.widgets import month_of

__all__ = ["follow_booking", "to_day", "what_for"]

#: How far ahead a time asked for without a day is looked for.
SEARCH_DAYS = 14
#: How many times are offered around a window with nothing free.
NEAREST = 4
#: The most services or specialists a question lists (more: their own step asks).
MOST_ASKED = 12
_ANYONE = 0  # who: any available
_ASKED = -1  # who: a question is asked first


async def follow_booking(ctx: Context, flow: Flow, wish: Wish) -> None:
    """Apply a booking wish and go to the first step that still needs an answer."""
    service = _service(ctx, flow, wish)
    if service is None:
        return
    who = _who(ctx, flow, wish, service)
    if who == _ASKED:
        return
    kept = flow.service == service and (flow.moving is not None or wish.over in BOOKING_STEPS)
    if not kept and not choose_service(ctx, flow, service):
        return
    flow.hold = None  # a time held on the summary is let go once the flow leaves it
    if who is None:
        flow.step = "specialist"
        return
    if not await choose_specialist(ctx, flow, None if who == _ANYONE else who):
        return
    if wish.dates or wish.timed:
        await to_day(ctx, flow, wish)


def what_for(ctx: Context, wish: Wish) -> list[int]:
    """The services to ask about when none is named: those the specialists named offer, or
    every one that can be booked."""
    offered = [s.id for s in ctx.directory.offered_services()]
    if not wish.specialists:
        return offered
    return [s for s in offered if set(ctx.directory.providers(s)) & set(wish.specialists)]


def _service(ctx: Context, flow: Flow, wish: Wish) -> int | None:
    """The one service wished for; ``None`` once a question is asked or a line says why."""
    offered = [s.id for s in ctx.directory.offered_services()]
    named = [s for s in wish.services if s in offered]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        wish.services = named
        put_question(flow, wish, "service")
        return None
    if wish.services:  # named, but nobody offers it now
        flow.note = ctx.texts.gettext("This service is no longer available.")
        return None
    theirs = what_for(ctx, wish)
    if len(theirs) == 1:
        return theirs[0]
    if not theirs:
        flow.note = ctx.texts.gettext("This specialist is not available any more.")
        return None
    if len(theirs) > MOST_ASKED:  # too many to ask about: Start, with its categories
        flow.start_over()
        flow.note = ctx.texts.gettext("Which service would you like? Please choose it first.")
        return None
    put_question(flow, wish, "what")  # its buttons: ``what_for``
    return None


def _who(ctx: Context, flow: Flow, wish: Wish, service: int) -> int | None:
    """A specialist's id, :data:`_ANYONE`, ``None`` when the specialist step is next, or
    :data:`_ASKED` once a question is asked."""
    providers = ctx.directory.providers(service)
    if wish.anyone:
        return _ANYONE
    named = [s for s in wish.specialists if s in providers]
    if len(named) == 1:
        return named[0]
    wish.services = [service]
    if len(named) > 1:
        wish.specialists = named
        put_question(flow, wish, "specialist")
        return _ASKED
    if len(wish.specialists) == 1:  # named, but not for this service
        name = ctx.directory.specialists[wish.specialists[0]].full_name
        flow.note = ctx.texts.gettext("{name} does not offer {service}.").format(
            name=name, service=ctx.directory.services[service].name(ctx.locale)
        )
    wish.specialists = []
    if not wish.dates and not wish.timed:
        return None  # the specialist step, with each one's next free time
    if len(providers) == 1:
        return providers[0]
    if len(providers) > MOST_ASKED:
        return None  # the specialist step lists them all
    put_question(flow, wish, "who")  # its buttons: any available and the providers
    return _ASKED


async def to_day(ctx: Context, flow: Flow, wish: Wish) -> None:
    """The flow has its service and who: show the day wished for (its times, or those of
    the window asked for), or the first day of a range with such times; where there are
    none, say so and offer the nearest free times around it."""
    ids = chosen_ids(ctx, flow)
    today = ctx.now.astimezone(ctx.directory.zone_of(ids)).date()
    latest = today + timedelta(days=ctx.directory.catalog.rules.horizon_days)
    ranges, window = wish.ranges(), wish.window()
    if len(ranges) > 1:
        wish.services = [flow.service] if flow.service is not None else []
        put_question(flow, wish, "date")
        return
    first, last = ranges[0] if ranges else (today, today + timedelta(days=SEARCH_DAYS - 1))
    if first == last or first > latest or last < today:
        await _on_day(ctx, flow, first, window, today, latest)
        return
    low, high = max(first, today), min(last, latest)
    day = await _first_day(ctx, flow, low, high, window)
    if day is not None:
        _show(flow, day, window)
        return
    t = ctx.texts
    zone = ctx.directory.zone_of(ids)
    words = describe_window(ctx, low, window, zone) if window else ""
    if ranges:
        line = t.gettext("Nothing is free between {first} and {last}.").format(
            first=t.day(low), last=t.day(high)
        )
        if words:
            line = t.gettext("Nothing is free between {first} and {last}, {window}.").format(
                first=t.day(low), last=t.day(high), window=words
            )
    else:
        days = (high - low).days + 1
        line = t.ngettext(
            "Nothing is free {window} in the next {days} day.",
            "Nothing is free {window} in the next {days} days.",
            days,
        ).format(window=words, days=days)
    await _offer_nearest(ctx, flow, t.at_start(line), low, window)


def _show(flow: Flow, day: date, window: TimeWindow | None) -> None:
    flow.day, flow.step = day.isoformat(), "time"
    keep_window(flow, day, window)


async def _on_day(
    ctx: Context, flow: Flow, day: date, window: TimeWindow | None, today: date, latest: date
) -> None:
    assert flow.service is not None
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    if not today <= day <= latest:  # passed, or beyond the booking horizon: the calendar
        flow.note = ctx.texts.at_start((await why_grey(ctx, flow, day, today, latest)).line)
        flow.step = "date"
        return
    times = await day_times(ctx, flow, flow.service, ids, day)
    if any(window is None or within(window, s.start, zone) for s in times):
        _show(flow, day, window)
        return
    if times:
        assert window is not None
        line = await _empty_window_line(ctx, flow, day, window)
    else:
        grey = await why_grey(ctx, flow, day, today, latest)
        line = ctx.texts.at_start(grey.line)
        if grey.stand_in is not None:  # the calendar, offering the colleague who stands in
            flow.note, flow.step = line, "date"
            flow.stand_in, flow.day = grey.stand_in, day.isoformat()
            flow.month = month_of(day).isoformat()[:7]
            return
    await _offer_nearest(ctx, flow, line, day, window)


async def _empty_window_line(ctx: Context, flow: Flow, day: date, window: TimeWindow) -> str:
    """Why the day has no time in the window: nothing free, or the client's own bookings."""
    assert flow.service is not None
    t = ctx.texts
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    shop = await shop_day_times(ctx, flow, flow.service, ids, day)
    clash = any(within(window, s.start, zone) for s in shop)
    words = describe_window(ctx, day, window, zone)
    if clash and window.exact and window.start is not None:
        line = t.gettext("{time} on {day} clashes with your own appointment.")
        moment = datetime.combine(day, window.start, zone)
        return t.at_start(line.format(time=t.time(moment, zone), day=t.day(day)))
    if clash:
        line = t.gettext("The free times on {day} {window} clash with your own appointments.")
    else:
        line = t.gettext("Nothing is free on {day} {window}.")
    return t.at_start(line.format(day=t.day(day), window=words))


async def _first_day(
    ctx: Context, flow: Flow, first: date, last: date, window: TimeWindow | None
) -> date | None:
    """The first day of ``first``..``last`` with a time the client can take in ``window``."""
    assert flow.service is not None
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    free = await month_free_days(ctx, flow, flow.service, ids, first, last)
    for day in sorted(d for d, open_ in free.items() if open_):
        if window is None:
            return day
        times = await day_times(ctx, flow, flow.service, ids, day)
        if any(within(window, s.start, zone) for s in times):
            return day
    return None


async def _offer_nearest(
    ctx: Context, flow: Flow, line: str, day: date, window: TimeWindow | None
) -> None:
    """Say ``line`` and offer the free times nearest to the window on ``day`` (from the day
    before, the day itself and after it), half before it and half after where there are,
    as the screen that offers times instead."""
    assert flow.service is not None
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    window = window or TimeWindow(None, None)
    opens = datetime.combine(day, window.start or time(), zone)
    found = [
        s.start
        for near in (day - timedelta(days=1), day)
        for s in await day_times(ctx, flow, flow.service, ids, near)
    ]
    following = datetime.combine(day + timedelta(days=1), time(), zone)
    found += [s.start for s in await times_after(ctx, flow, ids, following, NEAREST)]

    before = sorted({s for s in found if s < opens}, reverse=True)
    after = sorted({s for s in found if s >= opens})  # none is inside the window
    half = NEAREST // 2
    take_before = max(half, NEAREST - len(after))
    nearest = sorted(before[:take_before] + after[: NEAREST - min(take_before, len(before))])
    flow.day = day.isoformat()  # what is typed next on the times offered is about this day
    await offer_instead(ctx, flow, line, max(opens, ctx.now), tuple(nearest))
