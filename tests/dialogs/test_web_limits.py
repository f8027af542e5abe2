"""Limits on anonymous widget sessions (issue 14.3) on SQLite and PostgreSQL: live bookings
per widget client, bookings per typed phone number a day, also under concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.clients import client_for_web
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.format import ImportFileError
from slotbot.core.importing.importer import import_file
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Booking, BookingStatus, BusinessSetting, Client
from slotbot.core.web_limits import (
    QuotaReached,
    WebLimits,
    hold_guard,
    store_web_phone,
    web_limits,
)
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Visitor
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import NOW, TOMORROW, at, build_shop
from tests.dialogs.chat import Chat

PHONE, OTHER = "+49 151 23456789", "+49 151 98765432"


async def set_settings(engine: AsyncEngine, **values: Any) -> None:
    async with writer(engine) as session:
        for key, value in values.items():
            session.add(BusinessSetting(key=key, value=value))


async def count(engine: AsyncEngine, *statuses: str) -> int:
    async with session_factory(engine)() as session:
        found = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.status.in_(statuses))
        )
        return int(found or 0)


async def pick_a_time(web: Chat, day: str) -> None:
    await web.start()
    await web.choose_service("Haircut")
    await web.press("Anna Petrova")
    await web.press(day)
    await web.press(web.labels()[0])


async def book(web: Chat, day: str, phone: str = PHONE) -> None:
    await pick_a_time(web, day)
    if "What name" in web.text:
        await web.type("Wanda Web")
    if "phone number" in web.text:
        await web.type(phone)
    await web.press("✅")
    assert web.text.startswith("You are booked"), web.text


async def test_a_widget_client_holds_at_most_max_upcoming_per_client(demo: AsyncEngine) -> None:
    dialogs = Dialogs(demo)
    web = Chat(dialogs, Visitor("web", "one-visitor", language="en"))
    for day in ("2", "3", "4"):
        await book(web, day)
    await pick_a_time(web, "9")
    assert web.text.startswith(
        "You already have 3 upcoming bookings, the most we take online from one visitor."
    )
    assert "pick a time" in web.text  # said at the time list, before any hold
    assert await count(demo, BookingStatus.HELD) == 0
    await web.start("my")
    await web.press(web.labels()[0])
    await web.press("Cancel booking")
    await web.press("Yes, cancel it")
    await book(web, "9")  # one freed: the next one goes through
    assert await count(demo, BookingStatus.CONFIRMED) == 3
    telegram = Chat.new(demo, "7001")  # Telegram clients are not anonymous: no such limit
    for day in ("10", "11", "15", "16"):
        await pick_a_time(telegram, day)
        if telegram.text.startswith("Thank you"):
            await telegram.share(PHONE)
        await telegram.press("✅")
        assert telegram.text.startswith("You are booked")


async def test_the_limit_is_a_business_setting_and_speaks_russian(demo: AsyncEngine) -> None:
    await set_settings(demo, max_upcoming_per_client=1)
    web = Chat(Dialogs(demo), Visitor("web", "ru-visitor", language="ru"))
    await web.start()
    await web.choose_service("Стрижка · ")
    await web.press("Anna Petrova")
    await web.press("2")
    await web.press(web.labels()[0])
    await web.type("Ваня")
    await web.type(PHONE)
    await web.press("✅")
    await web.start()
    await web.choose_service("Стрижка · ")
    await web.press("Anna Petrova")
    await web.press("3")
    await web.press(web.labels()[0])
    assert web.text.startswith("У вас уже 1 предстоящая запись")


async def test_a_phone_number_books_at_most_max_per_day_however_many_sessions(
    demo: AsyncEngine,
) -> None:
    dialogs = Dialogs(demo)
    for n, day in enumerate(("2", "3", "4")):
        await book(Chat(dialogs, Visitor("web", f"session-{n}", language="en")), day)
    late = Chat(dialogs, Visitor("web", "session-4", language="en"))
    await pick_a_time(late, "9")
    await late.type("Wanda Web")
    await late.type(PHONE)
    assert late.text.startswith(
        "This phone number already has 3 bookings made online today, the most we take."
    )
    async with session_factory(demo)() as session:
        stored = await session.scalar(
            select(Client.phone).where(Client.web_session_id == "web:session-4")
        )
    assert stored is None  # refused numbers are not kept
    await late.type(OTHER)
    await late.press("✅")
    assert late.text.startswith("You are booked")
    assert await count(demo, BookingStatus.CONFIRMED) == 4


async def test_numbers_stored_at_once_never_pass_the_days_limit(engine: AsyncEngine) -> None:
    """Eight widget clients, each holding a time, store one number at once on separate
    connections: exactly three get it."""
    shop = await build_shop(engine)
    limits = WebLimits(max_bookings_per_phone_per_day=3)
    clients = [await client_for_web(engine, session_id=f"w{n}", locale="en") for n in range(8)]
    for n, client in enumerate(clients):
        await bookings.hold(
            engine, service_id=shop.haircut, specialist_id=None, start=at(TOMORROW, 9 + n),
            client_id=client.id, channel="web", now=NOW,
        )  # fmt: skip
    results = await asyncio.gather(
        *(
            store_web_phone(engine, client_id=c.id, phone="+4915123456789", limits=limits, now=NOW)
            for c in clients
        ),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 3
    assert all(isinstance(r, QuotaReached) for r in results if r is not None)
    async with session_factory(engine)() as session:
        with_number = await session.scalar(
            select(func.count()).where(Client.phone == "+4915123456789")
        )
    assert with_number == 3
    await assert_no_overlapping_live_bookings(engine)


async def test_holds_placed_at_once_never_pass_the_clients_limit(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    client = await client_for_web(engine, session_id="w", locale="en")
    guard = hold_guard(WebLimits(max_upcoming_per_client=2), client_id=client.id, now=NOW)
    results = await asyncio.gather(
        *(
            bookings.hold(
                engine,
                service_id=shop.haircut,
                specialist_id=None,
                start=at(TOMORROW, 9 + n),
                client_id=client.id,
                channel="web",
                now=NOW,
                within=guard,
            )
            for n in range(6)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Booking) for r in results) == 2
    assert await count(engine, BookingStatus.HELD) == 2
    await assert_no_overlapping_live_bookings(engine)


async def test_the_limits_come_from_the_import_files_settings(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        "settings: {min_notice_minutes: 30, horizon_days: 60, hold_minutes: 10}",
        "settings: {min_notice_minutes: 30, max_upcoming_per_client: 5,"
        " max_bookings_per_phone_per_day: 2, verify_web_phone: true}",
    )
    (tmp_path / "shop.yaml").write_text(text, encoding="utf-8")
    await import_file(engine, tmp_path / "shop.yaml")
    async with session_factory(engine)() as session:
        assert await web_limits(session) == WebLimits(5, 2, True)
    bad = text.replace("max_upcoming_per_client: 5", "max_upcoming_per_client: 0")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ImportFileError, match="max_upcoming_per_client"):
        await import_file(engine, tmp_path / "bad.yaml")
