"""What a client reads in the outbox's messages: a booking made in a chat is not confirmed in
a chat a second time; the reminders promised are the ones planned; reminders name the time
zone and tell where the shop is (and the calendar entry's location), in English and Russian."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.business import BUSINESS_KEY
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.db import writer
from slotbot.core.storage.models import BusinessSetting, Client
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.test_dispatch import CHAT, MAIL, PHONE, book, rows
from tests.core.notify.wiring import ChatRecorder
from tests.core.shop import NOW, TOMORROW, Shop, at, new_client

SHOP = {
    "name": {"en": "Riverside Barbers", "ru": "Барбершоп «Риверсайд»"},
    "address": "Flussstraße 1, 10115 Berlin",
    "phone": "+49301234567",
    "map_url": "https://www.openstreetmap.org/?mlat=52.53&mlon=13.38",
}


async def speaks(engine: AsyncEngine, client: int, locale: str) -> None:
    async with writer(engine) as session:
        await session.execute(update(Client).where(Client.id == client).values(locale=locale))


async def with_shop_details(engine: AsyncEngine) -> None:
    async with writer(engine) as session:
        session.add(BusinessSetting(key=BUSINESS_KEY, value=SHOP))


@pytest.mark.parametrize("channel", ["telegram", "web", "terminal"])
async def test_a_booking_made_in_a_chat_is_confirmed_by_e_mail_only(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    chat: ChatRecorder, channel: str,
) -> None:  # fmt: skip
    booked = await book(engine, shop, await new_client(engine, 1), channel=channel)
    planned = {(r.kind, r.channel) for r in await rows(engine, booking_id=booked.id)}
    assert ("confirmation", "email") in planned
    assert ("confirmation", "telegram") not in planned
    assert {("reminder_24h", "telegram"), ("review_request", "telegram")} <= planned

    await dispatcher.drain(now=NOW)
    assert chat.to(CHAT) == []  # the chat's done screen said it; nothing more in the chat
    (mail,) = smtp.to(MAIL)
    assert mail.message["Subject"] == "Your booking is confirmed"
    assert [m.kind for m in chat.sent] == ["new_booking"]  # Anna is still told

    # later messages do reach the chat
    await dispatcher.drain(now=at(TOMORROW, 10) - timedelta(hours=24))
    assert [m.kind for m in chat.to(CHAT)] == ["reminder_24h"]


async def test_a_booking_made_by_the_staff_is_confirmed_in_the_chat_too(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    chat: ChatRecorder,
) -> None:  # fmt: skip
    await book(engine, shop, await new_client(engine, 1), channel="staff")
    await dispatcher.drain(now=NOW)
    assert [m.kind for m in chat.to(CHAT)] == ["confirmation"]
    assert len(smtp.to(MAIL)) == 1


@pytest.mark.parametrize(
    ("hours_ahead", "reminders", "promise_en", "promise_ru"),
    [
        (50, {"reminder_24h", "reminder_2h"}, "We will remind you the day before.",
         "Мы напомним вам накануне."),
        (5, {"reminder_2h"}, "We will remind you 2 hours before.", "Мы напомним вам за 2 часа."),
        (1, set(), None, None),
    ],
    ids=["two-days-ahead", "hours-ahead", "an-hour-ahead"],
)  # fmt: skip
async def test_the_confirmation_promises_the_reminders_planned(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    hours_ahead: int, reminders: set[str], promise_en: str | None, promise_ru: str | None,
) -> None:  # fmt: skip
    start = at(TOMORROW + timedelta(days=2), 15)
    now = start - timedelta(hours=hours_ahead)
    day = start.date()
    english, russian = await new_client(engine, 1), await new_client(engine, 2)
    await speaks(engine, russian, "ru")
    for client in (english, russian):
        booked = await book(engine, shop, client, hour=15 if client == english else 16,
                            channel="web", day=day, now=now)  # fmt: skip
        kinds = {r.kind for r in await rows(engine, booking_id=booked.id)}
        assert kinds & {"reminder_24h", "reminder_2h"} == reminders
    await dispatcher.drain(now=now)
    texts = {to: smtp.to(to)[0].text() for to in (MAIL, "client2@mail.test")}
    for to, promise, others in (
        (MAIL, promise_en, ("remind",)),
        ("client2@mail.test", promise_ru, ("напомним",)),
    ):
        if promise is None:
            assert not any(word in texts[to] for word in others), texts[to]
        else:
            assert promise in texts[to]


async def test_no_promise_of_a_reminder_that_cannot_reach_the_client(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn
) -> None:
    """A client with only an e-mail address gets the 24-hour reminder by e-mail, but the
    2-hour one goes by chat and SMS only: booked 5 hours ahead, nothing is promised."""
    client = await new_client(engine, 1)
    async with writer(engine) as session:
        await session.execute(
            update(Client).where(Client.id == client)
            .values(phone=None, telegram_chat_id=None, telegram_user_id=None)
        )  # fmt: skip
    start = at(TOMORROW, 15)
    booked = await book(engine, shop, client, hour=15, channel="web",
                        now=start - timedelta(hours=5))  # fmt: skip
    assert not {r.kind for r in await rows(engine, booking_id=booked.id)} & {
        "reminder_24h", "reminder_2h",
    }  # fmt: skip
    await dispatcher.drain(now=start - timedelta(hours=5))
    assert "remind" not in smtp.to(MAIL)[0].text()


@pytest.mark.parametrize(
    ("locale", "zone", "address", "phone", "map_label"),
    [
        ("en", "Central European Standard Time", "Address: Flussstraße 1, 10115 Berlin",
         "Our phone: +49 30 1234567", "Map"),
        ("ru", "Центральная Европа, стандартное время", "Адрес: Flussstraße 1, 10115 Berlin",
         "Наш телефон: +49 30 1234567", "Карта"),
    ],
)  # fmt: skip
async def test_reminders_name_the_zone_and_say_where_the_shop_is(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, smtp: SmtpStandIn,
    sms: SmsStandIn, chat: ChatRecorder, locale: str, zone: str, address: str, phone: str,
    map_label: str,
) -> None:  # fmt: skip
    await with_shop_details(engine)
    client = await new_client(engine, 1)
    await speaks(engine, client, locale)
    await book(engine, shop, client, channel="web")
    await dispatcher.drain(now=NOW)
    start = at(TOMORROW, 10)
    await dispatcher.drain(now=start - timedelta(hours=24))
    await dispatcher.drain(now=start - timedelta(hours=2))

    reminders = [m for m in chat.to(CHAT) if m.kind.startswith("reminder")]
    assert len(reminders) == 2
    for message in reminders:
        assert f"({zone})." in message.text
        assert SHOP["name"][locale] in message.text  # type: ignore[index]
        assert address in message.text and phone in message.text
        assert (map_label, SHOP["map_url"]) in [(b.label, b.url) for row in message.buttons
                                                for b in row]  # fmt: skip
    texts = [m["Body"] for m in sms.to(PHONE)]
    assert len(texts) == 2 and all(zone in t and address in t and phone in t for t in texts)
    assert all("openstreetmap" not in t for t in texts)  # no map link in an SMS

    confirmation, reminder = smtp.to(MAIL)[0], smtp.to(MAIL)[1]
    for mail in (confirmation, reminder):
        assert address in mail.text() and f"{map_label}: {SHOP['map_url']}" in mail.text()
        html = mail.part("text/html")
        assert html is not None
        body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
        assert f'<a href="{SHOP["map_url"].replace("&", "&amp;")}">{map_label}</a>' in body
    (event,) = Calendar.from_ical(confirmation.calendar()).walk("VEVENT")
    assert str(event["LOCATION"]) == f"{SHOP['name'][locale]}, Flussstraße 1, 10115 Berlin"  # type: ignore[index]
    assert SHOP["map_url"] in str(event["DESCRIPTION"])


async def test_without_shop_details_nothing_is_added(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder,
    smtp: SmtpStandIn,
) -> None:  # fmt: skip
    await book(engine, shop, await new_client(engine, 1), channel="staff")
    await dispatcher.drain(now=NOW)
    (message,) = chat.to(CHAT)
    assert message.text.splitlines()[-1].startswith("We will remind you the day before.")
    assert message.buttons == ()
    (event,) = Calendar.from_ical(smtp.to(MAIL)[0].calendar()).walk("VEVENT")
    assert "LOCATION" not in event


async def test_offered_times_start_their_lines_in_upper_case(
    engine: AsyncEngine, shop: Shop, dispatcher: Dispatcher, chat: ChatRecorder
) -> None:
    """After a specialist cancelled, a Russian client reads "• Вт, 1 дек., 09:00 · Anna"."""
    from slotbot.core import booking as bookings

    dispatcher.links = dataclasses.replace(dispatcher.links, chat_buttons=True)
    client = await new_client(engine, 1)
    await speaks(engine, client, "ru")
    booked = await book(engine, shop, client)
    await bookings.cancel(engine, booking_id=booked.id, by="specialist", reason="ill", now=NOW)
    await dispatcher.drain(now=NOW)
    (message,) = [m for m in chat.to(CHAT) if m.kind == "cancelled_by_specialist"]
    offers = [line for line in message.text.splitlines() if line.startswith("• ")]
    assert offers and offers[0] == "• Вт, 1 дек., 09:00 · Anna"
    assert all(line[2].isupper() for line in offers)
    assert message.buttons[0][0].label == "Вт, 1 дек., 09:00 · Anna"
