""" "Continue in Telegram": a web visitor's bookings handed over to a Telegram account.

The widget gives its visitor a one-time link (:func:`issue_link_token`, valid for a day,
only its SHA-256 stored). The Telegram account that opens it first is the only one the link
serves from then on (:func:`open_link`); it is shown what the link brings and accepts
(:func:`accept`) or declines (:func:`decline`), and either answer spends the link.

Accepting moves the web client's confirmed, not yet ended bookings **to** the Telegram
account's own client, never the other way: the web session keeps pointing at its own
client, which never gains the Telegram identity, so it can never see, cancel or move what
the Telegram account had or books later. Nothing of the web client's contact details is
copied either: a number typed on a website proves nothing, and copying it would let
whoever sends a link redirect someone's SMS reminders. The moved bookings' reminders are
readdressed to the Telegram account (its chat, and its own phone and e-mail).

A declined link is spent too, rather than left for another try: whoever declined may have
been sent it by mistake, and the web visitor can make a new link in one press.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability.directory import ClientBooking, client_bookings
from slotbot.core.clients import (
    ClientNotFound,
    LinkTokenExpired,
    LinkTokenUsed,
    UnknownLinkToken,
    token_hash,
)
from slotbot.core.notify.outbox import NOTIFICATIONS, Kind, plan_confirmed, write
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    LinkToken,
    NotificationStatus,
    Specialist,
)
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session

__all__ = [
    "LINK_TOKEN_TTL",
    "Offer",
    "accept",
    "decline",
    "issue_link_token",
    "offered",
    "open_link",
]

LINK_TOKEN_TTL = timedelta(days=1)
#: What a moved booking still has coming to its client: sent to the new owner instead.
_READDRESSED = (Kind.REMINDER_24H, Kind.REMINDER_2H, Kind.REVIEW_REQUEST)


@dataclass(frozen=True, slots=True)
class Offer:
    """What an opened link brings: its hash (to answer it by) and the bookings."""

    token_hash: str
    bookings: list[ClientBooking]


async def issue_link_token(
    engine: AsyncEngine,
    *,
    client_id: int,
    now: datetime,
    ttl: timedelta = LINK_TOKEN_TTL,
    uow: UnitOfWork | None = None,
) -> str:
    """A one-time token that hands this (web) client's bookings to a Telegram account.

    43 characters of ``[A-Za-z0-9_-]`` (256 random bits), so it fits a Telegram
    ``/start`` deep-link payload (at most 64). Only its SHA-256 is stored.
    """
    token = secrets.token_urlsafe(32)
    # no savepoint: the refusal comes before anything is written
    async with write_session(engine, uow, savepoint=False) as session:
        if await session.get(Client, client_id) is None:
            raise ClientNotFound(f"no client #{client_id}")
        session.add(LinkToken(token_hash=token_hash(token), client_id=client_id,
                              expires_at=now + ttl, created_at=now))  # fmt: skip
    return token


async def _refusal(session: AsyncSession, stored: str) -> Exception:
    """Why the link with this hash serves nobody (more) here."""
    found = (
        await session.execute(select(LinkToken.used_at).where(LinkToken.token_hash == stored))
    ).first()
    if found is None:
        return UnknownLinkToken("this link is not valid; ask for a new one")
    if found.used_at is not None:
        return LinkTokenUsed("this link was used already; ask for a new one")
    return LinkTokenExpired("this link has expired or was opened elsewhere; ask for a new one")


def _serves(stored: str, telegram_user_id: int, now: datetime) -> ColumnElement[bool]:
    """The link with this hash, while it still serves this Telegram account."""
    return and_(
        LinkToken.token_hash == stored,
        LinkToken.used_at.is_(None),
        LinkToken.expires_at > now,
        LinkToken.opened_by == telegram_user_id,
    )


async def _bookings(session: AsyncSession, client_id: int, now: datetime) -> list[ClientBooking]:
    upcoming, _past = await client_bookings(session, client_id, now=now, past_limit=0)
    return upcoming


async def open_link(
    engine: AsyncEngine,
    *,
    token: str,
    telegram_user_id: int,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> Offer:
    """Open a link in a Telegram account: the first account to open it is the only one it
    serves; that account may open it again until it answers. Returns what it brings.
    Raises a :class:`~slotbot.core.clients.LinkTokenRefused` for anyone else, and for an
    unknown, used or expired link."""
    stored = token_hash(token)
    # no savepoint: a refused link was not written to
    async with write_session(engine, uow, savepoint=False) as session:
        client_id = await session.scalar(
            update(LinkToken)
            .where(
                LinkToken.token_hash == stored,
                LinkToken.used_at.is_(None),
                LinkToken.expires_at > now,
                (LinkToken.opened_by.is_(None)) | (LinkToken.opened_by == telegram_user_id),
            )
            .values(opened_by=telegram_user_id)
            .returning(LinkToken.client_id)
        )
        if client_id is None:
            raise await _refusal(session, stored)
        return Offer(stored, await _bookings(session, client_id, now))


async def offered(
    session: AsyncSession,
    *,
    token_hash: str,
    telegram_user_id: int,
    booking_ids: Sequence[int],
    now: datetime,
) -> list[ClientBooking] | None:
    """Of the bookings an offer listed, those the link can still bring (``None`` when the
    link no longer serves this account)."""
    client_id = await session.scalar(
        select(LinkToken.client_id).where(_serves(token_hash, telegram_user_id, now))
    )
    if client_id is None:
        return None
    return [b for b in await _bookings(session, client_id, now) if b.id in booking_ids]


async def accept(
    engine: AsyncEngine,
    *,
    token_hash: str,
    telegram_user_id: int,
    client_id: int,
    booking_ids: Sequence[int],
    now: datetime,
    uow: UnitOfWork | None = None,
) -> list[int]:
    """Move the listed bookings that are still the web client's and still ahead to
    ``client_id`` (the Telegram account's own client) and spend the link, in one
    transaction; the ids moved. Raises a :class:`~slotbot.core.clients.LinkTokenRefused`
    when the link no longer serves this account."""
    async with write_session(engine, uow) as session:
        web_client = await session.scalar(
            update(LinkToken)
            .where(_serves(token_hash, telegram_user_id, now))
            .values(used_at=now)
            .returning(LinkToken.client_id)
        )
        if web_client is None:
            raise await _refusal(session, token_hash)
        owner = await session.get(Client, client_id, with_for_update=True)
        if owner is None or owner.telegram_user_id != telegram_user_id:
            raise ClientNotFound(f"no client #{client_id} for this Telegram account")
        moving = list(
            await session.scalars(
                select(Booking)
                .where(
                    Booking.id.in_(list(booking_ids)),
                    Booking.client_id == web_client,
                    Booking.status == BookingStatus.CONFIRMED,
                    Booking.ends_at > now,
                )
                .order_by(Booking.id)
                .with_for_update()
            )
        )
        for booking in moving:
            booking.client_id = owner.id
        await session.flush()
        await _readdress(session, moving, owner, now)
        return [b.id for b in moving]


async def decline(
    engine: AsyncEngine,
    *,
    token_hash: str,
    telegram_user_id: int,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> None:
    """Spend the link without moving anything (a link that no longer serves this account
    is left as it is)."""
    async with write_session(engine, uow, savepoint=False) as session:  # one statement
        await session.execute(
            update(LinkToken).where(_serves(token_hash, telegram_user_id, now)).values(used_at=now)
        )


async def _readdress(
    session: AsyncSession, moved: Sequence[Booking], owner: Client, now: datetime
) -> None:
    """The reminders and review requests still to come for ``moved`` go to ``owner``'s
    addresses; those planned for the web client's are withdrawn."""
    if not moved:
        return
    specialists = {
        s.id: s
        for s in await session.scalars(
            select(Specialist).where(Specialist.id.in_({b.specialist_id for b in moved}))
        )
    }
    rows = [
        row
        for booking in moved
        for row in plan_confirmed(booking, owner, specialists[booking.specialist_id], now=now)
        if row["kind"] in _READDRESSED
    ]
    await session.execute(
        update(NOTIFICATIONS)
        .where(
            NOTIFICATIONS.c.booking_id.in_([b.id for b in moved]),
            NOTIFICATIONS.c.status == NotificationStatus.PENDING,
            NOTIFICATIONS.c.kind.in_(list(_READDRESSED)),
            NOTIFICATIONS.c.dedupe_key.not_in([row["dedupe_key"] for row in rows] or [""]),
        )
        .values(status=NotificationStatus.CANCELLED)
    )
    await write(session, rows)
