"""The data model (DESIGN.md section 2): SQLAlchemy 2 typed declarative classes.

Instants are stored in UTC and come back timezone-aware; wall-clock schedule fields
(``start_time``, ``end_time``, dates) are local to the specialist's time zone.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from slotbot.core.limits import check_reason

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant; stored naive-UTC on SQLite, ``timestamptz`` on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, str]: JSON(),
        dict[str, Any]: JSON(),
    }


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


#: ``specialist_overrides.type``: the values of :class:`slotbot.core.availability.OverrideKind`
#: (storage imports nothing from availability; a test keeps the two in step).
OVERRIDE_KINDS = ("day_off", "vacation", "custom_hours")


class Source(enum.StrEnum):
    """Who made a schedule row: the import file owns its rows, staff edits are kept apart."""

    IMPORT = "import"
    STAFF = "staff"


class BookingStatus(enum.StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


LIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class Channel(enum.StrEnum):
    """Where a booking was made."""

    TELEGRAM = "telegram"
    WEB = "web"
    STAFF = "staff"
    CLI = "cli"


class NotificationChannel(enum.StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"
    EMAIL = "email"
    WEB = "web"  # the widget's conversation log (``web_messages``) of the client's session


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


specialist_services = Table(
    "specialist_services",
    Base.metadata,
    Column("specialist_id", ForeignKey("specialists.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class BusinessSetting(Base):
    """Shop-wide settings (min notice, horizon, hold time, default time zone), set by import."""

    __tablename__ = "business_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class CatalogState(Base):
    """One row whose ``version`` moves on every change to services, specialists, their
    schedules, overrides and the shop's settings (database triggers do it, migration 0003),
    so that a process can keep that catalog in memory and know when it went stale."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class BookingsState(Base):
    """One row whose ``version`` moves on every change of busy time: a booking inserted,
    deleted, or changed in its specialist, client, times, status or hold expiry, and a
    block added, changed or removed (triggers, migration 0011). Each change also stamps the
    specialist's row in :class:`BusyVersion` with the new value, so a process that caches
    availability knows which specialists' busy time changed since it last looked."""

    __tablename__ = "bookings_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class BusyVersion(Base):
    """The :class:`BookingsState` version at the last change of one specialist's busy time
    (no row: unchanged since the migration). Kept without a foreign key: nothing deletes
    these rows, and a trigger's write takes no lock on the specialist."""

    __tablename__ = "busy_versions"

    specialist_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # indexed: "who changed since version N" is asked on every bookings version change
    version: Mapped[int] = mapped_column(BigInteger, index=True)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict[str, str]]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(default=True)
    synonyms: Mapped[dict[str, list[str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    """Other words for the service per language, for typed text (``{"ru": ["стрижку"]}``)."""
    # the service's category per locale (Start groups services by it when there are many)
    category: Mapped[dict[str, str] | None] = mapped_column(JSON)

    specialists: Mapped[list[Specialist]] = relationship(
        secondary=specialist_services, back_populates="services"
    )

    __table_args__ = (CheckConstraint("duration_minutes > 0", name="duration_positive"),)


class Specialist(Base):
    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[dict[str, str]]
    timezone: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # the language the import file sets; else the one of their Telegram chat (recorded)
    locale: Mapped[str | None] = mapped_column(String(16))
    chat_locale: Mapped[str | None] = mapped_column(String(16))

    services: Mapped[list[Service]] = relationship(
        secondary=specialist_services, back_populates="specialists"
    )


class SpecialistSchedule(Base):
    """One row of the weekly template; several rows on a weekday make a split shift."""

    __tablename__ = "specialist_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(
        ForeignKey("specialists.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_duration: Mapped[int] = mapped_column(Integer, default=60)
    break_after: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="window_order"),
        CheckConstraint("slot_duration > 0 AND break_after >= 0", name="durations"),
    )


class SpecialistOverride(Base):
    """A date range that replaces the weekly template: day off, vacation or custom hours."""

    __tablename__ = "specialist_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    kind: Mapped[str] = mapped_column("type", String(16))
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    slot_duration: Mapped[int | None] = mapped_column(Integer)
    break_after: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    substitute_id: Mapped[int | None] = mapped_column(
        ForeignKey("specialists.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(16), default=Source.IMPORT)

    __table_args__ = (
        CheckConstraint(f"type IN {OVERRIDE_KINDS!r}", name="kind"),
        CheckConstraint("ends_on >= starts_on", name="range_order"),
        CheckConstraint(
            "type != 'custom_hours' OR (start_time IS NOT NULL AND end_time IS NOT NULL"
            " AND end_time > start_time)",
            name="custom_hours_window",
        ),
        Index("ix_specialist_overrides_dates", "specialist_id", "starts_on", "ends_on"),
    )


class SpecialistBlock(Base):
    """A blocked interval (lunch, a meeting): no slot may overlap it."""

    __tablename__ = "specialist_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16), default=Source.IMPORT)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="range_order"),
        Index("ix_specialist_blocks_range", "specialist_id", "starts_at", "ends_at"),
    )


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    web_session_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Telegram answered 403 (the client blocked the bot): chat messages go by SMS or e-mail
    telegram_unreachable_at: Mapped[datetime | None]


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="RESTRICT"))
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="RESTRICT"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.HELD)
    hold_expires_at: Mapped[datetime | None]
    channel: Mapped[str] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # a moved booking: the booking that replaced it (bookings are never deleted)
    rescheduled_to: Mapped[int | None] = mapped_column(Integer)

    client: Mapped[Client] = relationship()
    specialist: Mapped[Specialist] = relationship()
    service: Mapped[Service] = relationship()

    @validates("cancel_reason")
    def _check_cancel_reason(self, _key: str, reason: str | None) -> str | None:
        """Whoever cancels, the reason is bounded by ``limits.REASON_MAX``."""
        return check_reason(reason)

    __table_args__ = (
        CheckConstraint(_in("status", BookingStatus), name="status"),
        CheckConstraint("ends_at > starts_at", name="range_order"),
        CheckConstraint(
            "cancelled_by IS NULL OR cancelled_by IN ('client', 'specialist', 'staff')",
            name="cancelled_by",
        ),
        Index("ix_bookings_specialist_time", "specialist_id", "starts_at", "ends_at"),
        Index("ix_bookings_client", "client_id", "starts_at"),
        Index("ix_bookings_status_hold", "status", "hold_expires_at"),
    )


