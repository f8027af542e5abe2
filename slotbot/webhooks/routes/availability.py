"""The public availability API: services, slots of a day, calendar days, next free slot."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import AfterValidator
from sqlalchemy import select

from slotbot.core.availability.calendars import (
    Offer,
    UnknownKey,
    calendar_days,
    day_slots,
    first_slot,
    resolve_offer,
)
from slotbot.core.limits import bounded_date, check_key
from slotbot.core.storage.models import Service
from slotbot.webhooks.deps import NowDep, SessionDep
from slotbot.webhooks.views import days_json, slot_json

router = APIRouter(prefix="/api")

ServiceKey = Annotated[str, Query(description="service key"), AfterValidator(check_key)]
SpecialistKey = Annotated[
    str, Query(description="specialist key or 'any'"), AfterValidator(check_key)
]
#: A date in the bookable range (``limits.bounded_date``); outside it, a 422 like any bad query.
BookableDate = Annotated[date, AfterValidator(bounded_date)]
MAX_DAYS = 62


async def _offer(session: SessionDep, service: str, specialist: str) -> Offer:
    try:
        return await resolve_offer(session, service_key=service, specialist_key=specialist)
    except UnknownKey as error:
        raise HTTPException(404, str(error)) from None


@router.get("/services")
async def services(session: SessionDep) -> list[dict[str, Any]]:
    """Active services with their names, duration and price."""
    rows = await session.scalars(
        select(Service).where(Service.is_active.is_(True)).order_by(Service.id)
    )
    return [
        {
            "key": s.key,
            "name": s.name,
            "duration": s.duration_minutes,
            "price": str(s.price) if s.price is not None else None,
            "currency": s.currency,
        }
        for s in rows
    ]


@router.get("/availability/slots")
async def slots(
    session: SessionDep,
    now: NowDep,
    service: ServiceKey,
    day: BookableDate,
    specialist: SpecialistKey = "any",
) -> list[dict[str, Any]]:
    """Free slots of one local date."""
    offer = await _offer(session, service, specialist)
    return [slot_json(s, offer) for s in await day_slots(session, offer, day, now=now)]


@router.get("/availability/days")
async def days(
    session: SessionDep,
    now: NowDep,
    service: ServiceKey,
    first: Annotated[BookableDate, Query(alias="from")],
    last: Annotated[BookableDate, Query(alias="to")],
    specialist: SpecialistKey = "any",
) -> list[dict[str, Any]]:
    """Which local dates of [from, to] have at least one free slot."""
    if last < first or last - first > timedelta(days=MAX_DAYS):
        raise HTTPException(422, f"'to' must be on or after 'from' and at most {MAX_DAYS} days on")
    offer = await _offer(session, service, specialist)
    return days_json(await calendar_days(session, offer, first, last, now=now))


@router.get("/availability/next")
async def next_slot(
    session: SessionDep, now: NowDep, service: ServiceKey, specialist: SpecialistKey = "any"
) -> dict[str, Any] | None:
    """The earliest free slot within the booking horizon, or null."""
    offer = await _offer(session, service, specialist)
    slot = await first_slot(session, offer, now=now)
    return slot_json(slot, offer) if slot else None
