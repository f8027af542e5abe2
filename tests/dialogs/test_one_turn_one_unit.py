"""One turn, one unit of work: what a turn writes (a hold, a confirmation and its outbox rows)
commits together with its saved session, or not at all. On SQLite and PostgreSQL, with real
second connections (another process) and real constraints, never a stand-in for the unit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import create_engine, is_sqlite, session_factory
from slotbot.core.storage.models import Booking, BookingStatus, DialogSession, Notification
from slotbot.core.storage.sessions import load_session
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.screens import Expect
from tests.core.overlaps import assert_no_overlapping_live_bookings
from tests.dialogs.chat import Chat, book_haircut


async def at_the_calendar(chat: Chat) -> None:
    """A new client at Anna's month calendar (nothing held yet)."""
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    assert "December 2026" in chat.text


async def at_the_summary(chat: Chat) -> None:
    """A client holding Anna's soonest haircut, on the summary with its Confirm button."""
    await at_the_calendar(chat)
    await chat.press("Soonest")
    if chat.screen is not None and chat.screen.expects == Expect.PHONE:
        await chat.share("+49 151 23456789")
    assert "Please check your booking" in chat.text


async def rows(engine: AsyncEngine) -> tuple[list[tuple[int, str]], int]:
    """The bookings (id, status) and the number of outbox rows."""
    async with session_factory(engine)() as session:
        bookings = [
            (b.id, b.status) for b in await session.scalars(select(Booking).order_by(Booking.id))
        ]
        outbox = await session.scalar(select(func.count()).select_from(Notification))
    return bookings, int(outbox or 0)


async def version(engine: AsyncEngine, chat: Chat) -> int:
    loaded = await load_session(engine, channel="telegram", conversation_id=chat.visitor.key)
    return loaded.version


@asynccontextmanager
async def another_process_saves(database_url: str, chat: Chat) -> AsyncIterator[None]:
    """Another process saves the conversation's session (a new version) in a transaction
    that stays open for the ``with`` block and commits at its end: a turn that begins in the
    block reads the version before it and saves after it."""
    other = create_engine(database_url)
    try:
        async with other.begin() as connection:
            await connection.execute(
                update(DialogSession)
                .where(DialogSession.conversation_id == chat.visitor.key)
                .values(version=DialogSession.version + 1)
            )
            yield
    finally:
        await other.dispose()


async def until_waiting(turn: asyncio.Task[object]) -> None:
    """Give the turn time to read its session and reach the other process's lock."""
    await asyncio.sleep(0.5)
    assert not turn.done(), "the turn should wait for the other process"


async def test_a_confirmation_and_its_outbox_rows_go_when_the_session_was_saved_meanwhile(
    demo: AsyncEngine, database_url: str
) -> None:
    chat = Chat.new(demo)
    await at_the_summary(chat)
    before, outbox_before = await rows(demo)
    [(held, status)] = before
    assert status == BookingStatus.HELD and outbox_before == 0
    saved = await version(demo, chat)
    async with another_process_saves(database_url, chat):
        turn = asyncio.create_task(chat.press("✅"))
        await until_waiting(turn)
    reply = await turn
    # the turn's confirmation and its outbox rows were rolled back with the stale save; the
    # press was then answered on the newer session, as any stale button is
    assert reply.notice == "This menu is out of date. Here is the current one."
    assert await rows(demo) == ([(held, BookingStatus.HELD)], 0)
    assert await version(demo, chat) == saved + 2  # the other process's, then the answer's
    await assert_no_overlapping_live_bookings(demo)


async def test_a_hold_goes_when_the_session_was_saved_meanwhile(
    demo: AsyncEngine, database_url: str
) -> None:
    chat = Chat.new(demo)
    await at_the_calendar(chat)
    async with another_process_saves(database_url, chat):
        turn = asyncio.create_task(chat.press("Soonest"))
        await until_waiting(turn)
    reply = await turn
    assert reply.notice == "This menu is out of date. Here is the current one."
    assert await rows(demo) == ([], 0)  # not even an expired row: the hold never was


@asynccontextmanager
async def refusing(engine: AsyncEngine, table: str) -> AsyncIterator[None]:
    """A real constraint that makes the database refuse new rows (and new row versions) of
    ``table`` within the block: a trigger on SQLite, a CHECK on PostgreSQL (NOT VALID: rows
    there stay)."""
    async with engine.begin() as connection:
        if is_sqlite(engine):
            for event in ("INSERT", "UPDATE"):
                await connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_{table}_{event.lower()} BEFORE {event} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                    )
                )
        else:
            await connection.execute(
                text(f"ALTER TABLE {table} ADD CONSTRAINT refused CHECK (false) NOT VALID")
            )
    try:
        yield
    finally:
        async with engine.begin() as connection:
            if is_sqlite(engine):
                for event in ("insert", "update"):
                    await connection.execute(text(f"DROP TRIGGER refuse_{table}_{event}"))
            else:
                await connection.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT refused"))