class Notification(Base):
    """The outbox: one message to one recipient over one channel (DESIGN.md section 6)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # booking id, kind, channel and recipient (an e-mail address may have 254 characters)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the provider's message id (SMS SID), how a delivery callback finds the row
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # the provider's last delivery status, or where an unconfigured channel's message went
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    # the text as rendered and sent
    body: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("channel", NotificationChannel), name="channel"),
        CheckConstraint(_in("status", NotificationStatus), name="status"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )


class LinkToken(Base):
    """A "Continue in Telegram" link: it hands the web client's bookings over to the
    Telegram account that opens it first (``opened_by``), once it accepts
    (``core.handover``). ``used_at`` is set when that account accepts or declines."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256, hex
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the Telegram user id of the first account that opened the link: the only one it serves
    opened_by: Mapped[int | None] = mapped_column(BigInteger)


class PhoneCode(Base):
    """A phone number a widget client confirms with an SMS code (``core.phone_codes``):
    only a keyed hash of the code is kept, with its expiry and the tries and sends used."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), default="")  # HMAC-SHA256, hex
    salt: Mapped[str] = mapped_column(String(32), default="")
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries of this code
    sends: Mapped[int] = mapped_column(Integer, default=0)  # codes sent since window_start
    window_start: Mapped[datetime]
    last_sent_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("client_id", "phone"),)


class SpecialistLinkToken(Base):
    """A one-time deep link that lets a specialist link their Telegram account
    (``slotbot specialist-link KEY``; ``slotbot.core.specialists``)."""

    __tablename__ = "specialist_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256, hex
    specialist_id: Mapped[int] = mapped_column(
        ForeignKey("specialists.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)


class DialogSession(Base):
    """A conversation's state, kept in the database so any worker can serve any update."""

    __tablename__ = "dialog_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("channel", "conversation_id"),)


