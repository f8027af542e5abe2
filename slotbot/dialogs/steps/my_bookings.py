"""My bookings: the upcoming ones, each with its own screen (add to calendar, reschedule,
cancel), the question before a cancellation, and the waiting-list entries."""

from __future__ import annotations

from slotbot.core import booking
from slotbot.core.availability.directory import client_booking, client_bookings
from slotbot.core.booking.service import BookingRefused
from slotbot.core.storage.models import BookingStatus
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.events import Cancelled
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.confirm import (
    calendar_file,
    describe,
    render_done,
    service_name,
    zone_note,
)
from slotbot.dialogs.steps.waitlist import waiting_press, waiting_rows
from slotbot.dialogs.widgets import back_row

__all__ = [
    "BOOKING", "BOOKING_CODES", "CANCEL", "DONE", "MY_BOOKINGS", "booking_action", "open_booking",
]  # fmt: skip

#: What the buttons about one booking do (:func:`open_booking`).
BOOKING_CODES = ("bk", "ics", "rs", "cx", "cy")


async def render_my(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    upcoming, past = await client_bookings(ctx.session, ctx.client_id, now=ctx.now)
    rows: list[tuple[Button, ...]] = []
    for entry in upcoming[:20]:
        when = ctx.texts.at_start(ctx.texts.when(entry.starts_at, entry.timezone))
        label = f"{when} · {service_name(ctx, entry)} · {entry.specialist_name}"
        rows.append((Button(label, ctx.act("bk", entry.id)),))
    lines = [_("Your upcoming bookings:") if upcoming else _("You have no upcoming bookings.")]
    if past:
        lines.append(_("Earlier:"))
        lines += [f"• {describe(ctx, entry)}" for entry in past]
    zones = {ctx.texts.zone(e.timezone) for e in [*upcoming[:20], *past]}
    if zones:
        lines.append(_("Time zone: {zone}.").format(zone=", ".join(sorted(zones))))
    waiting_lines, waiting_buttons = await waiting_rows(ctx)
    lines += waiting_lines
    rows += waiting_buttons
    rows.append(back_row(ctx, Button(_("Book an appointment"), ctx.act("home"))))
    return Screen("\n".join(lines), tuple(rows))


async def press_my(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.start_over()
    elif action.code in ("wv", "wx"):
        await waiting_press(ctx, flow, action)
    else:
        await booking_action(ctx, flow, action)


async def booking_action(ctx: Context, flow: Flow, action: Action) -> None:
    """What the buttons about one booking do, on whichever screen they are."""
    if action.code in BOOKING_CODES:
        await open_booking(ctx, flow, action.code, action.number())


async def open_booking(ctx: Context, flow: Flow, code: str, booking_id: int) -> None:
    """Do ``code`` to the client's booking ``booking_id``: show it (``bk``), its calendar
    file (``ics``), move it (``rs``), ask before cancelling it (``cx``), cancel it (``cy``).
    Another client's booking, or one no longer active, is "no longer active"."""
    _ = ctx.texts.gettext
    entry = await client_booking(ctx.session, ctx.client_id, booking_id)
    if entry is None or entry.status != BookingStatus.CONFIRMED:
        flow.note = _("This booking is no longer active.")
        flow.step = "my"
        return
    flow.booking = entry.id
    if code == "bk":
        flow.step = "booking"
    elif code == "ics":
        ctx.extra.append(calendar_file(ctx, entry))
    elif code == "rs":
        flow.start_over("date")
        flow.moving = flow.booking = entry.id
        flow.service, flow.specialist = entry.service_id, entry.specialist_id
    elif code == "cx":
        flow.step = "cancel"
    elif code == "cy":
        try:
            await booking.cancel(
                ctx.engine,
                booking_id=entry.id,
                by="client",
                now=ctx.now,
                client_id=ctx.client_id,
                uow=ctx.uow,
            )
        except BookingRefused:
            flow.note = _("This booking can no longer be cancelled.")
        else:
            flow.note = _("Your booking is cancelled: {what}.").format(what=describe(ctx, entry))
            keys = ctx.keys(entry.service_id, entry.specialist_id)
            ctx.happened.append(Cancelled(entry.id, entry.starts_at, *keys))
        flow.step = "my"


async def render_booking(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    entry = await client_booking(ctx.session, ctx.client_id, flow.booking or 0)
    if entry is None or entry.status != BookingStatus.CONFIRMED:
        return Screen(_("This booking is no longer active."), (back_row(ctx),))
    rows = [
        (Button(_("📅 Add to calendar"), ctx.act("ics", entry.id)),),
        (Button(_("Reschedule"), ctx.act("rs", entry.id)),
         Button(_("Cancel booking"), ctx.act("cx", entry.id))),
        back_row(ctx),
    ]  # fmt: skip
    return Screen(f"{describe(ctx, entry)} {zone_note(ctx, entry)}", tuple(rows))


async def press_booking(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "my"
    else:
        await booking_action(ctx, flow, action)


async def render_cancel(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    entry = await client_booking(ctx.session, ctx.client_id, flow.booking or 0)
    if entry is None or entry.status != BookingStatus.CONFIRMED:
        return Screen(_("This booking is no longer active."), (back_row(ctx),))
    text = _("Cancel {what}?").format(what=describe(ctx, entry))
    rows = [
        (Button(_("Yes, cancel it"), ctx.act("cy", entry.id)),),
        (Button(_("No, keep it"), ctx.act("back")),),
    ]
    return Screen(text, tuple(rows))


async def press_cancel(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "booking"
    else:
        await booking_action(ctx, flow, action)


MY_BOOKINGS = Step(render_my, press_my)
BOOKING = Step(render_booking, press_booking)
CANCEL = Step(render_cancel, press_cancel)
DONE = Step(render_done, booking_action)
