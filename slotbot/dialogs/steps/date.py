"""Choosing a day on a month calendar: days with free time pick the day, the rest are grey and
say so; previous / next month within the booking horizon; "Soonest" picks the first time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids, soonest
from slotbot.dialogs.steps.picking import pick_time
from slotbot.dialogs.widgets import back_row, month_calendar, month_days, month_of

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
    free = await ctx.free.days(
        flow.service, chosen_ids(ctx, flow), max(first, earliest), min(last, latest)
    )
    rows = month_calendar(ctx, month, free, earliest=earliest, latest=latest)
    if first_slot is not None:
        label = _("Soonest: {when}").format(when=ctx.texts.when(first_slot.start, zone))
        rows.append((Button(label, ctx.act("soon")),))
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
    _ = ctx.texts.gettext
    earliest, latest = _bounds(ctx, flow)
    if action.code == "back":
        flow.step = "booking" if flow.moving is not None else "specialist"
    elif action.code == "m":
        month = datetime.strptime(action.args[0], "%Y%m").date()
        if month_of(earliest) <= month <= latest:
            flow.month = month.isoformat()[:7]
    elif action.code == "dx":
        ctx.notice = _("No free time on {day}.").format(day=ctx.texts.day(_day(action.args[0])))
    elif action.code == "d":
        day = _day(action.args[0])
        if earliest <= day <= latest:
            flow.day = day.isoformat()
            flow.step = "time"
    elif action.code == "soon":
        first_slot = await soonest(ctx, flow)
        if first_slot is None:
            flow.note = _("Sorry, there is no free time soon.")
            return
        await pick_time(ctx, flow, first_slot.start)


DATE = Step(render_date, press_date)
