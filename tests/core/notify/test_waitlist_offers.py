"""Waiting-list offers through the outbox: to the channel the client joined from, with the
times still free at send time, a chat button per time or a signed link by SMS and e-mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Booking, Client, Notification
from slotbot.core.waitlist import entries, matching
from slotbot.core.waitlist.links import read_slot_token
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.wiring import PUBLIC, SECRET, ChatRecorder
from tests.core.shop import BERLIN, NOW, TOMORROW, Shop, at, new_client


async def booked_up(engine: AsyncEngine, shop: Shop) -> list[Booking]:
    """Anna's whole Wednesday taken by walk-ins (their own messages withdrawn)."""
    made = []
    for hour in range(9, 18):
        held = await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
            client_id=await new_client(engine, 300 + hour, contacts=False), channel="staff",
            now=NOW,
        )  # fmt: skip
        made.append(await bookings.confirm(engine, booking_id=held.id, now=NOW))
    async with writer(engine) as session:
        await session.execute(update(Notification).values(status="cancelled"))
    return made


async def wait(engine: AsyncEngine, shop: Shop, client: int, channel: str) -> entries.Waiting:
    return await entries.join(
        engine, client_id=client, service_id=shop.haircut, specialist_id=shop.anna,
        first_day=TOMORROW, last_day=TOMORROW, window=None, timezone=BERLIN.key,
        channel=channel, now=NOW,
    )  # fmt: skip


async def offer_rows(engine: AsyncEngine) -> list[Notification]:
    async with session_factory(engine)() as session:
        found = await session.scalars(
            select(Notification)
            .where(Notification.kind == "waitlist_offer")
            .order_by(Notification.id)
        )
        return list(found)


async def test_a_telegram_client_gets_buttons_of_the_times_still_free(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder
) -> None:
    taken = await booked_up(engine, shop)
    await wait(engine, shop, await new_client(engine, 1), "telegram")
    for freed in (taken[1], taken[5]):  # 10:00 and 14:00 free up
        await bookings.cancel(engine, booking_id=freed.id, by="client", now=NOW)
    await matching.match(engine, now=NOW)
    # 10:00 is taken again before the dispatcher runs: it is not offered
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=await new_client(engine, 2), channel="telegram", now=NOW,
    )  # fmt: skip
    assert held.id
    await dispatcher.drain(now=NOW)
    [message] = chat.to(5001)
    assert message.text.splitlines()[:2] == [
        "A time has freed up",
        "You are on the waiting list for Haircut. Whoever takes a time first gets it.",
    ]
    assert [[b.label for b in row] for row in message.buttons] == [
        ["Wed, Dec 2, 2:00\u202fPM · Anna"]
    ]
    assert message.buttons[0][0].action == "0.wo.2"


async def test_a_message_whose_times_were_all_taken_is_not_sent(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder
) -> None:
    taken = await booked_up(engine, shop)
    client = await new_client(engine, 1)
    await wait(engine, shop, client, "telegram")
    await bookings.cancel(engine, booking_id=taken[0].id, by="specialist", now=NOW)
    await matching.match(engine, now=NOW)
    await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 9),
        client_id=await new_client(engine, 2), channel="telegram", now=NOW,
    )  # fmt: skip
    await dispatcher.drain(now=NOW)
    assert chat.to(5001) == []
    [row] = await offer_rows(engine)
    assert (row.status, row.last_error) == ("cancelled", "the times offered were taken meanwhile")


async def test_sms_and_email_carry_a_link_that_names_only_the_time(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, sms: SmsStandIn, smtp: SmtpStandIn
) -> None:
    taken = await booked_up(engine, shop)
    async with writer(engine) as session:
        texted = Client(name="Texted", phone="+4915199990001", locale="ru")
        mailed = Client(name="Mailed", email="mailed@mail.test")
        session.add_all([texted, mailed])
    await wait(engine, shop, texted.id, "terminal")
    await wait(engine, shop, mailed.id, "terminal")
    await bookings.cancel(engine, booking_id=taken[2].id, by="client", now=NOW)
    await matching.match(engine, now=NOW)
    await dispatcher.drain(now=NOW)
    [text] = sms.to("+4915199990001")
    assert text["Body"].startswith(
        "Освободилось время Вы в листе ожидания: Haircut. Время достанется тому, кто займёт его "
        "первым. Ср, 2 дек., 11:00 · Anna: https://shop.test/?slot="
    )
    url = text["Body"].split("Anna: ")[1].split(" ")[0]
    assert url.startswith(f"{PUBLIC}/?slot=")
    token = parse_qs(urlsplit(url).query)["slot"][0]
    link = read_slot_token(SECRET, token, NOW)
    assert (link.specialist_id, link.service_id, link.start) == (
        shop.anna, shop.haircut, at(TOMORROW, 11),
    )  # fmt: skip
    assert "Texted" not in text["Body"] and "+49" not in url  # nothing of the client
    [mail] = smtp.to("mailed@mail.test")
    assert "A time has freed up" in mail.text() and f"{PUBLIC}/?slot=" in mail.text()
    assert read_slot_token(SECRET, token, NOW + timedelta(hours=2)).start == link.start


async def test_a_web_client_hears_in_the_widget_and_by_sms(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    taken = await booked_up(engine, shop)
    async with writer(engine) as session:
        visitor = Client(name="Web", phone="+4915199990002", web_session_id="web:abc")
        session.add(visitor)
    await wait(engine, shop, visitor.id, "web")
    await bookings.cancel(engine, booking_id=taken[4].id, by="client", now=NOW)
    await matching.match(engine, now=NOW)
    rows = await offer_rows(engine)
    assert sorted((r.channel, r.recipient) for r in rows) == [
        ("sms", "+4915199990002"), ("web", "abc"),
    ]  # fmt: skip
    await dispatcher.drain(now=NOW)  # (no widget sender here: the web row waits for one)
    assert len(sms.to("+4915199990002")) == 1
