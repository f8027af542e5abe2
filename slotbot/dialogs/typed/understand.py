"""A typed message on a screen that waits for no typed input (Start and every step of a
booking, My bookings and a booking's screens, Help, Language, a question about a typed
message): read it in the client's language on the shop's clock, and do what it says.

Help, Language, My bookings: opened as their buttons open them. A cancellation or a move:
the booking meant (``typed.bookings``). A booking: followed to the first step that still
needs an answer (``typed.follow``). A time that names one time button of the screen (on the
day's times, or the times offered instead) is that button's press. Anything else: the same
screen, with one line of what can be typed there.

Only the first :data:`~slotbot.core.limits.READ_MAX` characters are read (the reader cuts
longer text first); the line above the screen then says so.
"""

from __future__ import annotations

from datetime import date

from slotbot.core.storage.shop import shop_timezone
from slotbot.dialogs.actions import decode
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.common import chosen_ids, soonest
from slotbot.dialogs.steps.confirm import cancel_summary
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.typed.bookings import follow_booking_intent
from slotbot.dialogs.typed.follow import follow_booking
from slotbot.dialogs.typed.hints import hint, not_understood
from slotbot.dialogs.typed.wish import BOOKING_STEPS, Wish, base_wish
from slotbot.dialogs.understand import DateRange, Intent, Reading, read, vocabulary_of

__all__ = ["follow", "understand"]


async def follow(ctx: Context, flow: Flow, wish: Wish) -> None:
    """Follow a wish: a booking to the first step that still needs an answer, a cancellation
    or a move to the booking meant."""
    if wish.intent in (Intent.CANCEL, Intent.RESCHEDULE):
        await follow_booking_intent(ctx, flow, wish)
    else:
        await follow_booking(ctx, flow, wish)


async def understand(ctx: Context, flow: Flow, text: str) -> None:
    """Do what a typed message says, or say in one line what can be typed here."""
    if not text.strip():  # nothing typed: the screen again, with what can be typed there
        flow.note = hint(ctx, flow)
        return
    reading = await _read(ctx, flow, text)
    await _act(ctx, flow, reading)
    if reading.cut:
        line = ctx.texts.gettext("Your message was long: I read only its beginning.")
        flow.note = f"{line} {flow.note}".strip()


async def _read(ctx: Context, flow: Flow, text: str) -> Reading:
    zone = await shop_timezone(ctx.session)
    vocabulary = vocabulary_of(ctx.directory)
    reading = read(text, locale=ctx.locale, now=ctx.now, zone=zone, vocabulary=vocabulary)
    number = text.strip()
    if not reading.empty or not number.isdecimal() or len(number) > 2:
        return reading
    # a bare number: a day of the calendar on screen, an hour on a screen of times
    if flow.step == "date":
        day = await _day_of_shown_month(ctx, flow, int(number))
        return Reading(intent=Intent.BOOK, dates=(DateRange(day, day),)) if day else reading
    elif flow.step in ("time", "taken"):
        number = f"at {number}"
    else:
        return reading
    return read(number, locale="en", now=ctx.now, zone=zone, vocabulary=vocabulary)


async def _day_of_shown_month(ctx: Context, flow: Flow, number: int) -> date | None:
    """Day ``number`` of the month the calendar shows (as ``steps.date`` picks it)."""
    if flow.month:
        month = date.fromisoformat(flow.month + "-01")
    else:
        zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
        first = await soonest(ctx, flow)
        month = (first.start if first else ctx.now).astimezone(zone).date()
    try:
        return month.replace(day=number)
    except ValueError:
        return None


async def _act(ctx: Context, flow: Flow, reading: Reading) -> None:
    named = bool(
        reading.services or reading.specialists or reading.anyone or reading.dates or reading.times
    )
    if reading.intent == Intent.HELP:
        flow.side_trip("help")
    elif reading.intent == Intent.LANGUAGE:
        if reading.language is None:
            flow.side_trip("language")
            return
        ctx.locale = reading.language
        flow.note = ctx.texts.gettext("Language changed to English.")
        if flow.step == "language":
            flow.come_back()
    elif reading.intent == Intent.MY_BOOKINGS:
        flow.start_over("my")
    elif reading.intent == Intent.CANCEL and flow.step == "confirm" and not named:
        await cancel_summary(ctx, flow)  # the summary's own ✖ Cancel
    elif reading.intent in (Intent.CANCEL, Intent.RESCHEDULE):  # what is typed says which
        pending = Wish.load(flow.wish) if flow.step == "ask" else Wish(over=flow.step)
        await follow(ctx, flow, pending.merged(reading, ctx.directory))
    elif not named:
        if reading.intent == Intent.BOOK and flow.step not in BOOKING_STEPS | {"ask"}:
            flow.start_over("menu")
        else:
            flow.note = hint(ctx, flow) if reading.intent else not_understood(ctx, flow)
    elif not await _press_shown_time(ctx, flow, reading):
        await follow(ctx, flow, base_wish(flow).merged(reading, ctx.directory))


async def _press_shown_time(ctx: Context, flow: Flow, reading: Reading) -> bool:
    """A time that names exactly one time button of the screen (on that day, if a day is
    named too) is that button's press: the same hold, with the same checks."""
    if flow.step not in ("time", "taken") or reading.services or reading.specialists:
        return False
    if reading.anyone or len(reading.times) != 1 or not reading.times[0].exact:
        return False
    if len(reading.dates) > 1 or (reading.dates and not reading.dates[0].single):
        return False
    zone = ctx.directory.zone_of(chosen_ids(ctx, flow))
    wanted = reading.times[0].start
    shown = []
    for offered in flow.offered:
        action = decode(offered)
        if action is None or action.code != "t":
            continue
        local = time_from(action).astimezone(zone)
        if local.time() == wanted and (not reading.dates or local.date() == reading.dates[0].first):
            shown.append(time_from(action))
    if len(shown) != 1:
        return False
    await pick_time(ctx, flow, shown[0])
    return True
