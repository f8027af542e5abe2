"""What each booking transition writes into the notification outbox (DESIGN.md section 6).

Rows are planned here, in the same transaction as the transition; sending them is the
dispatcher's job. Every row has a dedupe key (booking, kind, channel, recipient), so planning
the same thing twice never sends twice.

| kind                     | to whom    | channels                       | due             |
| ------------------------ | ---------- | ------------------------------ | --------------- |
| confirmation             | client     | chat, email (with .ics)        | now             |
| new_booking              | specialist | telegram, email                | now             |
| reminder_24h             | client     | chat, sms, email               | start - 24 h    |
| reminder_2h              | client     | chat, sms                      | start - 2 h     |
| review_request           | client     | chat, email                    | end + 24 h      |
| cancelled_by_client      | specialist | telegram, email                | now             |
| cancelled_by_specialist  | client     | chat, sms, email (with offer)  | now             |
| cancelled_by_staff       | specialist | telegram, email                | now             |

"chat" is Telegram for clients who came through Telegram; reminders whose time has already
passed when the booking is confirmed are not planned (:func:`reminders_ahead` decides, and the
texts that promise reminders ask it too). A booking the client made in a conversation (the
Telegram chat, the widget, the terminal chat) was confirmed there by the done screen, so its
confirmation goes by e-mail only, never a second time into a chat; staff bookings are
confirmed in the client's chat too.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from slotbot.core.storage.models import Channel as BookingChannel
from slotbot.core.storage.models import Notification, NotificationChannel, NotificationStatus

Channel = NotificationChannel
#: One outbox row as column values, for :func:`write`.
Row = dict[str, Any]


class Kind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    NEW_BOOKING = "new_booking"
    REMINDER_24H = "reminder_24h"
    REMINDER_2H = "reminder_2h"
    REVIEW_REQUEST = "review_request"
    CANCELLED_BY_CLIENT = "cancelled_by_client"
    CANCELLED_BY_SPECIALIST = "cancelled_by_specialist"
    CANCELLED_BY_STAFF = "cancelled_by_staff"
    PHONE_CODE = "phone_code"  # an SMS code confirming a number (core.phone_codes), no booking


#: Kinds that speak of a booking's future; a cancelled or moved booking withdraws them.
UPCOMING = (Kind.CONFIRMATION, Kind.NEW_BOOKING, Kind.REMINDER_24H, Kind.REMINDER_2H,
            Kind.REVIEW_REQUEST)  # fmt: skip


class BookingFacts(Protocol):
    """What the outbox needs of a booking (an ORM row or a plain value)."""

    @property
    def id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def cancel_reason(self) -> str | None: ...
    @property
    def channel(self) -> str: ...


class ClientContacts(Protocol):
    @property
    def telegram_chat_id(self) -> int | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...


class SpecialistContacts(Protocol):
    @property
    def telegram_user_id(self) -> int | None: ...
    @property
    def email(self) -> str | None: ...


def _client_addresses(
    client: ClientContacts, channels: Iterable[str]
) -> Iterator[tuple[Channel, str]]:
    for channel in channels:
        if channel == "chat" and client.telegram_chat_id is not None:
            yield Channel.TELEGRAM, str(client.telegram_chat_id)
        elif channel == "sms" and client.phone:
            yield Channel.SMS, client.phone
        elif channel == "email" and client.email:
            yield Channel.EMAIL, client.email


#: The reminders a client gets: kind, how long before the start, and over which channels.
REMINDERS: tuple[tuple[Kind, timedelta, tuple[str, ...]], ...] = (
    (Kind.REMINDER_24H, timedelta(hours=24), ("chat", "sms", "email")),
    (Kind.REMINDER_2H, timedelta(hours=2), ("chat", "sms")),
)


def reminders_ahead(starts_at: datetime, client: ClientContacts, *, now: datetime) -> list[Kind]:
    """The reminders a booking confirmed at ``now`` gets: those still ahead of it that can
    reach the client over at least one of their channels. The outbox plans exactly these,
    and what the dialog and the confirmation promise is said from them."""
    return [
        kind
        for kind, before, channels in REMINDERS
        if starts_at - before > now and any(_client_addresses(client, channels))
    ]


def _specialist_addresses(specialist: SpecialistContacts) -> Iterator[tuple[Channel, str]]:
    if specialist.telegram_user_id is not None:
        yield Channel.TELEGRAM, str(specialist.telegram_user_id)
    if specialist.email:
        yield Channel.EMAIL, specialist.email


def _row(
    booking: BookingFacts,
    kind: Kind,
    channel: Channel,
    recipient: str,
    due_at: datetime,
    created_at: datetime,
    **extra: Any,
) -> Row:
    payload: dict[str, Any] = {
        "booking_id": booking.id,
        "starts_at": booking.starts_at.isoformat(),
        **extra,
    }
    return {
        "booking_id": booking.id,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "payload": payload,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "dedupe_key": f"{booking.id}:{kind}:{channel}:{recipient}",
        "created_at": created_at,
    }


def plan_confirmed(
    booking: BookingFacts,
    client: ClientContacts,
    specialist: SpecialistContacts,
    *,
    now: datetime,
    rescheduled_from: int | None = None,
    previous_start: datetime | None = None,
) -> list[Row]:
    """Confirmation to both sides, the two reminders still ahead, and the review request.

    A moved booking's confirmations name the booking it replaces and its former start."""
    extra: dict[str, Any] = {"rescheduled_from": rescheduled_from} if rescheduled_from else {}
    if rescheduled_from and previous_start is not None:
        extra["previous_start"] = previous_start.astimezone(UTC).isoformat()
    # the client made it in a conversation, whose done screen confirmed it
    made_in_chat = booking.channel not in (BookingChannel.STAFF, BookingChannel.CLI)
    rows = [
        _row(
            booking, Kind.CONFIRMATION, channel, to, now, now, ics=channel == Channel.EMAIL, **extra
        )
        for channel, to in _client_addresses(
            client, ("email",) if made_in_chat else ("chat", "email")
        )
    ]
    rows += [
        _row(booking, Kind.NEW_BOOKING, channel, to, now, now, **extra)
        for channel, to in _specialist_addresses(specialist)
    ]
    ahead = reminders_ahead(booking.starts_at, client, now=now)
    for kind, before, channels in REMINDERS:
        if kind in ahead:
            rows += [
                _row(booking, kind, channel, to, booking.starts_at - before, now)
                for channel, to in _client_addresses(client, channels)
            ]
    review_due = booking.ends_at + timedelta(hours=24)
    rows += [
        _row(booking, Kind.REVIEW_REQUEST, channel, to, review_due, now)
        for channel, to in _client_addresses(client, ("chat", "email"))
    ]
    return rows


