"""Specialists' own Telegram accounts: recognised by ``telegram_user_id`` (from the import
file), or linked by opening a one-time deep link that ``slotbot specialist-link KEY`` prints."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.clients import spend_token, token_hash
from slotbot.core.storage.db import writer
from slotbot.core.storage.models import Specialist, SpecialistLinkToken
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session

__all__ = [
    "LINK_PREFIX", "LINK_TTL", "issue_specialist_link", "record_chat_locale",
    "redeem_specialist_link",
]  # fmt: skip

#: Deep-link payloads that start with this link a specialist (client links have none).
LINK_PREFIX = "s-"
LINK_TTL = timedelta(days=1)


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
                token_hash=token_hash(token), specialist_id=specialist_id, expires_at=now + ttl,
                created_at=now,
            )
        )  # fmt: skip
    return LINK_PREFIX + token


async def redeem_specialist_link(
    engine: AsyncEngine, *, payload: str, telegram_user_id: int, now: datetime,
    chat_locale: str | None = None,
    uow: UnitOfWork | None = None,
) -> Specialist:  # fmt: skip
    """Link the Telegram user to the specialist the payload was issued for, once, and
    record the chat's language (``chat_locale``) as theirs.

    Raises :class:`~slotbot.core.clients.LinkTokenRefused` (unknown, used or expired).
    Another specialist linked to the same Telegram user is unlinked.
    """
    token = payload.removeprefix(LINK_PREFIX)
    async with writer(engine) as session:
        specialist_id = await spend_token(
            session, SpecialistLinkToken, SpecialistLinkToken.specialist_id, token, now
        )
        await session.execute(
            update(Specialist)
            .where(Specialist.telegram_user_id == telegram_user_id, Specialist.id != specialist_id)
            .values(telegram_user_id=None)
        )
        await session.flush()
        specialist = await session.get(Specialist, specialist_id, with_for_update=True)
        assert specialist is not None
        specialist.telegram_user_id = telegram_user_id
        specialist.chat_locale = chat_locale or specialist.chat_locale
        return specialist


async def record_chat_locale(
    engine: AsyncEngine, *, specialist_id: int, locale: str, uow: UnitOfWork | None = None
) -> None:
    """Remember the language of a specialist's Telegram chat: their notices, agenda and
    time-off screens follow it unless the import file sets their ``locale``. Writes only
    when it changed (a change moves the catalog version, as every specialist's does)."""
    async with write_session(engine, uow, savepoint=False) as session:  # one statement
        await session.execute(
            update(Specialist)
            .where(
                Specialist.id == specialist_id,
                or_(Specialist.chat_locale.is_(None), Specialist.chat_locale != locale),
            )
            .values(chat_locale=locale)
        )
