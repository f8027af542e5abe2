"""Specialists' own Telegram accounts: recognised by ``telegram_user_id`` (from the import
file), or linked by opening a one-time deep link that ``slotbot specialist-link KEY`` prints."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.clients import LinkTokenExpired, LinkTokenUsed, UnknownLinkToken
from slotbot.core.storage.db import writer
from slotbot.core.storage.models import Specialist, SpecialistLinkToken

__all__ = ["LINK_PREFIX", "LINK_TTL", "issue_specialist_link", "redeem_specialist_link"]

#: Deep-link payloads that start with this link a specialist (client links have none).
LINK_PREFIX = "s-"
LINK_TTL = timedelta(days=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_specialist_link(
    engine: AsyncEngine, *, key: str, now: datetime, ttl: timedelta = LINK_TTL
) -> str:
    """A one-time deep-link payload (``s-`` and 43 url-safe characters) that links the
    specialist ``key`` to whoever opens it within ``ttl``. Raises ``LookupError`` for an
    unknown or inactive specialist."""
    token = secrets.token_urlsafe(32)
    async with writer(engine) as session:
        specialist_id = await session.scalar(
            select(Specialist.id).where(Specialist.key == key, Specialist.is_active.is_(True))
        )
        if specialist_id is None:
            raise LookupError(f"unknown specialist {key!r}")
        session.add(
            SpecialistLinkToken(
                token_hash=_hash(token), specialist_id=specialist_id, expires_at=now + ttl,
                created_at=now,
            )
        )  # fmt: skip
    return LINK_PREFIX + token


async def redeem_specialist_link(
    engine: AsyncEngine, *, payload: str, telegram_user_id: int, now: datetime
) -> Specialist:
    """Link the Telegram user to the specialist the payload was issued for, once.

    Raises :class:`~slotbot.core.clients.LinkTokenRefused` (unknown, used or expired).
    Another specialist linked to the same Telegram user is unlinked.
    """
    token = payload.removeprefix(LINK_PREFIX)
    token_hash = _hash(token) if len(token) <= 64 else ""
    async with writer(engine) as session:
        specialist_id = await session.scalar(
            update(SpecialistLinkToken)
            .where(
                SpecialistLinkToken.token_hash == token_hash,
                SpecialistLinkToken.used_at.is_(None),
                SpecialistLinkToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(SpecialistLinkToken.specialist_id)
        )
        if specialist_id is None:
            found = await session.scalar(
                select(SpecialistLinkToken).where(SpecialistLinkToken.token_hash == token_hash)
            )
            if found is None:
                raise UnknownLinkToken("this link is not valid; ask for a new one")
            if found.used_at is not None:
                raise LinkTokenUsed("this link was used already; ask for a new one")
            raise LinkTokenExpired("this link has expired; ask for a new one")
        await session.execute(
            update(Specialist)
            .where(Specialist.telegram_user_id == telegram_user_id, Specialist.id != specialist_id)
            .values(telegram_user_id=None)
        )
        await session.flush()
        specialist = await session.get(Specialist, specialist_id, with_for_update=True)
        assert specialist is not None
        specialist.telegram_user_id = telegram_user_id
        return specialist
