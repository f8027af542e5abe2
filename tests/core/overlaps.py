"""A check for the end of every race test: no two live bookings of one specialist overlap."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from slotbot.core.db import session_factory
from slotbot.core.models import LIVE_STATUSES, Booking


async def assert_no_overlapping_live_bookings(engine: AsyncEngine) -> None:
    """Fail with the pairs of ids when two held or confirmed bookings of one specialist
    overlap, whatever their hold expiry (a hold that ran out still counts until flipped)."""
    first, second = aliased(Booking), aliased(Booking)
    pairs = (
        select(first.id, second.id)
        .join(
            second,
            and_(
                second.specialist_id == first.specialist_id,
                second.id > first.id,
                second.starts_at < first.ends_at,
                second.ends_at > first.starts_at,
            ),
        )
        .where(first.status.in_(LIVE_STATUSES), second.status.in_(LIVE_STATUSES))
    )
    async with session_factory(engine)() as session:
        found = (await session.execute(pairs)).all()
    assert not found, f"overlapping live bookings (ids): {[tuple(p) for p in found]}"
