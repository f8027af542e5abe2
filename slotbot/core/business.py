"""The shop's own details (DESIGN.md section 8, ``business:``): its name per locale, address,
contact phone and a map link, all optional. The import file sets them; they are kept in
``business_settings`` under :data:`BUSINESS_KEY` and shown on Confirm, Done, Help, in
reminders and as the calendar entry's location."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.clients import display_phone
from slotbot.core.i18n import Texts
from slotbot.core.storage.models import BusinessSetting

__all__ = ["BUSINESS_KEY", "Business", "load_business"]

BUSINESS_KEY = "business"


@dataclass(frozen=True, slots=True)
class Business:
    """What the import file says about the shop; every field may be missing."""

    names: Mapping[str, str] = field(default_factory=dict)
    address: str = ""
    phone: str = ""  # E.164
    map_url: str = ""

    @classmethod
    def from_stored(cls, value: Any) -> Business:
        """The business as ``business_settings`` keeps it (anything unreadable is empty)."""
        if not isinstance(value, dict):
            return cls()
        names = value.get("name")
        return cls(
            names=dict(names) if isinstance(names, dict) else {},
            address=str(value.get("address") or ""),
            phone=str(value.get("phone") or ""),
            map_url=str(value.get("map_url") or ""),
        )

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names.get("en") or next(iter(self.names.values()), "")

    def location(self, locale: str) -> str:
        """``Riverside Clinic, Flussstraße 1, 10115 Berlin``: a calendar entry's LOCATION."""
        return ", ".join(part for part in (self.name(locale), self.address) if part)

    def lines(self, t: Texts) -> list[str]:
        """Name, address and phone as lines of a message, in ``t``'s language."""
        _ = t.gettext
        lines = [self.name(t.locale)] if self.names else []
        if self.address:
            lines.append(_("Address: {address}").format(address=self.address))
        if self.phone:
            lines.append(_("Our phone: {phone}").format(phone=display_phone(self.phone)))
        return lines

    def details(self, t: Texts) -> str:
        """A calendar entry's description: how to reach the shop (its phone, the map)."""
        _ = t.gettext
        lines = []
        if self.phone:
            lines.append(_("Our phone: {phone}").format(phone=display_phone(self.phone)))
        if self.map_url:
            lines.append(_("Map: {url}").format(url=self.map_url))
        return "\n".join(lines)


async def load_business(session: AsyncSession) -> Business:
    """The shop's details as last imported."""
    stored = await session.scalar(
        select(BusinessSetting.value).where(BusinessSetting.key == BUSINESS_KEY)
    )
    return Business.from_stored(stored)
