"""Picking a time: the hold is placed here, and a time that was taken meanwhile is answered
in one sentence with the next free times as buttons (the "taken" screen). A button that named
its time ("Soonest", "Book again") holds that very time or says in one line that it is gone
and what the soonest is now; a move is checked before its confirm screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slotbot.core import booking
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.web_limits import QuotaReached, hold_guard, web_limits
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.events import Held
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids, limit_line, soonest
from slotbot.dialogs.steps.offers import clashes_with_own, day_times, times_after
from slotbot.dialogs.widgets import back_row, minutes_of

__all__ = ["TAKEN", "gone_line", "offer_instead", "pick_time", "refusal_line", "time_from"]


def time_from(action: Action, index: int = 0) -> datetime:
    """The instant a time button carries (minutes since the epoch) in argument ``index``."""
    return datetime.fromtimestamp(action.number(index) * 60, UTC)


def refusal_line(ctx: Context, refusal: BookingRefused) -> str:
    """One sentence for a refused booking step."""
    _ = ctx.texts.gettext
    return {
        Refusal.SLOT_TAKEN: _("Sorry, that time was just taken."),
        Refusal.HOLD_EXPIRED: _("Sorry, the time we held for you ran out."),
        Refusal.CLIENT_OVERLAP: _("You already have an appointment at that time."),
        Refusal.TOO_MANY_HOLDS: _("You are holding too many unconfirmed times."),
        Refusal.NOT_BOOKABLE: _("Sorry, that time can no longer be booked."),
        Refusal.NOT_OFFERED: _("Sorry, that time can no longer be booked."),
    }.get(refusal.reason, _("Sorry, that did not work."))


async def offer_instead(
    ctx: Context, flow: Flow, line: str, after: datetime, found: tuple[datetime, ...] = ()
) -> None:
    """Go to the "taken" screen: ``line`` and the next free times from ``after``."""
    starts = list(found)
    if not starts:  # core's next free times (found) are ones the client can take already
        starts = [s.start for s in await times_after(ctx, flow, chosen_ids(ctx, flow), after, 4)]
    flow.alternatives = [s.isoformat() for s in starts[:4]]
    flow.note = line
    flow.step = "taken"


async def _client_ready(ctx: Context) -> bool:
    client = await ctx.client()
    return bool(client.name) and bool(client.phone)


async def gone_line(ctx: Context, flow: Flow, start: datetime, reason: Refusal) -> str:
    """One line for a time a button named that can no longer be had, with the soonest now."""
    _ = ctx.texts.gettext
    if reason == Refusal.TOO_MANY_HOLDS:
        return _("You are holding too many unconfirmed times.")
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    first = await soonest(ctx, flow)
    if reason == Refusal.CLIENT_OVERLAP:
        line = (
            _("You already have an appointment at {time}; the soonest now is {when}.")
            if first
            else _("You already have an appointment at {time}, and there is no other time soon.")
        )
    else:
        line = (
            _("{time} was just taken; the soonest now is {when}.")
            if first
            else _("{time} was just taken, and there is no other free time soon.")
        )
    when = ctx.texts.when(first.start, zone) if first else ""
    return line.format(time=ctx.texts.time(start, zone), when=when)


async def _move_refusal(ctx: Context, flow: Flow, start: datetime) -> Refusal | None:
    """Why a move cannot go to ``start`` (asked before its confirm screen), or ``None``."""
    assert flow.service is not None
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    day = start.astimezone(zone).date()
    times = await day_times(ctx, flow, flow.service, chosen_ids(ctx, flow), day)
    if any(s.start == start for s in times):
        return None
    end = start + timedelta(minutes=ctx.directory.services[flow.service].duration_minutes)
    if await clashes_with_own(ctx, flow, start, end):
        return Refusal.CLIENT_OVERLAP
    return Refusal.SLOT_TAKEN


async def pick_time(
    ctx: Context, flow: Flow, start: datetime, *, named: bool = False, gone: str = ""
) -> None:
    """The client picked ``start``: hold it (a move is checked now and held when confirmed)
    and go on to the contact details or the summary.

    A time that cannot be had goes to the "taken" screen with the next free times (``gone``:
    the line said there when someone else took it); for a button that ``named`` its time the
    flow stays where it was, with one line saying so.
    """
    if flow.service is None:
        flow.start_over()
        return
    if flow.moving is not None:
        reason = await _move_refusal(ctx, flow, start)
        if reason is None:
            _picked(ctx, flow, start)
            flow.step = "confirm"
            return
        refusal = BookingRefused(reason, reason.value)
    else:
        within = None
        if ctx.visitor.channel == "web":  # anonymous: limits checked in the hold's transaction
            limits = await web_limits(ctx.session)
            within = hold_guard(limits, client_id=ctx.client_id, now=ctx.now)
        try:
            held = await booking.hold(
                ctx.engine, service_id=flow.service, specialist_id=flow.specialist_choice(),
                start=start, client_id=ctx.client_id, channel=ctx.visitor.channel, now=ctx.now,
                within=within, uow=ctx.uow,
            )  # fmt: skip
        except QuotaReached as reached:
            flow.note = limit_line(ctx, reached)
            return
        except BookingRefused as error:
            refusal = error
        else:
            _picked(ctx, flow, start)
            flow.hold, flow.held_by = held.id, held.specialist_id
            keys = ctx.keys(held.service_id, held.specialist_id)
            ctx.happened.append(Held(held.id, held.starts_at, *keys))
            flow.step = "confirm" if await _client_ready(ctx) else "contact"
            return
    if named:
        flow.note = await gone_line(ctx, flow, start, refusal.reason)
    else:
        found = tuple(s.start for s in refusal.next_slots)
        taken = gone and refusal.reason == Refusal.SLOT_TAKEN
        await offer_instead(ctx, flow, gone if taken else refusal_line(ctx, refusal), start, found)


def _picked(ctx: Context, flow: Flow, start: datetime) -> None:
    flow.start = start.isoformat()
    flow.day = start.astimezone(ctx.directory.zone_of(chosen_ids(ctx, flow))).date().isoformat()


async def render_taken(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    starts = [datetime.fromisoformat(a) for a in flow.alternatives]
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                ctx.texts.at_start(ctx.texts.when(s, zone)),
                ctx.act("t", minutes_of(s)),
                starts=s.astimezone(zone),
            ),
        )
        for s in starts
    ]
    text = _("These times are free:") if starts else _("There is no free time soon.")
    rows.append(back_row(ctx, Button(_("Another day"), ctx.act("days"))))
    return Screen(text, tuple(rows))


async def press_taken(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "t":
        await pick_time(ctx, flow, time_from(action))
    elif action.code in ("back", "days"):
        flow.step = "date"


TAKEN = Step(render_taken, press_taken)
