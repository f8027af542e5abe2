"""The summary to confirm (or a move to confirm), and the screen after booking."""

from __future__ import annotations

from datetime import datetime

from slotbot.core import booking
from slotbot.core.availability.directory import (
    ClientBooking,
    client_booking,
    client_booking_and_details,
)
from slotbot.core.booking.service import BookingRefused
from slotbot.core.clients import display_phone
from slotbot.core.notify.ics import booking_ics
from slotbot.core.storage.models import BookingStatus
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.events import Booked, Moved
from slotbot.dialogs.screens import Attachment, Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import (
    reminder_line,
    service_line,
    specialist_line,
    with_business,
)
from slotbot.dialogs.steps.menu import telegram_row
from slotbot.dialogs.steps.picking import offer_instead, refusal_line
from slotbot.dialogs.widgets import back_row

__all__ = [
    "CONFIRM", "calendar_file", "cancel_summary", "describe", "render_done", "service_name",
    "zone_note",
]  # fmt: skip


def service_name(ctx: Context, entry: ClientBooking) -> str:
    return entry.service_names.get(ctx.locale) or entry.service_names.get("en", "")


def describe(ctx: Context, entry: ClientBooking) -> str:
    """``Haircut with Anna Petrova on Tuesday, December 1, 2026 at 10:00 AM``."""
    _ = ctx.texts.gettext
    local = entry.local_start()
    return _("{service} with {name} on {day} at {time}").format(
        service=service_name(ctx, entry),
        name=entry.specialist_name,
        day=ctx.texts.long_day(local.date()),
        time=ctx.texts.time(entry.starts_at, entry.timezone),
    )


def zone_note(ctx: Context, entry: ClientBooking) -> str:
    """``(Central European Standard Time)``: the time zone its times are in."""
    return f"({ctx.texts.zone_name(entry.timezone, entry.starts_at)})"


def calendar_file(ctx: Context, entry: ClientBooking) -> Screen:
    """A message carrying the booking's .ics file."""
    _ = ctx.texts.gettext
    summary = "{} · {}".format(
        entry.service_names.get(ctx.locale) or entry.service_names.get("en", ""),
        entry.specialist_name,
    )
    data = booking_ics(
        booking_id=entry.id, start=entry.starts_at, end=entry.ends_at, summary=summary,
        now=ctx.now, location=ctx.directory.business.location(ctx.locale),
        description=ctx.directory.business.details(ctx.texts),
    )  # fmt: skip
    attachment = Attachment(f"booking-{entry.id}.ics", "text/calendar", data)
    text = _("Open the file to add the appointment to your calendar.")
    return Screen(text, attachments=(attachment,))


async def _summary(ctx: Context, flow: Flow, start: datetime) -> tuple[str, datetime]:
    """The summary's text, and the time in the zone it names."""
    _ = ctx.texts.gettext
    assert flow.service is not None
    service = ctx.directory.services[flow.service]
    specialist_id = flow.specialist
    if flow.hold is not None and flow.held_by is not None:
        specialist_id = flow.held_by  # "any available" was settled by the hold
    elif flow.hold is not None:  # a session saved before ``held_by`` was kept
        held = await client_booking(ctx.session, ctx.client_id, flow.hold)
        specialist_id = held.specialist_id if held else specialist_id
    zone = ctx.directory.zone_of([specialist_id] if specialist_id else [])
    client = await ctx.client()
    local = start.astimezone(zone)
    lines = [
        _("Please check your booking:"),
        _("Service: {service}").format(service=service_line(ctx, service)),
        _("Specialist: {name}").format(name=specialist_line(ctx, specialist_id or 0)),
        _("When: {day}, {time} ({zone})").format(
            day=ctx.texts.long_day(local.date()),
            time=ctx.texts.time(start, zone),
            zone=ctx.texts.zone_name(zone, start),
        ),
        _("Name: {name}").format(name=client.name or "—"),
        _("Phone: {phone}").format(phone=display_phone(client.phone) if client.phone else "—"),
    ]
    if flow.hold is not None:
        minutes = ctx.directory.catalog.rules.hold_minutes
        lines.append(
            ctx.texts.ngettext(
                "We hold this time for you for {minutes} minute.",
                "We hold this time for you for {minutes} minutes.",
                minutes,
            ).format(minutes=minutes)
        )
    return "\n".join(lines), local


