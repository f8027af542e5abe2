"""The outbox dispatcher: claims due rows, sends them, records what happened.

Claiming is one statement that flips due rows to ``sending`` with a lease (their
``next_attempt_at`` moves to the end of the lease) and counts the attempt:
``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`` on
PostgreSQL, the same conditional ``UPDATE`` inside a ``BEGIN IMMEDIATE`` transaction on
SQLite. So several dispatchers never claim one row, and a row whose claimer died is
claimed again when its lease runs out. Outcomes are recorded only while the claim still
holds (same status and attempt number): a dispatcher that lost its lease changes nothing.
Each outcome is committed as soon as its send returns (grouped with the others that finished
meanwhile), so a process that dies mid-batch re-sends at most the messages it had in flight.

Before sending, the row's booking is read again: a reminder or confirmation of a booking
that is no longer confirmed is cancelled, not sent; and a cancellation notice waits while a
reminder of its booking is still in flight, so no reminder ever follows the notice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.business import Business, load_business
from slotbot.core.notify.message import Delivery, Message, Sender, SendFailed, Unreachable
from slotbot.core.notify.outbox import NOTIFICATIONS, UPCOMING, Kind, Row, write
from slotbot.core.notify.render import (
    TO_SPECIALIST,
    Facts,
    Links,
    Offer,
    calendar_identity,
    load_facts,
    offers_after_cancel,
    render,
)
from slotbot.core.phone_codes import code_message
from slotbot.core.storage.db import session_factory, write_transaction
from slotbot.core.storage.models import (
    BookingStatus,
    Client,
    Notification,
    NotificationChannel,
    NotificationStatus,
)

__all__ = ["Backoff", "Dispatcher", "Tally"]

N = Notification
CANCELLATIONS = (Kind.CANCELLED_BY_CLIENT, Kind.CANCELLED_BY_SPECIALIST, Kind.CANCELLED_BY_STAFF)
_ERROR_MAX = 1000


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter and a cap; after ``max_attempts`` a row fails."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.2  # up to this share of the delay is added at random
    max_attempts: int = 8

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        raw: timedelta = min(self.cap, self.base * (2 ** max(0, attempts - 1)))
        return raw * (1 + self.jitter * rng.random())


@dataclass(slots=True)
class Tally:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Claimed:
    row: Notification
    attempts: int


@dataclass(slots=True)
class _Outcome:
    """The values a claimed row is left with."""

    claimed: _Claimed
    status: str
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    delivery_status: str | None = None
    body: str | None = None
    counted: bool = True  # False: the attempt did not happen (deferred), give it back
    fallback: list[Row] = field(default_factory=list)
    unreachable_client: int | None = None


def _reason(text: str) -> str:
    return text[:_ERROR_MAX]


class Dispatcher:
    """Sends due outbox rows through one :class:`Sender` per channel."""

    def __init__(
        self,
        engine: AsyncEngine,
        senders: Mapping[str, Sender],
        *,
        links: Links | None = None,
        batch: int = 200,
        lease: timedelta = timedelta(minutes=2),
        concurrency: int = 64,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        send_timeout: float = 60,
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.links = links or Links()
        self.batch = batch
        self.lease = lease
        self.concurrency = concurrency
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.send_timeout = send_timeout
        self._finished: list[_Outcome] = []
        self._writing = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the senders that keep connections (SMS client, SMTP sessions)."""
        for sender in self.senders.values():
            close = getattr(sender, "aclose", None)
            if close is not None:
                await close()

    # --- claiming -----------------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int | None = None) -> list[_Claimed]:
        """Take up to ``limit`` due rows (pending, or sending with a lapsed lease)."""
        due = (
            select(N.id)
            .where(
                N.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
                N.next_attempt_at <= now,
            )
            .order_by(N.next_attempt_at, N.id)
            .limit(limit or self.batch)
        )
        if self.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(NOTIFICATIONS)
            .where(NOTIFICATIONS.c.id.in_(due.scalar_subquery()))
            .values(
                status=NotificationStatus.SENDING,
                attempts=NOTIFICATIONS.c.attempts + 1,
                next_attempt_at=now + self.lease,
            )
            .returning(*NOTIFICATIONS.c)
        )
        async with write_transaction(self.engine) as connection:
            rows = (await connection.execute(statement)).mappings().all()
        claimed = [_Claimed(Notification(**dict(r)), r["attempts"]) for r in rows]
        claimed.sort(key=lambda c: (c.row.due_at, c.row.id))
        return claimed

    async def next_due(self) -> datetime | None:
        """When the next waiting row falls due (or a lease runs out)."""
        async with session_factory(self.engine)() as session:
            found: datetime | None = await session.scalar(
                select(func.min(N.next_attempt_at)).where(
                    N.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING])
                )
            )
        return found

    # --- one pass -----------------------------------------------------------------------------

    async def run_once(self, *, now: datetime) -> Tally:
        """Claim one batch, send it, record the outcomes."""
        return await self.send_claimed(await self.claim(now), now=now)

    async def send_claimed(self, claimed: list[_Claimed], *, now: datetime) -> Tally:
        """Send rows this dispatcher claimed and record the outcomes."""
        tally = Tally(claimed=len(claimed))
        if not claimed:
            return tally
        outcomes = await self._prepare_and_send(claimed, now)
        for outcome in outcomes:
            if outcome.status == NotificationStatus.SENT:
                tally.sent += 1
            elif outcome.status == NotificationStatus.CANCELLED:
                tally.cancelled += 1
            elif outcome.status == NotificationStatus.FAILED:
                tally.failed += 1
                tally.errors.append(outcome.last_error or "")
            elif not outcome.counted:
                tally.deferred += 1
            else:
                tally.retried += 1
        return tally

    async def drain(self, *, now: datetime, passes: int = 1000) -> Tally:
        """Passes until nothing is due at ``now`` (fallback rows written by a pass included)."""
        total = Tally()
        for _ in range(passes):
            tally = await self.run_once(now=now)
            for name in ("claimed", "sent", "retried", "failed", "cancelled", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
            total.errors += tally.errors
            if tally.claimed == 0:
                break
        return total

    async def _prepare_and_send(self, claimed: list[_Claimed], now: datetime) -> list[_Outcome]:
        booking_ids = [c.row.booking_id for c in claimed if c.row.booking_id is not None]
        in_flight: set[int] = set()
        offers: dict[int, list[Offer]] = {}
        identities: dict[int, tuple[int, int]] = {}
        async with session_factory(self.engine)() as session:
            facts = await load_facts(session, booking_ids)
            business = await load_business(session)
            cancelling = {c.row.booking_id for c in claimed if c.row.kind in CANCELLATIONS}
            if cancelling:
                in_flight = set(
                    await session.scalars(
                        select(N.booking_id).where(
                            N.booking_id.in_(cancelling),
                            N.kind.in_(UPCOMING),
                            N.status == NotificationStatus.SENDING,
                            N.next_attempt_at > now,
                        )
                    )
                )
            for c in claimed:
                booking_id = c.row.booking_id
                if booking_id is None or booking_id not in facts:
                    continue
                if c.row.channel == NotificationChannel.EMAIL and booking_id not in identities:
                    identities[booking_id] = await calendar_identity(session, booking_id)
                if c.row.kind == Kind.CANCELLED_BY_SPECIALIST and booking_id not in offers:
                    offers[booking_id] = await offers_after_cancel(session, facts[booking_id], now)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(c: _Claimed) -> _Outcome:
            async with gate:
                outcome = await self._one(c, facts, in_flight, offers, identities, business, now)
                await self._commit(outcome, now)
                return outcome

        return list(await asyncio.gather(*(one(c) for c in claimed)))

    def _stale(self, row: Notification, facts: Facts, now: datetime) -> str | None:
        """Why a row should no longer be sent, or None."""
        booking = facts.booking
        if row.kind == Kind.REVIEW_REQUEST:
            done = booking.status == BookingStatus.COMPLETED or (
                booking.status == BookingStatus.CONFIRMED and booking.ends_at <= now
            )
            return None if done else f"booking is {booking.status}"
        if row.kind in UPCOMING and booking.status != BookingStatus.CONFIRMED:
            return f"booking is {booking.status}"
        if row.kind in (Kind.REMINDER_24H, Kind.REMINDER_2H) and booking.starts_at <= now:
            return "the appointment has begun"
        return None

    async def _one(
        self,
        claimed: _Claimed,
        facts: Mapping[int, Facts],
        in_flight: set[int],
        offers: Mapping[int, Sequence[Offer]],
        identities: Mapping[int, tuple[int, int]],
        business: Business,
        now: datetime,
    ) -> _Outcome:
        row = claimed.row
        if row.kind == Kind.PHONE_CODE:
            return await self._send_code(claimed, now)
        found = facts.get(row.booking_id) if row.booking_id is not None else None
        if found is None:
            return _Outcome(claimed, NotificationStatus.CANCELLED, last_error="booking is gone")
        stale = self._stale(row, found, now)
        if stale:
            return _Outcome(claimed, NotificationStatus.CANCELLED, last_error=stale)
        if row.kind in CANCELLATIONS and row.booking_id in in_flight:
            return _Outcome(
                claimed, NotificationStatus.PENDING, counted=False,
                next_attempt_at=now + timedelta(seconds=1),
                last_error="waiting for a reminder in flight",
            )  # fmt: skip
        to_client = row.kind not in TO_SPECIALIST
        if (
            to_client
            and row.channel == NotificationChannel.TELEGRAM
            and found.client.telegram_unreachable_at is not None
        ):
            return self._fall_back(claimed, found, "the client blocked the bot earlier", now)
        message = render(
            row, found, links=self.links, now=now,
            offers=offers.get(found.booking.id, ()), identity=identities.get(found.booking.id),
            business=business,
        )  # fmt: skip
        try:
            delivery = await self._transmit(message)
        except Unreachable as error:
            if to_client and row.channel == NotificationChannel.TELEGRAM:
                return self._fall_back(claimed, found, error.reason, now, mark=True)
            return self._failed(claimed, error.reason, message)
        except SendFailed as error:
            return self._retry_or_fail(claimed, error, message, now)
        return self._sent(claimed, delivery, message, now)

    async def _transmit(self, message: Message) -> Delivery:
        """Hand ``message`` to its channel's sender within the send timeout."""
        sender = self.senders.get(message.channel)
        if sender is None:
            raise SendFailed(f"no sender for the {message.channel} channel")
        try:
            return await asyncio.wait_for(sender.send(message), self.send_timeout)
        except TimeoutError:
            raise SendFailed(f"no answer in {self.send_timeout:g} s") from None

    async def _send_code(self, claimed: _Claimed, now: datetime) -> _Outcome:
        """An SMS code (no booking): sent while it is valid; the stored body hides it."""
        message = code_message(claimed.row, now)
        if message is None:
            return _Outcome(claimed, NotificationStatus.CANCELLED, last_error="the code ran out")
        try:
            outcome = self._sent(claimed, await self._transmit(message), message, now)
        except SendFailed as error:
            outcome = self._retry_or_fail(claimed, error, message, now)
        hidden = code_message(claimed.row, now, hidden=True)
        outcome.body = hidden.text if hidden and outcome.body else None
        return outcome

    # --- outcomes -----------------------------------------------------------------------------

    def _sent(
        self, claimed: _Claimed, delivery: Delivery, message: Message, now: datetime
    ) -> _Outcome:
        return _Outcome(
            claimed, NotificationStatus.SENT, sent_at=now, provider_id=delivery.provider_id,
            delivery_status=delivery.status, body=message.text,
        )  # fmt: skip

    def _failed(self, claimed: _Claimed, reason: str, message: Message | None) -> _Outcome:
        return _Outcome(
            claimed, NotificationStatus.FAILED, last_error=_reason(reason),
            body=message.text if message else None,
        )  # fmt: skip

    def _retry_or_fail(
        self, claimed: _Claimed, error: SendFailed, message: Message, now: datetime
    ) -> _Outcome:
        if error.permanent:
            return self._failed(claimed, error.reason, message)
        if claimed.attempts >= self.backoff.max_attempts:
            return self._failed(
                claimed, f"gave up after {claimed.attempts} attempts: {error.reason}", message
            )
        wait = self.backoff.delay(claimed.attempts, self.rng)
        if error.retry_after is not None:
            wait = timedelta(seconds=max(0.0, error.retry_after))
        return _Outcome(
            claimed, NotificationStatus.PENDING, next_attempt_at=now + wait,
            last_error=_reason(error.reason),
        )  # fmt: skip

    def _fall_back(
        self, claimed: _Claimed, facts: Facts, reason: str, now: datetime, *, mark: bool = False
    ) -> _Outcome:
        """The chat cannot be reached: the same message goes by SMS, else by e-mail."""
        row = claimed.row
        client = facts.client
        channel, to = (
            (NotificationChannel.SMS, client.phone)
            if client.phone
            else (NotificationChannel.EMAIL, client.email)
        )
        fallback: list[Row] = []
        note = reason
        if to:
            payload: dict[str, Any] = {**(row.payload or {}), "fallback_from": row.id}
            fallback.append({
                "booking_id": row.booking_id, "kind": row.kind, "channel": channel,
                "recipient": to, "payload": payload, "due_at": now, "next_attempt_at": now,
                "status": NotificationStatus.PENDING, "attempts": 0,
                "dedupe_key": f"{row.booking_id}:{row.kind}:{channel}:{to}", "created_at": now,
            })  # fmt: skip
            note = f"{reason}; sent by {channel} instead"
        else:
            note = f"{reason}; no other channel to reach the client"
        outcome = self._failed(claimed, note, None)
        outcome.fallback = fallback
        outcome.unreachable_client = client.id if mark else None
        return outcome

    async def _commit(self, outcome: _Outcome, now: datetime) -> None:
        """Record ``outcome`` before returning, grouped with whatever else finished while
        the previous group was being written (one transaction per group): a process killed
        after this returns never sends the row again."""
        self._finished.append(outcome)
        async with self._writing:
            group, self._finished = self._finished, []
            if group:
                await self._record(group, now)

    async def _record(self, outcomes: Sequence[_Outcome], now: datetime) -> None:
        """Write every outcome whose claim still holds, in one transaction."""
        fenced = (
            update(NOTIFICATIONS)
            .where(
                and_(
                    NOTIFICATIONS.c.id == bindparam("o_id"),
                    NOTIFICATIONS.c.status == NotificationStatus.SENDING,
                    NOTIFICATIONS.c.attempts == bindparam("o_attempts"),
                )
            )
            .values(
                status=bindparam("o_status"),
                attempts=bindparam("o_new_attempts"),
                next_attempt_at=bindparam("o_next"),
                last_error=bindparam("o_error"),
                sent_at=bindparam("o_sent_at"),
                provider_id=bindparam("o_provider_id"),
                delivery_status=bindparam("o_delivery_status"),
                body=bindparam("o_body"),
            )
        )
        params = [
            {
                "o_id": o.claimed.row.id,
                "o_attempts": o.claimed.attempts,
                "o_status": o.status,
                "o_new_attempts": o.claimed.attempts - (0 if o.counted else 1),
                "o_next": o.next_attempt_at,
                "o_error": o.last_error,
                "o_sent_at": o.sent_at,
                "o_provider_id": o.provider_id,
                "o_delivery_status": o.delivery_status,
                "o_body": o.body,
            }
            for o in outcomes
        ]
        fallback = [row for o in outcomes for row in o.fallback]
        # a code's digits stay in the row only while it may still be sent
        spent_codes = [
            o.claimed.row.id
            for o in outcomes
            if o.claimed.row.kind == Kind.PHONE_CODE and o.status != NotificationStatus.PENDING
        ]
        unreachable = {o.unreachable_client for o in outcomes if o.unreachable_client}
        async with write_transaction(self.engine) as connection:
            if params:
                await connection.execute(fenced, params)
            if fallback:
                await write(connection, fallback)
            if spent_codes:
                await connection.execute(
                    update(NOTIFICATIONS)
                    .where(
                        NOTIFICATIONS.c.id.in_(spent_codes),
                        NOTIFICATIONS.c.status != NotificationStatus.SENDING,
                    )
                    .values(payload={})
                )
            if unreachable:
                await connection.execute(
                    update(Client)
                    .where(Client.id.in_(unreachable), Client.telegram_unreachable_at.is_(None))
                    .values(telegram_unreachable_at=now)
                )
