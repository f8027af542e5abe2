"""Every row of the DESIGN.md section 6 table reaches a real SMTP server, a real HTTP SMS
endpoint and the chat, in the recipient's language with times in the specialist's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.jobs import housekeeping
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.ics import booking_uid
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Booking, Client, Notification
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.wiring import PUBLIC, ChatRecorder
from tests.core.shop import NOW, TOMORROW, Shop, at, new_client

PHONE = "+4915100000001"
MAIL = "client1@mail.test"
CHAT = 5001


async def book(
    engine: AsyncEngine, shop: Shop, client: int, hour: int = 10, *, channel: str = "staff",
    day: date = TOMORROW, now: datetime = NOW,
) -> Booking:  # fmt: skip
    """A haircut with Anna, booked by the staff for the client (so the client's chat is
    told too) unless ``channel`` says the client booked it in a conversation."""
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(day, hour),
        client_id=client, channel=channel, now=now,
    )  # fmt: skip
    return await bookings.confirm(engine, booking_id=held.id, now=now)


async def rows(engine: AsyncEngine, **where: object) -> list[Notification]:
    async with session_factory(engine)() as session:
        found = await session.scalars(select(Notification).filter_by(**where))
        return list(found)


def event_of(ics: bytes | None) -> tuple[str, object]:
    assert ics is not None
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


async def test_every_kind_reaches_every_channel(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    sms: SmsStandIn, chat: ChatRecorder,
) -> None:  # fmt: skip
    client = await new_client(engine, 1)
    booked = await book(engine, shop, client)
    start = at(TOMORROW, 10)

    # confirmed: client by chat and e-mail with the invitation, Anna by Telegram and e-mail
    tally = await dispatcher.drain(now=NOW)
    assert (tally.sent, tally.failed, tally.retried) == (4, 0, 0), tally
    (to_client,) = chat.to(CHAT)
    assert "Your booking is confirmed" in to_client.text
    assert "Haircut with Anna, Wed, Dec 2, 10:00" in to_client.text  # Berlin wall-clock time
    (mail,) = smtp.to(MAIL)
    assert mail.message["Subject"] == "Your booking is confirmed"
    assert mail.part("text/html") is not None
    method, event = event_of(mail.calendar())
    assert method == "REQUEST"
    assert event["UID"] == booking_uid(booked.id)  # type: ignore[index]
    assert event["DTSTART"].dt == start  # type: ignore[index]
    assert event["DTEND"].dt == start + timedelta(hours=1)  # type: ignore[index]
    assert "New booking" in chat.to(1000)[0].text
    (anna_mail,) = smtp.to("anna@shop.test")
    assert event_of(anna_mail.calendar())[0] == "PUBLISH"
    assert sms.messages == []

    # nothing else is due yet
    assert (await dispatcher.drain(now=NOW)).claimed == 0

    # 24 h before: chat, SMS and e-mail
    tally = await dispatcher.drain(now=start - timedelta(hours=24))
    assert tally.sent == 3
    (text,) = sms.to(PHONE)
    assert text["Body"].startswith("Reminder: tomorrow Haircut with Anna, Wed, Dec 2, 10:00")
    assert text["From"] == "+15550001111"
    assert text["StatusCallback"] == f"{PUBLIC}/sms/status"
    assert "Reminder: tomorrow" in smtp.to(MAIL)[-1].message["Subject"]
    assert chat.to(CHAT)[-1].kind == "reminder_24h"

    # 2 h before: chat and SMS
    tally = await dispatcher.drain(now=start - timedelta(hours=2))
    assert tally.sent == 2
    assert "in 2 hours" in sms.to(PHONE)[-1]["Body"]

    # a day after the end: the review request, with stars linking to the review page
    after = start + timedelta(hours=25)
    await housekeeping(engine, now=after)
    tally = await dispatcher.drain(now=after)
    assert tally.sent == 2
    review_chat = chat.to(CHAT)[-1]
    stars = review_chat.buttons[0]
    assert [b.label for b in stars] == ["★", "★★", "★★★", "★★★★", "★★★★★"]
    assert all(b.url and b.url.startswith(f"{PUBLIC}/review?token=") for b in stars)
    assert f"{PUBLIC}/review?token=" in smtp.to(MAIL)[-1].text()
    sent = await rows(engine, booking_id=booked.id)
    assert {r.status for r in sent} == {"sent"}
    assert all(r.body for r in sent)
    assert len(sent) == 11


async def test_specialist_cancels_client_gets_offers_and_calendar_cancel(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    sms: SmsStandIn, chat: ChatRecorder,
) -> None:  # fmt: skip
    booked = await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    later = NOW + timedelta(minutes=5)
    await bookings.cancel(engine, booking_id=booked.id, by="specialist", reason="ill", now=later)
    tally = await dispatcher.drain(now=later)
    assert tally.sent == 3, tally
    body = sms.to(PHONE)[-1]["Body"]
    assert "Anna had to cancel Haircut, Wed, Dec 2, 10:00" in body
    assert "Reason: ill" in body
    assert "Free times you can book instead:" in body
    assert "· Boris" in body and "· Anna" in body  # her next times and a substitute's
    assert f"{PUBLIC}/?service=haircut" in body
    mail = smtp.to(MAIL)[-1]
    method, event = event_of(mail.calendar())
    assert method == "CANCEL"
    assert event["UID"] == booking_uid(booked.id)  # type: ignore[index]
    assert event["SEQUENCE"] == 1  # type: ignore[index]
    # withdrawn reminders are never sent
    assert (await dispatcher.drain(now=at(TOMORROW, 9))).claimed == 0


async def test_client_cancels_specialist_is_told(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn, chat: ChatRecorder
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    await bookings.cancel(engine, booking_id=booked.id, by="client", reason="busy", now=NOW)
    await dispatcher.drain(now=NOW)
    assert "A client cancelled" in chat.to(1000)[-1].text
    assert "Reason: busy" in chat.to(1000)[-1].text
    assert event_of(smtp.to("anna@shop.test")[-1].calendar())[0] == "CANCEL"


async def test_moved_booking_updates_the_same_calendar_entry(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    moved = await bookings.reschedule(engine, booking_id=booked.id, start=at(TOMORROW, 14), now=NOW)
    await dispatcher.drain(now=NOW)
    mail = smtp.to(MAIL)[-1]
    assert mail.message["Subject"] == "Your booking is moved"
    method, event = event_of(mail.calendar())
    assert method == "REQUEST"
    assert event["UID"] == booking_uid(booked.id)  # type: ignore[index]
    assert event["SEQUENCE"] == 1  # type: ignore[index]
    assert event["DTSTART"].dt == at(TOMORROW, 14)  # type: ignore[index]
    assert moved.id != booked.id


async def test_the_specialist_reads_the_old_and_the_new_time_of_a_move(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder
) -> None:
    booked = await book(engine, shop, await new_client(engine, 1))
    await bookings.reschedule(engine, booking_id=booked.id, start=at(TOMORROW, 14), now=NOW)
    await dispatcher.drain(now=NOW)
    [moved] = [m for m in chat.to(1000) if m.text.startswith("A booking was moved")]
    text = " ".join(moved.text.split())
    assert "Wed, Dec 2, 2:00 PM" in text and "Before: Wed, Dec 2, 10:00 AM." in text


async def test_russian_client_reads_russian(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn, chat: ChatRecorder
) -> None:
    client = await new_client(engine, 1)
    async with writer(engine) as session:
        await session.execute(update(Client).where(Client.id == client).values(locale="ru"))
    await book(engine, shop, client)
    await dispatcher.drain(now=NOW)
    text = chat.to(CHAT)[0].text
    assert "Ваша запись подтверждена" in text
    assert "ср, 2 дек., 10:00" in text
    assert smtp.to(MAIL)[0].message["Subject"] == "Ваша запись подтверждена"


async def test_unconfigured_client_contacts_plan_nothing_to_send(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher
) -> None:
    await book(engine, shop, await new_client(engine, 1, contacts=False))
    tally = await dispatcher.drain(now=NOW)
    assert tally.sent == 2  # only Anna's


async def test_next_due_tells_when_to_wake(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher
) -> None:
    await book(engine, shop, await new_client(engine, 1))
    await dispatcher.drain(now=NOW)
    assert await dispatcher.next_due() == at(TOMORROW, 10) - timedelta(hours=24)
    assert datetime.now(UTC)  # real time plays no part
