"""Clients: who they are comes from the channel they write on, never from what they type.

A Telegram user is one client (by ``telegram_user_id``), a widget session another (by
``web_session_id``); staff acting for someone find or create the staff client of that phone
(the identity ``staff:<E.164>``, which no widget session can take: session ids have no
``+``). Beyond that, a phone number or e-mail address is contact data stored on that client
only: two clients may share a phone, and typing a number in a chat never reaches into
anyone else's record. Clients are never merged: "Continue in Telegram" hands a web
visitor's bookings over to a Telegram account (:mod:`slotbot.core.handover`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from slotbot.core.i18n import country_of_zone
from slotbot.core.limits import (
    EMAIL_MAX,
    NAME_MAX,
    PHONE_INPUT_MAX,
    WEB_SESSION_ID_MAX,
    InvalidInput,
    bounded_text,
    check_locale,
    check_name,
)
from slotbot.core.storage.db import is_sqlite, session_factory, writer
from slotbot.core.storage.models import (
    Booking,
    BusinessSetting,
    Client,
    LinkToken,
    SpecialistLinkToken,
)
from slotbot.core.storage.shop import shop_timezone
from slotbot.core.storage.unit_of_work import UnitOfWork, write_connection, write_session

DEFAULT_REGION = "DE"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEB_SESSION = re.compile(rf"^[A-Za-z0-9_.:-]{{1,{WEB_SESSION_ID_MAX}}}$")


class InvalidContact(InvalidInput):
    """A phone number or e-mail address that cannot be right."""


class ClientNotFound(LookupError):
    """No client with this id."""


class LinkTokenRefused(InvalidInput):
    """A link token that cannot be redeemed; see the subclasses."""


class UnknownLinkToken(LinkTokenRefused):
    """No such token (mistyped, or never issued)."""


class LinkTokenUsed(LinkTokenRefused):
    """The token was redeemed already."""


class LinkTokenExpired(LinkTokenRefused):
    """The token's time ran out."""


@dataclass(frozen=True, slots=True)
class ClientDetails:
    """A client as stored: name, contact details, language and channels (read and written by
    Core statements built once: a dialog turn reads them on most screens, and an ORM load
    costs several times what the row does)."""

    id: int
    name: str | None
    phone: str | None
    email: str | None
    locale: str
    telegram_chat_id: int | None
    web_session_id: str | None


_CLIENTS = cast(Table, Client.__table__)
#: The columns of :class:`ClientDetails`, in its order: the table's (a statement of the
#: mapped class's attributes costs a session some 50 us more to run).
DETAIL_COLUMNS = (
    _CLIENTS.c.id, _CLIENTS.c.name, _CLIENTS.c.phone, _CLIENTS.c.email, _CLIENTS.c.locale,
    _CLIENTS.c.telegram_chat_id, _CLIENTS.c.web_session_id,
)  # fmt: skip
_CLIENT_ID = bindparam("p_client_id", type_=_CLIENTS.c.id.type)
_READ_DETAILS = select(*DETAIL_COLUMNS).where(_CLIENTS.c.id == _CLIENT_ID)


async def client_details(session: AsyncSession, client_id: int) -> ClientDetails | None:
    """The client with this id as ``session`` sees it now, if any."""
    row = (await session.execute(_READ_DETAILS, {"p_client_id": client_id})).first()
    return None if row is None else ClientDetails(*row)


# --- contact details --------------------------------------------------------------------


def _bounded_phone(text: str) -> str:
    try:
        return bounded_text(text, what="phone number", limit=PHONE_INPUT_MAX)
    except InvalidInput as error:
        raise InvalidContact(str(error)) from None


