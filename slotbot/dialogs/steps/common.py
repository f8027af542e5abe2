"""Lines and lookups several steps share: what the client is booking, said the same way."""

from __future__ import annotations

from slotbot.core.availability.directory import ServiceEntry
from slotbot.core.availability.engine import Slot
from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow

__all__ = ["chosen_ids", "service_line", "soonest", "specialist_line"]


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
    """The earliest free slot of the chosen service and specialist(s)."""
    if flow.service is None:
        return None
    return await ctx.free.soonest(flow.service, chosen_ids(ctx, flow))
