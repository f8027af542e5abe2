"""A small barbershop built directly with the ORM, for booking tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import writer
from slotbot.core.storage.models import (
    BusinessSetting,
    Client,
    Service,
    Specialist,
    SpecialistOverride,
    SpecialistSchedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
#: Tuesday 2026-12-01, 07:00 in Berlin.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TOMORROW = date(2026, 12, 2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as a UTC instant."""
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


@dataclass
class Shop:
    haircut: int
    massage: int
    anna: int
    boris: int
    carl: int
    dora: int


async def build_shop(engine: AsyncEngine) -> Shop:
    """Three barbers (haircut, 60 min, Mon-Sat 09-18) and a masseuse; Anna is off on Dec 3."""
    async with writer(engine) as session:
        haircut = Service(key="haircut", name={"en": "Haircut"}, duration_minutes=60)
        massage = Service(key="massage", name={"en": "Massage"}, duration_minutes=30)
        people = [
            Specialist(key=key, name=key.title(), title={}, timezone=BERLIN.key,
                       telegram_user_id=1000 + n, email=f"{key}@shop.test",
                       services=[massage] if key == "dora" else [haircut])
            for n, key in enumerate(["anna", "boris", "carl", "dora"])
        ]  # fmt: skip
        session.add_all([haircut, massage, *people])
        session.add(BusinessSetting(key="hold_minutes", value=10))
        await session.flush()
        for person in people:
            for weekday in range(6):
                session.add(
                    SpecialistSchedule(
                        specialist_id=person.id, weekday=weekday, start_time=time(9),
                        end_time=time(18), slot_duration=30 if person.key == "dora" else 60,
                        break_after=0,
                    )
                )  # fmt: skip
        session.add(
            SpecialistOverride(
                specialist_id=people[0].id, starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 3),
                kind="day_off",
            )
        )  # fmt: skip
        ids = [p.id for p in people]
        return Shop(haircut.id, massage.id, *ids)


async def new_client(engine: AsyncEngine, n: int = 1, *, contacts: bool = True) -> int:
    async with writer(engine) as session:
        client = Client(
            name=f"Client {n}",
            phone=f"+49151{n:08d}" if contacts else None,
            email=f"client{n}@mail.test" if contacts else None,
            telegram_user_id=5000 + n if contacts else None,
            telegram_chat_id=5000 + n if contacts else None,
        )
        session.add(client)
        await session.flush()
        return client.id


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)
