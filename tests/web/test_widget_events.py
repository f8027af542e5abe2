"""What the widget API reports about the visitor's bookings: each booking, move and cancel
once, with its time, service and specialist, as the dialog's turn did it; a change made
through another channel between two widget turns is not reported as the visitor's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.bootstrap import create_app
from slotbot.core import booking as bookings
from slotbot.core.settings import Settings
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Service, Specialist
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.screens import Reply
from tests.dialogs.chat import NOW, load_demo
from tests.web.test_widget_api import SECRET, SITE, serve
from tests.web.widget_client import Visitor, book_haircut


@pytest.fixture
async def http(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load_demo(engine)
    async with serve(database_url) as client:
        yield client


async def _row(engine: AsyncEngine, booking_id: int) -> tuple[Booking, str, str]:
    async with session_factory(engine)() as session:
        row = await session.get(Booking, booking_id)
        assert row is not None
        service = await session.get(Service, row.service_id)
        specialist = await session.get(Specialist, row.specialist_id)
        assert service is not None and specialist is not None
        return row, service.key, specialist.key


def _iso(booking: Booking) -> str:
    return booking.starts_at.astimezone(NOW.tzinfo).isoformat().replace("+00:00", "Z")


async def test_a_booking_a_move_and_a_cancel_are_each_reported_once(
    http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await book_haircut(visitor)
    held, booked = visitor.events
    assert held["type"] == "held" and booked["type"] == "booked"
    first, service, specialist = await _row(engine, booked["booking"])
    assert (service, specialist) == ("haircut", "anna")
    assert held == {
        "type": "held", "booking": first.id, "starts": _iso(first), "service": "haircut",
        "specialist": "anna", "was_booking": None, "was": None,
    }  # fmt: skip
    assert booked == {**held, "type": "booked"}

    visitor.events.clear()
    await visitor.press("Reschedule")
    await visitor.press("4")
    await visitor.press("3:00")
    await visitor.press("✅")
    assert visitor.screen["text"].startswith("Moved to Friday, December 4, 2026 at 3:00")
    [moved] = visitor.events
    second, _, _ = await _row(engine, moved["booking"])
    assert second.id != first.id and second.status == "confirmed"
    assert moved == {
        "type": "moved", "booking": second.id, "starts": _iso(second), "service": "haircut",
        "specialist": "anna", "was_booking": first.id, "was": _iso(first),
    }  # fmt: skip

    visitor.events.clear()
    await visitor.start(command="my")
    await visitor.press("Fri")
    await visitor.press("Cancel booking")
    assert visitor.events == []  # asked first
    await visitor.press("Yes")
    assert visitor.events == [{**moved, "type": "cancelled", "was_booking": None, "was": None}]
    await visitor.start(command="my")
    assert visitor.events == [{**moved, "type": "cancelled", "was_booking": None, "was": None}]


async def test_a_booking_made_elsewhere_during_a_turn_is_not_this_turns(
    engine: AsyncEngine, database_url: str
) -> None:
    """Staff book for the same client while one of their widget turns runs: the turn reports
    only what it did itself (a route that compared the client's bookings before and after its
    turn would report the staff's booking as the visitor's)."""
    await load_demo(engine)
    settings = Settings(
        database_url=database_url, secret_key=SECRET, allowed_origins=[SITE], environment="test"
    )
    app = create_app(settings, clock=lambda: NOW, jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            visitor = Visitor(http)
            await visitor.open()
            await book_haircut(visitor)
            mine, _, _ = await _row(engine, visitor.events[-1]["booking"])
            for label in ("Book another", "Hair studio", "Haircut", "Anna Petrova", "4"):
                await visitor.press(label)
            visitor.events.clear()

            dialogs: Dialogs = app.state.dialogs
            respond = dialogs.respond
            staff: list[int] = []

            async def elsewhere_meanwhile(*args: Any, **kwargs: Any) -> Reply:
                """Another channel books for the client as this turn begins."""
                held = await bookings.hold(
                    engine, service_id=mine.service_id, specialist_id=mine.specialist_id,
                    start=mine.starts_at + timedelta(days=7), client_id=mine.client_id,
                    channel="staff", now=NOW,
                )  # fmt: skip
                staff.append((await bookings.confirm(engine, booking_id=held.id, now=NOW)).id)
                return await respond(*args, **kwargs)

            dialogs.respond = elsewhere_meanwhile  # type: ignore[method-assign]
            await visitor.press("3:00")  # this turn holds a time of its own, and nothing else
            dialogs.respond = respond  # type: ignore[method-assign]
            [held] = visitor.events
            assert held["type"] == "held" and held["booking"] not in (mine.id, *staff)
            await visitor.press("✅")
            assert visitor.screen["text"].startswith("You are booked")
            assert [e["type"] for e in visitor.events] == ["held", "booked"]
            assert visitor.events[-1]["booking"] == held["booking"]

            visitor.events.clear()
            await visitor.start(command="my")  # the staff's booking is the client's...
            assert "Tue, Dec 8" in str(visitor.screen["buttons"])
            assert visitor.events == []  # ...and none of this turn's doing
