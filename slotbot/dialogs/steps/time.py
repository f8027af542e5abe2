"""Choosing a time: the free times of the picked day as a grid (or those of the day a typed
message asked for)."""

from __future__ import annotations

from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids
from slotbot.dialogs.steps.date import heading
from slotbot.dialogs.steps.offers import day_times
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.steps.waitlist import JOIN, join_button, press_join
from slotbot.dialogs.steps.windows import asked_window, describe_window, within
from slotbot.dialogs.widgets import back_row, time_grid

__all__ = ["TIME"]


async def render_time(ctx: Context, flow: Flow) -> Screen:
    """The day's free times; where a typed message asked for some times of the day, those
    alone, with the rest of the day one press away."""
    _ = ctx.texts.gettext
    day = flow.picked_day()
    assert flow.service is not None and day is not None
    ids = chosen_ids(ctx, flow)
    zone = ctx.directory.zone_of(ids)
    slots = await day_times(ctx, flow, flow.service, ids, day)
    window = asked_window(flow)
    asked = [s for s in slots if window is not None and within(window, s.start, zone)]
    rows = time_grid(ctx, [s.start for s in asked or slots], zone)
    named_day = ctx.texts.at_start(ctx.texts.day(day))
    if asked and window is not None:
        if window.exact:
            text = _("{what}\n{day}: {time} is free.").format(
                what=heading(ctx, flow), day=named_day, time=ctx.texts.time(asked[0].start, zone)
            )
        else:
            text = _("{what}\n{day}, {window}: pick a time.").format(
                what=heading(ctx, flow), day=named_day,
                window=describe_window(ctx, day, window, zone),
            )  # fmt: skip
        if len(asked) < len(slots):
            label = _("All times on {day}").format(day=ctx.texts.day(day))
            rows.append((Button(label, ctx.act("all")),))
    elif slots:
        text = _("{what}\n{day}: pick a time.").format(what=heading(ctx, flow), day=named_day)
    else:
        text = _("{what}\nNo free time is left on {day}. Please pick another day.").format(
            what=heading(ctx, flow), day=ctx.texts.day(day)
        )
    if slots:
        text += "\n" + _("Time zone: {zone}.").format(
            zone=ctx.texts.zone_name(zone, slots[0].start)
        )
    if flow.moving is None:  # nothing suits: wait for this day to free up
        label = _("None of these suit me") if slots else ""
        rows.append((join_button(ctx, flow, day, label=label),))
    rows.append(back_row(ctx))
    return Screen(text, tuple(rows))


async def press_time(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step, flow.window = "date", {}
    elif action.code == "all":
        flow.window = {}
    elif action.code == "t":
        await pick_time(ctx, flow, time_from(action))
    elif action.code == JOIN:
        await press_join(ctx, flow, action)


TIME = Step(render_time, press_time)