async def render_confirm(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    start = flow.picked_start()
    assert start is not None
    text, local = await _summary(ctx, flow, start)
    if flow.moving is not None:
        old = await client_booking(ctx.session, ctx.client_id, flow.moving)
        if old is not None:
            heading = _("Move your appointment from {old} to:").format(old=describe(ctx, old))
            text = "\n".join([heading, *text.splitlines()[1:]])
    rows: list[tuple[Button, ...]] = [(Button(_("✅ Confirm"), ctx.act("ok")),)]
    if flow.moving is None:  # a move keeps the booking's name and phone
        rows.append(
            (Button(_("Change name"), ctx.act("nm")), Button(_("Change phone"), ctx.act("ph")))
        )
    rows.append(back_row(ctx, Button(_("✖ Cancel"), ctx.act("drop"))))
    return with_business(ctx, Screen(text, tuple(rows), starts=local))


async def _confirm(ctx: Context, flow: Flow, start: datetime) -> None:
    moving = None  # a move's booking as it is before the move, for the reply's Moved
    if flow.moving is not None:
        moving = await client_booking(ctx.session, ctx.client_id, flow.moving)
    try:
        if flow.moving is not None:
            done = await booking.reschedule(
                ctx.engine, booking_id=flow.moving, start=start, now=ctx.now,
                specialist_id=flow.specialist, any_specialist=flow.any_specialist,
                client_id=ctx.client_id, uow=ctx.uow,
            )  # fmt: skip
        elif flow.hold is not None:
            done = await booking.confirm(
                ctx.engine,
                booking_id=flow.hold,
                now=ctx.now,
                client_id=ctx.client_id,
                uow=ctx.uow,
            )
        else:
            flow.step = "time"
            return
    except BookingRefused as refusal:
        flow.hold = None
        found = tuple(s.start for s in refusal.next_slots)
        await offer_instead(ctx, flow, refusal_line(ctx, refusal), start, found)
        return
    keys = ctx.keys(done.service_id, done.specialist_id)
    if moving is not None:
        ctx.happened.append(Moved(done.id, done.starts_at, *keys, moving.id, moving.starts_at))
    else:
        ctx.happened.append(Booked(done.id, done.starts_at, *keys))
    flow.hold, flow.moved_from, flow.moving = None, flow.moving, None
    flow.booking = done.id
    flow.step = "done"


async def press_confirm(ctx: Context, flow: Flow, action: Action) -> None:
    start = flow.picked_start()
    if action.code == "back":
        flow.hold = None  # the engine lets the held time go
        flow.step = "time"
    elif action.code == "nm" and flow.moving is None:
        flow.step, flow.return_to = "name", "confirm"
    elif action.code == "ph" and flow.moving is None:
        flow.step, flow.return_to = "phone", "confirm"
    elif action.code == "ok" and start is not None:
        await _confirm(ctx, flow, start)
    elif action.code == "drop":
        await cancel_summary(ctx, flow)


async def cancel_summary(ctx: Context, flow: Flow) -> None:
    """Cancel on the summary: nothing is booked (the held time is let go), or a move is given
    up and the booking stays as it was."""
    _ = ctx.texts.gettext
    moving = flow.moving
    old = await client_booking(ctx.session, ctx.client_id, moving) if moving else None
    if old is not None and old.status == BookingStatus.CONFIRMED:
        flow.start_over("booking")
        flow.booking = old.id
        flow.note = _("Your booking stays as it was.")  # above the booking's own screen
        return
    flow.start_over()
    flow.note = _("Nothing was booked.")


async def render_done(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    assert flow.booking is not None
    found = await client_booking_and_details(ctx.session, ctx.client_id, flow.booking)
    assert found is not None
    entry, client = found
    ctx.saw_client(client)  # for the reminders promised
    old = (
        await client_booking(ctx.session, ctx.client_id, flow.moved_from)
        if flow.moved_from
        else None
    )
    if old is not None:
        text = _("Moved to {day} at {time} {zone}: {service} with {name} (was {old_day} at "
                 "{old_time}).").format(
            day=ctx.texts.long_day(entry.local_start().date()),
            time=ctx.texts.time(entry.starts_at, entry.timezone), zone=zone_note(ctx, entry),
            service=service_name(ctx, entry), name=entry.specialist_name,
            old_day=ctx.texts.long_day(old.local_start().date()),
            old_time=ctx.texts.time(old.starts_at, old.timezone),
        )  # fmt: skip
    else:
        text = _("You are booked: {what} {zone}.").format(
            what=describe(ctx, entry), zone=zone_note(ctx, entry)
        )
    text += "\n" + await reminder_line(ctx, entry)
    rows = [
        (Button(_("📅 Add to calendar"), ctx.act("ics", entry.id)),),
        (Button(_("Reschedule"), ctx.act("rs", entry.id)),
         Button(_("Cancel booking"), ctx.act("cx", entry.id))),
        (Button(_("Book another"), ctx.act("home")), Button(_("My bookings"), ctx.act("my"))),
        *telegram_row(ctx),
    ]  # fmt: skip
    return with_business(ctx, Screen(text, tuple(rows), starts=entry.local_start()))


CONFIRM = Step(render_confirm, press_confirm)