def plan_cancelled(
    booking: BookingFacts,
    client: ClientContacts,
    specialist: SpecialistContacts,
    *,
    by: str,
    now: datetime,
) -> list[Row]:
    """Tell the other side: a client's cancellation to the specialist, and vice versa.

    A cancellation by staff is told to both; the client is offered other slots either way.
    """
    rows: list[Row] = []
    reason = booking.cancel_reason
    if by in ("client", "staff"):
        kind = Kind.CANCELLED_BY_CLIENT if by == "client" else Kind.CANCELLED_BY_STAFF
        rows += [
            _row(booking, kind, channel, to, now, now, reason=reason)
            for channel, to in _specialist_addresses(specialist)
        ]
    if by in ("specialist", "staff"):
        rows += [
            _row(booking, Kind.CANCELLED_BY_SPECIALIST, channel, to, now, now, reason=reason, by=by,
                 offer_alternatives=True)
            for channel, to in _client_addresses(client, ("chat", "sms", "email"))
        ]  # fmt: skip
    return rows


NOTIFICATIONS = cast(Table, Notification.__table__)
#: Insert-or-skip on the dedupe key, per dialect: a row planned twice is written once.
_INSERT = {
    "postgresql": pg_insert(NOTIFICATIONS).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite_insert(NOTIFICATIONS).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}


def plan_moved_away(
    booking: BookingFacts, specialist: SpecialistContacts, *, by: str, now: datetime
) -> list[Row]:
    """Tell the old specialist that a booking moved to someone else (the client hears of
    the new booking through its confirmation); nothing when they moved it themselves."""
    if by == "specialist":
        return []
    kind = Kind.CANCELLED_BY_CLIENT if by == "client" else Kind.CANCELLED_BY_STAFF
    return [
        _row(booking, kind, channel, to, now, now, reason=booking.cancel_reason)
        for channel, to in _specialist_addresses(specialist)
    ]


async def write(executor: AsyncSession | AsyncConnection, rows: list[Row]) -> None:
    """Insert planned rows in one statement, inside the caller's transaction; a row whose
    dedupe key is already there is skipped."""
    if rows:
        bind = executor.get_bind() if isinstance(executor, AsyncSession) else executor
        await executor.execute(_INSERT[bind.dialect.name], rows)


async def withdraw_upcoming(session: AsyncSession, booking_id: int) -> None:
    """Cancel the pending confirmation, reminder and review rows of a booking."""
    await session.execute(
        update(Notification)
        .where(
            Notification.booking_id == booking_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.kind.in_(UPCOMING),
        )
        .values(status=NotificationStatus.CANCELLED)
    )


async def withdraw_review(session: AsyncSession, booking_id: int) -> None:
    """Cancel a pending review request (the client did not come)."""
    await session.execute(
        update(Notification)
        .where(
            Notification.booking_id == booking_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.kind == Kind.REVIEW_REQUEST,
        )
        .values(status=NotificationStatus.CANCELLED)
    )
