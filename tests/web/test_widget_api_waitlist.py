"""The waiting list in the widget, over the widget API: a visitor joins and leaves a number,
a time frees up, the offer lands in the visitor's conversation log (the outbox's ``web``
channel) with a button that holds it; an offer's link opens the chat at that time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.senders import ShownOnOutboxPage
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Notification
from slotbot.core.waitlist import matching
from slotbot.core.waitlist.links import slot_token
from slotbot.web.widget_log import WidgetLogSender
from tests.dialogs.chat import NOW, load_demo
from tests.dialogs.test_waitlist import fill, ids
from tests.web.test_widget_api import SECRET, serve
from tests.web.widget_client import Visitor


@pytest.fixture
async def http(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load_demo(engine)
    async with serve(database_url) as client:
        yield client


async def test_the_offer_reaches_the_widget_and_its_button_holds(
    http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    taken = await fill(engine)
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start()
    for label in ("Hair studio", "Haircut", "Anna Petrova"):
        await visitor.press(label)
    day = next(b for row in visitor.screen["buttons"] for b in row if b["label"] == "2")
    await visitor.send({"type": "press", "action": day["action"]})  # booked up: why, and wait
    assert visitor.notice == "No free time on Wed, Dec 2."
    await visitor.press("🔔 Tell me if Wed, Dec 2 frees up")
    assert visitor.screen["text"].startswith("You are on the waiting list. What phone number")
    await visitor.type("+49 151 23456789")
    assert "I will send it here and by text message." in visitor.screen["text"]

    await bookings.cancel(engine, booking_id=taken[0].id, by="client", now=NOW)
    await matching.match(engine, now=NOW)
    senders = {
        "web": WidgetLogSender(engine), "sms": ShownOnOutboxPage("sms"),
        "email": ShownOnOutboxPage("email"), "telegram": ShownOnOutboxPage("telegram"),
    }  # fmt: skip
    await Dispatcher(engine, senders).drain(now=NOW)  # type: ignore[arg-type]
    last = visitor.messages[-1]["id"]
    response = await http.get(
        "/api/v1/widget/messages", params={"after": last},
        headers={"Authorization": f"Bearer {visitor.token}"},
    )  # fmt: skip
    [offer] = response.json()["messages"]
    assert offer["from"] == "bot" and offer["text"].startswith("A time has freed up")
    [[button]] = offer["buttons"]
    assert button["label"].startswith("Wed, Dec 2, 10:00")
    visitor.messages.append(offer)
    await visitor.send({"type": "press", "action": button["action"]})
    assert visitor.events[-1]["type"] == "held"
    assert visitor.screen["text"] == (
        "Held for you: Haircut with Anna Petrova, Wed, Dec 2, 10:00\u202fAM.\n\n"
        "What name should we book under?"
    )
    await visitor.type("Jane Doe")
    await visitor.press("✅")
    assert visitor.events[-1]["type"] == "booked"
    async with session_factory(engine)() as session:
        statuses = set(
            await session.scalars(
                select(Notification.status).where(Notification.kind == "waitlist_offer")
            )
        )
    assert statuses == {"sent"}


async def test_an_offer_link_opens_the_chat_at_its_time(
    http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    taken = await fill(engine)
    await bookings.cancel(engine, booking_id=taken[1].id, by="client", now=NOW)
    haircut, anna = await ids(engine)
    token = slot_token(
        SECRET, specialist_id=anna, service_id=haircut, start=taken[1].starts_at, now=NOW
    )
    visitor = Visitor(http)
    await visitor.open()
    bad = await visitor.start(slot="has spaces and <b>")
    assert bad.status_code == 422
    await visitor.start(slot=token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert visitor.screen["text"].startswith("This link is not valid.")
    await visitor.start(slot=token, service="beard_trim")  # the link wins
    assert visitor.events[-1]["type"] == "held"
    assert visitor.screen["text"].endswith("11:00\u202fAM.\n\nWhat name should we book under?")
