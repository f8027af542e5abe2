"""The client flow end to end over the real core, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, BookingStatus, Client, Notification, Specialist
from slotbot.core.storage.sessions import load_session, save_session
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Start, Visitor
from slotbot.dialogs.screens import Expect
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.chat import Chat, book_haircut, describe


async def bookings(engine: AsyncEngine, *statuses: str) -> list[Booking]:
    async with session_factory(engine)() as session:
        query = select(Booking).order_by(Booking.id)
        if statuses:
            query = query.where(Booking.status.in_(statuses))
        return list(await session.scalars(query))


async def test_new_client_books_in_six_presses_and_a_contact(demo: AsyncEngine) -> None:
    """The demo clinic has seven services: Start shows their categories first."""
    chat = Chat.new(demo)
    await chat.start()
    assert "What would you like to book?" in chat.text
    assert chat.labels()[:4] == ["Clinic", "Dentistry", "Hair studio", "Gym"]
    await chat.press("Hair studio")
    assert any(label.startswith("Haircut · 1 hr · €35.00") for label in chat.labels())
    await chat.press("Haircut")
    assert chat.labels()[0].startswith("Any available · Tue, Dec 1")
    await chat.press("Anna Petrova")
    assert "December 2026" in chat.text
    await chat.press("3")
    assert "Thu, Dec 3: pick a time." in chat.text
    await chat.press("10:00")
    assert chat.screen is not None and chat.screen.expects == Expect.PHONE
    assert "Jane Doe" in chat.text  # the name comes from the profile
    await chat.share("+49 151 23456789")
    assert "Please check your booking" in chat.text
    assert "Specialist: Anna Petrova, Barber" in chat.text
    assert "Thursday, December 3, 2026, 10:00" in chat.text
    assert "Central European" in chat.text and "€35.00" in chat.text
    await chat.press("✅")
    assert "You are booked: Haircut with Anna Petrova" in chat.text
    assert chat.presses == 6
    [booked] = await bookings(demo)
    assert booked.status == BookingStatus.CONFIRMED and booked.channel == "telegram"
    async with session_factory(demo)() as session:
        client = await session.get(Client, booked.client_id)
        assert client is not None
        assert (client.name, client.phone, client.telegram_user_id) == (
            "Jane Doe",
            "+4915123456789",
            9001,
        )
        rows = await session.scalar(
            select(func.count()).where(Notification.booking_id == booked.id)
        )
    assert rows  # the confirmation and reminders are in the outbox


async def test_soonest_makes_it_fewer_and_russian_reads_russian(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9002", language="ru", name="Иван")
    await chat.start()
    assert "На что вы хотите записаться?" in chat.text
    await chat.choose_service("Стрижка · 1 ч")
    await chat.press("Любой свободный")
    assert "Декабрь 2026" in chat.text
    await chat.press("Ближайшее")
    assert "Спасибо, Иван" in chat.text
    await chat.share("+7 912 345-67-89")
    assert "Проверьте, пожалуйста, запись" in chat.text and "Boris Klein" in chat.text
    assert "35,00 €" in chat.text and "вторник, 1 декабря 2026" in chat.text
    await chat.press("✅ Подтвердить")
    assert chat.text.startswith("Вы записаны")
    assert chat.presses == 5  # category, service, anyone, soonest, confirm
    [booked] = await bookings(demo, BookingStatus.CONFIRMED)
    assert booked.starts_at.hour == 8  # 09:00 in Berlin, the soonest haircut


async def test_back_works_at_every_step_and_lets_the_hold_go(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9003", name="")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Boris")
    await chat.press("2")
    await chat.press("11:30")
    assert "What name should we book under?" in chat.text
    assert [b.status for b in await bookings(demo)] == ["held"]
    await chat.press("‹ Back")
    assert "pick a time" in chat.text
    assert [b.status for b in await bookings(demo)] == ["expired"]
    await chat.press("‹ Back")
    assert "pick a day" in chat.text
    await chat.press("‹ Back")
    assert "Who would you like to see?" in chat.text
    await chat.press("‹ Back")
    assert chat.text.startswith("Hair studio: what would you like to book?")
    await chat.press("‹ Back")
    assert chat.text.startswith("What would you like to book?")
    assert "Hair studio" in chat.labels()
    for side in ("My bookings", "Language", "Help"):
        await chat.press(side)
        await chat.press("‹ Back")
        assert "What would you like to book?" in chat.text


async def test_web_visitor_gives_name_then_phone(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "2001", name="")
    await chat.start()
    await chat.choose_service("Beard trim")
    await chat.press("Any available")
    await chat.press("Soonest")
    await chat.type("x" * 10_000)
    assert "at most 100 characters" in chat.text
    await chat.type("  Jane   Roe ")
    await chat.type("not a phone")
    assert "does not look like a phone number" in chat.text
    await chat.share("+49 151 99999999", own=False)
    assert "your own contact" in chat.text
    await chat.type("+49 151 23456789")
    assert "Name: Jane Roe" in chat.text and "Phone: +49 1512 3456789" in chat.text
    await chat.press("Change name")
    await chat.type("Jane Q. Roe")
    assert "Name: Jane Q. Roe" in chat.text
    await chat.press("✅")
    assert "You are booked" in chat.text


async def test_returning_client_books_again_in_two_presses(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9004")
    await book_haircut(chat)
    chat.presses = 0
    await chat.start()
    await chat.press("Book again: Haircut with Anna Petrova")
    assert "Please check your booking" in chat.text  # not asked for contact details again
    await chat.press("✅")
    assert "You are booked" in chat.text and chat.presses == 2
    assert len(await bookings(demo, BookingStatus.CONFIRMED)) == 2


async def test_my_bookings_cancel_asks_first_and_tells_the_specialist(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9005")
    await book_haircut(chat)
    await chat.start("my")
    assert "Your upcoming bookings:" in chat.text
    await chat.press("Tue, Dec 1")
    await chat.press("Cancel booking")
    assert chat.text.startswith("Cancel Haircut with Anna Petrova")
    await chat.press("No, keep it")
    await chat.press("Cancel booking")
    await chat.press("Yes, cancel it")
    assert "Your booking is cancelled" in chat.text
    assert "You have no upcoming bookings." in chat.text
    [cancelled] = await bookings(demo)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "client")
    async with session_factory(demo)() as session:
        kinds = set(
            await session.scalars(
                select(Notification.kind).where(Notification.booking_id == cancelled.id)
            )
        )
    assert any("cancel" in kind for kind in kinds)


async def test_reschedule_moves_the_booking_in_one_step(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9006")
    await book_haircut(chat)
    await chat.press("Reschedule")
    assert "pick a day" in chat.text
    await chat.press("4")
    await chat.press("3:00")
    assert chat.text.startswith("Move your appointment from Haircut with Anna Petrova")
    await chat.press("✅")
    assert chat.text.startswith("Moved to Friday, December 4, 2026 at 3:00 PM")
    assert "(was Tuesday, December 1, 2026 at 10:00 AM)" in chat.text
    old, new = await bookings(demo)
    assert old.status == "cancelled" and new.status == "confirmed"
    await assert_no_overlapping_live_bookings(demo)


async def test_slot_taken_between_pick_and_confirm(demo: AsyncEngine) -> None:
    first, second = Chat.new(demo, "9007"), Chat.new(demo, "9008")
    for chat in (first, second):
        await chat.start()
        await chat.choose_service("Haircut")
        await chat.press("Anna Petrova")
        await chat.press("3")
    await first.press("10:00")
    await second.press("10:00")
    assert second.text.startswith("Sorry, that time was just taken.")
    assert "These times are free:" in second.text
    await second.press("Thu, Dec 3, 11:")  # the next free times are buttons
    await second.share("+49 151 11111111")
    await second.press("✅")
    assert "You are booked" in second.text
    await assert_no_overlapping_live_bookings(demo)


async def test_hold_that_ran_out_offers_the_next_times(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9009")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("3")
    await chat.press("10:00")
    await chat.share("+49 151 23456789")
    chat.later(11)
    await chat.press("✅")
    assert chat.text.startswith("Sorry, the time we held for you ran out.")
    await chat.press("Thu, Dec 3, 10:00")  # still free: take it again
    await chat.press("✅")
    assert "You are booked" in chat.text


async def test_stale_forged_and_double_tapped_buttons(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9010")
    await chat.start()
    menu = chat.screen
    assert menu is not None
    await chat.choose_service("Haircut")
    current = describe(chat.screen) if chat.screen else ""
    old = chat.button("Clinic", screen=menu).action
    reply = await chat.press_action(old)
    assert reply.notice == "This menu is out of date. Here is the current one."
    assert (
        chat.screen is not None and describe(chat.screen).split("\n")[1:] == current.split("\n")[1:]
    )
    version = chat.button("‹ Back").action.split(".")[0]
    for forged in (f"{version}.svc.999", f"{version}.t.zzzz", "garbage", "x" * 500, ""):
        reply = await chat.press_action(forged)
        assert reply.notice, forged
        assert "Who would you like to see?" in chat.text
    await chat.press("Anna Petrova")
    await chat.press("Soonest")
    await chat.share("+49 151 23456789")
    confirm = chat.button("✅").action
    await chat.press_action(confirm)
    reply = await chat.press_action(confirm)  # a double tap
    assert reply.notice and "You are booked" in chat.text
    assert len(await bookings(demo, BookingStatus.CONFIRMED)) == 1


async def test_calendar_grey_days_say_so_and_months_move(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9011")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    assert chat.screen is not None
    grey = next(b for row in chat.screen.buttons for b in row if b.label == "6")
    assert grey.disabled
    reply = await chat.press_action(grey.action)
    assert reply.notice == "Anna Petrova is not working on Sun, Dec 6."
    await chat.press("Jan ›")
    assert "January 2027" in chat.text
    jan = [b for row in chat.screen.buttons for b in row]
    assert next(b for b in jan if b.label == "13").disabled  # Anna skis 11-17 January
    await chat.press("‹ Dec")
    assert "December 2026" in chat.text


async def test_far_first_slot_offers_the_named_substitute_first(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9012")
    chat.later(int(timedelta(days=26).total_seconds() // 60))  # Sunday 27 December
    await chat.start()
    await chat.choose_service("GP consultation")
    await chat.press("Dr. Klaus Weber")
    assert "Dr. Klaus Weber's first free time is" in chat.text
    assert "These colleagues can see you sooner:" in chat.text
    assert chat.labels()[0].startswith("Dr. Maria Sokolova")
    await chat.press("Dr. Maria Sokolova")
    assert "GP consultation with Dr. Maria Sokolova" in chat.text
    await chat.press("‹ Back")
    await chat.press("Dr. Klaus Weber")
    await chat.press("Wait for Dr. Klaus Weber")
    assert "January 2027" in chat.text


async def test_add_to_calendar_sends_an_ics_file(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9013")
    await book_haircut(chat)
    reply = await chat.press("📅 Add to calendar")
    [attachment] = [a for screen in reply.screens for a in screen.attachments]
    assert attachment.filename.endswith(".ics") and attachment.mime_type == "text/calendar"
    assert b"BEGIN:VEVENT" in attachment.data and b"UID:booking-" in attachment.data


async def test_language_menu_switches_and_is_remembered(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9014")
    await chat.start()
    await chat.press("Language")
    await chat.press("Русский")
    assert chat.text.startswith("Язык изменён на русский.")
    await chat.start()
    assert "На что вы хотите записаться?" in chat.text
    async with session_factory(demo)() as session:
        locale = await session.scalar(select(Client.locale).where(Client.telegram_user_id == 9014))
    assert locale == "ru"


async def test_typed_text_where_buttons_are_expected_gets_a_hint(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9015")
    await chat.start()
    await chat.type("hello?")
    assert chat.text.startswith("Sorry, I did not understand that. Type what you would like")
    await chat.share("+49 151 23456789")
    assert "do not need a phone number" in chat.text


async def test_continue_in_telegram_brings_the_web_bookings_once(demo: AsyncEngine) -> None:
    dialogs = Dialogs(demo, telegram_username="slotbot_test_bot")
    web = Chat(dialogs, Visitor("web", "visitor-session-1", language="en"))
    await web.start()
    assert "Continue in Telegram" in web.labels()
    await web.choose_service("Haircut")
    await web.press("Anna Petrova")
    await web.press("Soonest")
    await web.type("Jane Web")
    await web.type("+49 151 23456789")
    await web.press("✅")
    await web.press("Continue in Telegram")
    assert web.text.startswith("Open this link in Telegram")
    link = web.button("Open Telegram").url
    assert link.startswith("https://t.me/slotbot_test_bot?start=")
    token = link.split("start=")[1]
    assert len(token) <= 64
    telegram = Chat(dialogs, Visitor("telegram", "3001", chat_id=3001, name="Jane"))
    assert "Continue in Telegram" not in (await telegram.start()).screens[0].text
    await telegram.send(Start("start", payload=token))
    assert telegram.text.startswith("This link brings 1 booking from the website:")
    assert "Continue in Telegram" not in telegram.labels()
    await telegram.press("Take it")
    assert telegram.text.startswith("Done: 1 booking from the website is now here.")
    assert "Your upcoming bookings:" in telegram.text and "Haircut" in telegram.labels()[0]
    again = Chat.new(demo, "3002")
    await again.send(Start("start", payload=token))
    assert again.text.startswith("This link has expired or was already used.")
    await again.send(Start("start", payload="x" * 5000))
    assert again.text.startswith("This link has expired or was already used.")


async def test_the_summary_names_who_any_available_held(demo: AsyncEngine) -> None:
    """ "Any available" is settled by the hold: the summary names that specialist, from the
    session (``held_by``) or, for a session stored without it, from the booking."""
    chat = Chat.new(demo, "2002")
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Any available")
    await chat.press("Soonest")
    await chat.share("+49 151 23456789")
    (held,) = await bookings(demo, BookingStatus.HELD)
    async with session_factory(demo)() as session:
        name = (await session.get(Specialist, held.specialist_id)).name  # type: ignore[union-attr]
    assert f"Specialist: {name}" in chat.text
    loaded = await load_session(demo, channel="telegram", conversation_id="2002")
    assert loaded.state["held_by"] == held.specialist_id
    state = {k: v for k, v in loaded.state.items() if k != "held_by"}  # as stored before
    await save_session(demo, loaded, state=state, locale=loaded.locale, now=chat.now)
    await chat.press("Change name")  # out of date now: the summary is shown again
    assert "Please check your booking" in chat.text and f"Specialist: {name}" in chat.text