def _valid(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """``text`` parsed in ``region`` (``None``: it must carry its country code), if valid."""
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _not_a_number(text: str, region: str) -> InvalidContact:
    return InvalidContact(f"not a phone number: {text!r} (e.g. {_example(region)})")


def parse_phone(text: str, region: str) -> str:
    """A phone number as typed -> E.164 (``+4915123456789``); national numbers are read
    in ``region`` (ISO 3166 code, e.g. ``DE``). Raises :class:`InvalidContact`.

    For staff, who type numbers for people in front of them; a number typed in a chat is
    read with :func:`phone_readings`, which does not guess between two valid readings."""
    text = _bounded_phone(text)
    number = _valid(text, region)
    if number is None:
        raise _not_a_number(text, region)
    return _e164(number)


def parse_shared_phone(text: str) -> str:
    """The number of a contact a channel shares as the person's own (Telegram's "share my
    contact") -> E.164. Such a number is international whether or not it has the ``+``
    (Telegram sends ``4915123005001``, ``79161234567``): it is never read as a national
    number of the shop's region. Raises :class:`InvalidContact`."""
    text = _bounded_phone(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    number = _valid(f"+{digits}", None) if digits else None
    if number is None:
        raise InvalidContact(f"not an international phone number: {text!r}")
    return _e164(number)


#: Regions whose own people write a national number with the trunk prefix 8 (Russia,
#: Kazakhstan, Belarus, Turkmenistan: ``8 (999) 123-45-67``); a shop elsewhere gets such
#: numbers from its clients, and reading them as its own national numbers is a guess.
_TRUNK_EIGHT = tuple(
    sorted(
        region
        for region in phonenumbers.SUPPORTED_REGIONS
        if getattr(phonenumbers.PhoneMetadata.metadata_for_region(region), "national_prefix", "")
        == "8"
    )
)
_EXPLICIT = (
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
)


def phone_readings(text: str, region: str) -> list[str]:
    """Every valid number a phone number typed in a chat can be, as E.164, the shop's own
    reading first. Raises :class:`InvalidContact` when there is none.

    A number with ``+`` or the region's international prefix (``0049``) has one reading.
    Otherwise it is read as a national number of ``region``, as an international number
    typed without its ``+`` (``4915123456789``), and, when it starts with 8, in the
    trunk-prefix form of Russia and its neighbours (``8 999 123 45 67`` is
    ``+7 999 123-45-67``). Two or more readings are for the person to choose between:
    guessing would send their reminders to a stranger."""
    text = _bounded_phone(text)
    home = _valid(text, region)
    if home is not None and home.country_code_source in _EXPLICIT:
        return [_e164(home)]
    digits = "".join(ch for ch in text if ch.isdigit())
    candidates = [home, _valid(f"+{digits}", None) if digits else None]
    if digits.startswith("8") and region not in _TRUNK_EIGHT:
        candidates += [_valid(text, trunk) for trunk in _TRUNK_EIGHT]
    readings = list(dict.fromkeys(_e164(n) for n in candidates if n is not None))
    if not readings:
        raise _not_a_number(text, region)
    return readings


def phone_region_of(e164: str) -> str:
    """The country (ISO 3166 code) of a stored E.164 number, ``""`` if unknown."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(number) or ""


@lru_cache(maxsize=1024)
def display_phone(e164: str) -> str:
    """A stored E.164 number as people read it: ``+49 151 23456789`` (kept per number:
    parsing and formatting one costs ~100 us, and the same numbers show on screen after
    screen: the shop's own, a client's on the confirm screen, those in a specialist's day)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _example(region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+49 151 23456789"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_email(email: str) -> str:
    """An e-mail address of at most :data:`~slotbot.core.limits.EMAIL_MAX` characters."""
    email = bounded_text(email, what="e-mail address", limit=EMAIL_MAX)
    if not _EMAIL.match(email):
        raise InvalidContact(f"not an e-mail address: {email!r}")
    return email


def region_of_zone(zone: str) -> str:
    """The phone region of a time zone's country (``Europe/Berlin`` -> ``DE``), else
    :data:`DEFAULT_REGION` (for ``UTC`` and zones without one country)."""
    country = country_of_zone(zone)
    return country if country in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


async def phone_region(session: AsyncSession) -> str:
    """Where national phone numbers are read: the business setting ``phone_region`` if it
    is a known region, else the country of the shop's time zone."""
    settings: dict[str, object] = dict((await session.execute(_REGION_SETTINGS)).all())
    configured = settings.get("phone_region")
    if isinstance(configured, str) and configured.upper() in phonenumbers.SUPPORTED_REGIONS:
        return configured.upper()
    zone = settings.get("timezone")  # read with it: what shop_timezone reads first
    shop_zone = ZoneInfo(zone) if isinstance(zone, str) else await shop_timezone(session)
    return region_of_zone(shop_zone.key)


#: The settings phone numbers are read by, in one statement (built once).
_REGION_SETTINGS = select(BusinessSetting.key, BusinessSetting.value).where(
    BusinessSetting.key.in_(("phone_region", "timezone"))
)


# --- finding clients by channel ---------------------------------------------------------


def _insert_ignoring(engine: AsyncEngine, key: str, values: dict[str, Any]) -> Any:
    """``INSERT INTO clients ... ON CONFLICT (key) DO NOTHING`` in the engine's dialect."""
    dialect: Any = sqlite if is_sqlite(engine) else postgresql
    return dialect.insert(Client).values(**values).on_conflict_do_nothing(index_elements=[key])


# A channel's first turn finds or creates its client in one statement, built once per
# dialect (building one costs more CPU than running it).
_TELEGRAM_VALUES = {
    "telegram_user_id": bindparam("p_user_id", type_=Client.telegram_user_id.type),
    "telegram_chat_id": bindparam("p_chat_id", type_=Client.telegram_chat_id.type),
    "name": bindparam("p_name", type_=Client.name.type),
    "locale": bindparam("p_locale", type_=Client.locale.type),
}
_WEB_VALUES = {
    "web_session_id": bindparam("p_session_id", type_=Client.web_session_id.type),
    "locale": bindparam("p_locale", type_=Client.locale.type),
}


def _telegram_client(dialect: Any) -> Any:
    """The Telegram user's client, inserted or, when it exists, with its chat id made
    current and its name kept (the profile's name only while it has none)."""
    statement = dialect.insert(_CLIENTS).values(**_TELEGRAM_VALUES)
    return statement.on_conflict_do_update(
        index_elements=[_CLIENTS.c.telegram_user_id],
        set_={
            "telegram_chat_id": statement.excluded.telegram_chat_id,
            "name": func.coalesce(_CLIENTS.c.name, statement.excluded.name),
        },
    ).returning(*DETAIL_COLUMNS)


#: By dialect name: the Telegram user's client (:func:`_telegram_client`); a widget
#: session's, inserted unless it exists (then no row comes back, and it is read).
_TELEGRAM_CLIENT = {
    name: _telegram_client(d) for name, d in (("sqlite", sqlite), ("postgresql", postgresql))
}
_NEW_WEB_CLIENT = {
    name: dialect.insert(_CLIENTS)
    .values(**_WEB_VALUES)
    .on_conflict_do_nothing(index_elements=[_CLIENTS.c.web_session_id])
    .returning(*DETAIL_COLUMNS)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_WEB_CLIENT = select(*DETAIL_COLUMNS).where(
    _CLIENTS.c.web_session_id == _WEB_VALUES["web_session_id"]
)


def _profile_name(name: str | None) -> str | None:
    """A name from a channel's profile: cut to ``NAME_MAX`` rather than refused."""
    if name is None:
        return None
    printable = "".join(ch for ch in name if ch.isprintable()).strip()
    return printable[:NAME_MAX].strip() or None


async def client_for_telegram(
    engine: AsyncEngine,
    *,
    user_id: int,
    chat_id: int,
    name: str | None,
    locale: str,
    uow: UnitOfWork | None = None,
) -> ClientDetails:
    """The client of this Telegram user, created on first contact; the chat id is kept
    current. ``name`` (the profile's) is used only while the client has none."""
    name, locale = _profile_name(name), check_locale(locale)
    values = {"p_user_id": user_id, "p_chat_id": chat_id, "p_name": name, "p_locale": locale}
    # no savepoint: nothing here is refused, and an error ends the turn
    async with write_connection(engine, uow, savepoint=False) as connection:
        row = (await connection.execute(_TELEGRAM_CLIENT[engine.dialect.name], values)).one()
        return ClientDetails(*row)


async def client_for_web(
    engine: AsyncEngine, *, session_id: str, locale: str, uow: UnitOfWork | None = None
) -> ClientDetails:
    """The client of this widget session, created on first contact."""
    if not _WEB_SESSION.match(session_id):
        raise InvalidInput(f"not a web session id (1 to {WEB_SESSION_ID_MAX} of A-Z a-z 0-9 _.:-)")
    locale = check_locale(locale)
    values = {"p_session_id": session_id, "p_locale": locale}
    # no savepoint: nothing here is refused, and an error ends the turn
    async with write_connection(engine, uow, savepoint=False) as connection:
        row = (await connection.execute(_NEW_WEB_CLIENT[engine.dialect.name], values)).first()
        if row is None:  # it exists (a new session of a known widget visitor)
            row = (await connection.execute(_WEB_CLIENT, values)).one()
        return ClientDetails(*row)


STAFF_PREFIX = "staff:"
"""The staff identity of a phone number: ``web_session_id`` ``staff:+4915123456789``."""


def staff_identity(phone: str) -> str:
    """The identity under which staff book for the person with this E.164 phone number."""
    return f"{STAFF_PREFIX}{phone}"


async def client_for_staff(
    engine: AsyncEngine, *, name: str, phone: str, email: str | None = None, locale: str = "en"
) -> Client:
    """The client staff book for by phone (at the desk, on the phone): found by the staff
    identity of the number, created with ``name`` and ``email`` on first use. One row per
    number however many bookings race for it (``INSERT ... ON CONFLICT DO NOTHING``), so
    the rule that one client never holds two overlapping appointments holds per person.

    Only staff-made clients are found this way: a Telegram or widget client who typed the
    same number is a different record and is never touched. An existing client's name and
    e-mail stay as they are (see :func:`set_contact`)."""
    name, locale = check_name(name), check_locale(locale)
    email = check_email(email) if email else None
    async with writer(engine) as session:
        e164 = parse_phone(phone, await phone_region(session))
        identity = staff_identity(e164)
        values = {"web_session_id": identity, "name": name, "phone": e164, "email": email,
                  "locale": locale}  # fmt: skip
        await session.execute(_insert_ignoring(engine, "web_session_id", values))
        client = await session.scalar(select(Client).where(Client.web_session_id == identity))
        assert client is not None
        return client


async def discard_unused_staff_client(engine: AsyncEngine, client_id: int) -> bool:
    """Delete a staff client that has no booking at all (one made for a booking that was
    then refused), so a refusal leaves no trace; whether it was deleted. A client with any
    booking, or not made by staff, stays: also one whose first booking another transaction
    is writing at this moment (PostgreSQL then refuses the delete by the foreign key)."""
    try:
        async with writer(engine) as session:
            deleted = await session.execute(
                delete(Client).where(
                    Client.id == client_id,
                    # "staff:+...": a widget session may start "staff:" but holds no "+"
                    Client.web_session_id.startswith(f"{STAFF_PREFIX}+", autoescape=True),
                    ~select(Booking.id).where(Booking.client_id == client_id).exists(),
                )
            )
            return bool(getattr(deleted, "rowcount", 0))
    except IntegrityError:
        return False


#: A client's contact details changed in one statement (``NULL``: left as it is).
_SET_CONTACT = (
    update(_CLIENTS)
    .where(_CLIENTS.c.id == _CLIENT_ID)
    .values(
        {
            column: func.coalesce(bindparam(f"p_{column.key}", type_=column.type), column)
            for column in (_CLIENTS.c.name, _CLIENTS.c.phone, _CLIENTS.c.email, _CLIENTS.c.locale)
        }
    )
    .returning(*DETAIL_COLUMNS)
)


async def set_contact(
    engine: AsyncEngine,
    *,
    client_id: int,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    uow: UnitOfWork | None = None,
) -> ClientDetails:
    """Store the contact details given (``None`` leaves one as it is) on this client only,
    in one ``UPDATE``; raises :class:`~slotbot.core.limits.InvalidInput` or
    :class:`ClientNotFound`. A phone number is read as :func:`parse_phone` reads it, the
    shop's region read only for a number without its ``+`` country code."""
    name = check_name(name) if name is not None else None
    email = check_email(email) if email is not None else None
    locale = check_locale(locale) if locale is not None else None
    # a number with its country code is read alike in every region: no need to read the
    # shop's (a shared contact's number, or one picked from two readings, comes as E.164)
    international = _valid(_bounded_phone(phone), None) if phone and phone[0] == "+" else None
    if international is not None:
        phone = _e164(international)
    # no savepoint: every refusal comes before anything is changed
    async with write_session(engine, uow, savepoint=False) as session:
        if phone is not None and international is None:
            phone = parse_phone(phone, await phone_region(session))
        values = {"p_client_id": client_id, "p_name": name, "p_phone": phone, "p_email": email,
                  "p_locale": locale}  # fmt: skip
        connection = await session.connection()
        row = (await connection.execute(_SET_CONTACT, values)).first()
        if row is None:
            raise ClientNotFound(f"no client #{client_id}")
        return ClientDetails(*row)


async def get_client(engine: AsyncEngine, client_id: int) -> Client | None:
    """The client with this id, if any."""
    async with session_factory(engine)() as session:
        return await session.get(Client, client_id)


# --- one-time tokens ------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is stored of a one-time token: its SHA-256 (a token over 64 characters, which
    none is, hashes to nothing stored)."""
    return hashlib.sha256(token.encode()).hexdigest() if len(token) <= 64 else ""


async def spend_token(
    session: AsyncSession,
    model: type[LinkToken] | type[SpecialistLinkToken],
    owner: InstrumentedAttribute[int],
    token: str,
    now: datetime,
) -> int:
    """Mark a one-time token of ``model`` used and return its ``owner`` column (the client
    or specialist it was issued for), or raise why it cannot be used."""
    stored = token_hash(token)
    used: int | None = await session.scalar(
        update(model)
        .where(model.token_hash == stored, model.used_at.is_(None), model.expires_at > now)
        .values(used_at=now)
        .returning(owner)
    )
    if used is not None:
        return used
    found = (await session.execute(select(model.used_at).where(model.token_hash == stored))).first()
    if found is None:
        raise UnknownLinkToken("this link is not valid; ask for a new one")
    if found.used_at is not None:
        raise LinkTokenUsed("this link was used already; ask for a new one")
    raise LinkTokenExpired("this link has expired; ask for a new one")
