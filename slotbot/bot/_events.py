"""Telegram updates as the dialog's events and visitors."""

from __future__ import annotations

from slotbot.bot._incoming import Sender, SharedContact
from slotbot.dialogs import commands
from slotbot.dialogs.commands import text_event
from slotbot.dialogs.events import Contact, Visitor

__all__ = ["COMMANDS", "SPECIALIST_COMMANDS", "contact_event", "text_event", "visitor"]

#: The commands the dialog starts from, in menu order (``dialogs.commands``).
COMMANDS = tuple(c.name for c in commands.CLIENT_COMMANDS)
#: The specialists' commands (answered politely for anyone else); the last three take dates.
SPECIALIST_COMMANDS = tuple(c.name for c in commands.SPECIALIST_COMMANDS)


def visitor(sender: Sender, chat_id: int) -> Visitor:
    """The Telegram user as the dialog knows them."""
    return Visitor(
        channel="telegram",
        key=str(sender.id),
        chat_id=chat_id,
        name=sender.full_name,
        language=sender.language_code,
    )


def contact_event(contact: SharedContact, sender: Sender | None) -> Contact:
    """A shared contact; ``own`` only when Telegram says it is the sender's."""
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    own = sender is not None and contact.user_id == sender.id
    return Contact(phone=contact.phone_number, name=name, own=own)
