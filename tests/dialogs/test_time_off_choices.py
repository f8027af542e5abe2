"""A day off or a vacation over several bookings: the specialist keeps or cancels each one
(pressing a booking switches it), or all at once; only the clients of cancelled bookings are
told. On SQLite and PostgreSQL, in English and Russian."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Booking, Notification, Service, Specialist
from slotbot.dialogs.events import Start
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.core.shop import at, new_client
from tests.dialogs.chat import NOW, Chat

ANNA = "1004"  # Anna Petrova's Telegram user id in the demo file
THURSDAY = date(2026, 12, 3)
WORDS = {
    "en": {"keep": "✔ Keep: ", "cancel": "✖ Cancel: ", "save": "Save: cancel 1 booking",
           "save2": "Save: cancel 2 bookings", "all": "Cancel them all and tell the clients",
           "done": "Saved. 1 booking was cancelled; the client is told. 2 bookings are kept.",
           "hint": "Tap a booking to keep or cancel it, or choose for all of them."},
    "ru": {"keep": "✔ Оставить: ", "cancel": "✖ Отменить: ", "save": "Сохранить: отменить 1 запись",
           "save2": "Сохранить: отменить 2 записи", "all": "Отменить все и сообщить клиентам",
           "done": "Сохранено. Отменена 1 запись, об отмене сообщено. Остаются 2 записи.",
           "hint": "Нажмите на запись, чтобы оставить или отменить её, или выберите для всех "
                   "сразу."},
}  # fmt: skip


async def three_bookings_with_anna(engine: AsyncEngine) -> list[int]:
    async with session_factory(engine)() as session:
        anna = await session.scalar(select(Specialist.id).where(Specialist.key == "anna"))
        haircut = await session.scalar(select(Service.id).where(Service.key == "haircut"))
    assert anna is not None and haircut is not None
    booked = []
    for n, hour in enumerate((10, 12, 16), start=1):
        client = await new_client(engine, n)
        held = await bookings.hold(
            engine, service_id=haircut, specialist_id=anna, start=at(THURSDAY, hour),
            client_id=client, channel="telegram", now=NOW,
        )  # fmt: skip
        booked.append((await bookings.confirm(engine, booking_id=held.id, now=NOW)).id)
    return booked


async def statuses(engine: AsyncEngine, ids: list[int]) -> list[str]:
    async with session_factory(engine)() as session:
        found = {b.id: b.status for b in await session.scalars(select(Booking))}
    return [found[i] for i in ids]


async def told(engine: AsyncEngine) -> set[int]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Notification.booking_id).where(Notification.kind == "cancelled_by_specialist")
        )
        return {r for r in rows if r is not None}


@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_keep_or_cancel_each_booking_in_the_way(demo: AsyncEngine, locale: str) -> None:
    words = WORDS[locale]
    first, second, third = await three_bookings_with_anna(demo)
    anna = Chat.new(demo, ANNA, language=locale)
    await anna.send(Start("dayoff", payload=THURSDAY.isoformat()))
    assert words["hint"] in anna.text
    assert [label.startswith(words["keep"]) for label in anna.labels()[:3]] == [True] * 3
    assert not any(label.startswith(words["save"][:6]) for label in anna.labels())

    await anna.press(anna.labels()[1])  # 12:00
    assert anna.labels()[1].startswith(words["cancel"])
    assert anna.labels()[3].startswith(words["save"])
    await anna.press(words["keep"])  # and 10:00
    assert anna.labels()[3].startswith(words["save2"])
    await anna.press(words["cancel"])  # 10:00 again: kept after all
    assert [label[:1] for label in anna.labels()[:3]] == ["✔", "✖", "✔"]
    await anna.press(words["save"])
    assert anna.text.startswith(words["done"]), anna.text

    assert await statuses(demo, [first, second, third]) == ["confirmed", "cancelled", "confirmed"]
    assert await told(demo) == {second}  # only that client hears of it
    await assert_no_overlapping_live_bookings(demo)


async def test_all_at_once_still_cancels_every_one(demo: AsyncEngine) -> None:
    ids = await three_bookings_with_anna(demo)
    anna = Chat.new(demo, ANNA)
    await anna.send(Start("vacation", payload="2026-12-03 2026-12-04"))
    await anna.press("✔ Keep: ")  # a choice one by one, then "all" after all
    await anna.press(WORDS["en"]["all"])
    assert anna.text.startswith("Saved. 3 bookings were cancelled; the clients are told.")
    assert await statuses(demo, ids) == ["cancelled"] * 3
    assert await told(demo) == set(ids)


async def test_keeping_them_all_cancels_none_even_after_marking(demo: AsyncEngine) -> None:
    ids = await three_bookings_with_anna(demo)
    anna = Chat.new(demo, ANNA)
    await anna.send(Start("dayoff", payload=THURSDAY.isoformat()))
    await anna.press("✔ Keep: ")
    await anna.press("Keep them all")
    assert anna.text.startswith("Saved.") and "cancelled" not in anna.text.split("\n")[0]
    assert await statuses(demo, ids) == ["confirmed"] * 3


async def test_a_booking_id_not_in_the_way_cancels_nothing(demo: AsyncEngine) -> None:
    """A marked booking that is no longer in the way (moved out of the day meanwhile) is
    not cancelled by Save: only the bookings the time off overlaps can be."""
    first, second, third = await three_bookings_with_anna(demo)
    anna = Chat.new(demo, ANNA)
    await anna.send(Start("dayoff", payload=THURSDAY.isoformat()))
    await anna.press("✔ Keep: ")  # 10:00 marked
    await anna.press("✔ Keep: ")  # 12:00 marked
    async with writer(demo) as session:  # 10:00 moves to Friday before Anna saves
        moved = await session.get(Booking, first)
        assert moved is not None
        moved.starts_at, moved.ends_at = at(date(2026, 12, 4), 10), at(date(2026, 12, 4), 11)
    await anna.press("Save")
    assert await statuses(demo, [first, second, third]) == ["confirmed", "cancelled", "confirmed"]
