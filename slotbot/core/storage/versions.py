"""The counters that database triggers move: the catalog's (migration 0003) and busy
time's (migration 0011), as scalar subqueries that read 0 when their row is missing.

Processes compare them with what they cached: see :mod:`slotbot.core.availability.catalog`
and :mod:`slotbot.core.availability.cache`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from slotbot.core.storage.models import BookingsState, CatalogState

__all__ = ["BOOKINGS_VERSION", "CATALOG_VERSION"]

#: Moves on every change to services, specialists, schedules, overrides and settings.
CATALOG_VERSION = func.coalesce(
    select(CatalogState.version).where(CatalogState.id == 1).scalar_subquery(), 0
)
#: Moves on every change of busy time: bookings and blocks.
BOOKINGS_VERSION = func.coalesce(
    select(BookingsState.version).where(BookingsState.id == 1).scalar_subquery(), 0
)
