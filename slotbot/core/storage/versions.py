"""The counters that database triggers move: the catalog's (migration 0003) and busy
time's (migration 0011), as scalar subqueries that read 0 when their row is missing.

Processes compare them with what they cached: see :mod:`slotbot.core.availability.catalog`
and :mod:`slotbot.core.availability.cache`.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, cast, func, select

from slotbot.core.storage.models import BookingsState, BusyVersion, CatalogState

__all__ = ["BOOKINGS_VERSION", "BUSY_CHANGED", "CATALOG_VERSION", "busy_changed"]

#: Moves on every change to services, specialists, schedules, overrides and settings.
CATALOG_VERSION = func.coalesce(
    select(CatalogState.version).where(CatalogState.id == 1).scalar_subquery(), 0
)
#: Moves on every change of busy time: bookings and blocks.
BOOKINGS_VERSION = func.coalesce(
    select(BookingsState.version).where(BookingsState.id == 1).scalar_subquery(), 0
)
#: Each specialist whose busy time changed after bookings version ``b_busy_since``, with
#: its busy version, as ``"id:version,..."`` (``NULL`` when none did): one column, so a
#: one-row read can carry it (as the dialog's session load does).
BUSY_CHANGED = (
    select(
        func.aggregate_strings(
            cast(BusyVersion.specialist_id, String) + ":" + cast(BusyVersion.version, String), ","
        )
    )
    .where(BusyVersion.version > bindparam("b_busy_since", type_=Integer))
    .scalar_subquery()
)


def busy_changed(text: str | None) -> dict[int, int]:
    """:data:`BUSY_CHANGED` as read: specialist id -> busy version."""
    if not text:
        return {}
    pairs = (pair.split(":") for pair in text.split(","))
    return {int(specialist): int(version) for specialist, version in pairs}
