"""What is shown about the shop: services and specialists with their names in a locale,
offers named by keys (the web API and the command line), and a client's own bookings.

Names change as rarely as the catalog, so they are kept per catalog version (one small
version query when nothing changed). Free time is asked of :mod:`.free`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability import catalog as catalogs
from slotbot.core.business import Business, load_business
from slotbot.core.clients import DETAIL_COLUMNS, ClientDetails
from slotbot.core.i18n import specialist_language
from slotbot.core.storage.models import Booking, BookingStatus, Service, Specialist

__all__ = [
    "ClientBooking",
    "Directory",
    "Offer",
    "ServiceEntry",
    "SpecialistEntry",
    "UnknownKey",
    "client_booking",
    "client_booking_and_details",
    "client_bookings",
    "last_booked_pair",
    "load_directory",
    "resolve_offer",
]


def _localised(names: Mapping[str, str], locale: str, fallback: str) -> str:
    return names.get(locale) or names.get("en") or next(iter(names.values()), fallback)


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    id: int
    key: str
    names: Mapping[str, str]
    duration_minutes: int
    price: Decimal | None
    currency: str | None
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Other words for the service, per language, as the import file gives them."""
    categories: Mapping[str, str] = field(default_factory=dict)  # empty: no category

    def name(self, locale: str) -> str:
        return _localised(self.names, locale, self.key)

    def category(self, locale: str) -> str:
        """The service's category in ``locale`` (``""`` when it has none)."""
        return _localised(self.categories, locale, "")


@dataclass(frozen=True, slots=True)
class SpecialistEntry:
    id: int
    key: str
    full_name: str
    titles: Mapping[str, str]
    timezone: ZoneInfo
    telegram_user_id: int | None = None
    locale: str | None = None  # set by the import file
    chat_locale: str | None = None  # recorded from their Telegram chat

    def title(self, locale: str) -> str:
        return _localised(self.titles, locale, "")

    @property
    def language(self) -> str:
        """The language their notices, agenda and time-off screens are in."""
        return specialist_language(self.locale, self.chat_locale)


@dataclass(frozen=True, slots=True)
class Directory:
    """Active services (in import order) and active specialists, with who offers what."""

    catalog: catalogs.Catalog
    services: Mapping[int, ServiceEntry]
    specialists: Mapping[int, SpecialistEntry]
    business: Business = field(default_factory=Business)

    def providers(self, service_id: int) -> list[int]:
        """Active specialists who offer an active service, by id."""
        return [sid for sid in self.catalog.providers(service_id) if sid in self.specialists]

    def offered_services(self) -> list[ServiceEntry]:
        """Services that at least one active specialist offers."""
        return [s for s in self.services.values() if self.providers(s.id)]

    def specialist_for_telegram(self, user_id: int) -> SpecialistEntry | None:
        """The active specialist linked to this Telegram user, if any."""
        for entry in self.specialists.values():
            if entry.telegram_user_id == user_id:
                return entry
        return None

    def zone_of(self, specialist_ids: list[int]) -> ZoneInfo:
        """The time zone to show times in: the first specialist's."""
        for sid in specialist_ids:
            if sid in self.specialists:
                return self.specialists[sid].timezone
        return ZoneInfo("UTC")


_cache: weakref.WeakKeyDictionary[object, Directory] = weakref.WeakKeyDictionary()


def _service_entry(s: Service) -> ServiceEntry:
    synonyms = {locale: tuple(words) for locale, words in (s.synonyms or {}).items()}
    return ServiceEntry(
        s.id, s.key, dict(s.name), s.duration_minutes, s.price, s.currency, synonyms,
        dict(s.category or {}),
    )  # fmt: skip


