"""Picking a time: the hold is placed here, and a time that was taken meanwhile is answered
in one sentence with the next free times as buttons (the "taken" screen)."""

from __future__ import annotations

from datetime import UTC, datetime

from slotbot.core import booking
from slotbot.core.booking.service import BookingRefused, Refusal
from slotbot.core.storage.models import Client
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import chosen_ids
from slotbot.dialogs.widgets import back_row, minutes_of

__all__ = ["TAKEN", "offer_instead", "pick_time", "refusal_line", "time_from"]


def time_from(action: Action) -> datetime:
    """The instant a time button carries (minutes since the epoch)."""
    return datetime.fromtimestamp(action.number() * 60, UTC)


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
    if not starts and flow.service is not None:
        ids = chosen_ids(ctx, flow)
        slots = await ctx.free.upcoming(flow.service, ids, after=after, limit=4)
        starts = [s.start for s in slots]
    flow.alternatives = [s.isoformat() for s in starts[:4]]
    flow.note = line
    flow.step = "taken"


async def _client_ready(ctx: Context) -> bool:
    await ctx.refresh()
    client = await ctx.session.get(Client, ctx.client_id, populate_existing=True)
    return client is not None and bool(client.name) and bool(client.phone)


async def pick_time(ctx: Context, flow: Flow, start: datetime) -> None:
    """The client picked ``start``: hold it (a move is held when confirmed) and go on to
    the contact details or the summary."""
    flow.start = start.isoformat()
    flow.day = start.astimezone(ctx.directory.zone_of(chosen_ids(ctx, flow))).date().isoformat()
    if flow.moving is not None:
        flow.step = "confirm"
        return
    if flow.service is None:
        flow.start_over()
        return
    await ctx.refresh()
    try:
        held = await booking.hold(
            ctx.engine, service_id=flow.service, specialist_id=flow.specialist_choice(),
            start=start, client_id=ctx.client_id, channel=ctx.visitor.channel, now=ctx.now,
        )  # fmt: skip
    except BookingRefused as refusal:
        found = tuple(s.start for s in refusal.next_slots)
        await offer_instead(ctx, flow, refusal_line(ctx, refusal), start, found)
        return
    flow.hold = held.id
    ctx.placed.append(held.id)
    flow.step = "confirm" if await _client_ready(ctx) else "contact"


async def render_taken(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    starts = [datetime.fromisoformat(a) for a in flow.alternatives]
    rows: list[tuple[Button, ...]] = [
        (Button(ctx.texts.when(s, zone), ctx.act("t", minutes_of(s))),) for s in starts
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
