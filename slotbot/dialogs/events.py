"""What a client does, whatever the channel: the dialog's input events; and what happened to
their bookings in a turn (:data:`Outcome`), which the dialog's reply reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "Booked",
    "Cancelled",
    "Contact",
    "Event",
    "Held",
    "Moved",
    "Outcome",
    "Press",
    "Start",
    "Text",
    "Visitor",
]


@dataclass(frozen=True, slots=True)
class Start:
    """The conversation opens or restarts (/start, /book, /my, /language, /help, widget load).

    ``command`` is one of ``start``, ``book``, ``my``, ``language``, ``help``;
    ``payload`` is a deep-link parameter (``/start TOKEN``), if any; ``service`` the key
    of a service to open at (the widget's ``data-service``), if any: its specialists are
    shown when it can be booked, else Start; ``slot`` a waiting-list offer's signed link
    token (the widget's ``?slot=``): the time it names is held.
    """

    command: str = "start"
    payload: str = ""
    service: str = ""
    slot: str = ""


@dataclass(frozen=True, slots=True)
class Press:
    """A button press, carrying the button's action exactly as received (untrusted)."""

    action: str


@dataclass(frozen=True, slots=True)
class Text:
    """Typed text (untrusted, any length: the dialog bounds it)."""

    text: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact card shared from the channel's own address book (Telegram's "share my
    contact"), never typed text: its ``phone`` is international whether or not it starts
    with ``+`` (Telegram sends ``4915123005001``). ``own`` is True only when the channel
    verified it is the sender's own (Telegram: ``contact.user_id == from.id``)."""

    phone: str
    name: str = ""
    own: bool = False


Event = Start | Press | Text | Contact


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is talking, as the channel knows them.

    ``channel`` is ``telegram``, ``web`` or ``terminal``; ``key`` identifies the person on
    that channel (the Telegram user id, the web session id, the terminal's profile name);
    ``chat_id`` is where Telegram messages to them go; ``name`` comes from their profile;
    ``language`` is the channel's hint (Telegram's language_code, the browser's language).
    """

    channel: str
    key: str
    chat_id: int | None = None
    name: str = ""
    language: str = ""


@dataclass(frozen=True, slots=True)
class Held:
    """A time was held for the client in this turn (``booking`` is the hold).

    ``starts`` is the instant (UTC); ``service`` and ``specialist`` are their keys."""

    booking: int
    starts: datetime
    service: str
    specialist: str


@dataclass(frozen=True, slots=True)
class Booked:
    """The client's booking was confirmed in this turn."""

    booking: int
    starts: datetime
    service: str
    specialist: str


@dataclass(frozen=True, slots=True)
class Moved:
    """The client's booking ``was_booking`` at ``was`` was moved in this turn: ``booking`` is
    the confirmed booking that replaces it, at ``starts``."""

    booking: int
    starts: datetime
    service: str
    specialist: str
    was_booking: int
    was: datetime


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The client cancelled their confirmed booking in this turn."""

    booking: int
    starts: datetime
    service: str
    specialist: str


#: What happened to the client's bookings in one turn, as the turn itself did it (never
#: learnt by looking at the database afterwards: another channel's changes are not in it).
Outcome = Held | Booked | Moved | Cancelled
