"""The public read-only API: services, specialists, free slots of a day, calendar days and the
next free slot. The objects are those of ``slotbot availability --json``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AfterValidator
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from slotbot.core.availability.directory import Offer, UnknownKey, load_directory, resolve_offer
from slotbot.core.availability.free import FreeTime
from slotbot.core.limits import KEY_MAX, KEY_PATTERN, bounded_date, check_key
from slotbot.core.storage.models import Service, Specialist
from slotbot.web.deps import NowDep, SessionDep
from slotbot.web.schemas import PROBLEMS, DayOut, ServiceOut, SlotOut, SpecialistOut
from slotbot.web.views import days_json, slot_json

router = APIRouter(prefix="/api/v1", tags=["availability"], responses=PROBLEMS)

ServiceKey = Annotated[
    str,
    Query(description="service key: 1 to 64 of a-z, 0-9, _ and -"),
    AfterValidator(check_key),
]
SpecialistKey = Annotated[
    str,
    Query(description="specialist key or `any`"),
    AfterValidator(check_key),
]
#: A date in the bookable range (``limits.bounded_date``); outside it, a 422 like any bad query.
BookableDate = Annotated[date, AfterValidator(bounded_date)]
MAX_DAYS = 62


async def _asked(
    session: SessionDep, now: NowDep, service: str, specialist: str
) -> tuple[FreeTime, Offer]:
    """Free time at ``now`` and what is asked about (404 for an unknown key): the versions
    from the engine's reader (no query through the pool), the rest from the process's
    cache when nothing changed."""
    free = FreeTime(session, now=now)
    directory = await load_directory(session, (await free.catalog()).version)
    try:
        return free, resolve_offer(directory, service_key=service, specialist_key=specialist)
    except UnknownKey as error:
        raise HTTPException(404, str(error)) from None


@router.get("/services")
async def services(session: SessionDep) -> list[ServiceOut]:
    """Active services with their names, duration and price."""
    rows = await session.scalars(
        select(Service).where(Service.is_active.is_(True)).order_by(Service.id)
    )
    return [
        ServiceOut(
            key=s.key,
            name=s.name,
            duration=s.duration_minutes,
            price=str(s.price) if s.price is not None else None,
            currency=s.currency,
        )
        for s in rows
    ]


@router.get("/specialists")
async def specialists(
    session: SessionDep,
    service: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=KEY_MAX,
            pattern=KEY_PATTERN,
            description="only those providing it",
        ),
    ] = None,
) -> list[SpecialistOut]:
    """Active specialists, with the keys of the active services each provides."""
    query = (
        select(Specialist)
        .where(Specialist.is_active.is_(True))
        .options(selectinload(Specialist.services))
        .order_by(Specialist.id)
    )
    if service is not None:
        found = await session.scalar(
            select(Service.id).where(Service.key == service, Service.is_active.is_(True))
        )
        if found is None:
            raise HTTPException(404, f"unknown service {service!r}")
        query = query.where(Specialist.services.any(Service.id == found))
    return [
        SpecialistOut(
            key=s.key,
            name=s.name,
            title=s.title,
            timezone=s.timezone,
            services=[v.key for v in sorted(s.services, key=lambda v: v.id) if v.is_active],
        )
        for s in await session.scalars(query)
    ]


@router.get("/availability/slots")
async def slots(
    session: SessionDep,
    now: NowDep,
    service: ServiceKey,
    day: Annotated[BookableDate, Query(description="local date, YYYY-MM-DD")],
    specialist: SpecialistKey = "any",
) -> list[SlotOut]:
    """Free slots of one local date."""
    free, offer = await _asked(session, now, service, specialist)
    found = await free.slots(offer.service.id, offer.specialist_ids, day)
    return [SlotOut(**slot_json(s, offer)) for s in found]


@router.get("/availability/days")
async def days(
    session: SessionDep,
    now: NowDep,
    service: ServiceKey,
    first: Annotated[BookableDate, Query(alias="from", description="first local date")],
    last: Annotated[BookableDate, Query(alias="to", description=f"at most {MAX_DAYS} days on")],
    specialist: SpecialistKey = "any",
) -> list[DayOut]:
    """Which local dates of [from, to] have at least one free slot."""
    if last < first or last - first > timedelta(days=MAX_DAYS):
        raise HTTPException(422, f"'to' must be on or after 'from' and at most {MAX_DAYS} days on")
    free, offer = await _asked(session, now, service, specialist)
    found = await free.days(offer.service.id, offer.specialist_ids, first, last)
    return [DayOut(**day) for day in days_json(found)]


@router.get("/availability/next")
async def next_slot(
    session: SessionDep, now: NowDep, service: ServiceKey, specialist: SpecialistKey = "any"
) -> SlotOut | None:
    """The earliest free slot within the booking horizon, or null."""
    free, offer = await _asked(session, now, service, specialist)
    slot = await free.soonest(offer.service.id, offer.specialist_ids)
    return SlotOut(**slot_json(slot, offer)) if slot else None
