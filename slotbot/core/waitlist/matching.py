"""Finding freed time for waiting clients: a periodic job (``core.jobs``, every minute).

How freed time is detected: by looking, not by being told. Each run asks the slot engine for
the free times in every live entry's range (one load of busy time per distinct range) and
compares them with the times already recorded for that entry (``waitlist_offers``): a time
free now that the entry has neither been offered nor seen when it joined has freed up since.
So every way time frees up is caught without any code path having to report it: a client's
or specialist's cancellation, a move away, a hold released or run out, a block or day off
taken away, a re-import that opens hours, a new colleague for "anyone". A transition-written
"time freed" row would have to be added to each of those paths, and still could not say
which slots a re-import opened; it would also offer time that was taken again before the job
ran. Looking costs one availability pass per range a minute, done in one write transaction.

A freed time is offered, in the order the entries were made, to ``offer_batch`` waiting
clients at once (business setting, default 3); while it stays free, the next batch gets it
``next_batch_after`` (default 15 minutes) after the last. Each entry is offered each time at
most once (a unique row per entry and start), never a time that clashes with the client's own
bookings, and a client who already holds or booked the service in the range is not offered
more. The offers of one entry in one run go out as one outbox row per channel; what it says
is checked again against the free time when it is sent (:mod:`.notice`).

Several processes may run the job at once: on SQLite the write transactions take turns; on
PostgreSQL the unique row per entry and start lets only one of them record an offer, and
only the process that recorded it writes its outbox rows (whose dedupe keys hold anyway).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.engine import Busy, BusyIndex, Slot
from slotbot.core.booking.sql import live
from slotbot.core.clients import ClientDetails
from slotbot.core.notify.outbox import Kind, Row, write
from slotbot.core.storage.db import writer
from slotbot.core.storage.models import (
    Booking,
    Client,
    NotificationChannel,
    NotificationStatus,
    WaitlistEnd,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from slotbot.core.waitlist.entries import Waiting, WaitlistSettings, waiting, waitlist_settings
from slotbot.core.waitlist.free import free_slots

__all__ = ["MAX_TIMES_PER_MESSAGE", "Matched", "match", "offer_channels"]

W, OFFERS = WaitlistEntry, WaitlistOffer
#: How a widget client's ``web_session_id`` starts (``dialogs.identity``): the rest is the
#: widget session, whose conversation log the ``web`` channel writes into.
WEB_PREFIX = "web:"
#: The most freed times one message offers (more go out in a later run).
MAX_TIMES_PER_MESSAGE = 6


@dataclass(slots=True)
class Matched:
    """What one run did."""

    ended: int = 0  # entries whose range passed or whose service is gone
    offers: int = 0  # freed times offered
    messages: int = 0  # outbox rows written


def offer_channels(entry: Waiting, client: Client | ClientDetails) -> list[tuple[str, str]]:
    """Where an entry's offers go: the chat it joined in (Telegram, or the widget's log, with
    an SMS or else an e-mail beside the widget, which the client may have closed), or by
    SMS or else e-mail (a link in either)."""
    found: list[tuple[str, str]] = []
    if entry.channel == "telegram" and client.telegram_chat_id is not None:
        return [(NotificationChannel.TELEGRAM, str(client.telegram_chat_id))]
    session = client.web_session_id or ""
    if entry.channel == "web" and session.startswith(WEB_PREFIX):  # the widget session's log
        found.append((NotificationChannel.WEB, session.removeprefix(WEB_PREFIX)))
    if client.phone:
        found.append((NotificationChannel.SMS, client.phone))
    elif client.email:
        found.append((NotificationChannel.EMAIL, client.email))
    return found


async def _end_stale(session: AsyncSession, entries: list[Waiting], now: datetime) -> int:
    """End the entries whose range is over or whose service (or specialist) is not offered."""
    catalog = await catalogs.fresh(session)
    ended = 0
    for reason, ids in (
        (WaitlistEnd.PASSED, [e.id for e in entries if e.passed(now)]),
        (
            WaitlistEnd.WITHDRAWN,
            [
                e.id for e in entries
                if not e.passed(now) and (
                    not catalog.providers(e.service_id)
                    or (e.specialist_id is not None
                        and e.specialist_id not in catalog.providers(e.service_id))
                )
            ],
        ),
    ):  # fmt: skip
        if ids:
            result = await session.execute(
                update(W)
                .where(W.id.in_(ids), W.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason)
            )
            ended += cast(CursorResult[Any], result).rowcount
    return ended


@dataclass(frozen=True, slots=True)
class _Own:
    """A waiting client's own live bookings: their time, and the services they are for."""

    busy: BusyIndex
    services: tuple[tuple[int, datetime], ...]  # (service, start) of each