async def _load(session: AsyncSession, catalog: catalogs.Catalog) -> Directory:
    services = {
        s.id: _service_entry(s)
        for s in await session.scalars(
            select(Service).where(Service.is_active.is_(True)).order_by(Service.id)
        )
    }
    specialists = {
        s.id: SpecialistEntry(
            s.id,
            s.key,
            s.name,
            dict(s.title or {}),
            ZoneInfo(s.timezone),
            s.telegram_user_id,
            s.locale,
            s.chat_locale,
        )
        for s in await session.scalars(
            select(Specialist).where(Specialist.is_active.is_(True)).order_by(Specialist.id)
        )
    }
    return Directory(catalog, services, specialists, await load_business(session))


async def load_directory(session: AsyncSession, catalog_version: int | None = None) -> Directory:
    """The directory as the database has it now (cached per catalog version); a caller that
    has just read the catalog version passes it to save the query."""
    if catalog_version is None:
        catalog = await catalogs.fresh(session)
    else:
        catalog = await catalogs.at_version(session, catalog_version)
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    known = _cache.get(engine.sync_engine.pool)
    if known is not None and known.catalog.version == catalog.version:
        return known
    directory = await _load(session, catalog)
    _cache[engine.sync_engine.pool] = directory
    return directory


class UnknownKey(LookupError):
    """A service or specialist key that names nothing (or nothing active)."""


@dataclass(frozen=True, slots=True)
class Offer:
    """What an availability question by keys is about: a service and who may perform it."""

    service: ServiceEntry
    specialist_ids: tuple[int, ...]
    keys: Mapping[int, str]
    timezone: ZoneInfo

    @property
    def duration(self) -> int:
        return self.service.duration_minutes


def resolve_offer(directory: Directory, *, service_key: str, specialist_key: str | None) -> Offer:
    """The active service of ``service_key`` and its active specialists; ``specialist_key``
    ``None`` or ``"any"`` means all of them.

    Raises :class:`UnknownKey` for an unknown or inactive service or specialist, or one who
    does not offer the service.
    """
    service = next((s for s in directory.services.values() if s.key == service_key), None)
    if service is None:
        raise UnknownKey(f"unknown service {service_key!r}")
    ids = directory.providers(service.id)
    if specialist_key not in (None, "any"):
        chosen = [e.id for e in directory.specialists.values() if e.key == specialist_key]
        if not chosen:
            raise UnknownKey(f"unknown specialist {specialist_key!r}")
        if chosen[0] not in ids:
            raise UnknownKey(f"specialist {specialist_key!r} does not offer {service_key!r}")
        ids = chosen
    if not ids:
        raise UnknownKey(f"no active specialist offers {service_key!r}")
    return Offer(
        service=service,
        specialist_ids=tuple(ids),
        keys={sid: directory.specialists[sid].key for sid in ids},
        timezone=directory.specialists[ids[0]].timezone,
    )


@dataclass(frozen=True, slots=True)
class ClientBooking:
    """One of a client's bookings, with what the client needs to recognise it."""

    id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    service_id: int
    service_names: Mapping[str, str]
    specialist_id: int
    specialist_name: str
    timezone: ZoneInfo
    price: Decimal | None
    currency: str | None

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.timezone)


def _entry(booking: Booking, service: Service, specialist: Specialist) -> ClientBooking:
    return ClientBooking(
        booking.id, booking.status, booking.starts_at, booking.ends_at, service.id,
        dict(service.name), specialist.id, specialist.name, ZoneInfo(specialist.timezone),
        service.price, service.currency,
    )  # fmt: skip


