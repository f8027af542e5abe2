"""Plain-value views of availability answers, shared by the CLI and the HTTP API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slotbot.core.availability.directory import Offer
from slotbot.core.availability.engine import Slot
from slotbot.core.booking.queries import BookingLine


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


def booking_json(line: BookingLine) -> dict[str, Any]:
    """A booking line for scripts: ISO UTC instants and keys."""
    b = line.booking
    return {
        "id": b.id,
        "status": b.status,
        "service": line.service.key,
        "specialist": line.specialist.key,
        "start": iso_utc(b.starts_at),
        "end": iso_utc(b.ends_at),
        "timezone": line.specialist.timezone,
        "client": {"id": line.client.id, "name": line.client.name, "phone": line.client.phone},
        "channel": b.channel,
        "hold_expires_at": iso_utc(b.hold_expires_at) if b.hold_expires_at else None,
        "cancel_reason": b.cancel_reason,
        "cancelled_by": b.cancelled_by,
    }
