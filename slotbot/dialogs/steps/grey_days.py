"""Why a day on the client's calendar is grey, in one line: passed, beyond the booking horizon,
the specialist away (with the colleague named to stand in), nobody working, the client's own
appointment in the way, or simply booked up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from slotbot.core.availability.engine import OverrideKind, windows_for_day
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.common import chosen_ids
from slotbot.dialogs.steps.offers import shop_day_times

__all__ = ["GreyDay", "why_grey"]

_AWAY = (OverrideKind.DAY_OFF, OverrideKind.VACATION)


@dataclass(frozen=True, slots=True)
class GreyDay:
    """The line to say, and a colleague to offer instead (named on the specialist's absence)."""

    line: str
    stand_in: int | None = None


async def why_grey(ctx: Context, flow: Flow, day: date, earliest: date, latest: date) -> GreyDay:
    """Why ``day`` has no time the client can take (asked once it is known to have none)."""
    t = ctx.texts
    _ = t.gettext
    if day < earliest:
        return GreyDay(_("{day} has passed.").format(day=t.day(day)))
    if day > latest:
        days = ctx.directory.catalog.rules.horizon_days
        line = t.ngettext(
            "Booking opens {days} day ahead: {day} can be booked from {opens}.",
            "Booking opens {days} days ahead: {day} can be booked from {opens}.",
            days,
        )
        opens = t.day(day - timedelta(days=days))
        return GreyDay(line.format(days=days, day=t.day(day), opens=opens))
    ids = chosen_ids(ctx, flow)
    known = ctx.directory.catalog.calendars
    calendars = [known[sid] for sid in ids if sid in known]
    if not any(windows_for_day(c, day) for c in calendars):
        if len(calendars) != 1 or flow.any_specialist:
            return GreyDay(_("Nobody is working on {day}.").format(day=t.day(day)))
        calendar = calendars[0]
        name = ctx.directory.specialists[calendar.specialist_id].full_name
        away = [o for o in calendar.overrides if o.kind in _AWAY and o.covers(day)]
        if not away:
            return GreyDay(_("{name} is not working on {day}.").format(name=name, day=t.day(day)))
        absence = away[0]
        if absence.kind == OverrideKind.VACATION:
            line = _("{name} is on vacation from {first} to {last}.").format(
                name=name, first=t.day(absence.starts_on), last=t.day(absence.ends_on)
            )
        else:
            line = _("{name} is not working on {day}.").format(name=name, day=t.day(day))
        stand_in = absence.substitute_id
        if flow.service is None or stand_in not in ctx.directory.providers(flow.service):
            stand_in = None
        return GreyDay(line, stand_in)
    if flow.service is not None and await shop_day_times(ctx, flow, flow.service, ids, day):
        line = _("The free times on {day} clash with your own appointments.")
        return GreyDay(line.format(day=t.day(day)))
    return GreyDay(_("No free time on {day}.").format(day=t.day(day)))
