"""Choosing who: each specialist with their next free time, "any available" with the soonest
over all; and, when the chosen one is booked up for long, colleagues free sooner. A booked-up
specialist opens their calendar, where the waiting list is offered."""

from __future__ import annotations

from datetime import datetime

from slotbot.core.availability.engine import Slot
from slotbot.core.booking.service import Refusal
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import service_line, soonest
from slotbot.dialogs.steps.offers import firsts, substitutes
from slotbot.dialogs.steps.picking import gone_line, time_from
from slotbot.dialogs.steps.waitlist import JOIN, join_button, press_join
from slotbot.dialogs.widgets import back_row, minutes_of

__all__ = ["SPECIALIST", "SUBSTITUTES", "choose_specialist"]


async def render_specialist(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    assert flow.service is not None
    service = ctx.directory.services[flow.service]
    first_slots = await firsts(ctx, flow, flow.service)
    rows = []
    free = [s for s in first_slots.values() if s is not None]
    if len(first_slots) > 1 and free:
        best = min(free, key=lambda s: s.start)
        zone = ctx.directory.zone_of(list(best.specialist_ids))
        label = _("Any available · {when}").format(when=ctx.texts.when(best.start, zone))
        rows.append((Button(label, ctx.act("sp", "a", minutes_of(best.start))),))
    for sid, slot in first_slots.items():
        entry = ctx.directory.specialists[sid]
        title = entry.title(ctx.locale)
        name = f"{entry.full_name} ({title})" if title else entry.full_name
        if slot is None:
            label = _("{name} · fully booked").format(name=name)
            rows.append((Button(label, ctx.act("spx", sid), disabled=True),))
        else:
            when = ctx.texts.when(slot.start, entry.timezone)
            rows.append((Button(f"{name} · {when}", ctx.act("sp", sid, minutes_of(slot.start))),))
    text = _("{service}\nWho would you like to see?").format(service=service_line(ctx, service))
    if not free:
        text = _("{service}\nSorry, there is no free time for this service soon.").format(
            service=service_line(ctx, service)
        )
        today = ctx.now.astimezone(ctx.directory.zone_of(list(first_slots))).date()
        anyone = Flow(service=flow.service, any_specialist=True)
        rows.append((join_button(ctx, anyone, today, week=True),))
    return Screen(text, (*rows, back_row(ctx)))


async def press_specialist(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        category = flow.category  # back to the services of the category it came from
        flow.start_over()
        flow.category = category
    elif action.code == "spx":  # booked up: their calendar, with the waiting list
        _ = ctx.texts.gettext
        if flow.service is None or action.number() not in ctx.directory.providers(flow.service):
            flow.note = _("This specialist is not available any more.")
            return
        ctx.notice = _("No free time with this specialist soon.")
        flow.any_specialist, flow.specialist, flow.month = False, action.number(), ""
        flow.step = "date"
    elif action.code == JOIN:
        await press_join(ctx, flow, action)
    elif action.code == "sp":
        chosen = None if action.args[0] == "a" else action.number()
        await choose_specialist(ctx, flow, chosen, time_from(action, 1))


async def choose_specialist(
    ctx: Context, flow: Flow, specialist_id: int | None, named: datetime | None = None
) -> bool:
    """Book the flow's service with ``specialist_id`` (``None``: any available): on to the
    calendar, or to colleagues free sooner when the one chosen is booked up for long. A
    button ``named`` the soonest time it showed: when that is gone, one line says so.
    False, with a line saying so, when the specialist does not offer the service now."""
    if specialist_id is None:
        flow.any_specialist, flow.specialist = True, None
    elif flow.service is None or specialist_id not in ctx.directory.providers(flow.service):
        flow.note = ctx.texts.gettext("This specialist is not available any more.")
        return False
    else:
        flow.any_specialist, flow.specialist = False, specialist_id
    flow.month = ""
    first = await soonest(ctx, flow)
    if named is not None:
        await _still_first(ctx, flow, first, named)
    far = first is None or first.start - ctx.now > ctx.directory.catalog.rules.substitute_after
    flow.step = "substitutes" if far and not flow.any_specialist else "date"
    return True


async def _still_first(ctx: Context, flow: Flow, first: Slot | None, named: datetime) -> None:
    """A button that named an earlier time than the soonest ``first`` now (gone meanwhile)
    gets one line saying so."""
    if first is None or first.start > named:
        flow.note = await gone_line(ctx, flow, named, Refusal.SLOT_TAKEN)


async def render_substitutes(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    assert flow.service is not None and flow.specialist is not None
    own = ctx.directory.specialists[flow.specialist]
    first = await soonest(ctx, flow)
    found = await substitutes(ctx, flow, flow.specialist, flow.service)
    sooner = [
        s for s in found
        if s.first_slot is not None and (first is None or s.first_slot.start < first.start)
        and s.specialist_id in ctx.directory.specialists
    ]  # fmt: skip
    rows = []
    for sub in sooner[:5]:
        assert sub.first_slot is not None
        entry = ctx.directory.specialists[sub.specialist_id]
        when = ctx.texts.when(sub.first_slot.start, entry.timezone)
        action = ctx.act("sub", sub.specialist_id, minutes_of(sub.first_slot.start))
        rows.append((Button(f"{entry.full_name} · {when}", action),))
    if first is not None:
        text = _("{name}'s first free time is {when}.").format(
            name=own.full_name, when=ctx.texts.when(first.start, own.timezone)
        )
        rows.append((Button(_("Wait for {name}").format(name=own.full_name), ctx.act("wait")),))
    else:
        text = _("{name} has no free time soon.").format(name=own.full_name)
        today = ctx.now.astimezone(own.timezone).date()
        rows.append((join_button(ctx, flow, today, week=True),))
    if sooner:
        text += "\n" + _("These colleagues can see you sooner:")
    return Screen(text, (*rows, back_row(ctx)))


async def press_substitutes(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "specialist"
    elif action.code == JOIN:
        await press_join(ctx, flow, action)
    elif action.code == "wait":
        flow.step = "date"
    elif action.code == "sub":
        sid, named = action.number(), time_from(action, 1)
        if flow.service is not None and sid in ctx.directory.providers(flow.service):
            flow.specialist, flow.month = sid, ""
            flow.step = "date"
            await _still_first(ctx, flow, await soonest(ctx, flow), named)


SPECIALIST = Step(render_specialist, press_specialist)
SUBSTITUTES = Step(render_substitutes, press_substitutes)
