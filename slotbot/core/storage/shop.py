"""Shop-wide facts read from the stored settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.storage.models import BusinessSetting, Specialist

__all__ = ["shop_timezone"]


async def shop_timezone(session: AsyncSession) -> ZoneInfo:
    """The shop's time zone: the import file's default, else the first specialist's, else UTC."""
    configured = await session.scalar(
        select(BusinessSetting.value).where(BusinessSetting.key == "timezone")
    )
    if isinstance(configured, str):
        return ZoneInfo(configured)
    first = await session.scalar(select(Specialist.timezone).order_by(Specialist.id).limit(1))
    return ZoneInfo(first or "UTC")
