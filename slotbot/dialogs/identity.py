"""Who the client is: found or created from the channel's identity, never from a phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.db import writer
from slotbot.core.models import Client
from slotbot.dialogs.events import Visitor

__all__ = ["client_for"]


async def client_for(engine: AsyncEngine, visitor: Visitor, locale: str) -> Client:
    """The client behind a channel identity, created on first contact."""
    async with writer(engine) as session:
        key = f"{visitor.channel}:{visitor.key}"[:64]
        if visitor.channel == "telegram":
            found = select(Client).where(Client.telegram_user_id == int(visitor.key))
        else:
            found = select(Client).where(Client.web_session_id == key)
        client = await session.scalar(found)
        if client is None:
            client = Client(locale=locale, name=visitor.name[:100] or None)
            if visitor.channel == "telegram":
                client.telegram_user_id = int(visitor.key)
            else:
                client.web_session_id = key
            session.add(client)
        if visitor.chat_id is not None:
            client.telegram_chat_id = visitor.chat_id
        await session.flush()
        return client


class InvalidContactInput(ValueError):
    """Typed contact details that cannot be used; the message says why."""


async def save_contact(
    engine: AsyncEngine, client_id: int, *, name: str | None = None, phone: str | None = None
) -> None:
    """Store a name or phone number on this client (and no other)."""
    import phonenumbers

    async with writer(engine) as session:
        client = await session.get(Client, client_id)
        assert client is not None
        if name is not None:
            client.name = name
        if phone is not None:
            try:
                parsed = phonenumbers.parse(phone, "DE")
            except phonenumbers.NumberParseException:
                raise InvalidContactInput(phone) from None
            if not phonenumbers.is_valid_number(parsed):
                raise InvalidContactInput(phone)
            client.phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def save_locale(engine: AsyncEngine, client_id: int, locale: str) -> None:
    """Remember the client's language."""
    async with writer(engine) as session:
        client = await session.get(Client, client_id)
        if client is not None:
            client.locale = locale
