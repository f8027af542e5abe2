"""Choosing a time: the free times of the picked day as a grid."""

from __future__ import annotations

from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids
from slotbot.dialogs.steps.date import heading
from slotbot.dialogs.steps.offers import day_times
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.widgets import back_row, time_grid

__all__ = ["TIME"]


async def render_time(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    day = flow.picked_day()
    assert flow.service is not None and day is not None
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    slots = await day_times(ctx, flow, flow.service, ids, day)
    rows = time_grid(ctx, [s.start for s in slots], zone)
    if slots:
        text = _("{what}\n{day}: pick a time.").format(
            what=heading(ctx, flow), day=ctx.texts.at_start(ctx.texts.day(day))
        )
        text += "\n" + _("Time zone: {zone}.").format(
            zone=ctx.texts.zone_name(zone, slots[0].start)
        )
    else:
        text = _("{what}\nNo free time is left on {day}. Please pick another day.").format(
            what=heading(ctx, flow), day=ctx.texts.day(day)
        )
    rows.append(back_row(ctx))
    return Screen(text, tuple(rows))


async def press_time(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "date"
    elif action.code == "t":
        await pick_time(ctx, flow, time_from(action))


TIME = Step(render_time, press_time)
