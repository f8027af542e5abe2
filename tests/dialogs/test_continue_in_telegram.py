""" "Continue in Telegram" (issue 14.2): the link carries the web visitor's bookings to the
Telegram account that opens it, never that account's bookings to the web, on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify import chat_actions
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import (
    Booking,
    BookingStatus,
    Client,
    DialogSession,
    Notification,
    NotificationStatus,
)
from slotbot.dialogs.actions import encode
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Start, Visitor
from tests.dialogs.chat import Chat, book_haircut

VICTIM_PHONE = "+4915199990001"
VICTIM_SHOWN = "+49 1519 9990001"
WEB_PHONE = "+4915122220002"


@dataclass
class Scene:
    dialogs: Dialogs
    web: Chat
    victim: Chat
    victim_booking: int
    web_booking: int


async def live_bookings(engine: AsyncEngine, client_id: int) -> list[int]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(Booking.id)
            .where(Booking.client_id == client_id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.id)
        )
        return list(rows)


async def client_of(engine: AsyncEngine, chat: Chat) -> Client:
    """The client the conversation's stored state points at."""
    async with session_factory(engine)() as session:
        state = await session.scalar(
            select(DialogSession.state).where(
                DialogSession.channel == chat.visitor.channel,
                DialogSession.conversation_id == chat.visitor.key,
            )
        )
        assert state is not None
        client = await session.get(Client, state["client"])
        assert client is not None
        return client


async def web_books(web: Chat, service: str = "Beard trim") -> None:
    """A booking with Boris on Thursday, December 3, at his first free time."""
    await web.start()
    await web.choose_service(service)
    await web.press("Boris Klein")
    await web.press("3")
    await web.press(web.labels()[0])
    if "What name" in web.text:
        await web.type("Web Visitor")
        await web.type(WEB_PHONE)
    await web.press("✅")
    assert web.text.startswith("You are booked")


async def link_of(web: Chat) -> str:
    await web.start()
    await web.press("Continue in Telegram")
    url = web.button("Open Telegram").url
    assert url.startswith("https://t.me/slotbot_test_bot?start=")
    return url.split("start=", 1)[1]


@pytest.fixture
async def scene(demo: AsyncEngine) -> Scene:
    """A victim with a Telegram booking; an attacker's widget session with one of its own."""
    dialogs = Dialogs(demo, telegram_username="slotbot_test_bot")
    victim = Chat(dialogs, Visitor("telegram", "5001", chat_id=5001, name="Vera Victim"))
    await book_haircut(victim, phone=VICTIM_PHONE)
    web = Chat(dialogs, Visitor("web", "attacker-session", language="en"))
    await web_books(web)
    victim_client, web_client = await client_of(demo, victim), await client_of(demo, web)
    [victim_booking] = await live_bookings(demo, victim_client.id)
    [web_booking] = await live_bookings(demo, web_client.id)
    return Scene(dialogs, web, victim, victim_booking, web_booking)


async def assert_web_cannot_reach(scene: Scene, engine: AsyncEngine) -> None:
    """The web session lists, opens, cancels and reschedules none of the victim's bookings
    and never shows the victim's phone, by its own buttons or forged ones."""
    web, victim_booking = scene.web, scene.victim_booking
    await web.start("my")
    assert "Haircut" not in web.text + " ".join(web.labels())
    version = int(web.screen.buttons[0][0].action.split(".")[0], 36)  # type: ignore[union-attr]
    for code in ("bk", "ics", "rs", "cx", "cy"):
        await web.press_action(encode(version, code, victim_booking))
        assert "Haircut" not in web.text, code
        assert not any(s.attachments for s in web.reply.screens)  # type: ignore[union-attr]
        version = int(web.screen.buttons[0][0].action.split(".")[0], 36)  # type: ignore[union-attr]
    for forged in (chat_actions.cancel(victim_booking), chat_actions.reschedule(victim_booking),
                   chat_actions.come(victim_booking)):  # fmt: skip
        await web.press_action(forged)
        assert "Haircut" not in web.text
        assert web.text.startswith("This booking is no longer active.")
    for text in [r.screens[0].text for r in web.history]:
        assert VICTIM_SHOWN not in text.replace("\u202f", " ")
    web_client = await client_of(engine, web)
    assert web_client.telegram_user_id is None and web_client.phone == WEB_PHONE
    victim_client = await client_of(engine, scene.victim)
    assert victim_booking in await live_bookings(engine, victim_client.id)


async def test_a_link_sent_to_someone_else_never_opens_their_bookings(
    demo: AsyncEngine, scene: Scene
) -> None:
    """The attack of issue 14.2: the attacker's widget session issues a link and gets the
    victim to open it in Telegram. Before, the victim's Telegram client was merged into the
    attacker's web client, whose session then read and cancelled the victim's bookings."""
    web, victim = scene.web, scene.victim
    await assert_web_cannot_reach(scene, demo)
    token = await link_of(web)

    await victim.send(Start("start", payload=token))
    await assert_web_cannot_reach(scene, demo)  # merely opening the link gives nothing
    assert victim.text.startswith("This link brings 1 booking from the website:")
    assert "Beard trim with Boris Klein on Thursday, December 3, 2026 at 9:00 AM" in victim.text
    await victim.press("Take it")
    assert victim.text.startswith("Done: 1 booking from the website is now here.")

    await assert_web_cannot_reach(scene, demo)
    victim_client = await client_of(demo, victim)
    assert (victim_client.telegram_user_id, victim_client.phone) == (5001, VICTIM_PHONE)
    assert await live_bookings(demo, victim_client.id) == sorted(
        [scene.victim_booking, scene.web_booking]
    )
    # what the victim books in Telegram from now on never shows in that web session
    await victim.start()
    await victim.choose_service("Flu vaccination")
    await victim.press("Any available")
    await victim.press("Soonest")
    await victim.press("✅")
    assert victim.text.startswith("You are booked")
    await web.start("my")
    assert web.text.startswith("You have no upcoming bookings.")
    assert web.labels() == ["‹ Back", "Book an appointment"]
    # and a new booking in the web session shows its own phone, not the victim's
    await web_books(web, "Haircut")
    assert VICTIM_SHOWN not in " ".join(r.screens[0].text for r in web.history[-3:])
    assert len(await live_bookings(demo, (await client_of(demo, web)).id)) == 1


