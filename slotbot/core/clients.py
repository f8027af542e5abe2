"""Clients: finding them by what they tell us, creating them when new."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.db import writer
from slotbot.core.models import Client

_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidContact(ValueError):
    """A phone number or e-mail address that cannot be right."""


def normalise_phone(phone: str) -> str:
    """``+49 151 000-0001`` -> ``+491510000001``; raises :class:`InvalidContact`."""
    digits = re.sub(r"[\s().-]", "", phone)
    if not _PHONE.match(digits):
        raise InvalidContact(f"not a phone number: {phone!r}")
    return digits


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidContact(f"not an e-mail address: {email!r}")
    return email


async def client_by_phone(
    engine: AsyncEngine, *, name: str, phone: str, email: str | None = None, locale: str = "en"
) -> Client:
    """The client with this phone number, created if new; name and e-mail are updated."""
    phone = normalise_phone(phone)
    email = check_email(email) if email else None
    async with writer(engine) as session:
        client = await session.scalar(
            select(Client).where(Client.phone == phone).order_by(Client.id).limit(1)
        )
        if client is None:
            client = Client(phone=phone, locale=locale)
            session.add(client)
        client.name = name.strip() or client.name
        if email:
            client.email = email
        await session.flush()
        return client
