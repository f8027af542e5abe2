"""Lines and lookups several steps share: what the client is booking, said the same way;
where the shop is; what reminders to expect."""

from __future__ import annotations

import dataclasses

from slotbot.core.availability.directory import ClientBooking, ServiceEntry
from slotbot.core.availability.engine import Slot
from slotbot.core.notify.texts import reminder_promise
from slotbot.core.web_limits import Limit, QuotaReached
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps.offers import client_free

__all__ = [
    "chosen_ids", "limit_line", "reminder_line", "service_line", "soonest", "specialist_line",
    "with_business",
]  # fmt: skip


def service_line(ctx: Context, service: ServiceEntry) -> str:
    """``Haircut · 1 hr · €30.00``."""
    t = ctx.texts
    parts = [service.name(ctx.locale), t.duration(service.duration_minutes)]
    price = t.price(service.price, service.currency)
    return " · ".join([*parts, price] if price else parts)


def specialist_line(ctx: Context, specialist_id: int) -> str:
    """``Anna Petrova, Barber``."""
    entry = ctx.directory.specialists.get(specialist_id)
    if entry is None:
        return "?"
    title = entry.title(ctx.locale)
    return f"{entry.full_name}, {title}" if title else entry.full_name


def chosen_ids(ctx: Context, flow: Flow) -> list[int]:
    """The specialists the client may get: the chosen one, or every provider for "any"."""
    if flow.service is None:
        return []
    providers = ctx.directory.providers(flow.service)
    if flow.any_specialist:
        return providers
    return [flow.specialist] if flow.specialist in providers else []


async def soonest(ctx: Context, flow: Flow) -> Slot | None:
    """The earliest time of the chosen service and specialist(s) the client can take."""
    if flow.service is None:
        return None
    return await client_free(ctx, flow).soonest(flow.service, chosen_ids(ctx, flow))


def limit_line(ctx: Context, reached: QuotaReached) -> str:
    """One sentence for a widget client's limit."""
    t = ctx.texts
    if reached.limit == Limit.UPCOMING:
        return t.ngettext(
            "You already have {count} upcoming booking, the most we take online from one "
            "visitor. Cancel one under My bookings, or call us.",
            "You already have {count} upcoming bookings, the most we take online from one "
            "visitor. Cancel one under My bookings, or call us.",
            reached.count,
        ).format(count=reached.count)
    return t.ngettext(
        "This phone number already has {count} booking made online today, the most we "
        "take. Please call us, or try again tomorrow.",
        "This phone number already has {count} bookings made online today, the most we "
        "take. Please call us, or try again tomorrow.",
        reached.count,
    ).format(count=reached.count)


def with_business(ctx: Context, screen: Screen) -> Screen:
    """``screen`` with the shop's name, address and phone under its text, and its map as a
    link button (a link in every channel); unchanged when the import file gave none."""
    business = ctx.directory.business
    lines = business.lines(ctx.texts)
    rows = screen.buttons
    if business.map_url:
        rows = (*rows, (Button(ctx.texts.gettext("Map"), url=business.map_url),))
    text = "\n\n".join([screen.text, "\n".join(lines)]) if lines else screen.text
    return dataclasses.replace(screen, text=text, buttons=rows)


async def reminder_line(ctx: Context, entry: ClientBooking) -> str:
    """``We will remind you the day before. See you then!``: the reminders promised are the
    ones the outbox sends this client for this booking from now on (none, none but the one
    2 hours before, or the day before too)."""
    client = await ctx.client()
    promise = reminder_promise(ctx.texts, entry.starts_at, client, now=ctx.now)
    return " ".join(filter(None, [promise, ctx.texts.gettext("See you then!")]))
