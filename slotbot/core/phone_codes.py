"""SMS codes that confirm a phone number typed in the widget (business setting
``verify_web_phone``): whoever books with a number must be able to read its messages.

A code is 6 random digits, valid for :data:`CODE_TTL`, sent through the outbox as an SMS
(kind ``phone_code``, no booking) and never stored in the clear: the row keeps an
HMAC-SHA256 of client, number and code under a random salt, and the outbox row's copy is
wiped once it was sent or given up. A code confirms only the number and the client it was
sent for. Limits: :data:`MAX_ATTEMPTS` wrong tries per code; a new code at most every
:data:`RESEND_AFTER`, :data:`MAX_SENDS` per client and number and
:data:`MAX_SENDS_PER_NUMBER` per number (all sessions) within 24 hours, so nobody can
guess a code or flood a stranger's phone with messages.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.clients import display_phone
from slotbot.core.notify.message import Message
from slotbot.core.notify.outbox import Kind, write
from slotbot.core.notify.texts import notify_texts
from slotbot.core.storage.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    PhoneCode,
)
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session

__all__ = [
    "CODE_TTL",
    "Check",
    "Checked",
    "CodeRefused",
    "Refusal",
    "check_code",
    "code_message",
    "is_verified",
    "looks_like_a_code",
    "send_code",
]

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=30)
MAX_SENDS = 3
MAX_SENDS_PER_NUMBER = 6
DAY = timedelta(hours=24)
HIDDEN = "••••••"


class Refusal(enum.StrEnum):
    WAIT = "wait"  # a code was sent moments ago
    TOO_MANY = "too_many"  # the day's codes for this number are used up


class CodeRefused(Exception):
    """No code sent; ``wait`` is how long until one may be (for :attr:`Refusal.WAIT`)."""

    def __init__(self, reason: Refusal, wait: timedelta = timedelta()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class Check(enum.StrEnum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"  # ``tries_left`` more
    EXPIRED = "expired"  # or never sent: ask for a new one
    LOCKED = "locked"  # too many wrong tries: ask for a new one


@dataclass(frozen=True, slots=True)
class Checked:
    outcome: Check
    tries_left: int = 0


def _digest(salt: str, client_id: int, phone: str, code: str) -> str:
    message = f"{client_id}:{phone}:{code}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


async def is_verified(session: AsyncSession, client_id: int, phone: str) -> bool:
    """Whether this client confirmed this number with a code."""
    found = await session.scalar(
        select(PhoneCode.verified_at).where(
            PhoneCode.client_id == client_id, PhoneCode.phone == phone
        )
    )
    return found is not None


async def _row(session: AsyncSession, client_id: int, phone: str, now: datetime) -> PhoneCode:
    """The client's row for this number, created on first use and locked."""
    dialect: Any = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    await session.execute(
        dialect.insert(PhoneCode)
        .values(
            client_id=client_id,
            phone=phone,
            code_hash="",
            salt="",
            expires_at=now,
            attempts=0,
            sends=0,
            window_start=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "phone"])
    )
    row = await session.scalar(
        select(PhoneCode)
        .where(PhoneCode.client_id == client_id, PhoneCode.phone == phone)
        .with_for_update()
    )
    assert row is not None
    return row


async def send_code(
    engine: AsyncEngine,
    *,
    client_id: int,
    phone: str,
    locale: str,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> None:
    """Make a new code for this client and number (the previous one stops working) and put
    the SMS carrying it into the outbox, in one transaction. Raises :class:`CodeRefused`."""
    async with write_session(engine, uow) as session:
        row = await _row(session, client_id, phone, now)
        if row.window_start <= now - DAY:
            row.sends, row.window_start = 0, now
        if row.last_sent_at is not None and now < row.last_sent_at + RESEND_AFTER:
            raise CodeRefused(Refusal.WAIT, row.last_sent_at + RESEND_AFTER - now)
        to_number = await session.scalar(
            select(func.coalesce(func.sum(PhoneCode.sends), 0)).where(
                PhoneCode.phone == phone, PhoneCode.window_start > now - DAY
            )
        )
        if row.sends >= MAX_SENDS or int(to_number or 0) >= MAX_SENDS_PER_NUMBER:
            raise CodeRefused(Refusal.TOO_MANY)
        code = f"{secrets.randbelow(10**6):06d}"
        row.salt = secrets.token_hex(16)
        row.code_hash = _digest(row.salt, client_id, phone, code)
        row.expires_at, row.attempts, row.verified_at = now + CODE_TTL, 0, None
        row.sends += 1
        row.last_sent_at = now
        await session.flush()
        await write(session, [{
            "booking_id": None, "kind": Kind.PHONE_CODE, "channel": NotificationChannel.SMS,
            "recipient": phone, "due_at": now, "next_attempt_at": now,
            "payload": {"code": code, "locale": locale, "expires_at": row.expires_at.isoformat()},
            "status": NotificationStatus.PENDING, "attempts": 0, "created_at": now,
            "dedupe_key": f"{Kind.PHONE_CODE}:{row.id}:{row.salt}",
        }])  # fmt: skip


def _normalized(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-")


def looks_like_a_code(text: str) -> bool:
    """Six digits (spaces and hyphens aside): anything else is not counted as a try."""
    code = _normalized(text)
    return len(code) == 6 and code.isascii() and code.isdigit()


async def check_code(
    engine: AsyncEngine,
    *,
    client_id: int,
    phone: str,
    code: str,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> Checked:
    """Check a typed code for this client and number; a right one confirms the number
    and can never be used again."""
    # no savepoint: nothing here raises (a wrong code's try is counted, and kept)
    async with write_session(engine, uow, savepoint=False) as session:
        row = await session.scalar(
            select(PhoneCode)
            .where(PhoneCode.client_id == client_id, PhoneCode.phone == phone)
            .with_for_update()
        )
        if row is not None and row.verified_at is not None:
            return Checked(Check.CONFIRMED)
        if row is None or not row.code_hash or row.expires_at <= now:
            return Checked(Check.EXPIRED)
        if row.attempts >= MAX_ATTEMPTS:
            return Checked(Check.LOCKED)
        typed = _digest(row.salt, client_id, phone, _normalized(code))
        if hmac.compare_digest(typed, row.code_hash):
            row.verified_at, row.code_hash = now, ""
            return Checked(Check.CONFIRMED)
        row.attempts += 1
        left = MAX_ATTEMPTS - row.attempts
        return Checked(Check.WRONG, left) if left else Checked(Check.LOCKED)


def code_message(row: Notification, now: datetime, *, hidden: bool = False) -> Message | None:
    """The SMS a ``phone_code`` outbox row stands for (``None`` once the code ran out);
    ``hidden`` puts dots for the digits, as the row's stored body keeps it."""
    payload: dict[str, Any] = row.payload or {}
    code, expires = payload.get("code"), payload.get("expires_at")
    if not isinstance(code, str) or not isinstance(expires, str):
        return None
    if datetime.fromisoformat(expires) <= now:
        return None
    t = notify_texts(payload.get("locale"))
    minutes = int(CODE_TTL.total_seconds() // 60)
    text = t.ngettext(
        "{code} is your code to book with us. It is valid for {minutes} minute. "
        "Do not give it to anyone.",
        "{code} is your code to book with us. It is valid for {minutes} minutes. "
        "Do not give it to anyone.",
        minutes,
    ).format(code=HIDDEN if hidden else code, minutes=minutes)
    return Message(
        id=row.id, kind=row.kind, channel=row.channel, recipient=row.recipient,
        locale=t.locale, subject=display_phone(row.recipient), text=text,
    )  # fmt: skip
