"""The ``slotbot`` command's one-off commands: init-db, import, availability, bookings, book,
cancel, reviews, demo (its data) and specialist-link. Each takes the engine and the parsed
arguments and returns what to print; the work is core's."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.bootstrap import database
from slotbot.cli.arguments import UsageError, local_start
from slotbot.cli.tables import (
    booking_line,
    bookings_table,
    days_table,
    next_line,
    ratings_table,
    refusal_text,
    slots_table,
)
from slotbot.core import booking
from slotbot.core.availability.directory import Offer, UnknownKey, load_directory, resolve_offer
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking.queries import BookingLine, list_bookings
from slotbot.core.booking.service import BookingRefused
from slotbot.core.booking.staff import book_by_phone
from slotbot.core.limits import LAST_DATE, bounded_range
from slotbot.core.settings import get_settings
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Service
from slotbot.core.storage.schema import ensure_current, upgrade
from slotbot.core.storage.shop import shop_timezone
from slotbot.web.views import booking_json, days_json, slot_json

__all__ = ["COMMANDS", "run"]


async def _init_db(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await upgrade(engine)
    return "database is at the newest schema"


async def _import(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.importing.importer import import_file

    await ensure_current(engine)
    report = await import_file(engine, args.file, max_bytes=get_settings().import_max_bytes)
    return report.summary()


async def _offer(session: AsyncSession, service_key: str, specialist_key: str | None) -> Offer:
    directory = await load_directory(session)
    return resolve_offer(directory, service_key=service_key, specialist_key=specialist_key)


async def _availability(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        offer = await _offer(session, args.service, args.specialist)
        free, ids = FreeTime(session, now=now), offer.specialist_ids
        if args.date is not None:
            slots = await free.slots(offer.service.id, ids, args.date)
            if args.json:
                return json.dumps([slot_json(s, offer) for s in slots])
            return slots_table(offer, args.date, slots)
        if args.days:
            if args.first is None or args.last is None:
                raise UsageError("--days needs --from and --to")
            if args.last < args.first:
                raise UsageError("--to is before --from")
            if (args.last - args.first).days > 366:
                raise UsageError("--from..--to spans more than a year")
            days = await free.days(offer.service.id, ids, args.first, args.last)
            return json.dumps(days_json(days)) if args.json else days_table(offer, days)
        slot = await free.soonest(offer.service.id, ids)
        if args.json:
            return json.dumps(slot_json(slot, offer) if slot else None)
        return next_line(offer, slot)


async def _bookings(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        zone = await shop_timezone(session)
        if args.date is not None:
            first = last = args.date
        else:
            first = args.first or now.astimezone(zone).date()
            last = args.last or min(first + timedelta(days=30), max(first, LAST_DATE))
        if last < first:
            raise UsageError("--to is before --from")
        bounded_range(first, last)
        lines = await list_bookings(
            session, first=first, last=last, zone=zone, now=now,
            specialist_key=args.specialist, statuses=args.status,
        )  # fmt: skip
    if args.json:
        return json.dumps([booking_json(line) for line in lines])
    return bookings_table(lines)


async def _line(engine: AsyncEngine, booking_id: int, now: datetime) -> BookingLine:
    async with session_factory(engine)() as session:
        found = await session.get(Booking, booking_id)
        assert found is not None
        zone = await shop_timezone(session)
        day = found.starts_at.astimezone(zone).date()
        lines = await list_bookings(session, first=day, last=day, zone=zone, now=now)
    return next(line for line in lines if line.booking.id == booking_id)


async def _book(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        offer = await _offer(session, args.service, args.specialist)
    anyone = args.specialist in (None, "any")
    try:
        booked = await book_by_phone(
            engine, service_id=offer.service.id,
            specialist_id=None if anyone else offer.specialist_ids[0],
            start=local_start(args.start, offer.timezone), name=args.name, phone=args.phone,
            email=args.email, now=now,
        )  # fmt: skip
    except BookingRefused as refusal:
        raise UsageError(refusal_text(refusal, offer.timezone)) from None
    line = await _line(engine, booked.id, now)
    return json.dumps(booking_json(line)) if args.json else booking_line(line)


async def _cancel(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    try:
        await booking.cancel(
            engine, booking_id=args.booking, by=args.by, reason=args.reason, now=now
        )
    except BookingRefused as refusal:
        raise UsageError(f"booking #{args.booking}: {refusal}") from None
    line = await _line(engine, args.booking, now)
    return json.dumps(booking_json(line)) if args.json else booking_line(line)


async def _reviews(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.notify.reviews import ratings

    await ensure_current(engine)
    async with session_factory(engine)() as session:
        found = await ratings(session)
    if args.json:
        return json.dumps([
            {"specialist": r.key, "name": r.name, "reviews": r.count,
             "average": str(r.average) if r.average is not None else None,
             "stars": list(r.stars)}
            for r in found
        ])  # fmt: skip
    return ratings_table(found)


async def _demo(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.demo import DEMO_FILE
    from slotbot.core.importing.importer import import_file

    await upgrade(engine)
    async with session_factory(engine)() as session:
        services = await session.scalar(select(func.count()).select_from(Service))
    if services:
        lines = [f"demo data: the database already has {services} services; left as it is"]
    else:
        report = await import_file(engine, DEMO_FILE)
        lines = [f"demo data: {report.summary()}"]
    async with session_factory(engine)() as session:
        for service_key in ("gp_consultation", "haircut", "personal_training"):
            try:
                offer = await _offer(session, service_key, "any")
            except UnknownKey:
                continue
            free = FreeTime(session, now=datetime.now(UTC))
            slot = await free.soonest(offer.service.id, offer.specialist_ids)
            lines.append(f"{service_key}: {next_line(offer, slot)}")
    lines.append("try: slotbot availability --service haircut --specialist any --next")
    return "\n".join(lines)


async def _bot_username() -> str:
    """The bot's @username from getMe, or "" without a token or an answer."""
    import httpx

    settings = get_settings()
    if not settings.telegram_token:
        return ""
    url = f"{settings.telegram_api_url}{settings.telegram_token}/getMe"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = (await client.get(url)).json()
    except (httpx.HTTPError, ValueError):
        return ""
    return str(answer.get("result", {}).get("username", "")) if answer.get("ok") else ""


async def _specialist_link(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.specialists import LINK_TTL, issue_specialist_link

    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    try:
        payload = await issue_specialist_link(engine, key=args.key, now=now)
    except LookupError as error:
        raise UsageError(f"unknown specialist {args.key!r}") from error
    until = (now + LINK_TTL).strftime("%Y-%m-%d %H:%M UTC")
    username = await _bot_username()
    if username:
        return (
            f"https://t.me/{username}?start={payload}\n"
            f"(open it in the specialist's Telegram; works once, until {until})"
        )
    return (
        f"/start {payload}\n(send this to the bot from the specialist's Telegram; works once, "
        f"until {until}; set SLOTBOT_TELEGRAM_TOKEN to get a t.me link)"
    )


COMMANDS: dict[str, Callable[[AsyncEngine, argparse.Namespace], Awaitable[str]]] = {
    "init-db": _init_db,
    "import": _import,
    "availability": _availability,
    "bookings": _bookings,
    "book": _book,
    "cancel": _cancel,
    "demo": _demo,
    "reviews": _reviews,
    "specialist-link": _specialist_link,
}


async def run(args: argparse.Namespace) -> str:
    """Run the one-off command ``args.command`` on the settings' database: what to print."""
    async with database(get_settings(), current=False) as engine:
        return await COMMANDS[args.command](engine, args)
