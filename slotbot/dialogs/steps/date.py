"""Choosing a day on a month calendar: days with free time pick the day, the rest are grey and
say why (a colleague named to stand in for an absent specialist is offered); previous / next
month within the booking horizon; "Soonest" picks the first time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids, soonest
from slotbot.dialogs.steps.grey_days import why_grey
from slotbot.dialogs.steps.offers import day_times, month_free_days
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.widgets import back_row, minutes_of, month_calendar, month_days, month_of

__all__ = ["DATE", "heading"]


def heading(ctx: Context, flow: Flow) -> str:
    """``Haircut with Anna Petrova`` (or ``with anyone available``)."""
    _ = ctx.texts.gettext
    assert flow.service is not None
    service = ctx.directory.services[flow.service].name(ctx.locale)
    if flow.any_specialist or flow.specialist is None:
        return _("{service} with anyone available").format(service=service)
    name = ctx.directory.specialists[flow.specialist].full_name
    return _("{service} with {name}").format(service=service, name=name)


def _bounds(ctx: Context, flow: Flow) -> tuple[date, date]:
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    today = ctx.now.astimezone(zone).date()
    return today, today + timedelta(days=ctx.directory.catalog.rules.horizon_days)


async def render_date(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    assert flow.service is not None
    earliest, latest = _bounds(ctx, flow)
    first_slot = await soonest(ctx, flow)
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    if flow.month:
        month = date.fromisoformat(flow.month + "-01")
    elif first_slot is not None:
        month = month_of(first_slot.start.astimezone(zone).date())
    else:
        month = month_of(earliest)
    first, last = month_days(month)
    free = await month_free_days(
        ctx, flow, flow.service, chosen_ids(ctx, flow), max(first, earliest), min(last, latest)
    )
    rows = month_calendar(ctx, month, free, earliest=earliest, latest=latest)
    stand_in, flow.stand_in = flow.stand_in, None  # offered once, under the grey day's line
    day = flow.picked_day()
    if stand_in is not None and stand_in in ctx.directory.specialists and day is not None:
        name = ctx.directory.specialists[stand_in].full_name
        label = _("Book with {name} instead").format(name=name)
        if await day_times(ctx, flow, flow.service, [stand_in], day):
            label = _("Book with {name} on {day}").format(name=name, day=ctx.texts.day(day))
        rows.append((Button(label, ctx.act("si", stand_in, day.strftime("%Y%m%d"))),))
    if first_slot is not None:
        label = _("Soonest: {when}").format(when=ctx.texts.when(first_slot.start, zone))
        rows.append((Button(label, ctx.act("soon", minutes_of(first_slot.start))),))
        text = _("{what}\n{month}: pick a day.").format(
            what=heading(ctx, flow), month=ctx.texts.month(month)
        )
    else:
        text = _("{what}\nSorry, there is no free time soon.").format(what=heading(ctx, flow))
    rows.append(back_row(ctx))
    return Screen(text, tuple(rows))


def _day(arg: str) -> date:
    return datetime.strptime(arg, "%Y%m%d").date()


async def press_date(ctx: Context, flow: Flow, action: Action) -> None:
    earliest, latest = _bounds(ctx, flow)
    if action.code == "back":
        flow.step = "booking" if flow.moving is not None else "specialist"
    elif action.code == "m":
        month = datetime.strptime(action.args[0], "%Y%m").date()
        if month_of(earliest) <= month <= latest:
            flow.month = month.isoformat()[:7]
    elif action.code == "dx":
        day = _day(action.args[0])
        ids = chosen_ids(ctx, flow)
        if earliest <= day <= latest and await day_times(ctx, flow, flow.service or 0, ids, day):
            flow.day, flow.step = day.isoformat(), "time"  # freed meanwhile
            return
        grey = await why_grey(ctx, flow, day, earliest, latest)
        ctx.notice = ctx.texts.at_start(grey.line)  # a day may start the line
        if grey.stand_in is None:
            ctx.redraw = False  # the line is all there is to say
        else:  # the calendar again, with the colleague who stands in
            flow.stand_in, flow.day = grey.stand_in, day.isoformat()
    elif action.code == "d":
        day = _day(action.args[0])
        if earliest <= day <= latest:
            flow.day = day.isoformat()
            flow.step = "time"
    elif action.code == "si":
        await _stand_in(ctx, flow, action.number(), _day(action.args[1]))
    elif action.code == "soon":
        await pick_time(ctx, flow, time_from(action), named=True)  # or says it is gone


async def _stand_in(ctx: Context, flow: Flow, specialist_id: int, day: date) -> None:
    """Book the colleague named to stand in: on that day when they are free then, else on
    their calendar."""
    if flow.service is None or specialist_id not in ctx.directory.providers(flow.service):
        return
    flow.specialist, flow.any_specialist = specialist_id, False
    flow.month = month_of(day).isoformat()[:7]
    if await day_times(ctx, flow, flow.service, [specialist_id], day):
        flow.day, flow.step = day.isoformat(), "time"


DATE = Step(render_date, press_date)