async def _own_bookings(
    session: AsyncSession, client_ids: set[int], now: datetime
) -> dict[int, _Own]:
    """Each waiting client's live bookings that have not ended, in one query."""
    rows = await session.execute(
        select(Booking.client_id, Booking.service_id, Booking.starts_at, Booking.ends_at).where(
            Booking.client_id.in_(client_ids), Booking.ends_at > now, live(now)
        )
    )
    found: dict[int, list[tuple[int, datetime, datetime]]] = defaultdict(list)
    for client_id, service_id, start, end in rows.all():
        found[client_id].append((service_id, start, end))
    return {
        cid: _Own(
            BusyIndex(Busy(start, end) for _s, start, end in found[cid]),
            tuple((service, start) for service, start, _e in found[cid]),
        )
        for cid in client_ids
    }


def _booked_already(entry: Waiting, own: _Own) -> bool:
    """Whether the client holds or booked the entry's service within its range (a hold
    placed from an offer, say): such an entry is offered nothing more."""
    return any(svc == entry.service_id and entry.wants(start) for svc, start in own.services)


def _recorded(
    rows: list[Any],
) -> tuple[set[tuple[int, datetime]], dict[tuple[int, datetime], datetime]]:
    """(entry, start) pairs already recorded, and the last offer of each (specialist, start)."""
    pairs: set[tuple[int, datetime]] = set()
    last_offer: dict[tuple[int, datetime], datetime] = {}
    for entry_id, specialist_id, start, status, created in rows:
        pairs.add((entry_id, start))
        if status == WaitlistOfferStatus.OFFERED:
            key = (specialist_id, start)
            last_offer[key] = max(created, last_offer.get(key, created))
    return pairs, last_offer


def plan_offers(
    entries: list[Waiting],
    free: dict[int, list[Slot]],
    own: dict[int, BusyIndex],
    recorded: set[tuple[int, datetime]],
    last_offer: dict[tuple[int, datetime], datetime],
    settings: WaitlistSettings,
    now: datetime,
) -> dict[int, list[tuple[int, datetime]]]:
    """Pure: which (specialist, start) each entry is offered now, entries in the order they
    were made; each freed time to at most ``offer_batch`` entries per batch, the next batch
    once ``next_batch_after`` passed since the last offer of it."""
    given: dict[tuple[int, datetime], int] = defaultdict(int)
    planned: dict[int, list[tuple[int, datetime]]] = {}
    for entry in sorted(entries, key=lambda e: (e.created_at, e.id)):
        busy = own.get(entry.client_id, BusyIndex())
        times: list[tuple[int, datetime]] = []
        for slot in free.get(entry.id, ()):
            if len(times) >= MAX_TIMES_PER_MESSAGE:
                break
            if (entry.id, slot.start) in recorded or not entry.wants(slot.start):
                continue
            if busy.overlaps(slot.start, slot.end):
                continue
            for specialist_id in slot.specialist_ids:
                key = (specialist_id, slot.start)
                earlier = last_offer.get(key)
                if earlier is not None and now - earlier < settings.next_batch_after:
                    continue  # this batch still has it
                if given[key] >= settings.offer_batch:
                    continue
                given[key] += 1
                times.append(key)
                break
        if times:
            planned[entry.id] = times
    return planned