# The tables' columns, not the mapped classes': a session runs such a statement for some
# 50 us less (no ORM compile state).
_B = cast(Table, Booking.__table__).c
_SERVICE = cast(Table, Service.__table__)
_SPECIALIST = cast(Table, Specialist.__table__)
#: One booking of a client, as :class:`ClientBooking` reads it (columns, not entities: a
#: screen shows it, nothing changes it); built once, as it is read on many screens.
_CLIENT_BOOKING = (
    select(_B.id, _B.status, _B.starts_at, _B.ends_at, _SERVICE.c.id, _SERVICE.c.name,
           _SPECIALIST.c.id, _SPECIALIST.c.name, _SPECIALIST.c.timezone, _SERVICE.c.price,
           _SERVICE.c.currency)
    .join(_SERVICE, _SERVICE.c.id == _B.service_id)
    .join(_SPECIALIST, _SPECIALIST.c.id == _B.specialist_id)
    .where(_B.id == bindparam("booking_id"), _B.client_id == bindparam("client_id"))
)  # fmt: skip
#: :data:`_CLIENT_BOOKING` with the client's details.
_CLIENT_BOOKING_AND_DETAILS = _CLIENT_BOOKING.add_columns(*DETAIL_COLUMNS).join(
    DETAIL_COLUMNS[0].table, DETAIL_COLUMNS[0] == _B.client_id
)
#: The client's latest kept booking's (service, specialist), for "Book again".
_LAST_BOOKED = (
    select(_B.service_id, _B.specialist_id)
    .where(
        _B.client_id == bindparam("client_id"),
        _B.status.in_([BookingStatus.CONFIRMED, BookingStatus.COMPLETED]),
    )
    .order_by(_B.starts_at.desc())
    .limit(1)
)


async def client_bookings(
    session: AsyncSession, client_id: int, *, now: datetime, past_limit: int = 5
) -> tuple[list[ClientBooking], list[ClientBooking]]:
    """A client's upcoming confirmed bookings (soonest first) and their latest past ones."""
    query = (
        select(Booking, Service, Specialist)
        .join(Service, Service.id == Booking.service_id)
        .join(Specialist, Specialist.id == Booking.specialist_id)
        .where(Booking.client_id == client_id)
    )
    upcoming_rows = await session.execute(
        query.where(Booking.status == BookingStatus.CONFIRMED, Booking.ends_at > now).order_by(
            Booking.starts_at
        )
    )
    past_rows = await session.execute(
        query.where(
            Booking.status.in_(
                [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
            ),
            Booking.ends_at <= now,
        )
        .order_by(Booking.starts_at.desc())
        .limit(past_limit)
    )

    return [_entry(*r) for r in upcoming_rows], [_entry(*r) for r in past_rows]


async def client_booking(
    session: AsyncSession, client_id: int, booking_id: int
) -> ClientBooking | None:
    """One booking of this client (``None`` for someone else's or a missing one)."""
    row = (
        await session.execute(_CLIENT_BOOKING, {"booking_id": booking_id, "client_id": client_id})
    ).first()
    return None if row is None else _client_booking(row)


def _client_booking(row: Sequence[Any]) -> ClientBooking:
    """A :class:`ClientBooking` from a row of :data:`_CLIENT_BOOKING`."""
    booking_id, status, starts_at, ends_at, service_id, names, specialist_id, name, zone = row[:9]
    return ClientBooking(
        booking_id, status, starts_at, ends_at, service_id, dict(names), specialist_id, name,
        ZoneInfo(zone), *row[9:11],
    )  # fmt: skip


async def client_booking_and_details(
    session: AsyncSession, client_id: int, booking_id: int
) -> tuple[ClientBooking, ClientDetails] | None:
    """:func:`client_booking` and the client as stored (:class:`ClientDetails`: what the
    screen after booking says about reminders depends on the client's channels), in one
    statement."""
    params = {"booking_id": booking_id, "client_id": client_id}
    row = (await session.execute(_CLIENT_BOOKING_AND_DETAILS, params)).first()
    if row is None:
        return None
    return _client_booking(row[:11]), ClientDetails(*row[11:])


async def last_booked_pair(session: AsyncSession, client_id: int) -> tuple[int, int] | None:
    """(service, specialist) of the client's latest kept booking, for "Book again"."""
    row = (await session.execute(_LAST_BOOKED, {"client_id": client_id})).first()
    return (row.service_id, row.specialist_id) if row else None