async def test_an_outbox_that_refuses_its_rows_leaves_the_booking_held_and_the_screen_as_it_was(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo)
    await at_the_summary(chat)
    [(held, _)], _ = await rows(demo)
    saved = await version(demo, chat)
    async with refusing(demo, "notifications"):
        with pytest.raises(IntegrityError):
            await chat.press("✅")
        assert await rows(demo) == ([(held, BookingStatus.HELD)], 0)
        assert await version(demo, chat) == saved
    await chat.press("✅")  # the same screen's button: nothing of the failed turn stayed
    assert "You are booked" in chat.text
    bookings, outbox = await rows(demo)
    assert bookings == [(held, BookingStatus.CONFIRMED)] and outbox > 0


async def test_a_move_whose_outbox_rows_are_refused_leaves_no_new_booking(
    demo: AsyncEngine,
) -> None:
    """A move holds the new time, confirms it and cancels the old booking in the turn's
    write; when the outbox refuses the messages, the new booking goes too."""
    chat = Chat.new(demo)
    await book_haircut(chat)
    [(old, status)], outbox = await rows(demo)
    assert status == BookingStatus.CONFIRMED
    await chat.press("Reschedule")
    await chat.press("4")
    await chat.press("3:00")
    assert chat.text.startswith("Move your appointment from Haircut with Anna Petrova")
    saved = await version(demo, chat)
    async with refusing(demo, "notifications"):
        with pytest.raises(IntegrityError):
            await chat.press("✅")
        assert await rows(demo) == ([(old, BookingStatus.CONFIRMED)], outbox)
        assert await version(demo, chat) == saved
    await chat.press("✅")
    assert chat.text.startswith("Moved to Friday, December 4, 2026 at 3:00 PM")
    (_, cancelled), (_, confirmed) = (await rows(demo))[0]
    assert (cancelled, confirmed) == (BookingStatus.CANCELLED, BookingStatus.CONFIRMED)


async def test_a_session_that_cannot_be_saved_takes_the_turns_hold_with_it(
    demo: AsyncEngine,
) -> None:
    chat = Chat.new(demo)
    await at_the_calendar(chat)
    saved = await version(demo, chat)
    async with refusing(demo, "dialog_sessions"):
        with pytest.raises(IntegrityError):
            await chat.press("Soonest")
        assert await rows(demo) == ([], 0)
        assert await version(demo, chat) == saved
    await chat.press("Soonest")
    [(_, status)], _ = await rows(demo)
    assert status == BookingStatus.HELD


async def test_two_processes_pressing_times_on_one_screen_leave_one_hold_per_conversation(
    demo: AsyncEngine, database_url: str
) -> None:
    """Eight conversations, each answered by two processes at once pressing two different
    times of the same screen (and the same two times across conversations): per
    conversation one turn's hold stays and its session points at it; the other turn's hold
    is rolled back with its stale save, leaving no row; no two live bookings overlap."""
    conversations = 8
    engines = [create_engine(database_url, pool_size=2) for _ in range(2 * conversations)]
    try:
        pairs: list[tuple[Chat, Chat]] = []
        for n in range(conversations):
            first = Chat(Dialogs(engines[2 * n]), Chat.new(demo, str(8100 + n)).visitor)
            await at_the_calendar(first)
            await first.press("3")
            assert "Thu, Dec 3: pick a time." in first.text
            second = Chat(Dialogs(engines[2 * n + 1]), first.visitor, screen=first.screen)
            pairs.append((first, second))
        await asyncio.gather(*(t for a, b in pairs for t in (a.press("10:00"), b.press("11:00"))))
        async with session_factory(demo)() as session:
            for first, _ in pairs:
                state = await session.scalar(
                    select(DialogSession.state).where(
                        DialogSession.conversation_id == first.visitor.key
                    )
                )
                assert state is not None
                held = list(
                    await session.scalars(
                        select(Booking).where(Booking.client_id == state["client"])
                    )
                )
                if state.get("hold") is None:  # both times were taken by other conversations
                    assert held == []
                else:
                    assert [(b.id, b.status) for b in held] == [(state["hold"], BookingStatus.HELD)]
            live = await session.scalar(
                select(func.count()).where(Booking.status == BookingStatus.HELD)
            )
            rows_left = await session.scalar(select(func.count()).select_from(Booking))
        # 10:00 and 11:00 at most once each; every row left is a live hold some session
        # points at (in a conversation whose winning turn was a refused press, none)
        assert live == rows_left and live is not None and live <= 2
        await assert_no_overlapping_live_bookings(demo)
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))
