"""Buttons that arrive out of band: those of reminders, review requests, the offers after
a specialist cancelled and freed times offered to the waiting list
(``core.notify.chat_actions``, version ``0``). The dialog did not show
them on its last screen, so each is accepted by its meaning alone: the client's own booking,
still confirmed (or ended, for a review), or a slot still free."""

from __future__ import annotations

from datetime import UTC, datetime

from slotbot.core.availability.directory import client_booking
from slotbot.core.limits import COMMENT_MAX, InvalidInput, check_comment
from slotbot.core.notify.reviews import ReviewRefused, submit_for_client
from slotbot.core.storage.models import Booking, BookingStatus
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.agenda import what_became_of
from slotbot.dialogs.steps.my_bookings import booking_action
from slotbot.dialogs.steps.picking import pick_time
from slotbot.dialogs.steps.waitlist import take_offer

__all__ = ["REVIEW", "out_of_band"]


async def out_of_band(ctx: Context, flow: Flow, action: Action) -> None:
    """Handle a version-0 action from a notification's buttons."""
    _ = ctx.texts.gettext
    if action.code in ("rs", "cx"):
        await booking_action(ctx, flow, action)
    elif action.code == "ok":
        entry = await client_booking(ctx.session, ctx.client_id, action.number())
        if entry is None or entry.status != BookingStatus.CONFIRMED:
            flow.start_over("my")
            flow.note = _("This booking is no longer active.")
            return
        flow.start_over("booking")
        flow.booking = entry.id
        flow.note = _("Thank you! See you then.")
    elif action.code in ("sb", "sc"):
        await _specialist_booking(ctx, flow, action)
    elif action.code == "rv":
        await _rate(ctx, flow, action)
    elif action.code == "wo":
        await take_offer(ctx, flow, action)
    elif action.code == "os":
        specialist_id, service_id = action.number(0), action.number(1)
        start = datetime.fromtimestamp(action.number(2) * 60, UTC)
        if specialist_id not in ctx.directory.providers(service_id):
            flow.start_over()
            flow.note = _("Sorry, that time can no longer be booked.")
            return
        flow.start_over("time")
        flow.service, flow.specialist = service_id, specialist_id
        await pick_time(ctx, flow, start)
    else:
        raise ValueError(action.code)


async def _specialist_booking(ctx: Context, flow: Flow, action: Action) -> None:
    """A specialist opens or cancels a booking from its notification (their own only); one
    that was cancelled or moved since is shown as it is now, saying what became of it."""
    found = await ctx.session.get(Booking, action.number(), populate_existing=True)
    if ctx.specialist_id is None or found is None or found.specialist_id != ctx.specialist_id:
        raise ValueError("not this specialist's booking")
    current, became = await what_became_of(ctx, found)
    flow.start_over("s_cancel" if action.code == "sc" and not became else "s_booking")
    flow.booking, flow.note = current.id, became


async def _rate(ctx: Context, flow: Flow, action: Action) -> None:
    _ = ctx.texts.gettext
    entry = await client_booking(ctx.session, ctx.client_id, action.number(0))
    stars = action.number(1)
    if entry is None or not 1 <= stars <= 5 or entry.ends_at > ctx.now:
        flow.start_over()
        flow.note = _("This appointment cannot be reviewed.")
        return
    flow.start_over("review")
    flow.booking, flow.stars = entry.id, stars


async def _submit(ctx: Context, flow: Flow, comment: str | None) -> None:
    _ = ctx.texts.gettext
    try:
        await submit_for_client(
            ctx.engine, booking_id=flow.booking or 0, client_id=ctx.client_id,
            rating=flow.stars, comment=comment, now=ctx.now, uow=ctx.uow,
        )  # fmt: skip
    except ReviewRefused:
        flow.start_over()
        flow.note = _("This appointment has already been reviewed. Thank you!")
        return
    flow.start_over()
    flow.note = _("Thank you for your review!")


async def render_review(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    text = _("Thank you: {stars}. Anything to add? Type a comment, or skip.").format(
        stars="★" * flow.stars
    )
    return Screen(text, ((Button(_("Skip"), ctx.act("skip")),),), Expect.TEXT)


async def press_review(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "skip":
        await _submit(ctx, flow, None)


async def text_review(ctx: Context, flow: Flow, text: str) -> None:
    _ = ctx.texts.gettext
    try:
        comment = check_comment(text)
    except InvalidInput:
        flow.note = ctx.texts.ngettext(
            "Please keep the comment under {limit} character.",
            "Please keep the comment under {limit} characters.",
            COMMENT_MAX,
        ).format(limit=COMMENT_MAX)
        return
    await _submit(ctx, flow, comment)


REVIEW = Step(render_review, press_review, text_review)