class WebMessage(Base):
    """One message of a widget conversation, as the widget shows it: what the dialog said
    (a rendered screen) or what the visitor sent. The widget restores its history from here
    after a reload, and its push stream resumes after the last ``id`` it saw."""

    __tablename__ = "web_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))  # the widget session (limits)
    sender: Mapped[str] = mapped_column(String(8))  # "bot" or "visitor"
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("sender IN ('bot', 'visitor')", name="sender"),
        Index("ix_web_messages_session", "session_id", "id"),
    )


class WaitlistEnd(enum.StrEnum):
    """Why a waiting-list entry ended."""

    PASSED = "passed"  # its last day is over
    BOOKED = "booked"  # the client booked the service within its range
    LEFT = "left"  # the client left the list
    WITHDRAWN = "withdrawn"  # the service (or the specialist waited for) is no longer offered


class WaitlistOfferStatus(enum.StrEnum):
    """What became of a free time matched to an entry."""

    SEEN = "seen"  # free when the client joined (they had it on offer): never sent
    OFFERED = "offered"  # sent to the client as freed time


class WaitlistEntry(Base):
    """A client waiting for time to free up ("tell me if something frees up"): a service,
    a specialist or anyone, local dates [first_day, last_day] and optionally a local time
    window, all in ``timezone`` (the specialists'); ``core.waitlist``."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    # None: anyone who offers the service
    specialist_id: Mapped[int | None] = mapped_column(
        ForeignKey("specialists.id", ondelete="CASCADE")
    )
    first_day: Mapped[date]
    last_day: Mapped[date]
    window_start: Mapped[time | None]  # local start times from (inclusive) ...
    window_end: Mapped[time | None]  # ... to (exclusive)
    timezone: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # where the client joined
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="range_order"),
        CheckConstraint(
            "(window_start IS NULL AND window_end IS NULL) OR "
            "(window_start IS NOT NULL AND window_end IS NOT NULL AND window_end > window_start)",
            name="window",
        ),
        CheckConstraint(
            f"end_reason IS NULL OR {_in('end_reason', WaitlistEnd)}", name="end_reason"
        ),
        Index("ix_waitlist_entries_live", "ended_at", "created_at"),
    )


class WaitlistOffer(Base):
    """A free time matched to a waiting-list entry: offered to the client (first press
    holds it), or seen (free when they joined, so never sent). One per entry and start."""

    __tablename__ = "waitlist_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"))
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("entry_id", "starts_at"),
        CheckConstraint(_in("status", WaitlistOfferStatus), name="status"),
        Index("ix_waitlist_offers_slot", "specialist_id", "starts_at"),
    )


# --- state that the processes of one deployment share (DESIGN.md sections 2 and 10) --------


class Lease(Base):
    """Which process does a job that must run once across all processes (a periodic job, the
    webhook's registration): ``holder`` has it until ``expires_at`` and renews it while it
    lives; another process takes it over once it runs out (:mod:`slotbot.core.storage.shared`)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class SeenUpdate(Base):
    """A Telegram ``update_id`` some process took, so that the same update delivered again
    (to any process) is handled once; forgotten after a while by housekeeping."""

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class RateBucket(Base):
    """A rate limit's token bucket, shared by every process: ``full_at`` (Unix seconds) is
    when the bucket will be full again (the generic cell rate algorithm's "theoretical
    arrival time"); a row whose ``full_at`` has passed is a full bucket and can go."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    full_at: Mapped[float] = mapped_column(Double)