async def test_the_web_sessions_own_buttons_for_a_moved_booking_stop_working(
    demo: AsyncEngine, scene: Scene
) -> None:
    web = scene.web
    token = await link_of(web)
    await web.start("my")
    await web.press("Thu, Dec 3")  # the web booking's own screen, before it moves
    await scene.victim.send(Start("start", payload=token))
    await scene.victim.press("Take it")
    await web.press("Cancel booking")
    assert web.text.startswith("This booking is no longer active.")
    victim_client = await client_of(demo, scene.victim)
    assert scene.web_booking in await live_bookings(demo, victim_client.id)


async def test_declining_changes_nothing_and_spends_the_link(
    demo: AsyncEngine, scene: Scene
) -> None:
    web, victim = scene.web, scene.victim
    token = await link_of(web)
    await victim.send(Start("start", payload=token))
    await victim.press("No, thanks")
    assert victim.text.startswith("Nothing was changed.")
    web_client, victim_client = await client_of(demo, web), await client_of(demo, victim)
    assert await live_bookings(demo, web_client.id) == [scene.web_booking]
    assert await live_bookings(demo, victim_client.id) == [scene.victim_booking]
    for who in (victim, Chat(scene.dialogs, Visitor("telegram", "5002", chat_id=5002))):
        await who.send(Start("start", payload=token))
        assert who.text.startswith("This link has expired or was already used.")
    assert await live_bookings(demo, web_client.id) == [scene.web_booking]


async def test_a_link_opened_twice_offers_once_and_moves_once(
    demo: AsyncEngine, scene: Scene
) -> None:
    web, victim = scene.web, scene.victim
    token = await link_of(web)
    await victim.send(Start("start", payload=token))
    first_offer = victim.screen
    await victim.send(Start("start", payload=token))  # opened again before answering
    assert victim.text.startswith("This link brings 1 booking from the website:")
    stale = first_offer.buttons[0][0].action  # type: ignore[union-attr]
    await victim.press_action(stale)
    assert victim.reply is not None and "out of date" in victim.reply.notice
    await victim.press("Take it")
    await victim.send(Start("start", payload=token))
    assert victim.text.startswith("This link has expired or was already used.")
    victim_client = await client_of(demo, victim)
    assert len(await live_bookings(demo, victim_client.id)) == 2


async def test_a_second_telegram_user_gets_nothing_from_a_link_another_opened(
    demo: AsyncEngine, scene: Scene
) -> None:
    web, victim = scene.web, scene.victim
    token = await link_of(web)
    await victim.send(Start("start", payload=token))
    other = Chat(scene.dialogs, Visitor("telegram", "5003", chat_id=5003, name="Otto"))
    await other.send(Start("start", payload=token))  # opened, not yet answered by the first
    assert other.text.startswith("This link has expired or was already used.")
    await victim.press("Take it")
    await other.send(Start("start", payload=token))  # and after the first accepted
    assert other.text.startswith("This link has expired or was already used.")
    await other.start("my")
    assert other.text.startswith("You have no upcoming bookings.")
    assert "Beard trim" not in " ".join(other.labels())


async def test_moved_bookings_remind_in_the_telegram_chat(demo: AsyncEngine, scene: Scene) -> None:
    """The reminders of a moved booking go to the chat (and the account's own phone), no
    longer to the phone typed on the website."""
    token = await link_of(scene.web)
    await scene.victim.send(Start("start", payload=token))
    await scene.victim.press("Take it")
    async with session_factory(demo)() as session:
        rows = (
            await session.execute(
                select(Notification.kind, Notification.channel, Notification.recipient)
                .where(
                    Notification.booking_id == scene.web_booking,
                    Notification.status == NotificationStatus.PENDING,
                    Notification.kind.in_(["reminder_24h", "reminder_2h", "review_request"]),
                )
                .order_by(Notification.kind, Notification.channel)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("reminder_24h", "sms", VICTIM_PHONE),
        ("reminder_24h", "telegram", "5001"),
        ("reminder_2h", "sms", VICTIM_PHONE),
        ("reminder_2h", "telegram", "5001"),
        ("review_request", "telegram", "5001"),
    ]


async def test_a_link_opened_in_the_widget_gives_nothing(demo: AsyncEngine, scene: Scene) -> None:
    token = await link_of(scene.web)
    other_web = Chat(scene.dialogs, Visitor("web", "another-session", language="en"))
    await other_web.send(Start("start", payload=token))
    assert "What would you like to book?" in other_web.text
    await scene.victim.send(Start("start", payload=token))  # still good for Telegram
    assert scene.victim.text.startswith("This link brings 1 booking")
