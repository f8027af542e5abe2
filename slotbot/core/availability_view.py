"""Plain-value views of availability answers, shared by the CLI and the HTTP API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slotbot.core.availability import Slot
from slotbot.core.calendars import Offer


def iso_utc(instant: datetime) -> str:
    """``2026-12-01T08:00:00Z``."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def slot_json(slot: Slot, offer: Offer) -> dict[str, Any]:
    """``{"start", "end", "specialists"}`` with ISO UTC instants and specialist keys."""
    return {
        "start": iso_utc(slot.start),
        "end": iso_utc(slot.end),
        "specialists": [offer.keys[i] for i in slot.specialist_ids],
    }


def days_json(days: dict[date, bool]) -> list[dict[str, Any]]:
    """``[{"date": "2026-12-01", "available": true}, ...]`` in date order."""
    return [{"date": day.isoformat(), "available": free} for day, free in sorted(days.items())]
