"""Faults: providers down or refusing, a booking cancelled while its reminder is claimed,
a dispatcher killed mid-batch, several dispatchers at once. Time moves by passing ``now``."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.message import Delivery, Message
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Notification
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.test_dispatch import CHAT, MAIL, PHONE, book
from tests.core.notify.wiring import ChatRecorder, make_dispatcher
from tests.core.shop import NOW, TOMORROW, Shop, at, new_client

ROOT = Path(__file__).resolve().parents[3]
REMINDER = at(TOMORROW, 10) - timedelta(hours=24)


async def statuses(engine: AsyncEngine, **where: object) -> dict[tuple[str, str], Notification]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(Notification).filter_by(**where))
        return {(r.kind, r.channel): r for r in rows}


async def test_sms_down_then_back(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    sms.down = True
    tally = await dispatcher.drain(now=REMINDER)
    assert (tally.sent, tally.retried) == (2, 1)  # chat and e-mail went; SMS waits
    row = (await statuses(engine))[("reminder_24h", "sms")]
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error == "SMS API 503 error 20500: Service unavailable"
    assert row.next_attempt_at is not None
    assert (
        REMINDER + timedelta(seconds=30) <= row.next_attempt_at <= REMINDER + timedelta(seconds=36)
    )
    await dispatcher.drain(now=row.next_attempt_at)  # still down: the wait doubles
    row = (await statuses(engine))[("reminder_24h", "sms")]
    assert row.attempts == 2 and row.next_attempt_at is not None
    assert row.next_attempt_at - REMINDER >= timedelta(seconds=90)
    sms.down = False
    assert (await dispatcher.drain(now=row.next_attempt_at)).sent == 1
    assert [m["Body"].split()[0] for m in sms.to(PHONE)] == ["Reminder:"]
    assert (await statuses(engine))[("reminder_24h", "sms")].status == "sent"


async def test_sms_given_up_after_max_attempts(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    sms.down = True
    moment = REMINDER
    for _ in range(4):
        await dispatcher.drain(now=moment)
        moment += timedelta(hours=2)
    row = (await statuses(engine))[("reminder_24h", "sms")]
    assert row.status == "failed"
    assert (
        row.last_error == "gave up after 4 attempts: SMS API 503 error 20500: Service unavailable"
    )


async def test_unsubscribed_number_is_not_retried(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    sms.unsubscribed.add(PHONE)
    tally = await dispatcher.drain(now=REMINDER)
    assert tally.failed == 1
    row = (await statuses(engine))[("reminder_24h", "sms")]
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error is not None and "error 21610" in row.last_error
    assert "unsubscribed" in row.last_error


async def test_smtp_refusing_a_recipient(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn, chat: ChatRecorder
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    smtp.refuse.add(MAIL)
    tally = await dispatcher.drain(now=NOW)
    assert (tally.sent, tally.failed) == (3, 1)
    rows = await statuses(engine, recipient=MAIL)
    row = rows[("confirmation", "email")]
    assert row.status == "failed"
    assert row.last_error == f"SMTP refused {MAIL}: 550 5.1.1 mailbox unavailable"
    assert chat.to(CHAT) and smtp.to("anna@shop.test")  # the other channels went


async def test_cancelled_while_its_reminder_is_claimed(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder, sms: SmsStandIn
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    claimed = await dispatcher.claim(REMINDER)  # the reminders, claimed by one dispatcher...
    assert {c.row.kind for c in claimed} == {"reminder_24h"}
    await bookings.cancel(engine, booking_id=booked.id, by="specialist", now=REMINDER)
    # ...another sends the cancellation notice: it waits while the reminders are in flight
    other = make_dispatcher(engine, *_servers(dispatcher), chat)
    assert (await other.drain(now=REMINDER)).deferred == 3
    tally = await dispatcher.send_claimed(claimed, now=REMINDER)
    assert (tally.sent, tally.cancelled) == (0, 3)  # the booking is re-read at send time
    assert (await other.drain(now=REMINDER + timedelta(seconds=1))).sent == 3
    assert [m.kind for m in chat.to(CHAT)] == ["confirmation", "cancelled_by_specialist"]
    assert [m["Body"].split()[1] for m in sms.to(PHONE)] == ["booking"]


async def test_notice_waits_for_a_reminder_in_flight(
    engine: AsyncEngine, shop: Shop, smtp: SmtpStandIn, sms: SmsStandIn
) -> None:
    """The reminder passed its check and is being sent when the booking is cancelled: the
    cancellation notice goes after it, never before."""
    arrived, release = asyncio.Event(), asyncio.Event()

    class SlowChat(ChatRecorder):
        async def send(self, message: Message) -> Delivery:
            if message.kind == "reminder_24h":
                arrived.set()
                await release.wait()
            return await super().send(message)

    chat = SlowChat()
    booked = await book(engine, shop, await new_client(engine, 1))
    first = make_dispatcher(engine, smtp, sms, chat)
    await first.drain(now=NOW)
    sending = asyncio.create_task(first.drain(now=REMINDER))
    await arrived.wait()  # the reminder passed its check and is on its way
    await bookings.cancel(engine, booking_id=booked.id, by="specialist", now=REMINDER)
    second = make_dispatcher(engine, smtp, sms, chat)
    assert (await second.drain(now=REMINDER)).deferred == 3
    release.set()
    await sending
    await second.drain(now=REMINDER + timedelta(seconds=1))
    assert [m.kind for m in chat.to(CHAT)] == [
        "confirmation", "reminder_24h", "cancelled_by_specialist",
    ]  # fmt: skip


def _servers(dispatcher: Dispatcher) -> tuple[SmtpStandIn, SmsStandIn]:
    smtp = SmtpStandIn(port=dispatcher.senders["email"].port)  # type: ignore[attr-defined]
    sms = SmsStandIn.__new__(SmsStandIn)
    sender = dispatcher.senders["sms"]
    sms.url = sender.url.split("/2010-04-01")[0]  # type: ignore[attr-defined]
    sms.sid, sms.token = sender.auth  # type: ignore[attr-defined]
    return smtp, sms


async def test_lease_lets_another_take_over(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    claimed = await dispatcher.claim(NOW)  # ...and its process dies before sending
    assert len(claimed) == 4
    assert (await dispatcher.drain(now=NOW + timedelta(minutes=1))).claimed == 0
    tally = await dispatcher.drain(now=NOW + dispatcher.lease)
    assert tally.sent == 4
    # the dead claim cannot overwrite what the new one recorded
    assert (await dispatcher.send_claimed(claimed, now=NOW)).sent == 4
    rows = await statuses(engine)
    assert rows[("confirmation", "telegram")].attempts == 2
    assert len(chat.to(CHAT)) == 2  # the stale claimer did send again: at most once in flight


# --- processes ------------------------------------------------------------------------------


async def many_sms_rows(engine: AsyncEngine, booking_id: int, count: int) -> list[str]:
    phones = [f"+4917{n:09d}" for n in range(count)]
    rows = [
        {"booking_id": booking_id, "kind": "reminder_24h", "channel": "sms", "recipient": phone,
         "payload": {}, "due_at": NOW, "next_attempt_at": NOW, "status": "pending", "attempts": 0,
         "dedupe_key": f"fault:{phone}", "created_at": NOW}
        for phone in phones
    ]  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(insert(Notification), rows)
    return phones


def dispatch_process(url: str, sms: SmsStandIn, now: str, batch: int, concurrency: int):  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.notify.dispatch_process", url, sms.url, now,
         str(batch), str(concurrency)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


async def test_killed_mid_batch_and_restarted(
    engine: AsyncEngine, database_url: str, shop: Shop, sms: SmsStandIn
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1, contacts=False))
    phones = await many_sms_rows(engine, booked.id, 60)
    sms.delay = 0.03
    process = dispatch_process(database_url, sms, NOW.isoformat(), 10, 1)
    while len(sms.messages) < 15:
        assert process.poll() is None, process.communicate()
        await asyncio.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    delivered_before = len(sms.messages)
    assert delivered_before < 60
    later = (NOW + timedelta(minutes=3)).isoformat()  # past the dead process's lease
    restarted = dispatch_process(database_url, sms, later, 10, 4)
    _, err = await asyncio.to_thread(restarted.communicate, timeout=120)
    assert restarted.returncode == 0, err
    counts = collections.Counter(m["To"] for m in sms.messages)
    assert set(counts) == set(phones)  # every due message delivered
    twice = [phone for phone, n in counts.items() if n > 1]
    assert len(twice) <= 1, twice  # at most the one in flight when it died
    async with session_factory(engine)() as session:
        left = await session.scalars(
            select(Notification.status).where(Notification.channel == "sms").distinct()
        )
        assert set(left) == {"sent"}


async def test_two_dispatchers_at_once_send_each_row_once(
    engine: AsyncEngine, database_url: str, shop: Shop, sms: SmsStandIn
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1, contacts=False))
    phones = await many_sms_rows(engine, booked.id, 300)
    sms.delay = 0.002
    processes = [dispatch_process(database_url, sms, NOW.isoformat(), 20, 8) for _ in range(2)]
    results = [await asyncio.to_thread(p.communicate, timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    counts = collections.Counter(m["To"] for m in sms.messages)
    assert set(counts) == set(phones)
    assert max(counts.values()) == 1
    sent = [int(out.split("sent ")[-1]) for out, _ in results]
    assert sum(sent) >= 300  # (Anna's e-mail went to the outbox page too)
    assert all(n > 0 for n in sent), sent  # both took part


async def test_killed_during_waitlist_offers_and_restarted(
    engine: AsyncEngine, database_url: str, shop: Shop, sms: SmsStandIn
) -> None:
    """Forty waiting clients are offered a freed time by SMS; the dispatcher dies halfway:
    after a restart every one of them has the offer, at most the one in flight twice."""
    from slotbot.core.storage.db import writer
    from slotbot.core.storage.models import BusinessSetting, Client
    from slotbot.core.waitlist import entries, matching
    from tests.core.shop import BERLIN

    taken = []
    for hour in range(9, 18):
        held = await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
            client_id=await new_client(engine, 200 + hour, contacts=False), channel="staff",
            now=NOW,
        )  # fmt: skip
        taken.append(await bookings.confirm(engine, booking_id=held.id, now=NOW))
    phones = [f"+4916{n:09d}" for n in range(40)]
    async with writer(engine) as session:
        session.add(BusinessSetting(key="waitlist_offer_batch", value=50))
        waiting = [Client(name=f"Waiting {n}", phone=phone) for n, phone in enumerate(phones)]
        session.add_all(waiting)
    for client in waiting:
        await entries.join(
            engine, client_id=client.id, service_id=shop.haircut, specialist_id=shop.anna,
            first_day=TOMORROW, last_day=TOMORROW, window=None, timezone=BERLIN.key,
            channel="terminal", now=NOW,
        )  # fmt: skip
    await bookings.cancel(engine, booking_id=taken[3].id, by="client", now=NOW)
    assert (await matching.match(engine, now=NOW)).messages == 40
    async with engine.begin() as connection:  # the walk-ins' own messages are not this test's
        await connection.execute(
            update(Notification)
            .where(Notification.kind != "waitlist_offer")
            .values(status="cancelled")
        )
    sms.delay = 0.03
    process = dispatch_process(database_url, sms, NOW.isoformat(), 10, 1)
    while len(sms.messages) < 12:
        assert process.poll() is None, process.communicate()
        await asyncio.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert len(sms.messages) < 40
    later = (NOW + timedelta(minutes=3)).isoformat()  # past the dead process's lease
    restarted = dispatch_process(database_url, sms, later, 10, 4)
    _, err = await asyncio.to_thread(restarted.communicate, timeout=120)
    assert restarted.returncode == 0, err
    counts = collections.Counter(m["To"] for m in sms.messages)
    assert set(counts) == set(phones)  # every waiting client was offered the time
    twice = [phone for phone, n in counts.items() if n > 1]
    assert len(twice) <= 1, twice  # at most the one in flight when it died
    assert all(m["Body"].startswith("A time has freed up") for m in sms.messages)
    async with session_factory(engine)() as session:
        left = await session.scalars(
            select(Notification.status).where(Notification.kind == "waitlist_offer").distinct()
        )
        assert set(left) == {"sent"}
