"""Telegram updates read into small values of our own: what the handlers use, checked.

python-telegram-bot's ``Update.de_json`` builds a frozen object for every part of an update
(the sender, the chat, the pressed message with its keyboard and entities...), which the
handlers mostly never read: reading a button press that way took ~0.1 ms of CPU, 25 times
``json.loads``. :func:`read_update` takes only what the handlers use and checks its type as
it goes, so an update read is one the handlers can answer: one that lacks a part they use,
or has it of the wrong type, or a number beyond the Bot API's 64 bits, is
:class:`Unreadable` (the webhook logs it and answers 200), never a half value that fails
later in a turn. What it does not use is not looked at: update kinds we do not handle, and
messages in groups and channels, come out as :class:`Ignored` whatever they hold.

Which update is which follows the handlers as python-telegram-bot dispatched them: a
callback query is a :class:`ButtonPress` in any chat; a ``message`` (not an edit) in a
private chat is a :class:`ChatMessage`; everything else is :class:`Ignored`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ButtonPress",
    "ChatMessage",
    "Ignored",
    "Incoming",
    "Pressed",
    "Sender",
    "SharedContact",
    "Unreadable",
    "read_update",
]

#: The Bot API's integers are signed 64-bit.
_INT_MIN, _INT_END = -(2**63), 2**63


class Unreadable(ValueError):
    """The update lacks a part the handlers use, or has it of the wrong type."""


@dataclass(frozen=True, slots=True)
class Sender:
    """The Telegram user an update comes from."""

    id: int
    full_name: str
    language_code: str  # "" when Telegram did not say


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A contact card shared in the chat; ``user_id`` only when it is a Telegram user's."""

    phone_number: str
    first_name: str
    last_name: str
    user_id: int | None


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message under which a button was pressed, as far as editing it needs."""

    chat_id: int
    message_id: int
    has_text: bool  # False for a document or photo: its caption cannot be edited as text


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A callback query. ``chat_id`` is the pressed message's chat, else (no message, or one
    Telegram no longer gives us) the sender's private chat; ``data`` is None without any."""

    update_id: int
    query_id: str
    data: str | None
    sender: Sender
    chat_id: int
    pressed: Pressed | None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A new message in a private chat with the bot: a contact, text ("" for none: a
    sticker, a photo...)."""

    update_id: int
    chat_id: int
    sender: Sender
    text: str
    contact: SharedContact | None


@dataclass(frozen=True, slots=True)
class Ignored:
    """An update the handlers do not answer; ``what`` names its parts, for the log."""

    update_id: int
    what: str


Incoming = ButtonPress | ChatMessage | Ignored


def read_update(data: Any) -> Incoming:
    """The update in ``data`` (the Bot API's JSON, parsed); :class:`Unreadable` if it is not
    one the handlers can take."""
    update = _object(data, "update")
    update_id = _int(update.get("update_id"), "update_id")
    if update_id < 0:
        raise Unreadable("update_id is negative")
    query = update.get("callback_query")
    if query is not None:
        return _press(update_id, _object(query, "callback_query"))
    message = update.get("message")
    if message is not None:
        message = _object(message, "message")
        chat = _object(message.get("chat"), "chat")
        if _str(chat.get("type"), "chat type") == "private":
            return _message(update_id, message, _int(chat.get("id"), "chat id"))
    what = ", ".join(key for key, value in update.items() if key != "update_id" and value)
    return Ignored(update_id, what or "no known content")


def _press(update_id: int, query: dict[str, Any]) -> ButtonPress:
    sender = _sender(query.get("from"))
    pressed = None
    chat_id = sender.id
    message = query.get("message")
    if message is not None:
        message = _object(message, "pressed message")
        if message.get("date") != 0:  # date 0: a message Telegram no longer gives us
            chat_id = _int(_object(message.get("chat"), "chat").get("id"), "chat id")
            message_id = _int(message.get("message_id"), "message_id")
            pressed = Pressed(chat_id, message_id, has_text=type(message.get("text")) is str)
    data = query.get("data")
    return ButtonPress(
        update_id=update_id,
        query_id=_str(query.get("id"), "callback_query id"),
        data=None if data is None else _str(data, "callback data"),
        sender=sender,
        chat_id=chat_id,
        pressed=pressed,
    )


def _message(update_id: int, message: dict[str, Any], chat_id: int) -> ChatMessage:
    contact = message.get("contact")
    return ChatMessage(
        update_id=update_id,
        chat_id=chat_id,
        sender=_sender(message.get("from")),
        text=_optional_str(message.get("text"), "text"),
        contact=None if contact is None else _contact(_object(contact, "contact")),
    )


def _sender(data: Any) -> Sender:
    user = _object(data, "from")
    first = _str(user.get("first_name"), "first_name")
    last = _optional_str(user.get("last_name"), "last_name")
    return Sender(
        id=_int(user.get("id"), "user id"),
        full_name=f"{first} {last}" if last else first,
        language_code=_optional_str(user.get("language_code"), "language_code"),
    )


def _contact(contact: dict[str, Any]) -> SharedContact:
    user_id = contact.get("user_id")
    return SharedContact(
        phone_number=_str(contact.get("phone_number"), "phone_number"),
        first_name=_str(contact.get("first_name"), "contact first_name"),
        last_name=_optional_str(contact.get("last_name"), "contact last_name"),
        user_id=None if user_id is None else _int(user_id, "contact user_id"),
    )


def _object(value: Any, what: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise Unreadable(f"{what} is not an object")
    return value


def _int(value: Any, what: str) -> int:
    # type() rather than isinstance(): JSON's true and false are no numbers here
    if type(value) is not int or not _INT_MIN <= value < _INT_END:
        raise Unreadable(f"{what} is not a 64-bit integer")
    return value


def _str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise Unreadable(f"{what} is not a string")
    return value


def _optional_str(value: Any, what: str) -> str:
    return "" if value is None else _str(value, what)