def _message_rows(entry: Waiting, client: Client, offer_ids: list[int], now: datetime) -> list[Row]:
    payload = {"entry": entry.id, "offers": offer_ids}
    return [
        {
            "booking_id": None, "kind": Kind.WAITLIST_OFFER, "channel": channel,
            "recipient": to, "payload": payload, "due_at": now, "next_attempt_at": now,
            "status": NotificationStatus.PENDING, "attempts": 0,
            "dedupe_key": f"waitlist:{entry.id}:{offer_ids[0]}:{channel}:{to}",
            "created_at": now,
        }
        for channel, to in offer_channels(entry, client)
    ]  # fmt: skip


async def match(engine: AsyncEngine, *, now: datetime) -> Matched:
    """One run: end what is over, offer freed time to the waiting entries (see the module)."""
    tally = Matched()
    async with writer(engine) as session:
        rows = await session.scalars(select(W).where(W.ended_at.is_(None)))
        entries = [waiting(r) for r in rows]
        tally.ended = await _end_stale(session, entries, now)
        catalog = await catalogs.fresh(session)
        entries = [
            e for e in entries
            if not e.passed(now) and e.service_id in catalog.services
            and catalog.providers(e.service_id)
            and (e.specialist_id is None or e.specialist_id in catalog.providers(e.service_id))
        ]  # fmt: skip
        if not entries:
            return tally
        mine = await _own_bookings(session, {e.client_id for e in entries}, now)
        entries = [e for e in entries if not _booked_already(e, mine[e.client_id])]
        # one pass of the slot engine per service and specialist (or anyone), over the days
        # all their entries span; each entry keeps its own days and hours (``wants``)
        spans: dict[tuple[int, int | None], tuple[date, date]] = {}
        for entry in entries:
            key = (entry.service_id, entry.specialist_id)
            first, last = spans.get(key, (entry.first_day, entry.last_day))
            spans[key] = (min(first, entry.first_day), max(last, entry.last_day))
        ranges: dict[tuple[int, int | None], list[Slot]] = {}
        for (service_id, specialist_id), (first, last) in spans.items():
            ranges[service_id, specialist_id] = await free_slots(
                session, service_id=service_id, specialist_id=specialist_id, first=first,
                last=last, now=now,
            )  # fmt: skip
        free = {e.id: ranges[e.service_id, e.specialist_id] for e in entries}
        starts = {s.start for slots in free.values() for s in slots}
        recorded_rows: list[Any] = []
        if starts:
            columns = (OFFERS.entry_id, OFFERS.specialist_id, OFFERS.starts_at, OFFERS.status)
            recorded_rows = list(
                await session.execute(
                    select(*columns, OFFERS.created_at).where(OFFERS.starts_at.in_(starts))
                )
            )
        recorded, last_offer = _recorded(recorded_rows)
        own = {cid: found.busy for cid, found in mine.items()}
        settings = await waitlist_settings(session)
        planned = plan_offers(entries, free, own, recorded, last_offer, settings, now)
        if not planned:
            return tally
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        by_id = {e.id: e for e in entries}
        clients = {
            c.id: c
            for c in await session.scalars(
                select(Client).where(Client.id.in_({by_id[i].client_id for i in planned}))
            )
        }
        outbox: list[Row] = []
        for entry_id, times in planned.items():
            ids: list[int] = []
            for specialist_id, start in times:
                inserted = await session.scalar(
                    insert(OFFERS)
                    .values(
                        entry_id=entry_id, specialist_id=specialist_id, starts_at=start,
                        status=WaitlistOfferStatus.OFFERED, created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["entry_id", "starts_at"])
                    .returning(OFFERS.id)
                )  # fmt: skip
                if inserted is not None:  # another run recorded it first: its offer
                    ids.append(inserted)
            if ids:
                tally.offers += len(ids)
                entry = by_id[entry_id]
                outbox += _message_rows(entry, clients[entry.client_id], ids, now)
        await write(session, outbox)
        tally.messages = len(outbox)
    return tally
