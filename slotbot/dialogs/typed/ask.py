"""The question a typed message needs answered before the dialog can follow it: which of two
specialists it named, which service, which reading of a date, which booking; or, where it
named a day but not the service or who, what or who for that day. Each answer is a button;
typing more ("Petrova") answers too. The answer is followed like the message itself.
"""

from __future__ import annotations

from datetime import date, datetime

from slotbot.core.availability.directory import client_bookings
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import service_line, specialist_line
from slotbot.dialogs.steps.confirm import service_name
from slotbot.dialogs.steps.windows import describe_window
from slotbot.dialogs.typed.follow import what_for
from slotbot.dialogs.typed.understand import follow
from slotbot.dialogs.typed.wish import Wish
from slotbot.dialogs.understand import Intent
from slotbot.dialogs.widgets import back_row

__all__ = ["ASK"]


def _services(ctx: Context, wish: Wish) -> list[int]:
    """The services a question offers: those the message named, or what it could be for."""
    return wish.services if wish.asking == "service" else what_for(ctx, wish)


def _specialists(ctx: Context, wish: Wish) -> list[int]:
    """The specialists a question offers: those the message named, or who offer the service."""
    if wish.asking == "specialist":
        return wish.specialists
    return ctx.directory.providers(wish.services[0]) if len(wish.services) == 1 else []


def _understood(ctx: Context, wish: Wish) -> str:
    """``Haircut · Anna Petrova · Fri, Dec 4, from 5:00 PM``: what is settled so far."""
    t = ctx.texts
    parts = []
    if len(wish.services) == 1 and wish.services[0] in ctx.directory.services:
        parts.append(ctx.directory.services[wish.services[0]].name(ctx.locale))
    if wish.anyone:
        parts.append(t.gettext("anyone available"))
    elif len(wish.specialists) == 1 and wish.specialists[0] in ctx.directory.specialists:
        parts.append(ctx.directory.specialists[wish.specialists[0]].full_name)
    ranges = wish.ranges()
    window = wish.window()
    zone = ctx.directory.zone_of(wish.specialists)
    if len(ranges) == 1:
        first, last = ranges[0]
        days = t.day(first) if first == last else f"{t.day(first)} – {t.day(last)}"
        parts.append(days)
    if window is not None:
        parts.append(describe_window(ctx, ranges[0][0] if ranges else ctx.now.date(), window, zone))
    return t.at_start(" · ".join(parts)) if parts else ""


async def render_ask(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    wish = Wish.load(flow.wish)
    rows: list[tuple[Button, ...]] = []
    directory = ctx.directory
    if wish.asking in ("service", "what"):
        question = (
            _("Which service do you mean?")
            if wish.asking == "service"
            else _("What would you like to book?")
        )
        for sid in _services(ctx, wish):
            if sid in directory.services:
                label = service_line(ctx, directory.services[sid])
                rows.append((Button(label, ctx.act("as", sid)),))
    elif wish.asking in ("specialist", "who"):
        question = _("Which specialist do you mean?")
        if wish.asking == "who":
            question = _("Who would you like to see?")
            rows.append((Button(_("Any available"), ctx.act("ap", "a")),))
        for sid in _specialists(ctx, wish):
            if sid in directory.specialists:
                rows.append((Button(specialist_line(ctx, sid), ctx.act("ap", sid)),))
    elif wish.asking == "date":
        question = _("Which day do you mean?")
        for first, _last in wish.ranges():
            label = ctx.texts.at_start(ctx.texts.long_day(first))
            rows.append((Button(label, ctx.act("ad", first.strftime("%Y%m%d"))),))
    else:
        question = _("Which booking do you want to cancel?")
        if wish.intent == Intent.RESCHEDULE:
            question = _("Which booking do you want to move?")
        upcoming, _past = await client_bookings(ctx.session, ctx.client_id, now=ctx.now)
        for entry in upcoming:
            if entry.id in wish.bookings:
                when = ctx.texts.at_start(ctx.texts.when(entry.starts_at, entry.timezone))
                label = f"{when} · {service_name(ctx, entry)} · {entry.specialist_name}"
                rows.append((Button(label, ctx.act("ab", entry.id)),))
    understood = _understood(ctx, wish) if wish.intent == Intent.BOOK else ""
    text = f"{understood}\n{question}" if understood else question
    return Screen(text, (*rows, back_row(ctx)))


async def press_ask(ctx: Context, flow: Flow, action: Action) -> None:
    """An answer: the wish narrowed to it, and followed on from the step it was typed on;
    Back: that step as it was."""
    wish = Wish.load(flow.wish)
    if action.code == "as" and action.number() in _services(ctx, wish):
        wish.services = [action.number()]
    elif action.code == "ap" and action.args[:1] == ("a",) and wish.asking == "who":
        wish.specialists, wish.anyone = [], True
    elif action.code == "ap" and action.number() in _specialists(ctx, wish):
        wish.specialists, wish.anyone = [action.number()], False
    elif action.code == "ad" and (day := _day(action)) in [a for a, _ in wish.ranges()]:
        wish.dates = [[day.isoformat(), day.isoformat()]]
    elif action.code == "ab" and action.number() in wish.bookings:
        wish.bookings = [action.number()]
    elif action.code != "back":
        raise ValueError("not an answer to the question on screen")
    flow.wish, flow.step = {}, wish.over or "menu"
    if action.code != "back":
        wish.asking = ""
        await follow(ctx, flow, wish)


def _day(action: Action) -> date:
    return datetime.strptime(action.args[0], "%Y%m%d").date()


ASK = Step(render_ask, press_ask)
