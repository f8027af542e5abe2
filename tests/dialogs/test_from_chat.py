"""Buttons of notifications (reminders, review requests, offers after a cancellation) reach
the dialog out of band and are accepted by their meaning, never by the last screen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify import chat_actions
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Review
from tests.dialogs.chat import Chat, book_haircut


async def booked(demo: AsyncEngine) -> Booking:
    async with session_factory(demo)() as session:
        found = await session.scalar(select(Booking).where(Booking.status == "confirmed"))
    assert found is not None
    return found


async def test_reminder_buttons_come_reschedule_cancel(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9301")
    await book_haircut(chat)
    mine = await booked(demo)
    await chat.start()  # the client wandered off; the reminder's buttons still work
    await chat.press_action(chat_actions.come(mine.id))
    assert chat.text.startswith("Thank you! See you then.")
    await chat.press_action(chat_actions.reschedule(mine.id))
    assert "pick a day" in chat.text
    await chat.press_action(chat_actions.cancel(mine.id))
    assert chat.text.startswith("Cancel Haircut with Anna Petrova")
    await chat.press("Yes, cancel it")
    assert "Your booking is cancelled" in chat.text


async def test_someone_elses_booking_changes_nothing(demo: AsyncEngine) -> None:
    await book_haircut(Chat.new(demo, "9302"))
    theirs = await booked(demo)
    stranger = Chat.new(demo, "9303")
    await stranger.start()
    for action in (chat_actions.come(theirs.id), chat_actions.cancel(theirs.id),
                   chat_actions.rate(theirs.id, 5), "0.zz.1", "0.os.1"):  # fmt: skip
        await stranger.press_action(action)
        assert "Cancel Haircut" not in stranger.text
    assert (await booked(demo)).id == theirs.id


async def test_review_stars_then_a_comment_once(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9304")
    await book_haircut(chat)
    mine = await booked(demo)
    chat.later(int(timedelta(days=3).total_seconds() // 60))
    await chat.press_action(chat_actions.rate(mine.id, 4))
    assert chat.text.startswith("Thank you: ★★★★. Anything to add?")
    await chat.type("Great cut, thank you!")
    assert chat.text.startswith("Thank you for your review!")
    await chat.press_action(chat_actions.rate(mine.id, 1))
    await chat.press("Skip")
    assert chat.text.startswith("This appointment has already been reviewed.")
    async with session_factory(demo)() as session:
        reviews = list(await session.scalars(select(Review)))
    assert [(r.rating, r.comment) for r in reviews] == [(4, "Great cut, thank you!")]


async def test_an_offered_slot_is_held_and_confirmed(demo: AsyncEngine) -> None:
    chat = Chat.new(demo, "9305")
    await book_haircut(chat)
    mine = await booked(demo)
    offer = mine.starts_at + timedelta(days=1)
    await chat.press_action(chat_actions.book_slot(mine.specialist_id, mine.service_id, offer))
    assert "Please check your booking" in chat.text
    await chat.press("✅")
    assert "You are booked" in chat.text


async def test_a_specialist_opens_and_cancels_from_the_new_booking_message(
    demo: AsyncEngine,
) -> None:
    await book_haircut(Chat.new(demo, "9306"))
    theirs = await booked(demo)
    anna = Chat.new(demo, "1004")  # Anna Petrova's Telegram in the demo file
    await anna.press_action(chat_actions.specialist_booking(theirs.id))
    assert "Phone: +49 1512 3456789" in anna.text
    await anna.press_action(chat_actions.specialist_cancel(theirs.id))
    assert anna.text.startswith("Why is the appointment cancelled?")
    boris = Chat.new(demo, "1005")
    reply = await boris.press_action(chat_actions.specialist_cancel(theirs.id))
    assert reply.notice and "Why is the appointment cancelled?" not in boris.text


async def test_forged_numbers_too_big_for_an_id_change_nothing(demo: AsyncEngine) -> None:
    """Base-36 arguments beyond a 32-bit id (PostgreSQL's integer columns refuse them) or a
    time no calendar holds: the button does not work here, and the dialog goes on."""
    chat = Chat.new(demo, "9309")
    await chat.start()
    huge = "zzzzzzzzzzzzz"  # 13 base-36 digits: about 1.7e20
    for action in (
        f"0.ok.{huge}", f"0.cx.{huge}", f"0.rs.{huge}", f"0.rv.{huge}.5", f"0.sb.{huge}",
        f"0.wo.{huge}", f"0.os.1.1.{huge}", "0.ok.zik0zk",  # 2**31, one past the largest id
    ):  # fmt: skip
        reply = await chat.press_action(action)
        assert reply.notice == "That button does not work here. Here is the current menu."
    await chat.choose_service("Haircut")  # the conversation carries on
    assert "Who would you like to see?" in chat.text
